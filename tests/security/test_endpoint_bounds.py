"""Hostile model endpoints: drip-feeding, redirects, oversized answers. Each request stays bounded.

The drip-feed servers are raw sockets on 127.0.0.1 that count what they
managed to send before the client hung up; the deadlines are small (1 s), so
a bound that holds ends each test within seconds, and one that does not shows
as a server that sent everything.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator

import pytest

from fsmchat import ChatRequest, LLMError
from fsmchat.adapters import OpenAIChatModel
from fsmchat.testing._fakeserver import FakeOpenAIServer, FakeResponse, completion

ASK = ChatRequest(messages=[{"role": "user", "content": "SECRET PROMPT"}])
#: Bytes a drip server sends at most (one per PACE seconds) before it gives up.
DRIP_BYTES, PACE = 40, 0.1


class DripServer:
    """Answers every request one byte per PACE seconds, headers first or from the start."""

    def __init__(self, *, drip_headers: bool) -> None:
        self.drip_headers = drip_headers
        self.sent: list[int] = []
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.stopped = threading.Event()
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.stopped.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with conn:
                self._answer(conn)

    def _answer(self, conn: socket.socket) -> None:
        conn.settimeout(5)
        data = b""
        while b"\r\n\r\n" not in data:
            data += conn.recv(65536)
        head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        head += b"Content-Length: 100000\r\n\r\n"
        sent = 0
        try:
            if not self.drip_headers:
                conn.sendall(head)
            payload = head if self.drip_headers else b"{" + b" " * 100000
            for byte in payload[:DRIP_BYTES]:
                if self.stopped.is_set():
                    break
                conn.sendall(bytes([byte]))
                sent += 1
                time.sleep(PACE)
        except OSError:
            pass
        self.sent.append(sent)

    def config(self) -> dict[str, object]:
        return {
            "model": "m",
            "api_key": "sk-test",
            "base_url": f"http://127.0.0.1:{self.port}/v1",
        }

    def close(self) -> None:
        self.stopped.set()
        self.thread.join(timeout=10)
        self.sock.close()


@pytest.fixture(params=[False, True], ids=["body-drip", "header-drip"])
def drip(request: pytest.FixtureRequest) -> Iterator[DripServer]:
    server = DripServer(drip_headers=request.param)
    try:
        yield server
    finally:
        server.close()


def _until_sent(server: DripServer) -> list[int]:
    deadline = time.monotonic() + 10
    while not server.sent and time.monotonic() < deadline:
        time.sleep(0.05)
    return server.sent


def test_a_drip_feeding_endpoint_is_cut_at_the_deadline(drip: DripServer) -> None:
    """One byte every 0.1 s under a 1 s deadline: the client hangs up after about 10 bytes."""
    model = OpenAIChatModel([drip.config()], timeout=1.0, max_retries=0)
    with pytest.raises(LLMError, match="timed out after 1 s"):
        model.complete(ASK)
    model.close()
    (sent,) = _until_sent(drip)
    assert sent < DRIP_BYTES // 2


def test_a_drip_feeding_endpoint_is_cut_at_the_deadline_in_async_code(
    drip: DripServer,
) -> None:
    """acomplete holds the same wall-clock deadline."""

    async def ask() -> None:
        async with OpenAIChatModel([drip.config()], timeout=1.0, max_retries=0) as m:
            await m.acomplete(ASK)

    with pytest.raises(LLMError, match="timed out after 1 s"):
        asyncio.run(ask())
    (sent,) = _until_sent(drip)
    assert sent < DRIP_BYTES // 2


def test_a_redirect_to_another_host_does_not_resend_the_prompt() -> None:
    """A 307 pointing elsewhere is an error naming the target; the target gets nothing."""
    with FakeOpenAIServer(lambda body: completion("stolen")) as thief:
        where = f"{thief.base_url}/chat/completions?token=abc"
        redirect = FakeResponse(307, "", headers={"Location": where})
        with FakeOpenAIServer(lambda body: redirect) as endpoint:
            model = OpenAIChatModel([endpoint.config()], max_retries=0)
            with pytest.raises(
                LLMError, match=r"redirected to .* not followed"
            ) as info:
                model.complete(ASK)
            model.close()
        assert thief.requests == []
    assert "token=abc" not in str(info.value)


def test_an_oversized_answer_is_refused_unread_and_not_retried() -> None:
    """A 1 MiB body over a 64 KiB cap: refused, asked once, the next endpoint answers."""
    huge = completion("x" * (1024 * 1024))
    with (
        FakeOpenAIServer(lambda body: huge) as big,
        FakeOpenAIServer(lambda body: completion("small")) as small,
    ):
        model = OpenAIChatModel(
            [big.config(), small.config()], max_answer_bytes=64 * 1024, max_retries=2
        )
        assert model.complete(ASK).content == "small"
        model.close()
        assert len(big.requests) == 1


def test_an_oversized_answer_names_the_cap() -> None:
    """The error says the answer is over the cap and which option sets it."""
    with FakeOpenAIServer(lambda body: completion("x" * 100_000)) as big:
        model = OpenAIChatModel([big.config()], max_answer_bytes=4096)
        with pytest.raises(
            LLMError, match=r"over the cap of 4096 bytes \(max_answer_bytes\)"
        ):
            model.complete(ASK)
        model.close()
