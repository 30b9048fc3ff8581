"""``fsmchat view DIR --serve``: the index of a folder's chats, each one live.

The folder server is :mod:`fsmchat.view._serve`'s server with more pages:
``/`` the index of runs (built afresh on each visit, so new chats appear on a
reload), ``/chat/NAME`` the live page of the chat file ``NAME`` and
``/chat/NAME/events`` its stream. ``NAME`` must be one of the folder's chat
files as listed now (:func:`fsmchat.view._runs.chat_files`): a request never
names a path.
"""

from __future__ import annotations

import threading
import urllib.parse
from collections.abc import Iterable

from fsmchat.view._render import render_html
from fsmchat.view._runs import build_runs, chat_files
from fsmchat.view._serve import LiveServer, _Follow, _Handler, _Server

__all__ = ["RunsServer"]


class _RunsServer(_Server):
    folder: str
    allow: tuple[str, ...]
    follows: dict[str, _Follow]
    lock: threading.Lock


class _RunsHandler(_Handler):
    server: _RunsServer

    def route(self, path: str) -> bool:
        server = self.server
        if path == "/":
            runs = build_runs(
                server.folder, href=_href, allow=server.allow, chats=False
            )
            self._html(render_html(runs.index))
            return True
        parts = path.split("/")
        if len(parts) not in (3, 4) or parts[1] != "chat":
            return False
        if len(parts) == 4 and parts[3] != "events":
            return False
        name = urllib.parse.unquote(parts[2])
        file = chat_files(server.folder).get(name)
        if file is None:
            return False
        with server.lock:
            follow = server.follows.get(name)
            if follow is None:
                follow = server.follows[name] = _Follow(str(file), None, server.allow)
        if len(parts) == 4:
            self._events(follow)
        else:
            self._page(follow, live=f"{_href(name)}/events", back="/")
        return True


def _href(name: str) -> str:
    return "/chat/" + urllib.parse.quote(name, safe="")


class RunsServer(LiveServer):
    """The index of the chats in ``folder`` on ``127.0.0.1``, each chat live.

    Args:
        folder: the folder of records and transcripts.
        port: the port (0: a free one).
        allow: module prefixes whose ``call:`` guards may run to judge moves.

    Raises:
        OSError: the port cannot be bound.
    """

    def __init__(  # the served chats are the folder's: no one file to follow
        self, folder: str, *, port: int = 0, allow: Iterable[str] = ()
    ) -> None:
        self._server = _RunsServer(("127.0.0.1", port), _RunsHandler)
        self._server.folder = folder
        self._server.allow = tuple(allow)
        self._server.follows = {}
        self._server.lock = threading.Lock()
        self._server.stop = threading.Event()
        self._serving = False
