"""Unit tests in the style of AutoGen 0.2's own (test_conversable_agent.py, test_groupchat.py).

(AutoGen's test idioms are kept on purpose: compound asserts, the call form of
``pytest.raises``.)

Written as an AutoGen user's tests are, against AutoGen's documented behaviour;
only the import line names fsmchat. Model-free, so they run offline.
"""

# ruff: noqa: PT018, RUF061
from __future__ import annotations

import copy
from typing import Annotated

import pytest

import fsmchat.autogen as autogen
from fsmchat.autogen.agentchat import ConversableAgent, UserProxyAgent

GPT4_CONFIG_LIST = [{"model": "gpt-4", "api_key": "sk-not-used"}]


def test_trigger() -> None:
    """Reply functions fire by agent, name, class, predicate and list triggers."""
    agent = ConversableAgent(
        "a0", max_consecutive_auto_reply=0, llm_config=False, human_input_mode="NEVER"
    )
    agent1 = ConversableAgent(
        "a1", max_consecutive_auto_reply=0, llm_config=False, human_input_mode="NEVER"
    )
    agent.register_reply(
        agent1, lambda recipient, messages, sender, config: (True, "hello")
    )
    agent1.initiate_chat(agent, message="hi")
    assert agent1.last_message(agent)["content"] == "hello"
    agent.register_reply(
        "a1", lambda recipient, messages, sender, config: (True, "hello a1")
    )
    agent1.initiate_chat(agent, message="hi")
    assert agent1.last_message(agent)["content"] == "hello a1"
    agent.register_reply(
        ConversableAgent,
        lambda recipient, messages, sender, config: (True, "hello conversable agent"),
    )
    agent1.initiate_chat(agent, message="hi")
    assert agent1.last_message(agent)["content"] == "hello conversable agent"
    agent.register_reply(
        lambda sender: sender.name.startswith("a"),
        lambda recipient, messages, sender, config: (True, "hello a"),
    )
    agent1.initiate_chat(agent, message="hi")
    assert agent1.last_message(agent)["content"] == "hello a"
    agent.register_reply(
        lambda sender: sender.name.startswith("b"),
        lambda recipient, messages, sender, config: (True, "hello b"),
    )
    agent1.initiate_chat(agent, message="hi")
    assert agent1.last_message(agent)["content"] == "hello a"
    agent.register_reply(
        ["agent2", agent1],
        lambda recipient, messages, sender, config: (True, "hello agent2 or agent1"),
    )
    agent1.initiate_chat(agent, message="hi")
    assert agent1.last_message(agent)["content"] == "hello agent2 or agent1"
    agent.register_reply(
        ["agent2", "agent3"],
        lambda recipient, messages, sender, config: (True, "hello agent2 or agent3"),
    )
    agent1.initiate_chat(agent, message="hi")
    assert agent1.last_message(agent)["content"] == "hello agent2 or agent1"
    pytest.raises(
        ValueError,
        agent.register_reply,
        1,
        lambda recipient, messages, sender, config: (True, "hi"),
    )
    pytest.raises(ValueError, agent._match_trigger, 1, agent1)


def test_context() -> None:
    """A message's context fills callable content, and strings when allowed."""
    agent = ConversableAgent(
        "a0", max_consecutive_auto_reply=0, llm_config=False, human_input_mode="NEVER"
    )
    agent1 = ConversableAgent(
        "a1", max_consecutive_auto_reply=0, human_input_mode="NEVER"
    )
    agent1.send({"content": "hello {name}", "context": {"name": "there"}}, agent)
    agent1.send(
        {
            "content": lambda context: f"hello {context['name']}",
            "context": {"name": "there"},
        },
        agent,
    )
    agent.llm_config = {"allow_format_str_template": True}
    agent1.send({"content": "hello {name}", "context": {"name": "there"}}, agent)
    assert [m["context"] for m in agent.chat_messages[agent1]] == [
        {"name": "there"}
    ] * 3


def test_max_consecutive_auto_reply() -> None:
    """The limit per sender, its reset at each chat, and reply_at_receive."""
    agent = ConversableAgent(
        "a0", max_consecutive_auto_reply=2, llm_config=False, human_input_mode="NEVER"
    )
    agent1 = ConversableAgent(
        "a1", max_consecutive_auto_reply=0, llm_config=False, human_input_mode="NEVER"
    )
    assert (
        agent.max_consecutive_auto_reply()
        == agent.max_consecutive_auto_reply(agent1)
        == 2
    )
    agent.update_max_consecutive_auto_reply(1)
    assert (
        agent.max_consecutive_auto_reply()
        == agent.max_consecutive_auto_reply(agent1)
        == 1
    )

    agent1.initiate_chat(agent, message="hello")
    assert agent._consecutive_auto_reply_counter[agent1] == 1
    agent1.initiate_chat(agent, message="hello again")
    # with auto reply because the counter is reset
    assert agent1.last_message(agent)["role"] == "user"
    assert len(agent1.chat_messages[agent]) == 2
    assert len(agent.chat_messages[agent1]) == 2

    assert agent._consecutive_auto_reply_counter[agent1] == 1
    agent1.send(message="bye", recipient=agent)
    # no auto reply
    assert agent1.last_message(agent)["role"] == "assistant"

    agent1.initiate_chat(agent, clear_history=False, message="hi")
    assert len(agent1.chat_messages[agent]) > 2
    assert len(agent.chat_messages[agent1]) > 2

    assert agent.reply_at_receive[agent1] == agent1.reply_at_receive[agent] is True
    agent1.stop_reply_at_receive(agent)
    assert (
        agent.reply_at_receive[agent1] is True
        and agent1.reply_at_receive[agent] is False
    )


def test_generate_reply_raise_exception() -> None:
    """generate_reply without messages or sender is an AssertionError."""
    agent = ConversableAgent(
        "a0", max_consecutive_auto_reply=10, llm_config=False, human_input_mode="NEVER"
    )
    with pytest.raises(AssertionError):
        agent.generate_reply()


def test_generate_reply_with_messages_and_sender_none() -> None:
    """generate_reply with messages and no sender answers."""
    msg = {"content": "hello", "role": "user"}
    agent = ConversableAgent(
        "a0", max_consecutive_auto_reply=10, llm_config=False, human_input_mode="NEVER"
    )
    response = agent.generate_reply(messages=[msg], sender=None)
    assert response is not None, "Response should not be None"


def test_update_function_signature_and_register_functions() -> None:
    """update_function_signature and register_function add and remove functions."""
    agent = ConversableAgent(name="agent", llm_config={"config_list": GPT4_CONFIG_LIST})

    def exec_python(cell: str) -> None:
        pass

    def exec_sh(script: str) -> None:
        pass

    agent.update_function_signature(
        {
            "name": "python",
            "description": "run cell in ipython and return the execution result.",
            "parameters": {
                "type": "object",
                "properties": {
                    "cell": {
                        "type": "string",
                        "description": "Valid Python cell to execute.",
                    }
                },
                "required": ["cell"],
            },
        },
        is_remove=False,
    )
    functions = agent.llm_config["functions"]
    assert {f["name"] for f in functions} == {"python"}
    agent.update_function_signature(
        {
            "name": "sh",
            "description": "run a shell script and return the execution result.",
            "parameters": {
                "type": "object",
                "properties": {
                    "script": {
                        "type": "string",
                        "description": "Valid shell script to execute.",
                    }
                },
                "required": ["script"],
            },
        },
        is_remove=False,
    )
    functions = agent.llm_config["functions"]
    assert {f["name"] for f in functions} == {"python", "sh"}
    agent.register_function(function_map={"python": exec_python, "sh": exec_sh})
    assert set(agent.function_map.keys()) == {"python", "sh"}
    assert agent.function_map["python"] == exec_python
    assert agent.function_map["sh"] == exec_sh
    agent.register_function(function_map={"python": None})
    assert set(agent.function_map.keys()) == {"sh"}
    assert agent.function_map["sh"] == exec_sh


def test_register_for_llm() -> None:
    """Stacked register_for_llm decorators share the name and description given first."""
    agent3 = ConversableAgent(
        name="agent3", llm_config={"config_list": GPT4_CONFIG_LIST}
    )
    agent2 = ConversableAgent(
        name="agent2", llm_config={"config_list": GPT4_CONFIG_LIST}
    )
    agent1 = ConversableAgent(
        name="agent1", llm_config={"config_list": GPT4_CONFIG_LIST}
    )

    @agent3.register_for_llm()
    @agent2.register_for_llm(name="python")
    @agent1.register_for_llm(
        description="run cell in ipython and return the execution result."
    )
    def exec_python(cell: Annotated[str, "Valid Python cell to execute."]) -> str:
        return cell

    expected1 = [
        {
            "type": "function",
            "function": {
                "description": "run cell in ipython and return the execution result.",
                "name": "exec_python",
                "parameters": {
                    "type": "object",
                    "properties": {
                        "cell": {
                            "type": "string",
                            "description": "Valid Python cell to execute.",
                        }
                    },
                    "required": ["cell"],
                },
            },
        }
    ]
    expected2 = copy.deepcopy(expected1)
    expected2[0]["function"]["name"] = "python"
    assert agent1.llm_config["tools"] == expected1
    assert agent2.llm_config["tools"] == expected2
    assert agent3.llm_config["tools"] == expected2


def test_register_for_llm_without_llm() -> None:
    """register_for_llm on an agent without llm_config fails with AutoGen's assertion."""
    agent = ConversableAgent(name="agent", llm_config=None)
    with pytest.raises(
        AssertionError,
        match="To update a tool signature, agent must have an llm_config",
    ):

        @agent.register_for_llm(description="do things.")
        def do_stuff(s: str) -> str:
            return f"{s} done"


def test_register_for_execution() -> None:
    """register_for_execution fills function_map under the registered names."""
    agent = ConversableAgent(name="agent", llm_config={"config_list": GPT4_CONFIG_LIST})
    user_proxy_1 = UserProxyAgent(name="user_proxy_1")
    user_proxy_2 = UserProxyAgent(name="user_proxy_2")

    @user_proxy_2.register_for_execution(name="python")
    @agent.register_for_execution()
    @agent.register_for_llm(
        description="run cell in ipython and return the execution result."
    )
    @user_proxy_1.register_for_execution()
    def exec_python(cell: Annotated[str, "Valid Python cell to execute."]) -> str:
        return "ran " + cell

    assert set(user_proxy_1.function_map) == {"exec_python"}
    assert set(agent.function_map) == {"exec_python"}
    assert set(user_proxy_2.function_map) == {"python"}
    assert user_proxy_2.function_map["python"](cell="1") == "ran 1"


def test_func_call_groupchat() -> None:
    """func_call_filter: the agent that can run a called function speaks next and runs it."""
    agent1 = autogen.ConversableAgent(
        "alice",
        human_input_mode="NEVER",
        llm_config=False,
        default_auto_reply="This is alice speaking.",
    )
    agent2 = autogen.ConversableAgent(
        "bob",
        human_input_mode="NEVER",
        llm_config=False,
        default_auto_reply="This is bob speaking.",
        function_map={"test_func": lambda x: x},
    )
    groupchat = autogen.GroupChat(agents=[agent1, agent2], messages=[], max_round=3)
    group_chat_manager = autogen.GroupChatManager(groupchat=groupchat, llm_config=False)
    agent2.initiate_chat(
        group_chat_manager,
        message={
            "content": "This is bob speaking.",
            "function_call": {"name": "test_func", "arguments": '{"x": 1}'},
        },
    )
    assert len(groupchat.messages) == 3
    assert (
        groupchat.messages[-2]["role"] == "function"
        and groupchat.messages[-2]["name"] == "test_func"
        and groupchat.messages[-2]["content"] == "1"
    )
    assert groupchat.messages[-1]["name"] == "alice"

    agent3 = autogen.ConversableAgent(
        "carol",
        human_input_mode="NEVER",
        llm_config=False,
        default_auto_reply="This is carol speaking.",
        function_map={"test_func": lambda x: x + 1},
    )
    groupchat = autogen.GroupChat(
        agents=[agent1, agent2, agent3], messages=[], max_round=3
    )
    group_chat_manager = autogen.GroupChatManager(groupchat=groupchat, llm_config=False)
    agent3.initiate_chat(
        group_chat_manager,
        message={
            "content": "This is carol speaking.",
            "function_call": {"name": "test_func", "arguments": '{"x": 1}'},
        },
    )
    assert (
        groupchat.messages[-2]["role"] == "function"
        and groupchat.messages[-2]["name"] == "test_func"
        and groupchat.messages[-2]["content"] == "1"
    )
    # no model: the next agent after bob in order speaks, as AutoGen's round-robin fallback
    assert groupchat.messages[-1]["name"] == "carol"


def test_chat_manager() -> None:
    """A round-robin group chat runs max_round messages; a later chat continues."""
    agent1 = autogen.ConversableAgent(
        "alice",
        max_consecutive_auto_reply=2,
        human_input_mode="NEVER",
        llm_config=False,
        default_auto_reply="This is alice speaking.",
    )
    agent2 = autogen.ConversableAgent(
        "bob",
        max_consecutive_auto_reply=2,
        human_input_mode="NEVER",
        llm_config=False,
        default_auto_reply="This is bob speaking.",
    )
    groupchat = autogen.GroupChat(agents=[agent1, agent2], messages=[], max_round=2)
    group_chat_manager = autogen.GroupChatManager(groupchat=groupchat, llm_config=False)
    agent1.initiate_chat(group_chat_manager, message="hello")
    assert len(agent1.chat_messages[group_chat_manager]) == 2
    assert len(groupchat.messages) == 2
    group_chat_manager.reset()
    assert len(groupchat.messages) == 0
    agent1.reset()
    agent2.reset()
    agent2.initiate_chat(group_chat_manager, message="hello")
    assert len(groupchat.messages) == 2


def test_next_agent() -> None:
    """next_agent follows the order, within a subset, and refuses strangers."""
    agent1, agent2, agent3, agent4 = (
        autogen.ConversableAgent(n, llm_config=False, human_input_mode="NEVER")
        for n in ("alice", "bob", "sam", "sally")
    )
    groupchat = autogen.GroupChat(
        agents=[agent1, agent2, agent3], messages=[], max_round=2
    )
    assert groupchat.next_agent(agent1, [agent1, agent2, agent3]) == agent2
    assert groupchat.next_agent(agent2, [agent1, agent2, agent3]) == agent3
    assert groupchat.next_agent(agent3, [agent1, agent2, agent3]) == agent1
    assert groupchat.next_agent(agent1) == agent2
    assert groupchat.next_agent(agent3, [agent1, agent2]) == agent1
    with pytest.raises(autogen.UndefinedNextAgent):
        groupchat.next_agent(agent4, [agent4])
