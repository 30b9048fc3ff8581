"""`fsmchat view RECORD --serve` as a process: a free loopback port, events, Ctrl-C."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

from fsmchat.view import LiveServer


def test_serve_prints_the_port_streams_the_model_and_stops_on_ctrl_c(
    chats: dict[str, Path],
) -> None:
    """The printed 127.0.0.1 URL serves the page and its event stream; SIGINT exits 0."""
    cmd = [sys.executable, "-m", "fsmchat", "view", str(chats["nl"]), "--serve"]
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        found = re.search(r"at (http://127\.0\.0\.1:(\d+)/) \(Ctrl-C stops\)", line)
        assert found, line
        url = found.group(1)
        assert int(found.group(2)) > 0
        with urllib.request.urlopen(url, timeout=10) as page:
            html = page.read().decode()
        assert 'data-live="/events"' in html
        assert "connect-src 'self'" in html
        with urllib.request.urlopen(url + "events", timeout=10) as events:
            assert events.headers["Content-Type"].startswith("text/event-stream")
            assert events.readline() == b"event: model\n"
            assert b'"steps"' in events.readline()
        with urllib.request.urlopen(url + "favicon.ico", timeout=10) as icon:
            assert icon.status == 204
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert err.strip().endswith("stopped")
    assert "Traceback" not in err


def test_close_without_serving_returns(chats: dict[str, Path]) -> None:
    """A server that never served closes at once (no wait for a loop that never ran)."""
    server = LiveServer(str(chats["nl"]))
    assert server.url.startswith("http://127.0.0.1:")
    server.close()
