"""Structured output negotiated per endpoint, against loopback servers of five dialects."""

from __future__ import annotations

import asyncio
import json
import threading
from typing import Any

import pytest

import fsmchat
from fsmchat import ChatRequest, InvalidArgument, LLMError
from fsmchat._core.prompts import choose_schema, judge_schema
from fsmchat.adapters import OpenAIChatModel
from fsmchat.adapters._structured import Negotiator, apply, is_rejection
from fsmchat.testing import FakeOpenAIServer, completion, json_completion, schema_answer

ASK = ChatRequest(
    messages=[
        {"role": "system", "content": "You route. Reply with JSON only."},
        {"role": "user", "content": "who next?"},
    ],
    response_format=choose_schema(["Alice", "Bob"]),
)


def answer(body: dict[str, Any]) -> Any:
    """A model that answers any structured request validly, and prose otherwise."""
    value = schema_answer(body)
    return "hello" if value is None else json_completion(value)


def make(server: FakeOpenAIServer, **extra: Any) -> tuple[OpenAIChatModel, list[float]]:
    waits: list[float] = []
    model = OpenAIChatModel([server.config(**extra)], sleep=waits.append)
    return model, waits


def forms(server: FakeOpenAIServer) -> list[str]:
    """The response_format form of every request the server got."""
    out = []
    for body in server.requests:
        rf = body.get("response_format")
        if rf is None:
            out.append("none")
        elif rf["type"] == "json_object" and "schema" in rf:
            out.append("json_object+schema")
        else:
            out.append(rf["type"])
    return out


@pytest.mark.parametrize(
    ("dialect", "first", "then"),
    [
        ("openai", ["json_schema"], ["json_schema"]),
        ("vllm", ["json_schema"], ["json_schema"]),
        ("ollama", ["json_schema"], ["json_schema"]),
        (
            "llama-cpp-python",
            ["json_schema", "json_object+schema"],
            ["json_object+schema"],
        ),
        ("plain", ["json_schema", "json_object+schema", "none"], ["none"]),
    ],
)
def test_each_dialect_settles_on_what_it_takes_and_remembers_it(
    dialect: str, first: list[str], then: list[str]
) -> None:
    """Each server family gets the form it takes, found once, with no retry wait."""
    with FakeOpenAIServer(answer, dialect=dialect) as server:
        model, waits = make(server)
        with model:
            one = model.complete(ASK)
            two = model.complete(ASK)
    assert forms(server) == first + then
    assert waits == []
    assert server.handler_errors == []
    for response in (one, two):
        assert response.content == '{"reason": "because", "next": "Alice"}'


def test_llama_cpp_python_rejection_is_a_500_naming_response_format() -> None:
    """The llama-cpp-python dialect answers json_schema as that server does: HTTP 500."""
    with FakeOpenAIServer(answer, dialect="llama-cpp-python") as server:
        model, _ = make(server, structured_output="json_schema", max_retries=0)
        with model, pytest.raises(LLMError) as info:
            model.complete(ASK)
    assert "HTTP 500" in str(info.value)
    assert "response_format" in str(info.value)
    assert forms(server) == ["json_schema"]


@pytest.mark.parametrize(
    ("dialect", "forced", "expected"),
    [
        ("llama-cpp-python", "json_object", "json_object+schema"),
        ("vllm", "none", "none"),
        ("openai", "json_schema", "json_schema"),
    ],
)
def test_config_key_forces_the_form(dialect: str, forced: str, expected: str) -> None:
    """``structured_output`` in a config entry forces its form from the first request."""
    with FakeOpenAIServer(answer, dialect=dialect) as server:
        model, _ = make(server, structured_output=forced)
        with model:
            model.complete(ASK)
            model.complete(ASK)
    assert forms(server) == [expected, expected]


def test_forced_form_is_never_negotiated_away() -> None:
    """A forced json_object that the server refuses fails; it does not fall to none."""
    with FakeOpenAIServer(answer, dialect="openai") as server:
        model, _ = make(server, structured_output="json_object")
        with model, pytest.raises(LLMError, match=r"response_format\.schema"):
            model.complete(ASK)
    assert forms(server) == ["json_object+schema"]


def test_unknown_structured_output_value_fails_on_construction() -> None:
    """A typo in ``structured_output`` is an InvalidArgument naming the choices."""
    with pytest.raises(
        InvalidArgument, match=r"structured_output is 'json'.*'json_object'"
    ):
        OpenAIChatModel([{"model": "m", "api_key": "k", "structured_output": "json"}])


def test_requests_without_schema_are_left_alone() -> None:
    """A reply request (no response_format) is sent unchanged, in every dialect."""
    with FakeOpenAIServer(answer, dialect="plain") as server:
        model, _ = make(server)
        with model:
            assert model.complete(ChatRequest(messages=ASK.messages)).content == "hello"
    assert forms(server) == ["none"]
    assert server.requests[0]["messages"] == [dict(m) for m in ASK.messages]


def test_plain_form_carries_the_schema_as_an_instruction() -> None:
    """In the plain form the schema goes into the system message; the user message is unchanged."""
    with FakeOpenAIServer(answer, dialect="plain") as server:
        model, _ = make(server, structured_output="none")
        with model:
            model.complete(ASK)
    system, user = server.requests[0]["messages"]
    assert system["content"].startswith("You route. Reply with JSON only.\n\n")
    assert '"enum": ["Alice", "Bob"]' in system["content"]
    assert user == ASK.messages[1]


def test_async_requests_negotiate_once_and_share_the_result() -> None:
    """Concurrent async requests against llama-cpp-python all succeed; the endpoint ends on json_object."""

    async def main() -> list[str | None]:
        with FakeOpenAIServer(answer, dialect="llama-cpp-python") as server:
            model = OpenAIChatModel([server.config()])
            responses = await asyncio.gather(*(model.acomplete(ASK) for _ in range(4)))
            await model.acomplete(ASK)
            assert forms(server)[-1] == "json_object+schema"
            assert forms(server).count("none") == 0
            return [r.content for r in responses]

    contents = asyncio.run(main())
    assert contents == ['{"reason": "because", "next": "Alice"}'] * 4


def test_negotiator_moves_down_once_under_threads() -> None:
    """Many threads reporting the same rejection move an endpoint down one step, not two."""
    negotiator = Negotiator()
    barrier = threading.Barrier(8)
    seen: list[str | None] = []

    def report() -> None:
        barrier.wait()
        seen.append(negotiator.downgrade(0, "json_schema"))

    threads = [threading.Thread(target=report) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert negotiator.mode(0) == "json_object"
    assert set(seen) == {"json_object"}
    assert negotiator.downgrade(0, "json_object") == "none"
    assert negotiator.downgrade(0, "none") is None


def test_forced_negotiator_never_moves() -> None:
    """A forced endpoint keeps its mode whatever is reported."""
    negotiator = Negotiator()
    negotiator.force("x", "json_object")
    assert negotiator.downgrade("x", "json_object") is None
    assert negotiator.mode("x") == "json_object"


@pytest.mark.parametrize(
    ("status", "detail", "expected"),
    [
        (500, "Input should be 'text' or 'json_object' at response_format.type", True),
        (400, "Unknown parameter: 'response_format.schema'.", True),
        (422, "json_schema is not supported", True),
        (500, "CUDA out of memory", False),
        (200, "response_format", False),
    ],
)
def test_rejection_is_any_error_mentioning_the_format(
    status: int, detail: str, expected: bool
) -> None:
    """Only 4xx/5xx errors that talk about response_format/json_schema/schema are rejections."""
    assert is_rejection(status, detail) is expected


def test_json_object_form_keeps_the_schema_and_messages() -> None:
    """json_object mode sends llama-cpp-python's {"type": "json_object", "schema": ...}."""
    rf, messages = apply(judge_schema(2), "json_object", ASK.messages)
    assert rf is not None
    assert rf["type"] == "json_object"
    assert list(rf["schema"]["properties"]) == ["reason", "condition_1", "condition_2"]
    assert messages == [dict(m) for m in ASK.messages]


def test_plain_form_without_system_message_adds_one() -> None:
    """A request with no system message gets one holding the schema instruction."""
    rf, messages = apply(
        choose_schema(["A"]), "none", [{"role": "user", "content": "q"}]
    )
    assert rf is None
    assert messages[0]["role"] == "system"
    assert "JSON Schema (next_speaker)" in messages[0]["content"]
    assert messages[1] == {"role": "user", "content": "q"}


def test_answers_are_still_validated_when_no_format_is_enforced() -> None:
    """On a server without structured output an illegal name is refused and re-asked."""
    spec = fsmchat.spec_from_dict(
        {
            "name": "pick",
            "start": "A",
            "message": "1",
            "max_round": 2,
            "agents": [
                {
                    "name": n,
                    "kind": "function",
                    "function": "fsmchat.examples.counting:add_one",
                }
                for n in ("A", "B", "C")
            ],
            "transitions": [{"from": "A", "to": "B"}, {"from": "A", "to": "C"}],
        }
    )
    replies = iter(
        ['{"reason": "x", "next": "Mallory"}', '{"reason": "x", "next": "C"}']
    )

    def handler(body: dict[str, Any]) -> Any:
        return completion(next(replies))

    with FakeOpenAIServer(handler, dialect="plain") as server:
        model = OpenAIChatModel([server.config()])
        with model:
            result = fsmchat.run_chat(spec, selector=fsmchat.LLMSelector(model))
    first = result.trace[0]
    assert ["Mallory" in a.raw for a in first.attempts] == [True, False]
    assert first.attempts[0].error is not None
    assert first.attempts[1].error is None
    assert first.target == "C"
    assert forms(server) == ["json_schema", "json_object+schema", "none", "none"]


def test_each_move_down_is_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    """Moving to json_object is INFO, to plain instructions a WARNING; each once per endpoint."""
    caplog.set_level("INFO", logger="fsmchat")
    with FakeOpenAIServer(answer, dialect="plain") as server:
        model, _ = make(server)
        with model:
            model.complete(ASK)
            model.complete(ASK)
    moves = [
        (r.levelname, r.getMessage()) for r in caplog.records if r.name == "fsmchat"
    ]
    assert [level for level, _ in moves] == ["INFO", "WARNING"]
    assert (
        "HTTP 400: response_format of type json_schema is not supported" in moves[0][1]
    )
    assert moves[0][1].endswith(
        "using llama-cpp-python's json_object + schema from now on"
    )
    assert (
        "the schema is not enforced by the server, answers are still validated"
        in (moves[1][1])
    )
    assert "sk-fake-key-for-tests" not in caplog.text


def test_read_only_mappings_are_sent_as_json() -> None:
    """A response_format built from read-only mappings and tuples still goes out as JSON."""
    from types import MappingProxyType

    frozen = MappingProxyType(
        {
            "type": "json_schema",
            "json_schema": MappingProxyType(
                {"name": "n", "schema": MappingProxyType({"enum": ("A", "B")})}
            ),
        }
    )
    for mode in ("json_schema", "json_object"):
        rf, _ = apply(frozen, mode, ASK.messages)
        assert rf is not None
        assert json.loads(json.dumps(rf))["type"] == mode
    _, messages = apply(frozen, "none", ASK.messages)
    assert '"enum": ["A", "B"]' in messages[0]["content"]
