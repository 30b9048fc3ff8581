"""Building the ``openai`` SDK's clients for one endpoint, and closing async ones with their loop.

Each client rides on a transport of :mod:`fsmchat.adapters._transport` (one
wall-clock deadline per request, a cap on the answer's size) and never follows
a redirect: a ``3xx`` comes back as an error naming where it pointed, so the
prompt and the key are never re-sent to another host.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Mapping
from typing import Any

import attrs

__all__ = ["LoopClient", "close_with_loop", "new_client"]


@attrs.frozen
class LoopClient:
    """One event loop's async client, the generator that closes it, and its slots.

    Requests beyond ``max_connections`` wait on the semaphore (a cheap FIFO)
    rather than in the HTTP library's pool, whose scheduling scans every waiting
    request each time a connection frees up (CPU per call grew with the queue).
    """

    client: Any
    keeper: AsyncGenerator[None, None]
    slots: asyncio.Semaphore


def new_client(
    options: Mapping[str, Any],
    *,
    azure: bool,
    asynchronous: bool,
    connections: int,
    max_bytes: int,
) -> Any:
    """An ``openai`` client with ``options`` over a deadline-and-cap transport.

    Connections are capped per client (one request per connection) and idle
    ones are all kept, so a busy pool never closes a connection only to reopen it.
    """
    import openai

    from fsmchat.adapters._transport import CappedAsyncTransport, DeadlineTransport

    if asynchronous:
        cls: Any = openai.AsyncAzureOpenAI if azure else openai.AsyncOpenAI
        http: Any = openai.DefaultAsyncHttpxClient(
            transport=CappedAsyncTransport(
                max_connections=connections, max_bytes=max_bytes
            ),
            follow_redirects=False,
        )
    else:
        cls = openai.AzureOpenAI if azure else openai.OpenAI
        http = openai.DefaultHttpxClient(
            transport=DeadlineTransport(
                max_connections=connections, max_bytes=max_bytes
            ),
            follow_redirects=False,
        )
    return cls(**options, http_client=http)


async def close_with_loop(
    aclients: dict[asyncio.AbstractEventLoop, LoopClient],
    loop: asyncio.AbstractEventLoop,
    client: Any,
) -> AsyncGenerator[None, None]:
    """Hold ``client`` until closed (``aclose``) or finalised by the loop's shutdown."""
    try:
        yield
    finally:
        held = aclients.get(loop)
        if held is not None and held.client is client:
            del aclients[loop]
        await client.close()
