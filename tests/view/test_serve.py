"""`fsmchat view RECORD --serve` as a process: a free loopback port, events, Ctrl-C."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import threading
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


def test_stream_reports_a_corrupted_record_and_keeps_serving(
    chats: dict[str, Path], tmp_path: Path
) -> None:
    """A record damaged while followed is sent as an error event; the page keeps its last model."""
    record = tmp_path / "r.jsonl"
    record.write_bytes(chats["nl"].read_bytes())
    server = LiveServer(str(record))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with urllib.request.urlopen(server.url + "events", timeout=10) as events:
            assert events.readline() == b"event: model\n"
            assert b'"steps"' in events.readline()
            assert events.readline() == b"\n"
            lines = record.read_bytes().splitlines(keepends=True)
            lines[2] = b"{broken\n"
            record.write_bytes(b"".join(lines))
            assert events.readline() == b"event: model\n"
            error = json.loads(events.readline().removeprefix(b"data: "))
            assert "line 3" in error["error"]
        with urllib.request.urlopen(server.url, timeout=10) as page:
            assert page.status == 200
    finally:
        server.close()
        thread.join(5)
    assert not thread.is_alive()


def test_help_lists_view_without_importing_the_viewer() -> None:
    """`fsmchat --help` lists view; the viewer (jinja2) is imported only when it runs."""
    code = (
        "import sys; from click.testing import CliRunner; from fsmchat.cli import main; "
        "out = CliRunner().invoke(main, ['--help']).output; "
        "assert 'view' in out, out; assert 'jinja2' not in sys.modules; print('ok')"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.strip() == "ok", done.stderr
