# Ported from AutoGen v0.2.40 (website/docs/tutorial/introduction.ipynb; autogen-agentchat 0.2.40, MIT/CC-BY-4.0):
# its code cells in order, only `autogen` replaced by `fsmchat.autogen`.
# The model is tests/autogen/notebook_worlds.py's fake behind OAI_CONFIG_LIST / OPENAI_BASE_URL.

# ---- cell 5
import os

from fsmchat.autogen import ConversableAgent

agent = ConversableAgent(
    "chatbot",
    llm_config={"config_list": [{"model": "gpt-4", "api_key": os.environ.get("OPENAI_API_KEY")}]},
    code_execution_config=False,  # Turn off code execution, by default it is off.
    function_map=None,  # No registered functions, by default it is None.
    human_input_mode="NEVER",  # Never ask for human input.
)

# ---- cell 8
reply = agent.generate_reply(messages=[{"content": "Tell me a joke.", "role": "user"}])
print(reply)

# ---- cell 10
cathy = ConversableAgent(
    "cathy",
    system_message="Your name is Cathy and you are a part of a duo of comedians.",
    llm_config={"config_list": [{"model": "gpt-4", "temperature": 0.9, "api_key": os.environ.get("OPENAI_API_KEY")}]},
    human_input_mode="NEVER",  # Never ask for human input.
)

joe = ConversableAgent(
    "joe",
    system_message="Your name is Joe and you are a part of a duo of comedians.",
    llm_config={"config_list": [{"model": "gpt-4", "temperature": 0.7, "api_key": os.environ.get("OPENAI_API_KEY")}]},
    human_input_mode="NEVER",  # Never ask for human input.
)

# ---- cell 12
result = joe.initiate_chat(cathy, message="Cathy, tell me a joke.", max_turns=2)
