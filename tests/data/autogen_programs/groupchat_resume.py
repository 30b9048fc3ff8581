# An AutoGen 0.2 program from the "Resuming a GroupChat" guide: run a group chat,
# save its messages as a string, and resume it later with a new manager.
import fsmchat.autogen as autogen

config_list = autogen.config_list_from_json("OAI_CONFIG_LIST")
gpt4_config = {"cache_seed": None, "temperature": 0, "config_list": config_list, "timeout": 120}

planner = autogen.AssistantAgent(
    name="Planner",
    system_message="Planner. Suggest a plan. Revise the plan based on feedback from critic.",
    llm_config=gpt4_config,
)
engineer = autogen.AssistantAgent(
    name="Engineer",
    llm_config=gpt4_config,
    system_message="Engineer. You follow an approved plan. You write python/shell code to solve tasks.",
)
critic = autogen.AssistantAgent(
    name="Critic",
    system_message="Critic. Double check plan, claims, code from other agents and provide feedback.",
    llm_config=gpt4_config,
)
user_proxy = autogen.UserProxyAgent(
    name="Admin",
    system_message="A human admin.",
    code_execution_config=False,
    human_input_mode="NEVER",
)

groupchat = autogen.GroupChat(
    agents=[user_proxy, planner, engineer, critic],
    messages=[],
    max_round=5,
    speaker_selection_method="round_robin",
)
manager = autogen.GroupChatManager(groupchat=groupchat, llm_config=gpt4_config)

first_result = user_proxy.initiate_chat(manager, message="Plan a trip report.")
saved = manager.messages_to_string(groupchat.messages)

# later: a new group chat, resumed from the saved messages
new_groupchat = autogen.GroupChat(
    agents=[user_proxy, planner, engineer, critic],
    messages=[],
    max_round=3,
    speaker_selection_method="round_robin",
)
new_manager = autogen.GroupChatManager(groupchat=new_groupchat, llm_config=gpt4_config)
last_agent, last_message = new_manager.resume(messages=saved)
result = last_agent.initiate_chat(recipient=new_manager, message=last_message, clear_history=False)

for message in new_groupchat.messages:
    print(message["name"], ":", message["content"])
