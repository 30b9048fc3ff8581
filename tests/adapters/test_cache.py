"""The SQLite response cache: keys, hits, misses, async, and failures."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from fsmchat import (
    BoundaryError,
    ChatRequest,
    ChatResponse,
    InvalidArgument,
    LLMError,
    Usage,
)
from fsmchat.adapters import OpenAIChatModel
from fsmchat.adapters._cache import CachedChatModel, cache_key
from fsmchat.testing import ScriptedChatModel
from fsmchat.testing._fakeserver import FakeOpenAIServer, FakeResponse, completion

ASK = ChatRequest(messages=[{"role": "user", "content": "hi"}], temperature=0)


@pytest.fixture
def server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer(lambda body: completion("answer", prompt_tokens=9)) as srv:
        yield srv


def test_warm_cache_makes_no_request_and_returns_the_same_answer(
    server: FakeOpenAIServer, tmp_path: Path
) -> None:
    """The second identical request is served from SQLite with cached=True."""
    with CachedChatModel(
        OpenAIChatModel([server.config()]), cache_dir=tmp_path
    ) as model:
        first = model.complete(ASK)
        second = model.complete(ASK)
    assert len(server.requests) == 1
    assert first.cached is False
    assert second.cached is True
    assert second.content == first.content == "answer"
    assert second.usage == first.usage == Usage(prompt_tokens=9, completion_tokens=5)
    assert second.latency == 0.0
    assert (model.hits, model.misses) == (1, 1)


def test_cache_survives_a_new_process_with_other_port_and_key(tmp_path: Path) -> None:
    """Keys exclude base_url and api_key: another server and key still hit."""
    with FakeOpenAIServer() as one:
        cfg = one.config(model="m")
        with CachedChatModel(OpenAIChatModel([cfg]), cache_dir=tmp_path) as model:
            model.complete(ASK)
    with FakeOpenAIServer() as two:
        cfg = {**two.config(model="m"), "api_key": "sk-other-key"}
        with CachedChatModel(OpenAIChatModel([cfg]), cache_dir=tmp_path) as model:
            assert model.complete(ASK).cached is True
        assert two.requests == []


def test_key_depends_on_seed_request_fields_but_not_purpose() -> None:
    """Seed, messages, model, schema, tools and temperature change the key; purpose does not."""
    base = cache_key(ASK, cache_seed=41)
    assert cache_key(ASK, cache_seed=42) != base
    variants = [
        ChatRequest(messages=[{"role": "user", "content": "hi!"}], temperature=0),
        ChatRequest(messages=ASK.messages, temperature=0, model="x"),
        ChatRequest(messages=ASK.messages, temperature=0.5),
        ChatRequest(
            messages=ASK.messages,
            temperature=0,
            response_format={"type": "json_object"},
        ),
        ChatRequest(messages=ASK.messages, temperature=0, tools=[{"type": "function"}]),
    ]
    assert all(cache_key(v, cache_seed=41) != base for v in variants)
    same = ChatRequest(messages=ASK.messages, temperature=0, purpose="judge")
    assert cache_key(same, cache_seed=41) == base
    assert cache_key(ASK, cache_seed=41, identity="gpt-4o") != base


def test_different_seed_is_a_different_cache(
    server: FakeOpenAIServer, tmp_path: Path
) -> None:
    """Changing cache_seed misses, as in AutoGen."""
    for seed in (41, 42, 41):
        with CachedChatModel(
            OpenAIChatModel([server.config()]), cache_seed=seed, cache_dir=tmp_path
        ) as model:
            model.complete(ASK)
    assert len(server.requests) == 2
    assert (
        len(CachedChatModel(ScriptedChatModel([]), cache_seed=41, cache_dir=tmp_path))
        == 1
    )


def test_errors_are_not_cached(tmp_path: Path) -> None:
    """A failed call stores nothing: the next run asks again."""
    replies = [FakeResponse.error(500, "down"), completion("up")]
    with FakeOpenAIServer(replies=replies) as srv:
        model = CachedChatModel(
            OpenAIChatModel([srv.config()], max_retries=0), cache_dir=tmp_path
        )
        with model:
            with pytest.raises(LLMError):
                model.complete(ASK)
            assert model.complete(ASK).content == "up"
    assert len(srv.requests) == 2


def test_database_uses_wal(server: FakeOpenAIServer, tmp_path: Path) -> None:
    """The cache database is in WAL mode under the cache directory."""
    with CachedChatModel(
        OpenAIChatModel([server.config()]), cache_dir=tmp_path / "c"
    ) as model:
        model.complete(ASK)
    path = tmp_path / "c" / "responses.sqlite3"
    assert path.is_file()
    db = sqlite3.connect(path)
    try:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        db.close()


def test_async_complete_uses_the_cache(
    server: FakeOpenAIServer, tmp_path: Path
) -> None:
    """acomplete misses once through the async client, then hits."""
    model = CachedChatModel(OpenAIChatModel([server.config()]), cache_dir=tmp_path)

    async def twice() -> tuple[ChatResponse, ChatResponse]:
        return await model.acomplete(ASK), await model.acomplete(ASK)

    first, second = asyncio.run(twice())
    assert (first.cached, second.cached) == (False, True)
    assert len(server.requests) == 1


def test_wraps_any_chat_model_including_sync_only(tmp_path: Path) -> None:
    """A sync-only ChatModel works under acomplete (run in a thread)."""
    scripted = ScriptedChatModel(["one"])
    model = CachedChatModel(scripted, cache_dir=tmp_path)
    assert asyncio.run(model.acomplete(ASK)).content == "one"
    assert model.complete(ASK).content == "one"  # script exhausted: must be a hit
    assert len(scripted.requests) == 1


def test_tool_calls_round_trip(tmp_path: Path) -> None:
    """Tool calls stored with an answer come back from the cache unchanged."""
    call = {
        "id": "c1",
        "type": "function",
        "function": {"name": "f", "arguments": "{}"},
    }
    scripted = ScriptedChatModel([ChatResponse(content=None, tool_calls=[call])])
    model = CachedChatModel(scripted, cache_dir=tmp_path)
    model.complete(ASK)
    hit = model.complete(ASK)
    assert hit.content is None
    assert [dict(c) for c in hit.tool_calls] == [call]


def test_function_call_round_trips_and_functions_are_in_the_key(
    tmp_path: Path,
) -> None:
    """A legacy function_call comes back from the cache; ``functions`` change the key."""
    call = {"name": "f", "arguments": "{}"}
    scripted = ScriptedChatModel([ChatResponse(content=None, function_call=call)])
    model = CachedChatModel(scripted, cache_dir=tmp_path)
    ask = ChatRequest(messages=ASK.messages, functions=[{"name": "f"}])
    model.complete(ask)
    hit = model.complete(ask)
    assert (hit.cached, hit.content, hit.function_call) == (True, None, call)
    assert model.key(ask) != model.key(ASK)


def test_unusable_cache_directory_is_a_boundary_error(tmp_path: Path) -> None:
    """A cache directory that is a file gives a clear BoundaryError, not sqlite's."""
    blocker = tmp_path / "file"
    blocker.write_text("x")
    model = CachedChatModel(ScriptedChatModel(["a"]), cache_dir=blocker)
    with pytest.raises(BoundaryError, match=r"response cache .* failed"):
        model.complete(ASK)


def test_cache_seed_must_be_an_int() -> None:
    """A non-int seed is refused with a clear message."""
    with pytest.raises(InvalidArgument, match="cache_seed must be an int"):
        CachedChatModel(ScriptedChatModel([]), cache_seed="41")  # type: ignore[arg-type]
