# An AutoGen 0.2 program without any model: agents reply through reply
# functions and default_auto_reply, a person types at input(), and the group
# chat picks speakers with a custom selection function and "auto".
import fsmchat.autogen as autogen
from fsmchat.autogen import ConversableAgent, GroupChat, GroupChatManager, UserProxyAgent


def count_reply(recipient, messages, sender, config):
    last = messages[-1]["content"]
    numbers = [int(w) for w in last.split() if w.isdigit()]
    return True, f"{recipient.name} says {numbers[-1] + 1 if numbers else 1}"


counters = []
for name in ["Alice", "Bob", "Carol"]:
    agent = ConversableAgent(name, llm_config=False, human_input_mode="NEVER")
    agent.register_reply([autogen.Agent, None], count_reply)
    counters.append(agent)

human = UserProxyAgent("Human", human_input_mode="ALWAYS", code_execution_config=False, default_auto_reply="go on")
helper = autogen.AssistantAgent("Helper", llm_config=False, default_auto_reply="I have no model, but I am here.")

# a two-agent chat where the person types at input()
result = human.initiate_chat(helper, message="Hello helper")
print("HUMAN INPUT:", result.human_input)


def pick(last_speaker, groupchat):
    if last_speaker is human:
        return counters[0]
    if last_speaker is counters[-1]:
        return "auto"
    return groupchat.next_agent(last_speaker, counters)


groupchat = GroupChat(agents=[human, *counters], messages=[], max_round=6, speaker_selection_method=pick)
manager = GroupChatManager(groupchat=groupchat, llm_config=False)
counters[0].update_max_consecutive_auto_reply(10)
human.initiate_chat(manager, message="Count from 0")
print("TRANSCRIPT:", [(m["name"], m["content"]) for m in groupchat.messages])
