# An AutoGen 0.2 program written from AutoGen's "Tool Use" tutorial, as an
# AutoGen user would; only `import autogen` became `import fsmchat.autogen as autogen`.
from typing import Annotated, Literal

import fsmchat.autogen as autogen
from fsmchat.autogen import AssistantAgent, ConversableAgent, UserProxyAgent, register_function

config_list = autogen.config_list_from_json(
    env_or_file="OAI_CONFIG_LIST",
    filter_dict={"model": ["gpt-4o"]},
)
llm_config = {"config_list": config_list, "cache_seed": None, "temperature": 0}

Operator = Literal["+", "-", "*", "/"]


def calculator(a: int, b: int, operator: Annotated[Operator, "operator"]) -> int:
    if operator == "+":
        return a + b
    elif operator == "-":
        return a - b
    elif operator == "*":
        return a * b
    elif operator == "/":
        return int(a / b)
    else:
        raise ValueError("Invalid operator")


assistant = AssistantAgent(
    name="Assistant",
    system_message="You are a helpful AI assistant. "
    "You can help with simple calculations. "
    "Return 'TERMINATE' when the task is done.",
    llm_config=llm_config,
)

user_proxy = UserProxyAgent(
    name="User",
    llm_config=False,
    is_termination_msg=lambda msg: msg.get("content") is not None and "TERMINATE" in msg["content"],
    human_input_mode="NEVER",
    code_execution_config=False,
)

register_function(
    calculator,
    caller=assistant,
    executor=user_proxy,
    name="calculator",
    description="A simple calculator",
)


@user_proxy.register_for_execution()
@assistant.register_for_llm(description="Says how many digits a number has.")
def digits(number: Annotated[int, "the number"]) -> str:
    return f"{number} has {len(str(abs(number)))} digits"


chat_result = user_proxy.initiate_chat(assistant, message="What is (1423 - 123) / 3 + (32 + 23) * 5?")

print("Summary:", chat_result.summary)
print("Cost:", chat_result.cost)
tool_names = [t["function"]["name"] for t in assistant.llm_config["tools"]]
print("Tools:", tool_names)
