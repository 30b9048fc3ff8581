"""The OpenAI adapter: the real ``openai`` client against a real loopback server."""

from __future__ import annotations

import asyncio
import inspect
import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from fsmchat import ChatRequest, InvalidArgument, LLMError
from fsmchat._core.prompts import choose_schema
from fsmchat.adapters import OpenAIChatModel
from fsmchat.testing._fakeserver import (
    FakeOpenAIServer,
    FakeResponse,
    completion,
    error_body,
)

KEY = "sk-test-SECRET-abcdef0123456789"
ASK = ChatRequest(messages=[{"role": "user", "content": "hi"}])


@pytest.fixture
def server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer() as srv:
        yield srv


def config(server: FakeOpenAIServer, model: str = "m1", **extra: Any) -> dict[str, Any]:
    return {"model": model, "api_key": KEY, "base_url": server.base_url, **extra}


def make(
    configs: list[dict[str, Any]], **kwargs: Any
) -> tuple[OpenAIChatModel, list[float]]:
    waits: list[float] = []
    kwargs.setdefault("sleep", waits.append)
    return OpenAIChatModel(configs, **kwargs), waits


def test_request_shape_carries_messages_model_temperature_schema_and_tools(
    server: FakeOpenAIServer,
) -> None:
    """The body sent holds messages, model, temperature, the strict schema and tools."""
    server.handler = lambda body: completion('{"reason": "r", "next": "A"}')
    tool = {"type": "function", "function": {"name": "f", "parameters": {}}}
    request = ChatRequest(
        messages=[{"role": "system", "content": "s"}, {"role": "user", "content": "u"}],
        response_format=choose_schema(["A", "B"]),
        tools=[tool],
        temperature=0,
    )
    model, _ = make([config(server)])
    with model:
        model.complete(request)
    (body,) = server.requests
    assert body["model"] == "m1"
    assert body["messages"] == [
        {"role": "system", "content": "s"},
        {"role": "user", "content": "u"},
    ]
    assert body["temperature"] == 0
    assert body["tools"] == [tool]
    schema = body["response_format"]["json_schema"]
    assert schema["strict"] is True
    assert schema["schema"]["properties"]["next"]["enum"] == ["A", "B"]
    assert server.recorded[0].headers["authorization"] == f"Bearer {KEY}"


def test_legacy_functions_go_out_as_functions_and_function_call_comes_back(
    server: FakeOpenAIServer,
) -> None:
    """ChatRequest.functions is sent as ``functions`` (not tools); a function_call answer is kept."""
    call = {"name": "f", "arguments": "{}"}
    server.handler = lambda body: completion(None, function_call=call)
    function = {"name": "f", "parameters": {"type": "object", "properties": {}}}
    model, _ = make([config(server)])
    with model:
        response = model.complete(
            ChatRequest(
                messages=[{"role": "user", "content": "u"}], functions=[function]
            )
        )
    (body,) = server.requests
    assert body["functions"] == [function]
    assert "tools" not in body
    assert response.content is None
    assert response.function_call == call
    assert response.tool_calls == ()


def test_response_has_content_usage_model_and_latency(server: FakeOpenAIServer) -> None:
    """Content and token usage come from the body; latency is measured."""
    server.handler = lambda body: completion(
        "hello", model="m-real", prompt_tokens=7, completion_tokens=3
    )
    model, _ = make([config(server)])
    with model:
        response = model.complete(ASK)
    assert response.content == "hello"
    assert (response.usage.prompt_tokens, response.usage.completion_tokens) == (7, 3)
    assert response.model == "m-real"
    assert response.latency > 0
    assert response.cached is False


def test_missing_usage_is_counted_locally(server: FakeOpenAIServer) -> None:
    """A server that reports no usage gets tokens counted offline instead of zeros."""
    server.handler = lambda body: completion("hello there", usage=False)
    model, _ = make([config(server)])
    with model:
        response = model.complete(ASK)
    assert response.usage.prompt_tokens > 0
    assert response.usage.completion_tokens > 0


def test_request_model_overrides_the_config_model(server: FakeOpenAIServer) -> None:
    """A request naming a model sends that model; otherwise the config's is used."""
    model, _ = make([config(server, "m1")])
    with model:
        model.complete(ChatRequest(messages=ASK.messages, model="other"))
        model.complete(ASK)
    assert [b["model"] for b in server.requests] == ["other", "m1"]


def test_fall_over_to_the_next_config(server: FakeOpenAIServer) -> None:
    """A config whose endpoint keeps failing is left for the next one."""

    def handler(body: dict[str, Any]) -> Any:
        if body["model"] == "down":
            return FakeResponse.error(503, "overloaded")
        return completion("from backup")

    server.handler = handler
    model, waits = make([config(server, "down"), config(server, "backup")])
    with model:
        response = model.complete(ASK)
    assert response.content == "from backup"
    models = [b["model"] for b in server.requests]
    assert models == ["down", "down", "down", "backup"]  # 1 try + 2 retries, then over
    assert waits == [1.0, 2.0]  # exponential backoff


def test_all_failing_raises_llm_error_naming_endpoints_without_key(
    server: FakeOpenAIServer,
) -> None:
    """Every endpoint failing gives LLMError listing model + base_url and each error."""
    server.handler = lambda body: FakeResponse.error(500, f"broken {KEY}")
    model, _ = make([config(server, "a"), config(server, "b")], max_retries=0)
    with model, pytest.raises(LLMError) as info:
        model.complete(ASK)
    err = info.value
    assert err.endpoints == (f"a at {server.base_url}", f"b at {server.base_url}")
    assert len(err.errors) == 2
    assert all("HTTP 500" in e for e in err.errors)
    text = str(err) + repr(model) + repr(err.errors)
    assert KEY not in text
    assert "SECRET" not in text
    assert server.base_url in str(err)


def test_429_honours_retry_after() -> None:
    """A 429 with Retry-After waits that long on the same endpoint, then succeeds."""
    replies = [
        FakeResponse.error(429, "slow down", headers={"Retry-After": "3"}),
        completion("ok"),
    ]
    with FakeOpenAIServer(replies=replies) as server:
        model, waits = make([config(server)])
        with model:
            assert model.complete(ASK).content == "ok"
    assert waits == [3.0]
    assert len(server.requests) == 2


def test_retry_after_is_capped_and_ms_header_read() -> None:
    """A huge Retry-After is capped at max_wait; retry-after-ms is read in ms."""
    replies = [
        FakeResponse.error(429, "later", headers={"Retry-After": "100000"}),
        FakeResponse.error(429, "later", headers={"retry-after-ms": "250"}),
        completion("ok"),
    ]
    with FakeOpenAIServer(replies=replies) as server:
        model, waits = make([config(server)], max_wait=5.0)
        with model:
            assert model.complete(ASK).content == "ok"
    assert waits == [5.0, 0.25]


def test_default_sleep_really_waits_retry_after() -> None:
    """Without an injected sleep, the adapter really waits the Retry-After time."""
    replies = [
        FakeResponse.error(429, "later", headers={"Retry-After": "0.2"}),
        completion("ok"),
    ]
    sleep = inspect.signature(OpenAIChatModel).parameters["sleep"].default
    assert sleep is time.sleep  # the default waits for real
    with FakeOpenAIServer(replies=replies) as server:
        model = OpenAIChatModel([config(server)])
        with model:
            assert model.complete(ASK).content == "ok"
        assert len(server.requests) == 2  # the 429, then the retry


def test_timeout_is_a_typed_error_and_falls_over(server: FakeOpenAIServer) -> None:
    """A slow endpoint times out (typed, named) and the next config answers."""

    def handler(body: dict[str, Any]) -> Any:
        if body["model"] == "slow":
            return FakeResponse(body=completion("late"), delay=10)
        return completion("fast")

    server.handler = handler
    model, _ = make(
        [config(server, "slow"), config(server, "fast")], timeout=0.3, max_retries=0
    )
    with model:
        assert model.complete(ASK).content == "fast"  # "late" had it waited 10 s
    alone = OpenAIChatModel([config(server, "slow")], timeout=0.3, max_retries=0)
    with alone, pytest.raises(LLMError, match=r"slow at .*timed out after 0.3 s"):
        alone.complete(ASK)


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (FakeResponse(200, "<html>gateway</html>"), "not JSON"),
        (FakeResponse(200, {"id": "x"}), "no 'choices'"),
        (FakeResponse(200, {"choices": []}), "no 'choices'"),
        (FakeResponse(200, {"choices": [{"index": 0}]}), "has no 'message'"),
        (FakeResponse(200, [1, 2]), "expected a JSON object"),
        (FakeResponse(200, error_body("quota exceeded")), "quota exceeded"),
        (
            FakeResponse(200, {"choices": [{"message": {"role": "assistant"}}]}),
            "neither content nor tool_calls",
        ),
        (
            FakeResponse(
                200, {"choices": [{"message": {"content": None, "function_call": 1}}]}
            ),
            "function_call is not an object",
        ),
    ],
)
def test_malformed_bodies_are_typed_errors_without_retry(
    server: FakeOpenAIServer, reply: FakeResponse, expected: str
) -> None:
    """A 200 that is not a chat completion is an LLMError saying why; no retries."""
    server.handler = lambda body: reply
    model, waits = make([config(server)])
    with model, pytest.raises(LLMError, match=expected):
        model.complete(ASK)
    assert len(server.requests) == 1
    assert waits == []


def test_client_errors_fall_over_without_retry(server: FakeOpenAIServer) -> None:
    """401 and 404 are not retried: the next config is tried at once."""

    def handler(body: dict[str, Any]) -> Any:
        if body["model"] == "nokey":
            return FakeResponse.error(401, "Incorrect API key provided: sk-abc***xyz")
        if body["model"] == "gone":
            return FakeResponse.error(404, "model not found")
        return completion("ok")

    server.handler = handler
    model, waits = make(
        [config(server, "nokey"), config(server, "gone"), config(server, "ok")]
    )
    with model:
        assert model.complete(ASK).content == "ok"
    assert [b["model"] for b in server.requests] == ["nokey", "gone", "ok"]
    assert waits == []


def test_response_format_rejection_is_retried_without_and_remembered(
    server: FakeOpenAIServer,
) -> None:
    """A 400 about response_format: resend in the next form at once, and remember it there."""

    def handler(body: dict[str, Any]) -> Any:
        if "response_format" in body:
            return FakeResponse.error(
                400, "response_format of type json_schema is not supported"
            )
        return completion('{"reason": "r", "next": "A"}')

    server.handler = handler
    request = ChatRequest(messages=ASK.messages, response_format=choose_schema(["A"]))
    model, waits = make([config(server)])
    with model:
        assert model.complete(request).content == '{"reason": "r", "next": "A"}'
        model.complete(request)
    assert ["response_format" in b for b in server.requests] == [
        True,
        True,
        False,
        False,
    ]
    assert waits == []


def test_connection_refused_is_an_llm_error() -> None:
    """An endpoint nobody listens on gives an LLMError saying it cannot connect."""
    with FakeOpenAIServer() as srv:
        url = srv.base_url
    model, _ = make([{"model": "m", "api_key": KEY, "base_url": url}], max_retries=1)
    with model, pytest.raises(LLMError, match="cannot connect") as info:
        model.complete(ASK)
    assert "(2 attempts)" in info.value.errors[0]


def test_azure_config_uses_deployment_path_api_version_and_api_key_header(
    server: FakeOpenAIServer,
) -> None:
    """api_type azure calls /openai/deployments/<model>/... with api-version and api-key."""
    root = server.base_url.removesuffix("/v1")
    azure = {
        "model": "my-deployment",
        "api_key": KEY,
        "base_url": root,
        "api_type": "azure",
        "api_version": "2024-06-01",
    }
    model, _ = make([azure])
    with model:
        assert model.complete(ASK).content == "ok"
    rec = server.recorded[0]
    assert rec.path == "/openai/deployments/my-deployment/chat/completions"
    assert "api-version=2024-06-01" in rec.query
    assert rec.headers["api-key"] == KEY
    assert "azure, api_version 2024-06-01" in model.endpoints[0]


def test_async_complete_falls_over_and_honours_retry_after(
    server: FakeOpenAIServer,
) -> None:
    """acomplete follows the same policy with the injected async sleep."""
    waits: list[float] = []

    async def asleep(seconds: float) -> None:
        waits.append(seconds)

    def handler(body: dict[str, Any]) -> Any:
        if body["model"] == "down":
            return FakeResponse.error(500, "boom")
        if len(server.requests) == 3:  # the first request to "up"
            return FakeResponse.error(429, "later", headers={"Retry-After": "2"})
        return completion("async ok")

    server.handler = handler
    model = OpenAIChatModel(
        [config(server, "down"), config(server, "up")], max_retries=1, asleep=asleep
    )
    response = asyncio.run(model.acomplete(ASK))
    assert response.content == "async ok"
    assert [b["model"] for b in server.requests] == ["down", "down", "up", "up"]
    assert waits == [1.0, 2.0]


def test_async_all_failing_raises_llm_error(server: FakeOpenAIServer) -> None:
    """acomplete raises LLMError (never an openai exception) when all fail."""
    server.handler = lambda body: FakeResponse(200, "garbage")
    model = OpenAIChatModel([config(server)])
    with pytest.raises(LLMError, match="not JSON"):
        asyncio.run(model.acomplete(ASK))


@pytest.mark.parametrize(
    ("configs", "expected"),
    [
        ([], "config_list is empty"),
        ([{"api_key": "k"}], r"config_list\[0\] has no 'model'"),
        (["gpt-4"], r"config_list\[0\] must be a dict"),
        (
            [{"model": "m", "api_type": "azure", "base_url": "https://x"}],
            "no api_version",
        ),
        ([{"model": "m", "api_type": "azure", "api_version": "1"}], "no base_url"),
    ],
)
def test_malformed_config_list_is_invalid_argument(
    configs: list[Any], expected: str
) -> None:
    """A bad config list is refused on construction, saying what is wrong."""
    with pytest.raises(InvalidArgument, match=expected):
        OpenAIChatModel(configs)


def test_base_url_credentials_are_not_shown() -> None:
    """User info and query strings of base_url are left out of endpoint labels."""
    model = OpenAIChatModel(
        [
            {
                "model": "m",
                "api_key": KEY,
                "base_url": "https://user:pw@host:8443/v1?token=t",
            }
        ]
    )
    assert model.endpoints == ("m at https://host:8443/v1",)
    assert "pw" not in repr(model)
    assert KEY not in repr(model)


def test_importing_fsmchat_does_not_import_openai() -> None:
    """import fsmchat (and fsmchat.adapters) leaves openai unimported."""
    code = (
        "import sys, fsmchat, fsmchat.adapters, fsmchat.adapters._config, fsmchat._run.llm; "
        "from fsmchat.adapters import OpenAIChatModel; "
        "print(json.dumps('openai' in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", "import json; " + code],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(out.stdout) is False


def test_fake_server_replies_list_and_exhaustion() -> None:
    """Canned replies are served in order; one request too many is a recorded 500."""
    with FakeOpenAIServer(replies=["one", completion("two")]) as srv:
        model, _ = make([config(srv)], max_retries=0)
        with model:
            assert model.complete(ASK).content == "one"
            assert model.complete(ASK).content == "two"
            with pytest.raises(LLMError, match="ran out of replies"):
                model.complete(ASK)
    assert len(srv.handler_errors) == 1
    assert isinstance(srv.handler_errors[0], LookupError)


def test_fake_server_lists_models_and_404s_other_paths() -> None:
    """GET /v1/models lists the models; unknown paths answer an OpenAI-style 404."""
    import urllib.error
    import urllib.request

    with FakeOpenAIServer(models=("a", "b")) as srv:
        with urllib.request.urlopen(srv.base_url + "/models") as resp:
            data = json.loads(resp.read())
        assert [m["id"] for m in data["data"]] == ["a", "b"]
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(srv.base_url + "/embeddings", data=b"{}")
        assert info.value.code == 404
        assert "chat/completions" in json.loads(info.value.read())["error"]["message"]
        info.value.close()


def test_fake_server_ignores_a_request_cut_by_a_dying_client() -> None:
    """A client killed in the middle of its request body gets no answer and asks no handler."""
    import socket
    from urllib.parse import urlsplit

    asked: list[Any] = []
    with FakeOpenAIServer(lambda body: asked.append(body) or "ok") as srv:
        where = urlsplit(srv.base_url)
        assert where.hostname is not None
        assert where.port is not None
        with socket.create_connection((where.hostname, where.port), timeout=10) as sock:
            sock.sendall(
                b"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n"
                b'{"model": '
            )
            sock.shutdown(socket.SHUT_WR)
            assert sock.recv(1024) == b""  # closed without a response
        model, _ = make([config(srv)], max_retries=0)
        with model:
            assert model.complete(ASK).content == "ok"
    assert len(asked) == 1
    assert srv.handler_errors == []
    assert len(srv.requests) == 1


def test_fake_server_closes_promptly_with_a_delayed_reply_pending() -> None:
    """Closing wakes a long delay and idle keep-alive connections: no hang."""
    srv = FakeOpenAIServer(lambda body: FakeResponse(body=completion("x"), delay=60))
    srv.start()
    model = OpenAIChatModel([config(srv)], timeout=0.2, max_retries=0)
    with pytest.raises(LLMError, match="timed out"):
        model.complete(ASK)
    closer = threading.Thread(target=srv.close)
    closer.start()
    closer.join(30)  # the delay was 60 s: a close that waited for it is still running
    assert not closer.is_alive()
    model.close()


def test_sync_calls_reuse_one_client_until_closed(server: FakeOpenAIServer) -> None:
    """Many sync calls share one client; close() releases it and a later call builds a new one."""
    server.handler = lambda body: completion("ok")
    model, _ = make([config(server)])
    assert model.open_clients == 0
    for _ in range(5):
        assert model.complete(ASK).content == "ok"
        assert model.open_clients == 1
    model.close()
    assert model.open_clients == 0
    with model:
        assert model.complete(ASK).content == "ok"
        assert model.open_clients == 1
    assert model.open_clients == 0


def test_sync_client_is_shared_by_threads(server: FakeOpenAIServer) -> None:
    """Calls from several threads at once share the one sync client."""
    from concurrent.futures import ThreadPoolExecutor

    server.handler = lambda body: completion(body["messages"][0]["content"])
    with OpenAIChatModel([config(server)]) as model:
        asks = [
            ChatRequest(messages=[{"role": "user", "content": str(i)}])
            for i in range(40)
        ]
        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(model.complete, asks))
        assert [a.content for a in answers] == [str(i) for i in range(40)]
        assert model.open_clients == 1
    assert model.open_clients == 0


def test_async_calls_of_one_loop_reuse_one_client_closed_by_aclose(
    server: FakeOpenAIServer,
) -> None:
    """Concurrent acomplete calls in one loop share one async client; async with closes it."""
    server.handler = lambda body: completion(body["messages"][0]["content"])

    async def main() -> tuple[list[str], int, int]:
        async with OpenAIChatModel([config(server)]) as model:
            asks = [
                ChatRequest(messages=[{"role": "user", "content": str(i)}])
                for i in range(30)
            ]
            answers = await asyncio.gather(*(model.acomplete(a) for a in asks))
            during = model.open_clients
        return [a.content or "" for a in answers], during, model.open_clients

    answers, during, after = asyncio.run(main())
    assert answers == [str(i) for i in range(30)]
    assert (during, after) == (1, 0)


def test_async_client_closes_when_its_loop_ends(server: FakeOpenAIServer) -> None:
    """Without aclose, asyncio.run's shutdown closes the loop's client: no leak, no warning."""
    import gc

    server.handler = lambda body: completion("ok")
    model = OpenAIChatModel([config(server)])
    for _ in range(3):  # a new loop each time: a new client, the old one closed
        assert asyncio.run(model.acomplete(ASK)).content == "ok"
        assert model.open_clients == 0
    gc.collect()  # an unclosed socket would warn here (warnings are errors)


def test_cached_model_aclose_closes_the_wrapped_clients(
    server: FakeOpenAIServer, tmp_path: Any
) -> None:
    """CachedChatModel forwards aclose / async with to the OpenAI model it wraps."""
    from fsmchat.adapters._cache import CachedChatModel

    server.handler = lambda body: completion("ok")
    inner = OpenAIChatModel([config(server)])

    async def main() -> int:
        async with CachedChatModel(inner, cache_seed=1, cache_dir=tmp_path) as model:
            await model.acomplete(ASK)
            assert inner.open_clients == 1
        return inner.open_clients

    assert asyncio.run(main()) == 0


@pytest.mark.parametrize(("cap", "entry"), [(2, {}), (5, {"max_connections": 1})])
def test_async_requests_in_flight_never_exceed_the_connection_cap(
    server: FakeOpenAIServer, cap: int, entry: dict[str, Any]
) -> None:
    """At most max_connections requests are in flight per endpoint (a config entry's own wins)."""
    import threading

    lock = threading.Lock()
    state = {"now": 0, "most": 0}

    def handler(body: dict[str, Any]) -> Any:
        with lock:
            state["now"] += 1
            state["most"] = max(state["most"], state["now"])
        server.wait(0.02)  # hold the connection so requests overlap
        with lock:
            state["now"] -= 1
        return completion(body["messages"][0]["content"])

    server.handler = handler

    async def main() -> list[str]:
        async with OpenAIChatModel(
            [config(server, **entry)], max_connections=cap
        ) as model:
            asks = [
                ChatRequest(messages=[{"role": "user", "content": str(i)}])
                for i in range(12)
            ]
            answers = await asyncio.gather(*(model.acomplete(a) for a in asks))
        return [a.content or "" for a in answers]

    assert asyncio.run(main()) == [str(i) for i in range(12)]
    assert 1 <= state["most"] <= entry.get("max_connections", cap)


def test_max_connections_below_one_is_refused() -> None:
    """max_connections=0 is an InvalidArgument on construction."""
    with pytest.raises(InvalidArgument, match="max_connections=0"):
        OpenAIChatModel([{"model": "m", "api_key": KEY}], max_connections=0)
