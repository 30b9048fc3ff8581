"""`fsmchat view --serve` under attack: clients that reset mid-request, DNS rebinding."""

from __future__ import annotations

import re
import signal
import socket
import struct
import subprocess
import sys
from collections.abc import Iterator

import pytest

from tests.view.chats import COUNTING, counting_transcript


@pytest.fixture(scope="module")
def served(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[subprocess.Popen[str], int]]:
    """A real `fsmchat view FILE --serve` process and its port."""
    path = counting_transcript(tmp_path_factory.mktemp("serve") / "chat.json")
    cmd = [
        sys.executable,
        "-m",
        "fsmchat",
        "view",
        str(path),
        "--spec",
        str(COUNTING),
        "--serve",
    ]
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        found = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        assert found, line
        yield proc, int(found.group(1))
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()


def _reset_after(port: int, data: bytes, *, read: int = 0) -> None:
    """Send ``data``, read ``read`` bytes, then reset the connection (RST, not FIN)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(data)
        if read:
            sock.recv(read)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def _ask(port: int, host: str, path: str = "/") -> str:
    """One GET with the given Host header; the status line of the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(
            f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode()
        )
        return sock.makefile("rb").readline().decode().strip()


@pytest.mark.parametrize(
    "host",
    [
        "evil.example",
        "evil.example:{port}",
        "127.0.0.1.evil.example",
        "",
        "localhost.evil",
    ],
)
def test_a_foreign_host_name_is_refused(
    served: tuple[subprocess.Popen[str], int], host: str
) -> None:
    """DNS rebinding: a request naming another host gets 421, not the chat."""
    _, port = served
    assert " 421 " in _ask(port, host.format(port=port))


@pytest.mark.parametrize(
    "host", ["127.0.0.1:{port}", "localhost:{port}", "LOCALHOST", "[::1]:{port}"]
)
def test_loopback_host_names_are_served(
    served: tuple[subprocess.Popen[str], int], host: str
) -> None:
    """127.0.0.1, localhost and [::1] (any port, any case) get the page."""
    _, port = served
    assert " 200 " in _ask(port, host.format(port=port))


def test_clients_that_reset_mid_request_print_no_traceback(
    served: tuple[subprocess.Popen[str], int],
) -> None:
    """Resets during the request line, the headers, the page and the event stream: stderr stays clean."""
    proc, port = served
    head = f"Host: 127.0.0.1:{port}\r\n"
    for _ in range(5):
        _reset_after(port, b"GET / HT")
        _reset_after(port, f"GET / HTTP/1.1\r\n{head}".encode())
        _reset_after(port, f"GET / HTTP/1.1\r\n{head}\r\n".encode())
        _reset_after(port, f"GET / HTTP/1.1\r\n{head}\r\n".encode(), read=1)
        _reset_after(port, f"GET /events HTTP/1.1\r\n{head}\r\n".encode(), read=64)
    assert " 200 " in _ask(port, f"127.0.0.1:{port}")  # still serving
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=10)
    assert "Traceback" not in err
    assert "Error" not in err
