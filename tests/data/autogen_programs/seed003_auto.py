# ruff: noqa
# fmt: off
# autogen issue #1400, first program: speaker selection from agent descriptions
# only ("auto"). Ported to fsmchat by one change: the import line below (the
# issue's snippet relies on an `import autogen` it does not show). Everything
# after it is the code, verbatim.
import fsmchat.autogen as autogen

# pyautogen == 0.2.8

config_list = autogen.config_list_from_dotenv(
        dotenv_file_path='.env',
        model_api_key_map={'gpt-4':'OPENAI_API_KEY'},
        filter_dict={
            "model": {
                "gpt-4"
            }
        }
    )

gpt_config = {
    "cache_seed": None,
    "temperature": 0,
    "config_list": config_list,
    "timeout": 100,
}

engineer = autogen.AssistantAgent(
    name="Engineer",
    llm_config=gpt_config,
    system_message="""Add 1 to the number output by the previous role. If the previous number is 20, output "TERMINATE".""",
    description="""I am **ONLY** allowed to speak **immediately** after `Planner`, `Critic` and `Executor`.
If the last number mentioned by `Critic` is not a multiple of 5, the next speaker must be `Engineer`.
"""
)
planner = autogen.AssistantAgent(
    name="Planner",
    system_message="""Add 1 to the number output by the previous role. If the previous number is 20, output "TERMINATE".""",
    llm_config=gpt_config,
    description="""I am **ONLY** allowed to speak **immediately** after `User` or `Critic`.
If the last number mentioned by `Critic` is a multiple of 5, the next speaker must be `Planner`.
"""
)
executor = autogen.AssistantAgent(
    name="Executor",
    system_message="""Add 1 to the number output by the previous role. If the previous number is 20, output "TERMINATE".""",
    llm_config=gpt_config,
    description="""I am **ONLY** allowed to speak **immediately** after `Engineer`.
If the last number mentioned by `Engineer` is a multiple of 3, the next speaker can only be `Executor`.
"""
)
critic = autogen.AssistantAgent(
    name="Critic",
    system_message="""Add 1 to the number output by the previous role. If the previous number is 20, output "TERMINATE".""",
    llm_config=gpt_config,
    description="""I am **ONLY** allowed to speak **immediately** after `Engineer`.
If the last number mentioned by `Engineer` is not a multiple of 3, the next speaker can only be `Critic`.
"""
)
user_proxy = autogen.UserProxyAgent(
    name="User",
    system_message="""Add 1 to the number output by the previous role. If the previous number is 20, output "TERMINATE".""",
    code_execution_config=False,
    human_input_mode="NEVER",
    llm_config=False,
    description="""
Never select me as a speaker. 
"""
)

groupchat = autogen.GroupChat(
    agents=[engineer, planner, executor, critic, user_proxy], messages=[], max_round=25, allow_repeat_speaker=False
)

manager = autogen.GroupChatManager(
    groupchat=groupchat, 
    llm_config=gpt_config,
    is_termination_msg=lambda x: x.get("content", "") and x.get("content", "").rstrip().endswith("TERMINATE"),
    code_execution_config=False,
)

# Start the experiment
user_proxy.initiate_chat(
    manager,
    message="1",
    clear_history=True
)
