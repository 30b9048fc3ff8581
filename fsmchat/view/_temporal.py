"""``fsmchat view --temporal HOST:PORT ID --serve``: follow a chat running as a workflow.

A :class:`TemporalFeed` asks the workflow's ``state`` query every
:data:`POLL` seconds (on a thread with its own event loop and Temporal
runtime) and, when the chat moved, rewrites a private record file with
:func:`fsmchat.temporal.export_record` (written aside, then renamed over the
old one, so a reader never sees half of it). :class:`~fsmchat.view.LiveServer`
follows that file as it follows any record: the live page, its events and its
checks are the same code. The spec is the text the workflow was started with
(read from its history), so the viewer needs no copy of the starter's spec
file.

Temporal is imported only when a feed starts: ``import fsmchat.view`` does not
load the SDK.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import tempfile
import threading
from collections.abc import Mapping
from typing import Any

from fsmchat._core.build import parse_spec
from fsmchat._core.errors import FsmchatError
from fsmchat._core.spec import Spec

__all__ = ["POLL", "TemporalFeed"]

#: Seconds between two queries of the workflow's state.
POLL = 0.5
#: Seconds :meth:`TemporalFeed.start` waits for the chat's first state.
_FIRST = 60.0
_LOG = logging.getLogger("fsmchat")


def _moment(state: Mapping[str, Any]) -> tuple[Any, ...]:
    """What changes when the chat moves (a new line, a pause, the end)."""
    return (
        len(state.get("lines") or ()),
        repr(state.get("waiting")),
        repr(state.get("finished")),
        state.get("status"),
    )


class TemporalFeed:
    """A record file kept up to date with chat ``chat_id`` on Temporal.

    Args:
        target: the Temporal frontend, ``HOST:PORT``.
        chat_id: the chat's workflow id.
        namespace: the Temporal namespace.
        interval: seconds between two queries.

    After :meth:`start`, :attr:`path` is a record of the chat so far and
    :attr:`spec` the spec it runs; :meth:`close` stops the queries and
    removes the file.
    """

    def __init__(
        self,
        target: str,
        chat_id: str,
        *,
        namespace: str = "default",
        interval: float = POLL,
    ) -> None:
        self.target = target
        self.chat_id = chat_id
        self.namespace = namespace
        self.interval = interval
        self._dir = tempfile.mkdtemp(prefix="fsmchat-view-")
        self.path = os.path.join(self._dir, "chat.jsonl")
        self.spec: Spec | None = None
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._error: str | None = None
        self._thread: threading.Thread | None = None
        #: How many times the record file was written (the chat moved).
        self.writes = 0

    @property
    def label(self) -> str:
        """How the page names the chat: ``temporal://HOST:PORT/NS/ID``."""
        return f"temporal://{self.target}/{self.namespace}/{self.chat_id}"

    def start(self) -> None:
        """Write the chat's first state, then keep following it on a thread.

        Raises:
            FsmchatError: the service is unreachable, there is no such chat,
                no worker answers its query, or the chat never started.
        """
        self._thread = threading.Thread(
            target=self._main, name="fsmchat-view-temporal", daemon=True
        )
        self._thread.start()
        if not self._ready.wait(_FIRST):
            self.close()
            msg = f"chat {self.chat_id}: no state from {self.target} after {_FIRST:g} s"
            raise FsmchatError(msg)
        if self._error is not None:
            self.close()
            raise FsmchatError(self._error)

    def close(self) -> None:
        """Stop following, wait for the thread, remove the private file."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        shutil.rmtree(self._dir, ignore_errors=True)

    def _main(self) -> None:
        from temporalio.runtime import Runtime, TelemetryConfig

        runtime = Runtime(telemetry=TelemetryConfig())
        try:
            asyncio.run(self._follow(runtime))
        finally:
            self._ready.set()
            del runtime

    async def _follow(self, runtime: Any) -> None:
        import fsmchat.temporal as temporal

        try:
            client = await temporal.connect(
                self.target, namespace=self.namespace, runtime=runtime
            )
        except FsmchatError as exc:
            self._error = str(exc)
            return
        handle = client.get_workflow_handle(self.chat_id)
        try:
            chat = await temporal.chat_input_of(client, handle)
            self.spec = parse_spec(chat.spec_text, path=chat.spec_path)
        except FsmchatError as exc:
            self._error = str(exc)
            return
        seen: tuple[Any, ...] | None = None
        while not self._stop.is_set():
            try:
                state = await temporal.chat_state(handle)
                if _moment(state) != seen:
                    self._write(temporal, state)
                    seen = _moment(state)
            except FsmchatError as exc:
                if not self._ready.is_set():
                    self._error = str(exc)
                    return
                _LOG.warning("view --temporal: %s (the page keeps the last state)", exc)
            else:
                self._ready.set()
                if temporal.is_closed(state):
                    return  # an ended chat changes no more
            await asyncio.sleep(self.interval)

    def _write(self, temporal: Any, state: Mapping[str, Any]) -> None:
        aside = self.path + ".new"
        if os.path.exists(aside):
            os.remove(aside)
        temporal.export_record(state, aside)
        os.replace(aside, self.path)
        self.writes += 1
