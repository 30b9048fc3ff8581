# ruff: noqa
# fmt: off
# autogen issue #1400, second program (GraphGroupChat branch, PR #857):
# allowed transitions as `graph_dict`, speakers picked by the model among them.
# Ported to fsmchat by changing the two `from autogen...` import lines only.
# in GraphGroupChat branch

import matplotlib.pyplot as plt
import networkx as nx

from fsmchat.autogen import Agent, GroupChat, AssistantAgent, UserProxyAgent, GroupChatManager
from fsmchat.autogen import config_list_from_dotenv

config_list = config_list_from_dotenv(
        dotenv_file_path='.env',
        model_api_key_map={'gpt-4':'OPENAI_API_KEY'},
        filter_dict={
            "model": {
                "gpt-4"
            }
        }
    )

gpt_config = {
    "cache_seed": None,  # change the cache_seed for different trials
    "temperature": 0,
    "config_list": config_list,
    "timeout": 100,
}

engineer = AssistantAgent(
    name="Engineer",
    llm_config=gpt_config,
    system_message="""Add 1 to the number output by the previous role. If the previous number is 20, output "TERMINATE".""",
    description="""I am **ONLY** allowed to speak **immediately** after `Planner`, `Critic` and `Executor`.
If the last number mentioned by `Critic` is not a multiple of 5, the next speaker must be `Engineer`.
"""
)
planner = AssistantAgent(
    name="Planner",
    system_message="""Add 1 to the number output by the previous role. If the previous number is 20, output "TERMINATE".""",
    llm_config=gpt_config,
    description="""I am **ONLY** allowed to speak **immediately** after `User` or `Critic`.
If the last number mentioned by `Critic` is a multiple of 5, the next speaker must be `Planner`.
"""
)
executor = AssistantAgent(
    name="Executor",
    system_message="""Add 1 to the number output by the previous role. If the previous number is 20, output "TERMINATE".""",
    is_termination_msg=lambda x: x.get("content", "") and x.get("content", "").rstrip().endswith("FINISH"),
    llm_config=gpt_config,
    description="""I am **ONLY** allowed to speak **immediately** after `Engineer`.
If the last number mentioned by `Engineer` is a multiple of 3, the next speaker can only be `Executor`.
"""
)
critic = AssistantAgent(
    name="Critic",
    system_message="""Add 1 to the number output by the previous role. If the previous number is 20, output "TERMINATE".""",
    llm_config=gpt_config,
    description="""I am **ONLY** allowed to speak **immediately** after `Engineer`.
If the last number mentioned by `Engineer` is not a multiple of 3, the next speaker can only be `Critic`.
"""
)
user_proxy = UserProxyAgent(
    name="User",
    system_message="""Add 1 to the number output by the previous role. If the previous number is 20, output "TERMINATE".""",
    code_execution_config=False,
    human_input_mode="NEVER",
    llm_config=False,
    description="""
Never select me as a speaker. 
"""
)

agents = [user_proxy, engineer, planner, executor, critic]

graph_dict = {}
graph_dict["User"] = [planner]
graph_dict["Planner"] = [engineer]
graph_dict["Engineer"] = [critic, executor]
graph_dict["Critic"] = [engineer, planner]
graph_dict["Executor"] = [engineer]

# Visualization only

graph = nx.DiGraph()

# Add nodes
graph.add_nodes_from([agent.name for agent in agents])

# Add edges
for key, value in graph_dict.items():
    for agent in value:
        graph.add_edge(key, agent.name)

group_chat = GroupChat(agents=agents, messages=[], max_round=25, graph_dict=graph_dict, allow_repeat_speaker=False)

# Create the manager
manager = GroupChatManager(
    groupchat=group_chat, 
    llm_config=gpt_config,
    is_termination_msg=lambda x: x.get("content", "") and x.get("content", "").rstrip().endswith("TERMINATE"),
    code_execution_config=False,
)

user_proxy.initiate_chat(
    manager,
    message="1",
    clear_history=True
)
