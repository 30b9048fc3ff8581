"""HTTP transports for model endpoints: one wall-clock deadline per request, a size cap.

Rules / theory of operation
---------------------------
An endpoint is outside input. A per-read timeout does not bound a request: a
server that sends its headers and then one byte per second never lets a read
wait long. So:

* **Sync**: :class:`DeadlineTransport` runs httpcore's connection pool over a
  network backend whose every socket operation (connect, TLS handshake, each
  read and write) waits at most until the request's deadline — the request's
  own timeout (``timeout`` of the model, or a config entry's), counted from the
  moment the request starts. When it has passed, the next operation fails at
  once with a read timeout. The deadline of the current request is kept per
  thread: a sync request runs start to end in its caller's thread.
* **Async**: the adapter wraps the whole exchange in :func:`asyncio.timeout`;
  :class:`CappedAsyncTransport` only adds the size cap.
* **Size**: a body longer than ``max_bytes`` stops being read at that point
  and the request fails with :class:`AnswerTooLarge` (not retried: the same
  request would get the same answer).
* Redirects are not followed (the adapter builds its clients with
  ``follow_redirects=False``): a redirect to another host would re-send the
  prompt and the key there.
* Proxies from the environment (``HTTPS_PROXY``...) go through httpx's own
  transports, which bound each read but not the whole request.

This module imports ``httpx2``/``httpcore2`` (the ``openai`` SDK's HTTP stack),
so it is imported only when a client is built.
"""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpcore2
import httpx2

__all__ = ["AnswerTooLarge", "CappedAsyncTransport", "DeadlineTransport"]

_STATE = threading.local()


class AnswerTooLarge(httpx2.ReadError):
    """The endpoint's answer is over the size cap (internal; the adapter names it)."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the answer is over the cap of {limit} bytes")
        self.limit = limit


def _remaining(timeout: float | None) -> float | None:
    """``timeout`` cut down to what is left of this thread's request deadline."""
    deadline: float | None = getattr(_STATE, "deadline", None)
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        msg = "the request's deadline has passed"
        raise httpcore2.ReadTimeout(msg)
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore2.NetworkStream):
    def __init__(self, inner: httpcore2.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _remaining(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _remaining(timeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore2.NetworkStream:
        inner = self._inner.start_tls(ssl_context, server_hostname, _remaining(timeout))
        return _DeadlineStream(inner)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _DeadlineBackend(httpcore2.NetworkBackend):
    def __init__(self) -> None:
        self._inner = httpcore2.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore2.NetworkStream:
        stream = self._inner.connect_tcp(
            host, port, _remaining(timeout), local_address, socket_options
        )
        return _DeadlineStream(stream)

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Any = None
    ) -> httpcore2.NetworkStream:
        stream = self._inner.connect_unix_socket(
            path, _remaining(timeout), socket_options
        )
        return _DeadlineStream(stream)

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


#: httpcore's errors and the httpx errors the ``openai`` SDK understands, which
#: have the same names; most specific first (the first match translates).
_ERRORS: tuple[tuple[type[Exception], type[Exception]], ...] = tuple(
    (getattr(httpcore2, name), getattr(httpx2, name))
    for name in (
        "ConnectTimeout",
        "ReadTimeout",
        "WriteTimeout",
        "PoolTimeout",
        "TimeoutException",
        "ConnectError",
        "ReadError",
        "WriteError",
        "RemoteProtocolError",
        "LocalProtocolError",
        "UnsupportedProtocol",
        "ProtocolError",
        "NetworkError",
    )
)


def _translated(exc: Exception) -> Exception:
    for source, target in _ERRORS:
        if isinstance(exc, source):
            return target(str(exc))
    return exc


class _CappedStream(httpx2.SyncByteStream):
    def __init__(self, inner: Any, limit: int) -> None:
        self._inner = inner
        self._limit = limit

    def __iter__(self) -> Iterator[bytes]:
        seen = 0
        try:
            for chunk in self._inner:
                seen += len(chunk)
                if seen > self._limit:
                    raise AnswerTooLarge(self._limit)
                yield chunk
        except (
            httpcore2.TimeoutException,
            httpcore2.NetworkError,
            httpcore2.ProtocolError,
        ) as exc:
            raise _translated(exc) from exc

    def close(self) -> None:
        close = getattr(self._inner, "close", None)
        if close is not None:
            close()


class DeadlineTransport(httpx2.BaseTransport):
    """A sync transport: each request ends by its deadline and reads at most ``max_bytes``.

    Args:
        max_connections: connections in the pool (all kept alive when idle).
        max_bytes: the largest response body read.
    """

    def __init__(self, *, max_connections: int, max_bytes: int) -> None:
        self._max_bytes = max_bytes
        self._pool = httpcore2.ConnectionPool(
            ssl_context=httpx2.create_ssl_context(),
            max_connections=max_connections,
            max_keepalive_connections=max_connections,
            network_backend=_DeadlineBackend(),
        )

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        """Send ``request``; its deadline starts now (its read timeout from now)."""
        timeouts = request.extensions.get("timeout") or {}
        budget = timeouts.get("read") or timeouts.get("connect")
        _STATE.deadline = None if budget is None else time.monotonic() + budget
        core = httpcore2.Request(
            method=request.method,
            url=httpcore2.URL(
                scheme=request.url.raw_scheme,
                host=request.url.raw_host,
                port=request.url.port,
                target=request.url.raw_path,
            ),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        try:
            response = self._pool.handle_request(core)
        except Exception as exc:
            raise _translated(exc) from exc
        return httpx2.Response(
            status_code=response.status,
            headers=response.headers,
            stream=_CappedStream(response.stream, self._max_bytes),
            extensions=response.extensions,
        )

    def close(self) -> None:
        """Close every pooled connection."""
        self._pool.close()


class _CappedAsyncStream(httpx2.AsyncByteStream):
    def __init__(self, inner: httpx2.AsyncByteStream, limit: int) -> None:
        self._inner = inner
        self._limit = limit

    async def __aiter__(self) -> AsyncIterator[bytes]:
        seen = 0
        async for chunk in self._inner:
            seen += len(chunk)
            if seen > self._limit:
                raise AnswerTooLarge(self._limit)
            yield chunk

    async def aclose(self) -> None:
        await self._inner.aclose()


class CappedAsyncTransport(httpx2.AsyncBaseTransport):
    """httpx's async transport with the size cap (the deadline is the caller's timeout)."""

    def __init__(self, *, max_connections: int, max_bytes: int) -> None:
        self._max_bytes = max_bytes
        self._inner = httpx2.AsyncHTTPTransport(
            limits=httpx2.Limits(
                max_connections=max_connections,
                max_keepalive_connections=max_connections,
            )
        )

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        """Send ``request``; its body is read through the cap."""
        response = await self._inner.handle_async_request(request)
        assert isinstance(response.stream, httpx2.AsyncByteStream)
        return httpx2.Response(
            status_code=response.status_code,
            headers=response.headers,
            stream=_CappedAsyncStream(response.stream, self._max_bytes),
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        """Close every pooled connection."""
        await self._inner.aclose()
