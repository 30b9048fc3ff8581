"""A real OpenAI-compatible HTTP server on 127.0.0.1, for tests and demos.

:class:`FakeOpenAIServer` runs the standard library's ``ThreadingHTTPServer`` in a
background thread on an ephemeral loopback port and serves
``POST .../chat/completions`` (any prefix, so ``/v1/chat/completions`` and
Azure's ``/openai/deployments/<name>/chat/completions`` both work) and
``GET .../models``. The real ``openai`` client talks to it over real sockets, so
a test exercises the whole boundary: request encoding, HTTP status codes,
headers such as ``Retry-After``, timeouts and malformed bodies. Nothing here
imports ``openai``::

    from fsmchat.testing._fakeserver import FakeOpenAIServer, FakeResponse, completion

    def handler(body):
        if body["model"] == "broken":
            return FakeResponse(500, {"error": {"message": "boom"}})
        return completion("hello")        # or simply: return "hello"

    with FakeOpenAIServer(handler) as server:
        config_list = [server.config(model="gpt-4o-mini")]
        ...                               # server.requests holds every body

What a handler may return:

* a ``dict`` — sent as a 200 JSON body (use :func:`completion` to build one);
* a ``str`` — shorthand for ``completion(text)``;
* a :class:`FakeResponse` — any status, body (dict, str or bytes), headers and an
  optional ``delay`` before answering (for timeout tests).

``dialect=`` makes the server behave like one server family
(``"openai"``, ``"vllm"``, ``"ollama"``, ``"llama-cpp-python"``, ``"plain"``;
see :mod:`fsmchat.testing._dialects`): it refuses the ``response_format``
forms that server refuses, with that server's status and error body, before
the handler is called, and dresses the handler's answers in that server's
response shape. :func:`schema_answer` is a handler helper that answers any
structured request with JSON valid against the schema it carries.

Instead of a function, ``FakeOpenAIServer`` also takes a list of such replies,
served in order (``replies=[...]``); once they are used up it answers 500 and
records the problem in :attr:`FakeOpenAIServer.handler_errors`. A handler that
raises gets a 500 too, and its exception is kept there, so a test can assert
that the handler never failed.

Closing the server (leaving the ``with`` block, or :meth:`~FakeOpenAIServer.close`)
wakes any delayed response, stops the thread and closes every socket, so tests
run clean under ``-W error``.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import attrs

from fsmchat.testing._dialects import DIALECTS, Dialect, schema_in_request

__all__ = [
    "FakeOpenAIServer",
    "FakeResponse",
    "RecordedRequest",
    "completion",
    "error_body",
    "json_completion",
    "schema_answer",
]

Handler = Callable[[dict[str, Any]], Any]


@attrs.frozen
class FakeResponse:
    """A canned HTTP response: status, body, headers, and an optional delay.

    Attributes:
        status: the HTTP status code.
        body: a dict (sent as JSON), a str or bytes (sent as is).
        headers: extra response headers (e.g. ``{"Retry-After": "2"}``).
        delay: seconds to wait before answering (the wait ends early when the
            server closes, so a test never hangs on it).
    """

    status: int = 200
    body: Mapping[str, Any] | str | bytes = attrs.field(factory=dict)
    headers: Mapping[str, str] = attrs.field(factory=dict, kw_only=True)
    delay: float = attrs.field(default=0.0, kw_only=True)

    @classmethod
    def error(
        cls,
        status: int,
        message: str,
        *,
        type: str = "api_error",
        code: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> FakeResponse:
        """An OpenAI-style error response (``{"error": {...}}``)."""
        return cls(
            status=status,
            body=error_body(message, type=type, code=code),
            headers=dict(headers or {}),
        )


@attrs.frozen(kw_only=True)
class RecordedRequest:
    """One request the server received."""

    method: str
    path: str
    query: str
    headers: Mapping[str, str]
    body: Any


def completion(
    content: str | None,
    *,
    model: str = "fake-model",
    prompt_tokens: int = 10,
    completion_tokens: int = 5,
    tool_calls: Sequence[Mapping[str, Any]] | None = None,
    function_call: Mapping[str, Any] | None = None,
    finish_reason: str | None = None,
    usage: bool = True,
) -> dict[str, Any]:
    """Return an OpenAI-shaped chat completion body answering ``content``.

    ``tool_calls`` are OpenAI-style calls (``id``, ``type``, ``function``);
    ``function_call`` is a legacy call (``name``, ``arguments``);
    ``usage=False`` leaves the usage block out (as some servers do).
    """
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if tool_calls:
        message["tool_calls"] = [dict(c) for c in tool_calls]
    if function_call:
        message["function_call"] = dict(function_call)
    body: dict[str, Any] = {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": 0,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": message,
                "finish_reason": finish_reason
                or (
                    "tool_calls"
                    if tool_calls
                    else "function_call"
                    if function_call
                    else "stop"
                ),
            }
        ],
    }
    if usage:
        body["usage"] = {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        }
    return body


def json_completion(data: Any, **kwargs: Any) -> dict[str, Any]:
    """Return a completion whose content is ``data`` encoded as JSON."""
    return completion(json.dumps(data), **kwargs)


def schema_answer(body: Mapping[str, Any], *, verdict: bool = True) -> Any:
    """A JSON value valid against the schema ``body`` asks for, or ``None``.

    Objects get every property; a string enum its first value, a boolean
    ``verdict``, a string ``"because"``. The schema is found wherever
    :func:`~fsmchat.testing._dialects.schema_in_request` finds it.
    """
    schema = schema_in_request(body)
    return None if schema is None else _instance(schema, verdict)


def _instance(schema: Any, verdict: bool) -> Any:
    if not isinstance(schema, Mapping):
        return None
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object":
        props = schema.get("properties") or {}
        return {k: _instance(v, verdict) for k, v in props.items()}
    if kind == "boolean":
        return verdict
    if kind in ("integer", "number"):
        return 0
    if kind == "array":
        return []
    return "because"


def error_body(
    message: str, *, type: str = "api_error", code: str | None = None
) -> dict[str, Any]:
    """Return an OpenAI-style error body."""
    return {"error": {"message": message, "type": type, "param": None, "code": code}}


class _Server(ThreadingHTTPServer):
    daemon_threads = False
    block_on_close = True
    # The default backlog (5) drops SYNs when many clients connect at once, and a
    # dropped SYN is retried after a second: 1 s latency spikes under load.
    request_queue_size = 1024
    owner: FakeOpenAIServer


class _RequestHandler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes: without NODELAY, Nagle's
        # algorithm and delayed ACKs add ~40 ms to every exchange.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.owner._opened(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.owner._closed(self.connection)

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the default stderr logging."""

    def do_GET(self) -> None:
        owner = self.server.owner
        split = urlsplit(self.path)
        owner._record("GET", split, self.headers, None)
        if split.path.rstrip("/").endswith("/models"):
            data = {
                "object": "list",
                "data": [
                    {"id": m, "object": "model", "owned_by": "fake"}
                    for m in owner.models
                ],
            }
            self._send(FakeResponse(body=data))
        else:
            self._send(_not_found(split.path))

    def do_POST(self) -> None:
        owner = self.server.owner
        split = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if len(raw) < length:
            # The client went away in the middle of its request (a killed
            # worker): as a real server, answer nothing and ask no handler.
            self.close_connection = True
            return
        try:
            body: Any = json.loads(raw.decode("utf-8")) if raw else None
        except (UnicodeDecodeError, json.JSONDecodeError):
            body = raw.decode("utf-8", "replace")
        owner._record("POST", split, self.headers, body)
        if not split.path.rstrip("/").endswith("/chat/completions"):
            self._send(_not_found(split.path))
            return
        self._send(owner._answer(body))

    def _send(self, response: FakeResponse) -> None:
        owner = self.server.owner
        if response.delay > 0 and owner._closing.wait(response.delay):
            return  # the server is closing: drop the reply
        body = response.body
        if isinstance(body, bytes):
            data = body
            ctype = "application/octet-stream"
        elif isinstance(body, str):
            data = body.encode("utf-8")
            ctype = "text/plain; charset=utf-8"
        else:
            data = json.dumps(body).encode("utf-8")
            ctype = "application/json"
        headers = {k.lower(): v for k, v in response.headers.items()}
        try:
            self.send_response(response.status)
            if "content-type" not in headers:
                self.send_header("Content-Type", ctype)
            for key, value in response.headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):  # the client gave up
            self.close_connection = True


def _not_found(path: str) -> FakeResponse:
    return FakeResponse.error(
        404, f"FakeOpenAIServer serves .../chat/completions, not {path}"
    )


class FakeOpenAIServer:
    """An OpenAI-compatible chat-completions server on 127.0.0.1 (see module doc).

    Args:
        handler: called with each request's JSON body; returns a dict, a str or
            a :class:`FakeResponse`. Default: answers ``"ok"``.
        replies: instead of ``handler``, replies served in order.
        models: model ids listed by ``GET /v1/models``.
        dialect: behave like this server family (a key of
            :data:`~fsmchat.testing._dialects.DIALECTS`); ``None``: take every
            request and answer as the handler says.

    Attributes:
        base_url: ``http://127.0.0.1:<port>/v1`` (set once started).
        requests: the JSON body of every chat-completions request, in order.
        recorded: every request with method, path, query and headers.
        handler_errors: exceptions raised by the handler (and "out of replies").
    """

    def __init__(
        self,
        handler: Handler | None = None,
        *,
        replies: Iterable[Any] | None = None,
        models: Sequence[str] = ("fake-model",),
        dialect: str | None = None,
    ) -> None:
        if handler is not None and replies is not None:
            msg = "FakeOpenAIServer takes a handler or replies, not both"
            raise TypeError(msg)
        if dialect is not None and dialect not in DIALECTS:
            msg = f"unknown dialect {dialect!r}; known: {', '.join(DIALECTS)}"
            raise ValueError(msg)
        self.dialect: Dialect | None = None if dialect is None else DIALECTS[dialect]
        self._replies = None if replies is None else list(replies)
        self.handler = handler
        self.models = tuple(models)
        self.requests: list[Any] = []
        self.recorded: list[RecordedRequest] = []
        self.handler_errors: list[BaseException] = []
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._connections: set[socket.socket] = set()
        self._server: _Server | None = None
        self._port: int | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -----------------------------------------------------------

    def start(self) -> FakeOpenAIServer:
        """Bind an ephemeral port on 127.0.0.1 and serve in a background thread."""
        if self._server is not None:
            return self
        server = _Server(("127.0.0.1", 0), _RequestHandler)
        server.owner = self
        self._server = server
        self._port = int(server.server_address[1])
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="FakeOpenAIServer",
            daemon=True,
        )
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop serving, wake delayed replies, join threads and close sockets."""
        server, self._server = self._server, None
        if server is None:
            return
        self._closing.set()
        server.shutdown()
        # Wake handler threads idling on keep-alive connections that a client
        # left open, so joining them (server_close) cannot hang.
        with self._lock:
            connections = list(self._connections)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        server.server_close()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def __enter__(self) -> FakeOpenAIServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- what tests use --------------------------------------------------------

    @property
    def port(self) -> int:
        """The bound port (still known after close, for assertions on messages)."""
        if self._port is None:
            msg = "FakeOpenAIServer was never started: use it in a with block or call start()"
            raise RuntimeError(msg)
        return self._port

    @property
    def base_url(self) -> str:
        """The OpenAI ``base_url`` of this server: ``http://127.0.0.1:<port>/v1``."""
        return f"http://127.0.0.1:{self.port}/v1"

    def config(self, model: str = "fake-model", **extra: Any) -> dict[str, Any]:
        """A config-list entry pointing at this server (with a dummy key)."""
        return {
            "model": model,
            "api_key": "sk-fake-key-for-tests",
            "base_url": self.base_url,
            **extra,
        }

    def wait(self, seconds: float) -> bool:
        """Sleep in a handler; returns early (True) when the server closes."""
        return self._closing.wait(seconds)

    # -- internals -------------------------------------------------------------

    def _opened(self, conn: socket.socket) -> None:
        with self._lock:
            self._connections.add(conn)

    def _closed(self, conn: socket.socket) -> None:
        with self._lock:
            self._connections.discard(conn)

    def _record(self, method: str, split: Any, headers: Any, body: Any) -> None:
        with self._lock:
            self.recorded.append(
                RecordedRequest(
                    method=method,
                    path=split.path,
                    query=split.query,
                    headers={k.lower(): v for k, v in headers.items()},
                    body=body,
                )
            )
            if method == "POST" and split.path.rstrip("/").endswith(
                "/chat/completions"
            ):
                self.requests.append(body)

    def _answer(self, body: Any) -> FakeResponse:
        if self.dialect is not None:
            refused = self.dialect.refusal(body)
            if refused is not None:
                return FakeResponse(status=refused[0], body=refused[1])
        response = self._reply(body)
        if self.dialect is not None and response.status == 200:
            data = response.body
            if isinstance(data, Mapping) and isinstance(data.get("choices"), list):
                shaped = self.dialect.shape(json.loads(json.dumps(data)))
                return attrs.evolve(response, body=shaped)
        return response

    def _reply(self, body: Any) -> FakeResponse:
        try:
            if self._replies is not None:
                with self._lock:
                    if not self._replies:
                        msg = f"FakeOpenAIServer ran out of replies at request #{len(self.requests)}"
                        raise LookupError(msg)
                    reply = self._replies.pop(0)
            elif self.handler is not None:
                reply = self.handler(body)
            else:
                reply = "ok"
            return _as_response(reply)
        except Exception as exc:
            with self._lock:
                self.handler_errors.append(exc)
            return FakeResponse.error(500, f"fake handler failed: {exc!r}")

    def __repr__(self) -> str:
        where = self.base_url if self._server is not None else "stopped"
        return f"<FakeOpenAIServer {where} requests={len(self.requests)}>"


def _as_response(reply: Any) -> FakeResponse:
    if isinstance(reply, FakeResponse):
        return reply
    if isinstance(reply, str):
        return FakeResponse(body=completion(reply))
    if isinstance(reply, Mapping):
        return FakeResponse(body=dict(reply))
    msg = f"a handler must return a dict, a str or a FakeResponse, got {type(reply).__name__}"
    raise TypeError(msg)
