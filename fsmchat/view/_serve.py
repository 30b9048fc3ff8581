"""``fsmchat view --serve``: live pages on 127.0.0.1, following chat files.

One standard-library ``ThreadingHTTPServer`` on a loopback port (0: a free
one) serves one of two sites, each a set of routes:

* a chat (:class:`LiveServer`, ``fsmchat view RECORD --serve``): ``/`` its
  page, ``/events`` its Server-Sent Events stream;
* a folder (:class:`RunsServer`, ``fsmchat view DIR --serve``): ``/`` the
  index of its chats (built afresh on each visit, so new chats appear on a
  reload), ``/chat/NAME`` the live page of chat file ``NAME`` and
  ``/chat/NAME/events`` its stream. ``NAME`` must be one of the folder's chat
  files as listed now (:func:`fsmchat.view._runs.chat_files`): a request never
  names a path.

A stream sends the whole page model (and the diagram, when its lit edges
change) as one ``model`` event at connection and each time the file changes;
the server looks at the file's size and mtime every :data:`POLL` seconds, so a
new step shows within a second without a reload. A record being written may
end in a torn line for a moment: the reader keeps its complete prefix. A file
that fails to read (e.g. corrupt) is sent as ``{"error": ...}`` and the page
keeps the last good model.

Both sites share the request handling: only requests whose ``Host`` names the
loopback (``127.0.0.1``, ``localhost``, ``[::1]``, any port) are answered, so a
web page cannot reach the server through DNS rebinding (a name of its own
resolved to 127.0.0.1): it gets ``421``; ``/favicon.ico`` is empty; a client
that resets or drops its connection mid-request ends that request quietly (no
traceback). ``close()`` (Ctrl-C in the CLI) wakes every stream and stops the
server thread cleanly.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
import urllib.parse
from collections.abc import Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol

import attrs

from fsmchat._core.errors import FsmchatError
from fsmchat._core.spec import Spec
from fsmchat.view._page import Page, build_chat_page
from fsmchat.view._render import render_html
from fsmchat.view._runs import build_runs, chat_files

__all__ = ["POLL", "LiveServer", "RunsServer", "ViewServer"]

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


@attrs.define(eq=False)
class _Follow:
    """The followed file and the latest page built from it (thread-safe)."""

    path: str
    spec: Spec | None
    allow: tuple[str, ...]
    prove: bool = False
    label: str = attrs.field(
        default=attrs.Factory(lambda self: self.path, takes_self=True)
    )
    proofs: dict[Any, Any] = attrs.field(init=False, factory=dict)
    lock: threading.Lock = attrs.field(init=False, factory=threading.Lock)
    stamp: tuple[int, int] | None = attrs.field(init=False, default=None)
    version: int = attrs.field(init=False, default=0)
    page: Page | None = attrs.field(init=False, default=None)
    payload: str = attrs.field(init=False, default="")
    svgs: dict[Any, str] = attrs.field(init=False, factory=dict)
    last_svg: str | None = attrs.field(init=False, default=None)

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
    """The request handling both sites share; the site answers the paths."""

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
        elif not self.server.site.answer(self, path):
            self.send_error(404)

    def page(
        self, follow: _Follow, live: str = "/events", back: str | None = None
    ) -> None:
        """The live page of ``follow``'s chat; its stream is at ``live``."""
        follow.refresh()
        if follow.page is None:
            self.send_error(500, explain=follow.payload)
            return
        self.html(render_html(follow.page, live=live, back=back))

    def html(self, text: str) -> None:
        """An HTML page, never cached."""
        body = text.encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def events(self, follow: _Follow) -> None:
        """The stream of ``follow``'s page models, until the client or the server stops."""
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


class _Site(Protocol):
    def answer(self, handler: _Handler, path: str) -> bool:
        """Answer a GET of ``path`` through ``handler``; ``False``: no such page."""
        ...


class _ChatSite:
    """One chat: ``/`` and ``/events``."""

    def __init__(self, follow: _Follow) -> None:
        self.follow = follow

    def answer(self, handler: _Handler, path: str) -> bool:
        if path == "/":
            handler.page(self.follow)
        elif path == "/events":
            handler.events(self.follow)
        else:
            return False
        return True


class _FolderSite:
    """A folder's chats: ``/``, ``/chat/NAME`` and ``/chat/NAME/events``."""

    def __init__(self, folder: str, allow: tuple[str, ...]) -> None:
        self.folder = folder
        self.allow = allow
        self.follows: dict[str, _Follow] = {}
        self.lock = threading.Lock()

    def answer(self, handler: _Handler, path: str) -> bool:
        if path == "/":
            runs = build_runs(self.folder, href=_href, allow=self.allow, chats=False)
            handler.html(render_html(runs.index))
            return True
        parts = path.split("/")
        if len(parts) not in (3, 4) or parts[1] != "chat":
            return False
        if len(parts) == 4 and parts[3] != "events":
            return False
        name = urllib.parse.unquote(parts[2])
        file = chat_files(self.folder).get(name)
        if file is None:
            return False
        with self.lock:
            follow = self.follows.get(name)
            if follow is None:
                follow = self.follows[name] = _Follow(str(file), None, self.allow)
        if len(parts) == 4:
            handler.events(follow)
        else:
            handler.page(follow, live=f"{_href(name)}/events", back="/")
        return True


def _href(name: str) -> str:
    return "/chat/" + urllib.parse.quote(name, safe="")


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, port: int, site: _Site) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.site = site
        self.stop = threading.Event()

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A dropped client is normal: say nothing; anything else: one line, no traceback."""
        exc = sys.exc_info()[1]
        if isinstance(exc, ConnectionError | TimeoutError):
            return
        _LOG.warning("view --serve: a request failed: %s: %s", type(exc).__name__, exc)


class ViewServer:
    """A site on ``127.0.0.1``: its address, serving, closing.

    Raises:
        OSError: the port cannot be bound.
    """

    def __init__(self, site: _Site, port: int) -> None:
        self._server = _Server(port, site)
        self._serving = False

    @property
    def url(self) -> str:
        """The site's address, ``http://127.0.0.1:PORT/``."""
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


class LiveServer(ViewServer):
    """The live page of one chat file on ``127.0.0.1``.

    Args:
        path: the record (or transcript) to follow.
        spec: the spec (``None``: the one the record names).
        port: the port (0: a free one).
        allow: module prefixes whose ``call:`` guards may run to judge moves.
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
        follow = _Follow(path, spec, tuple(allow), prove=prove, label=label or path)
        follow.refresh()
        if follow.page is None:  # fail before serving, with the reason
            build_chat_page(path, spec=spec, allow=follow.allow)
        self._follow = follow
        super().__init__(_ChatSite(follow), port)

    @property
    def notes(self) -> tuple[str, ...]:
        """Why something is missing from the page (e.g. no SPIN for ``prove``)."""
        page = self._follow.page
        return () if page is None else page.notes


class RunsServer(ViewServer):
    """The index of the chats in ``folder`` on ``127.0.0.1``, each chat live.

    Args:
        folder: the folder of records and transcripts.
        port: the port (0: a free one).
        allow: module prefixes whose ``call:`` guards may run to judge moves.

    Raises:
        OSError: the port cannot be bound.
    """

    def __init__(
        self, folder: str, *, port: int = 0, allow: Iterable[str] = ()
    ) -> None:
        super().__init__(_FolderSite(folder, tuple(allow)), port)
