# An AutoGen 0.2 program using the async API: a group chat with a model picking
# speakers, an async tool, and a_initiate_chat.
import asyncio
from typing import Annotated

import fsmchat.autogen as autogen
from fsmchat.autogen import AssistantAgent, GroupChat, GroupChatManager, UserProxyAgent

config_list = autogen.config_list_from_json("OAI_CONFIG_LIST")
llm_config = {"config_list": config_list, "cache_seed": None}

coder = AssistantAgent("Coder", llm_config=llm_config, description="Writes code and calls tools.")
reviewer = AssistantAgent("Reviewer", llm_config=llm_config, description="Reviews the work and says TERMINATE when done.")
user = UserProxyAgent(
    "User",
    human_input_mode="NEVER",
    code_execution_config=False,
    description="Runs tools for the others.",
    default_auto_reply="Please continue.",
)


@user.register_for_execution()
@coder.register_for_llm(description="Fetch the weather of a city.")
async def weather(city: Annotated[str, "the city"]) -> str:
    await asyncio.sleep(0)
    return f"It is sunny in {city}."


groupchat = GroupChat(agents=[user, coder, reviewer], messages=[], max_round=6, allow_repeat_speaker=False)
manager = GroupChatManager(
    groupchat=groupchat,
    llm_config=llm_config,
    is_termination_msg=lambda m: "TERMINATE" in (m.get("content") or ""),
)


async def main():
    return await user.a_initiate_chat(manager, message="What is the weather in Paris?")


result = asyncio.run(main())
for message in groupchat.messages:
    print(message["name"], "->", message["content"])
