# An AutoGen 0.2 program from the "Nested Chats" notebook: a critic reviews the
# writer's draft in a nested chat before the writer answers.
import fsmchat.autogen as autogen

config_list = autogen.config_list_from_json(env_or_file="OAI_CONFIG_LIST")
llm_config = {"config_list": config_list, "cache_seed": None}

task = "Write a concise but engaging blogpost about Navida."

writer = autogen.AssistantAgent(
    name="Writer",
    llm_config=llm_config,
    system_message="You are a professional writer. Polish your writing based on the feedback.",
)

user_proxy = autogen.UserProxyAgent(
    name="User",
    human_input_mode="NEVER",
    is_termination_msg=lambda x: x.get("content", "").find("TERMINATE") >= 0,
    code_execution_config=False,
)

critic = autogen.AssistantAgent(
    name="Critic",
    llm_config=llm_config,
    system_message="You are a critic. You review the work of the writer and provide constructive feedback.",
)


def reflection_message(recipient, messages, sender, config):
    print("Reflecting...")
    return f"Reflect and provide critique on the following writing. \n\n {recipient.chat_messages_for_summary(sender)[-1]['content']}"


user_proxy.register_nested_chats(
    [{"recipient": critic, "message": reflection_message, "summary_method": "last_msg", "max_turns": 1}],
    trigger=writer,
)

res = user_proxy.initiate_chat(recipient=writer, message=task, max_turns=2, summary_method="last_msg")
print(res.summary)
