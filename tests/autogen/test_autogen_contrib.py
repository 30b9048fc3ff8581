"""AutoGen's math helpers and message capabilities, as AutoGen's tests use them."""

from __future__ import annotations

from typing import Any

import pytest

from fsmchat.autogen import Agent, ConversableAgent, GroupChat, UserProxyAgent
from fsmchat.autogen.agentchat.chat import _post_process_carryover_item
from fsmchat.autogen.agentchat.contrib.capabilities import (
    transform_messages,
    transforms,
)
from fsmchat.autogen.agentchat.contrib.capabilities.agent_capability import (
    AgentCapability,
)
from fsmchat.autogen.math_utils import eval_math_responses, get_answer, is_equiv
from fsmchat.autogen.oai.client import TOOL_ENABLED


def test_eval_math_responses_votes_for_the_most_common_boxed_answer() -> None:
    """AutoGen: the voted answer is the one most responses box; the solution scores it."""
    responses = ["so \\boxed{\\frac{1}{2}}", "it is \\boxed{0.5}", "maybe \\boxed{3}"]
    result = eval_math_responses(responses, solution="\\boxed{\\dfrac{1}{2}}")
    assert result["voted_answer"] == responses[0]
    assert result["votes"] == 2
    assert result["success"] is True
    assert result["success_vote"] == 1.0
    assert eval_math_responses([])["voted_answer"] is None


def test_get_answer_takes_the_last_boxed_and_is_equiv_ignores_formatting() -> None:
    """AutoGen: the last ``\\boxed{}`` is the answer; ``$``, spaces and ``\\left`` do not count."""
    assert get_answer("a \\boxed{1} then \\boxed{x^{2}}") == "x^{2}"
    assert get_answer("no box") is None
    assert is_equiv("\\left( 1, 2 \\right)", "$(1,2)$") == 1.0
    assert is_equiv("1", "2") == 0.0


def test_tool_enabled_and_carryover_item_post_processing() -> None:
    """AutoGen: tools are enabled; a carryover message gives its content, a string itself."""
    assert TOOL_ENABLED is True
    assert _post_process_carryover_item({"content": "hi", "role": "user"}) == "hi"
    assert _post_process_carryover_item("text") == "text"


def test_agent_capability_base_class_must_be_implemented() -> None:
    """AutoGen: the base ``AgentCapability.add_to_agent`` raises ``NotImplementedError``."""
    agent = ConversableAgent("a", llm_config=False)
    with pytest.raises(NotImplementedError):
        AgentCapability().add_to_agent(agent)


def test_history_limiter_keeps_the_last_messages_and_optionally_the_first() -> None:
    """AutoGen: ``MessageHistoryLimiter`` keeps the newest ``max_messages``."""
    messages: list[dict[str, Any]] = [
        {"role": "user", "content": str(i)} for i in range(5)
    ]
    kept = transforms.MessageHistoryLimiter(max_messages=2).apply_transform(messages)
    assert [m["content"] for m in kept] == ["3", "4"]
    first = transforms.MessageHistoryLimiter(max_messages=3, keep_first_message=True)
    assert [m["content"] for m in first.apply_transform(messages)] == ["0", "3", "4"]
    with pytest.raises(ValueError, match="max_messages"):
        transforms.MessageHistoryLimiter(max_messages=0)


def test_token_limiter_cuts_each_message_to_its_budget() -> None:
    """AutoGen: ``MessageTokenLimiter`` truncates a long message to the per-message tokens."""
    limiter = transforms.MessageTokenLimiter(max_tokens_per_message=3)
    messages = [{"role": "user", "content": "word " * 50}]
    cut = limiter.apply_transform(messages)
    assert 0 < len(cut[0]["content"]) < len(messages[0]["content"])
    assert limiter.get_logs(messages, cut)[1] is True


def test_transform_messages_runs_before_the_agent_replies() -> None:
    """AutoGen: an agent with ``TransformMessages`` replies to the limited history."""
    seen: list[int] = []

    def reply(
        recipient: Any, messages: Any, sender: Any, config: Any
    ) -> tuple[bool, str]:
        seen.append(len(messages))
        return True, "ok"

    agent = ConversableAgent("a", llm_config=False)
    agent.register_reply([None], reply)
    limiter = transforms.MessageHistoryLimiter(max_messages=1)
    transform_messages.TransformMessages(
        transforms=[limiter], verbose=False
    ).add_to_agent(agent)
    history = [{"role": "user", "content": "x"}] * 4
    assert agent.generate_reply(messages=history) == "ok"
    assert seen == [1]


def test_groupchat_takes_transform_messages_or_refuses_other_values() -> None:
    """AutoGen: ``select_speaker_transform_messages`` must be None or ``TransformMessages``."""
    coder = ConversableAgent("Coder", llm_config=False)
    limiter = transforms.MessageHistoryLimiter(max_messages=10)
    adder = transform_messages.TransformMessages(transforms=[limiter])
    chat = GroupChat(
        agents=[coder], messages=[], select_speaker_transform_messages=adder
    )
    assert chat._speaker_selection_transforms is adder
    with pytest.raises(ValueError, match="must be None or MessageTransforms"):
        GroupChat(
            agents=[coder], messages=[], select_speaker_transform_messages=[limiter]
        )


def test_built_in_replies_answer_any_agent_not_only_conversable_ones() -> None:
    """AutoGen registers the built-in replies for ``[Agent, None]``: a plain Agent gets tool results."""
    received: list[Any] = []

    class Plain(Agent):
        name = "plain"
        description = "plain"

        def receive(
            self,
            message: Any,
            sender: Any,
            request_reply: Any = None,
            silent: Any = False,
        ) -> None:
            received.append(message)

    user = UserProxyAgent("user", human_input_mode="NEVER", code_execution_config=False)
    user.register_function({"echo": lambda text: text})
    call = {"name": "echo", "arguments": '{"text": "hi"}'}
    message = {
        "content": "x",
        "tool_calls": [{"id": "t1", "type": "function", "function": call}],
    }
    user.receive(message, Plain(), request_reply=True, silent=True)
    assert received == [
        {
            "role": "tool",
            "tool_responses": [{"tool_call_id": "t1", "role": "tool", "content": "hi"}],
            "content": "hi",
        }
    ]
