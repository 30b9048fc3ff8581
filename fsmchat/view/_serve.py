"""``fsmchat view RECORD --serve``: the page on 127.0.0.1, following the record.

A standard-library ``ThreadingHTTPServer`` on a loopback port (0: a free one)
serves three paths: ``/`` the page, ``/events`` a Server-Sent Events stream,
``/favicon.ico`` nothing. The stream sends the whole page model (and the
diagram, when its lit edges change) as one ``model`` event at connection and
each time the file changes; the server looks at the file's size and mtime
every :data:`POLL` seconds, so a new step shows within a second without a
reload. A record being written may end in a torn line for a moment: the
reader keeps its complete prefix. A file that fails to read (e.g. corrupt) is
sent as ``{"error": ...}`` and the page keeps the last good model.

:meth:`LiveServer.close` (Ctrl-C in the CLI) wakes every stream and stops the
server thread cleanly.

The server answers only requests whose ``Host`` names the loopback
(``127.0.0.1``, ``localhost``, ``[::1]``, any port): a web page cannot reach it
through DNS rebinding (a name of its own resolved to 127.0.0.1), it gets
``421``. A client that resets or drops its connection mid-request ends that
request quietly: nothing is printed, no traceback.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import attrs

from fsmchat._core.errors import FsmchatError
from fsmchat._core.spec import Spec
from fsmchat.view._page import Page, build_chat_page
from fsmchat.view._render import render_html

__all__ = ["POLL", "LiveServer"]

#: Seconds between looks at the followed file.
POLL = 0.2
#: Seconds between keep-alive comments on an idle stream.
_KEEPALIVE = 10.0
#: Host names the server answers to (DNS rebinding defence).
_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "[::1]", "::1"})
_LOG = logging.getLogger("fsmchat")


def _host_name(header: str | None) -> str:
    """The host of a ``Host`` header without its port, lower-cased."""
    value = (header or "").strip().lower()
    if value.startswith("["):
        return value.split("]", 1)[0] + "]"
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


class _Follow:
    """The followed file and the latest page built from it (thread-safe)."""

    def __init__(
        self,
        path: str,
        spec: Spec | None,
        allow: tuple[str, ...],
        *,
        prove: bool = False,
        label: str | None = None,
    ) -> None:
        self.path = path
        self.spec = spec
        self.allow = allow
        self.prove = prove
        self.label = label or path
        self.proofs: dict[Any, Any] = {}
        self.lock = threading.Lock()
        self.stamp: tuple[int, int] | None = None
        self.version = 0
        self.page: Page | None = None
        self.payload = ""
        self.svgs: dict[Any, str] = {}
        self.last_svg: str | None = None

    def refresh(self) -> int:
        """Rebuild the page if the file changed; return the current version."""
        with self.lock:
            try:
                st = os.stat(self.path)
                stamp = (st.st_size, st.st_mtime_ns)
            except OSError:
                stamp = (-1, -1)
            if stamp == self.stamp:
                return self.version
            self.stamp = stamp
            try:
                page = build_chat_page(
                    self.path,
                    spec=self.spec,
                    svg_cache=self.svgs,
                    allow=self.allow,
                    prove=self.prove,
                    proofs=self.proofs,
                )
            except FsmchatError as exc:
                self.payload = json.dumps({"error": f"{self.label}: {exc}"})
                self.version += 1
                return self.version
            if self.label != self.path:
                page = attrs.evolve(page, model={**page.model, "source": self.label})
            svg = page.diagrams.get("chat")
            data: dict[str, Any] = {"model": page.model}
            if svg != self.last_svg:
                data["svg"] = svg
                self.last_svg = svg
            self.page = page
            self.payload = json.dumps(data, ensure_ascii=False)
            self.version += 1
            return self.version

    def full_payload(self) -> str:
        """The current model and diagram (for a stream that just connected)."""
        with self.lock:
            if self.page is None:
                return self.payload
            return json.dumps(
                {"model": self.page.model, "svg": self.page.diagrams.get("chat")},
                ensure_ascii=False,
            )


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        return  # quiet: the CLI prints what matters

    def do_GET(self) -> None:
        if _host_name(self.headers.get("Host")) not in _LOOPBACK_HOSTS:
            self.send_error(421, "this server answers loopback Host names only")
            return
        path = self.path.split("?", 1)[0]
        if path == "/favicon.ico":
            self.send_response(204)
            self.end_headers()
        elif not self.route(path):
            self.send_error(404)

    def route(self, path: str) -> bool:
        """Answer a GET of ``path``; ``False``: no such page (the folder server adds its own)."""
        if path == "/":
            self._page(self.server.follow)
        elif path == "/events":
            self._events(self.server.follow)
        else:
            return False
        return True

    def _page(
        self, follow: _Follow, live: str = "/events", back: str | None = None
    ) -> None:
        follow.refresh()
        if follow.page is None:
            self.send_error(500, explain=follow.payload)
            return
        self._html(render_html(follow.page, live=live, back=back))

    def _html(self, text: str) -> None:
        body = text.encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def _events(self, follow: _Follow) -> None:
        stop = self.server.stop
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        sent = follow.refresh()
        idle = 0.0
        try:
            self._send(follow.full_payload())
            while not stop.wait(POLL):
                version = follow.refresh()
                if version != sent:
                    sent = version
                    self._send(follow.payload)
                    idle = 0.0
                else:
                    idle += POLL
                    if idle >= _KEEPALIVE:
                        self.wfile.write(b": keep-alive\n\n")
                        self.wfile.flush()
                        idle = 0.0
        except (BrokenPipeError, ConnectionResetError):
            return

    def _send(self, payload: str) -> None:
        data = "".join(f"data: {line}\n" for line in payload.split("\n"))
        self.wfile.write(f"event: model\n{data}\n".encode())
        self.wfile.flush()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    follow: _Follow
    stop: threading.Event

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A dropped client is normal: say nothing; anything else: one line, no traceback."""
        import sys

        exc = sys.exc_info()[1]
        if isinstance(exc, ConnectionError | TimeoutError):
            return
        _LOG.warning("view --serve: a request failed: %s: %s", type(exc).__name__, exc)


class LiveServer:
    """The live page of one chat file on ``127.0.0.1``.

    Args:
        path: the record (or transcript) to follow.
        spec: the spec (``None``: the one the record names).
        port: the port (0: a free one).
        prove: prove the spec's ``properties:`` with SPIN (once) and show
            the verdicts.
        label: what the page calls the source (default: ``path``).

    Raises:
        FsmchatError: the file cannot be shown now (read or spec problems).
        OSError: the port cannot be bound.
    """

    def __init__(
        self,
        path: str,
        *,
        spec: Spec | None = None,
        port: int = 0,
        allow: Iterable[str] = (),
        prove: bool = False,
        label: str | None = None,
    ) -> None:
        follow = _Follow(path, spec, tuple(allow), prove=prove, label=label)
        follow.refresh()
        if follow.page is None:  # fail before serving, with the reason
            build_chat_page(path, spec=spec, allow=follow.allow)
        self._server = _Server(("127.0.0.1", port), _Handler)
        self._server.follow = follow
        self._server.stop = threading.Event()
        self._serving = False

    @property
    def notes(self) -> tuple[str, ...]:
        """Why something is missing from the page (e.g. no SPIN for ``prove``)."""
        page = self._server.follow.page
        return () if page is None else page.notes

    @property
    def url(self) -> str:
        """The page's address, ``http://127.0.0.1:PORT/``."""
        return f"http://127.0.0.1:{self._server.server_address[1]}/"

    def serve_forever(self) -> None:
        """Serve until :meth:`close` (or Ctrl-C, which the caller catches)."""
        self._serving = True
        self._server.serve_forever(poll_interval=0.2)

    def close(self) -> None:
        """Wake every stream, stop serving, close the socket."""
        self._server.stop.set()
        if self._serving:  # shutdown() waits for a serve_forever loop to end
            self._server.shutdown()
        self._server.server_close()
