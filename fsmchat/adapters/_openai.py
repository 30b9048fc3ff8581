"""The chat-model adapter on the official ``openai`` SDK (it and :mod:`._clients` alone import it).

:class:`OpenAIChatModel` implements :class:`~fsmchat.ChatModel` and
:class:`~fsmchat.AsyncChatModel` for every OpenAI-compatible endpoint: OpenAI,
Azure OpenAI (``api_type: azure`` + ``api_version``), vLLM, Ollama, llama.cpp
server, LiteLLM... anything reached through ``base_url``. It takes an AutoGen
config list (a list of dicts with ``model``, ``api_key``, ``base_url``,
``api_type``, ``api_version``, ...).

Theory of operation
-------------------
For one request, the endpoints are tried in config-list order:

* The SDK's own retries are off (``max_retries=0``); this module retries, so the
  policy is the same for sync and async and can be tested.
* Retryable failures — HTTP 429, 408, 409, any 5xx, timeouts, connection errors —
  are retried on the same endpoint up to ``max_retries`` times (a config's own
  ``max_retries`` wins), waiting
  ``backoff * 2**attempt`` seconds, or what the server's ``Retry-After`` /
  ``retry-after-ms`` header says, never more than ``max_wait``.
* Other failures (400, 401, 403, 404, 422, a 200 whose body is not a chat
  completion) fall over to the next endpoint at once.
* Structured output is negotiated per endpoint by
  :mod:`fsmchat.adapters._structured`: an error (4xx or 5xx) that mentions
  ``response_format``/``json_schema``/``schema`` moves the endpoint from
  ``json_schema`` to llama-cpp-python's ``json_object`` + ``schema`` to plain
  JSON instructions, at once and for the rest of the run (callers validate the
  answer anyway); a config entry's ``structured_output`` key forces a mode.
* Each HTTP request has a wall-clock deadline (``timeout``) from its start to
  its last byte, drip-feeding servers included; redirects are not followed (a
  ``3xx`` fails over, naming where it pointed); a body over
  ``max_answer_bytes`` is refused unread and not retried
  (:mod:`fsmchat.adapters._transport`, :mod:`fsmchat.adapters._clients`).
* When every endpoint failed, :class:`~fsmchat.LLMError` names each endpoint
  tried (model and base URL, never the key) and the error seen there.

No ``openai`` exception ever leaves this module, and API keys appear in no
message, ``repr`` or log: error texts from servers are scrubbed of the
configured keys and of anything shaped like one.

Clients
-------
Each endpoint keeps one sync client (built on first use, shared by every thread)
and one async client per event loop (an ``httpx`` connection pool belongs to the
loop that opened it). Every call and every chat of the model reuses them, so the
TLS set-up (loading the certificate bundle: ~30 ms of CPU) and the TCP
connections are paid once, not per call. ``close()`` / ``with`` closes the sync
clients, ``aclose()`` / ``async with`` closes both kinds; an async client left
open is closed when its event loop shuts down (``asyncio.run`` finalises the
small async generator that holds it), so nothing leaks across loops.

Bodies are read raw and checked here (``choices[0].message``), so a proxy that
answers HTML or a JSON without ``choices`` becomes a clear error, not an
``AttributeError`` deep in the caller. Usage comes from the body's ``usage``;
when a server reports none, tokens are counted locally (offline). Latency is
the wall time of the successful HTTP exchange.
"""

from __future__ import annotations

import asyncio
import re
import threading
import time
from collections.abc import (
    Awaitable,
    Callable,
    Iterator,
    Mapping,
    Sequence,
)
from contextlib import contextmanager
from types import TracebackType
from typing import Any

from fsmchat._core.errors import InvalidArgument, LLMError
from fsmchat._run.optional import require
from fsmchat._run.ports import ChatRequest, ChatResponse, to_plain
from fsmchat._run.twins import Call, Steps, run_async, run_sync
from fsmchat.adapters import _structured
from fsmchat.adapters._clients import LoopClient, close_with_loop, new_client
from fsmchat.adapters._endpoints import Endpoint, endpoints
from fsmchat.adapters._wire import (
    Failure,
    parse_response,
    status_failure,
)

__all__ = ["OpenAIChatModel"]
DEFAULT_TIMEOUT, DEFAULT_TOTAL_TIMEOUT = 60.0, 180.0  # seconds: a request, a call
DEFAULT_MAX_ANSWER_BYTES = 8 * 1024 * 1024  # the largest response body read

# Config keys passed through to ``chat.completions.create`` when present.
_PASS_THROUGH = (
    "max_tokens",
    "max_completion_tokens",
    "top_p",
    "seed",
    "stop",
    "presence_penalty",
    "frequency_penalty",
    "reasoning_effort",
    "user",
)
_KEYISH = re.compile(r"\b(sk-[A-Za-z0-9_\-]{6,}|[A-Za-z0-9]{32,})\b")


class OpenAIChatModel:
    """A :class:`~fsmchat.ChatModel` over OpenAI-compatible endpoints (see module doc).

    Args:
        config_list: AutoGen config dicts, tried in order.
        temperature: default sampling temperature (a request's own wins).
        timeout: seconds per HTTP request, a wall-clock deadline from its start
            to its last byte (``None``: 60).
        total_timeout: seconds per call, retries included (``None``: 180).
        max_retries: retries of a retryable failure on one endpoint.
        backoff: first wait between retries, doubled each time.
        max_wait: longest single wait, whatever ``Retry-After`` says.
        max_connections: HTTP connections per endpoint and client (a config
            entry's own ``max_connections`` wins); requests beyond it wait
            for a free connection.
        max_answer_bytes: the largest response body read; a longer one is
            refused unread (not retried).
        sleep, asleep: how to wait (injectable so tests do not sleep).

    Raises:
        InvalidArgument: the config list is malformed (on construction).
        MissingDependency: the ``openai`` package is not installed (on
            construction, so before any chat starts).
    """

    def __init__(
        self,
        config_list: Sequence[Mapping[str, Any]],
        *,
        temperature: float | None = None,
        timeout: float | None = None,
        total_timeout: float | None = None,
        max_retries: int = 2,
        backoff: float = 1.0,
        max_wait: float = 60.0,
        max_connections: int = 32,
        max_answer_bytes: int = DEFAULT_MAX_ANSWER_BYTES,
        sleep: Callable[[float], object] = time.sleep,
        asleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        if max_connections < 1:
            msg = f"max_connections={max_connections!r} must be >= 1"
            raise InvalidArgument(msg)
        if max_retries < 0 or backoff < 0 or max_wait < 0:
            msg = (
                f"max_retries={max_retries!r}, backoff={backoff!r} and "
                f"max_wait={max_wait!r} must all be >= 0"
            )
            raise InvalidArgument(msg)
        self._endpoints = endpoints(config_list)
        require("openai", purpose="a model endpoint (OpenAIChatModel)")
        self._structured = _structured.Negotiator()
        for ep in self._endpoints:
            forced = _structured.forced_mode(ep.config, ep.index)
            if forced is not None:
                self._structured.force(ep.index, forced)
        self.temperature = temperature
        self.timeout = timeout or DEFAULT_TIMEOUT
        self.total_timeout = total_timeout or DEFAULT_TOTAL_TIMEOUT
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_wait = max_wait
        self.max_connections = max_connections
        self.max_answer_bytes = max_answer_bytes
        self._sleep = sleep
        self._asleep = asleep
        self._lock = threading.Lock()
        self._secrets = tuple(
            str(e.config["api_key"])
            for e in self._endpoints
            if isinstance(e.config.get("api_key"), str) and e.config["api_key"]
        )

    # -- public surface --------------------------------------------------------

    @property
    def endpoints(self) -> tuple[str, ...]:
        """What each config points at (model and base URL; no keys)."""
        return tuple(e.label for e in self._endpoints)

    @property
    def cache_identity(self) -> str:
        """The configured models, for response-cache keys (no URLs, no keys)."""
        return ",".join(e.model for e in self._endpoints)

    @property
    def open_clients(self) -> int:
        """HTTP clients held open (sync ones, plus one async per event loop in use)."""
        return sum((ep.client is not None) + len(ep.aclients) for ep in self._endpoints)

    def complete(self, request: ChatRequest) -> ChatResponse:
        """Complete ``request`` on the first endpoint that answers.

        Returns:
            The answer, with usage and latency.

        Raises:
            LLMError: every endpoint failed; ``.endpoints`` and ``.errors`` say
                where and why.
        """
        return run_sync(self._policy(request))

    async def acomplete(self, request: ChatRequest) -> ChatResponse:
        """The async form of :meth:`complete` (same policy, same errors)."""
        return await run_async(self._policy(request))

    def _policy(self, request: ChatRequest) -> Steps[ChatResponse]:
        """The fall-over and retry policy, written once for sync and async.

        Yields the :class:`~fsmchat._run.twins.Call` of a request to an
        endpoint (and is sent the response, or has the :class:`Failure` thrown
        in) or of a sleep; returns the first response.

        Raises:
            LLMError: every endpoint failed.
        """
        errors: list[str] = []
        tried: list[str] = []
        deadline = time.monotonic() + self.total_timeout
        for ep in self._endpoints:
            if time.monotonic() >= deadline:
                break
            tried.append(ep.label)
            attempt = 0
            mode = self._structured.mode(ep.index)
            while True:
                try:
                    response: ChatResponse = yield Call(
                        self._call, self._acall, (ep, request, mode)
                    )
                except Failure as failure:
                    outcome = failure
                else:
                    return response
                if outcome.schema_rejected and request.response_format is not None:
                    lower = self._structured.downgrade(
                        ep.index, mode, why=self._scrub(str(outcome))
                    )
                    if lower is not None:
                        mode = lower
                        continue
                action = self._next(ep, outcome, attempt)
                if action == "fail":
                    tries = f" ({attempt + 1} attempts)" if attempt else ""
                    errors.append(self._scrub(str(outcome)) + tries)
                    break
                wait = self._wait(attempt, outcome)
                if time.monotonic() + wait >= deadline:
                    errors.append(f"{self._scrub(str(outcome))} (time budget spent)")
                    break
                yield Call(self._sleep, self._asleep, (wait,))
                attempt += 1
        raise self._all_failed(tried, errors)

    def close(self) -> None:
        """Close the sync clients' connections (use :meth:`aclose` in async code).

        Async clients of event loops that have already ended are dropped; those
        of a running loop close when it shuts down, or with :meth:`aclose`.
        """
        with self._lock:
            for ep in self._endpoints:
                client, ep.client = ep.client, None
                if client is not None:
                    client.close()
                for loop in [lp for lp in ep.aclients if lp.is_closed()]:
                    del ep.aclients[loop]

    async def aclose(self) -> None:
        """Close the sync clients and this event loop's async clients."""
        self.close()
        loop = asyncio.get_running_loop()
        for ep in self._endpoints:
            held = ep.aclients.get(loop)
            if held is not None:
                await held.keeper.aclose()

    def __enter__(self) -> OpenAIChatModel:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    async def __aenter__(self) -> OpenAIChatModel:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"<OpenAIChatModel {'; '.join(self.endpoints)}>"

    # -- the policy --------------------------------------------------------------

    def _next(self, ep: Endpoint, failure: Failure, attempt: int) -> str:
        if failure.retryable and attempt < self._retries(ep):
            return "retry"
        return "fail"

    def _retries(self, ep: Endpoint) -> int:
        own = ep.config.get("max_retries")
        if isinstance(own, int) and not isinstance(own, bool) and own >= 0:
            return own
        return self.max_retries

    def _wait(self, attempt: int, failure: Failure) -> float:
        if failure.retry_after is not None:
            return min(max(failure.retry_after, 0.0), self.max_wait)
        return min(self.backoff * float(2**attempt), self.max_wait)

    def _all_failed(self, tried: list[str], errors: list[str]) -> LLMError:
        lines = "\n".join(f"  - {e}" for e in errors)
        msg = (
            f"every model endpoint failed ({len(tried)} tried):\n{lines}\n"
            f"Check that the endpoints are up and that the config list (model, "
            f"base_url, api_key) is right."
        )
        return LLMError(msg, endpoints=tried, errors=errors)

    def _scrub(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return _KEYISH.sub("***", text)

    # -- building a request ----------------------------------------------------------

    def _kwargs(
        self, ep: Endpoint, request: ChatRequest, mode: _structured.Mode
    ) -> dict[str, Any]:
        response_format, messages = _structured.apply(
            request.response_format, mode, request.messages
        )
        kwargs: dict[str, Any] = {
            "model": request.model or ep.model,
            "messages": messages,
        }
        temperature = request.temperature
        if temperature is None:
            temperature = ep.config.get("temperature", self.temperature)
        if temperature is not None:
            kwargs["temperature"] = temperature
        if response_format is not None:
            kwargs["response_format"] = response_format
        if request.tools:
            kwargs["tools"] = [to_plain(t) for t in request.tools]
        if request.functions:
            kwargs["functions"] = [to_plain(f) for f in request.functions]
        for key in _PASS_THROUGH:
            if ep.config.get(key) is not None:
                kwargs[key] = ep.config[key]
        return kwargs

    def _client_options(self, ep: Endpoint) -> dict[str, Any]:
        config = ep.config
        options: dict[str, Any] = {"max_retries": 0}
        if config.get("api_key") is not None:
            options["api_key"] = str(config["api_key"])
        options["timeout"] = self._budget(ep)
        if isinstance(config.get("default_headers"), Mapping):
            options["default_headers"] = dict(config["default_headers"])
        if ep.azure:
            options["azure_endpoint"] = ep.base_url
            options["api_version"] = str(config["api_version"])
        else:
            if ep.base_url:
                options["base_url"] = ep.base_url
            for key in ("organization", "project"):
                if config.get(key):
                    options[key] = str(config[key])
        return options

    # -- clients (one per endpoint, reused; see "Clients" in the module doc) ----------

    def _new_client(self, ep: Endpoint, *, asynchronous: bool) -> Any:
        with self._translated(ep):
            return new_client(
                self._client_options(ep),
                azure=ep.azure,
                asynchronous=asynchronous,
                connections=self._connections(ep),
                max_bytes=self.max_answer_bytes,
            )

    def _budget(self, ep: Endpoint) -> float:
        """The wall-clock seconds one request to ``ep`` may take."""
        return float(ep.config.get("timeout") or self.timeout)

    def _connections(self, ep: Endpoint) -> int:
        own = ep.config.get("max_connections")
        if isinstance(own, int) and not isinstance(own, bool) and own >= 1:
            return own
        return self.max_connections

    def _sync_client(self, ep: Endpoint) -> Any:
        client = ep.client
        if client is None:
            with self._lock:
                if ep.client is None:
                    ep.client = self._new_client(ep, asynchronous=False)
                client = ep.client
        return client

    async def _async_client(self, ep: Endpoint) -> LoopClient:
        loop = asyncio.get_running_loop()
        held = ep.aclients.get(loop)
        if held is not None:
            return held
        client = self._new_client(ep, asynchronous=True)
        keeper = close_with_loop(ep.aclients, loop, client)
        held = LoopClient(client, keeper, asyncio.Semaphore(self._connections(ep)))
        ep.aclients[loop] = held
        # Started inside the loop, the generator is registered with it: the
        # loop's shutdown (``asyncio.run`` ending) finalises it, closing the client.
        await keeper.asend(None)
        return held

    # -- one attempt ---------------------------------------------------------------

    def _call(
        self, ep: Endpoint, request: ChatRequest, mode: _structured.Mode
    ) -> ChatResponse:
        client = self._sync_client(ep)
        kwargs = self._kwargs(ep, request, mode)
        with self._translated(ep):
            t0 = time.perf_counter()
            raw = client.chat.completions.with_raw_response.create(**_verbatim(kwargs))
            text = raw.text
            latency = time.perf_counter() - t0
        return parse_response(ep.label, kwargs, text, latency)

    async def _acall(
        self, ep: Endpoint, request: ChatRequest, mode: _structured.Mode
    ) -> ChatResponse:
        held = await self._async_client(ep)
        kwargs = self._kwargs(ep, request, mode)
        async with held.slots:
            with self._translated(ep):
                t0 = time.perf_counter()
                create = held.client.chat.completions.with_raw_response.create
                # A wall-clock deadline for the whole exchange (drip-feeding too).
                raw = await asyncio.wait_for(
                    create(**_verbatim(kwargs)), self._budget(ep)
                )
                text = raw.text
                latency = time.perf_counter() - t0
        return parse_response(ep.label, kwargs, text, latency)

    @contextmanager
    def _translated(self, ep: Endpoint) -> Iterator[None]:
        """Turn every ``openai`` exception into a :class:`Failure` (the one place)."""
        import openai

        from fsmchat.adapters._transport import AnswerTooLarge

        try:
            yield
        except (openai.APITimeoutError, asyncio.TimeoutError) as exc:
            msg = f"{ep.label}: timed out after {self._budget(ep):g} s (the request's deadline)"
            raise Failure(msg, retryable=True) from exc
        except openai.APIConnectionError as exc:
            cause = exc.__cause__ or exc
            if isinstance(cause, AnswerTooLarge):
                msg = f"{ep.label}: refused unread: {cause} (max_answer_bytes)"
                raise Failure(msg) from exc
            msg = f"{ep.label}: cannot connect ({type(cause).__name__}: {cause})"
            raise Failure(msg, retryable=True) from exc
        except openai.APIStatusError as exc:
            raise status_failure(ep.label, exc) from exc
        except openai.OpenAIError as exc:
            text = str(exc)
            if "api_key" in text:
                text = (
                    "no api_key in the config and OPENAI_API_KEY is not set "
                    "(local servers accept any placeholder key)"
                )
            msg = f"{ep.label}: {type(exc).__name__}: {text}"
            raise Failure(msg) from exc


def _verbatim(kwargs: dict[str, Any]) -> dict[str, Any]:
    """``create()`` arguments that send the body ``kwargs`` as it is.

    The SDK walks its typed parameters recursively to transform them (~1 ms of
    CPU for a decision request, the largest per-call cost). Our body is plain
    JSON already, so it rides in ``extra_body``, which the SDK merges over the
    typed parameters unchanged; ``model`` stays a parameter for Azure's routing.
    """
    return {"model": kwargs["model"], "messages": [], "extra_body": kwargs}
