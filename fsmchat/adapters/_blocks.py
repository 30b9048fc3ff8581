"""Running code blocks, whatever runs them: what every code runner shares.

A runner (:class:`~fsmchat.adapters._code.LocalCodeRunner` on the host or in a
bubblewrap sandbox, :class:`~fsmchat.adapters._docker.DockerCodeRunner` in a
container) decides only *how* one block's process is started. Everything
around that start is the same for both and lives here:

* which languages run, and with which interpreter (:data:`INTERPRETERS`);
  any other language is answered, without running anything, as
  ``unsupported language 'X'`` (exit code 1, :func:`unsupported`);
* a run: all blocks share one work dir (:mod:`._workdir`), every block's file
  is written before the first runs, blocks run in order, and the run stops at
  the first block that fails (its result is the last one returned), so a later
  block never runs on the wreck of an earlier one (:func:`run_blocks`);
* a block's process: stdout and stderr read together, in the order written,
  capped at ``max_output`` bytes, head and tail kept and the middle replaced by
  ``[output truncated: N bytes dropped]`` (:class:`OutputCapture`); read until
  the process ends or its time is up (:func:`pump`); then its whole process
  group is killed (:func:`kill_group`), so a block's processes never outlive it;
  a timed-out block reports :data:`TIMEOUT_EXIT_CODE`;
* the options both take (:func:`check_options`) and the message a run's
  results make for the coder (:func:`format_results`).
"""

from __future__ import annotations

import collections
import os
import selectors
import signal
import subprocess
import time
from collections.abc import Callable, Sequence
from contextlib import suppress
from pathlib import Path

from fsmchat._core.codeblocks import CodeBlock
from fsmchat._core.errors import CodeRunError, InvalidArgument
from fsmchat._run.ports import CodeResult
from fsmchat.adapters._sandbox import NOBODY
from fsmchat.adapters._workdir import hand_back, open_work_dir, write_blocks

__all__ = [
    "DEFAULT_MAX_OUTPUT",
    "DEFAULT_MEMORY_MB",
    "INTERPRETERS",
    "TIMEOUT_EXIT_CODE",
    "OutputCapture",
    "check_options",
    "format_results",
    "kill_group",
    "pump",
    "run_blocks",
    "unsupported",
]

TIMEOUT_EXIT_CODE = 124  # what GNU timeout(1) reports
DEFAULT_MAX_OUTPUT = 64 * 1024
DEFAULT_MEMORY_MB = 2048
_GRACE = 0.2  # seconds to wait for the pipe to close after the main process exits

#: The languages run, and the interpreter of each (``None``: the runner's Python).
INTERPRETERS = {"python": None, "sh": "sh", "bash": "bash"}


def run_blocks(
    work_dir: str | os.PathLike[str] | None,
    blocks: Sequence[CodeBlock],
    run_one: Callable[[Path, CodeBlock, int], CodeResult],
    *,
    as_nobody: bool = False,
) -> tuple[CodeResult, ...]:
    """Run ``blocks`` in order in one work dir, stopping after the first failure.

    Every block's file is written before the first block runs (see
    :mod:`._workdir`); with ``as_nobody`` the work dir belongs to ``nobody``
    while the blocks run and a kept one is given back to its owner after.
    """
    results: list[CodeResult] = []
    with open_work_dir(work_dir) as held:
        write_blocks(held.path, blocks)
        if as_nobody:
            _chown(held.path, NOBODY, NOBODY)
        try:
            for i, block in enumerate(blocks):
                result = run_one(held.path, block, i)
                results.append(result)
                if not result.ok:
                    break
        finally:
            if as_nobody and held.kept:
                hand_back(held.path, _owner(held.path, held.owner))
    return tuple(results)


def _owner(path: Path, before: tuple[int, int]) -> tuple[int, int]:
    """Who gets a kept work dir back: its owner before the run, unless that was
    ``nobody`` (a run killed before it could hand back): then its parent's owner."""
    if before[0] != NOBODY:
        return before
    try:
        st = os.stat(path.parent)
    except OSError:
        return (os.geteuid(), os.getegid())
    return (st.st_uid, st.st_gid)


def _chown(path: Path, uid: int, gid: int) -> None:
    try:
        os.chown(path, uid, gid)
    except OSError as exc:
        msg = f"cannot hand the work dir {os.fspath(path)!r} to the sandbox user: {exc}"
        raise CodeRunError(msg) from exc


def format_results(results: Sequence[CodeResult]) -> str:
    """Turn the results of one run into the message sent back to the coder.

    Returns:
        ``exitcode: N (execution succeeded|failed)`` then ``Code output:`` and
        each block's output; a timed-out or unsupported block says so.
    """
    if not results:
        return "exitcode: 0 (execution succeeded)\nCode output: (no code block was run)"
    last = results[-1]
    status = "execution succeeded" if last.ok else "execution failed"
    if last.timed_out:
        status = "execution failed: timed out"
    parts = []
    for i, r in enumerate(results, 1):
        lines = []
        if len(results) > 1:
            lines.append(f"[block {i}: {r.language}, exit code {r.exit_code}]")
        lines.append(r.output if r.output else "(no output)")
        note = _signal_note(r)
        if note:
            lines.append(note)
        parts.append("\n".join(lines))
    return f"exitcode: {last.exit_code} ({status})\nCode output:\n" + "\n".join(parts)


def _signal_note(r: CodeResult) -> str:
    if r.timed_out or r.exit_code >= 0:
        return ""
    try:
        name = signal.Signals(-r.exit_code).name
    except ValueError:
        name = f"signal {-r.exit_code}"
    why = {
        "SIGXCPU": " (CPU time limit reached)",
        "SIGKILL": " (killed)",
        "SIGSEGV": " (crashed; the memory limit may be too low)",
        "SIGXFSZ": " (file size limit reached: max_file_mb)",
    }
    return f"[the process was killed by {name}{why.get(name, '')}]"


class OutputCapture:
    """Keeps the head and the tail of a byte stream, counting what it drops."""

    def __init__(self, limit: int) -> None:
        self.head_limit = limit // 2
        self.tail_limit = limit - self.head_limit
        self.head = bytearray()
        self.tail: collections.deque[bytes] = collections.deque()
        self.tail_size = 0
        self.dropped = 0

    def add(self, data: bytes) -> None:
        room = self.head_limit - len(self.head)
        if room > 0:
            self.head += data[:room]
            data = data[room:]
        if not data:
            return
        self.tail.append(data)
        self.tail_size += len(data)
        while self.tail_size > self.tail_limit:
            first = self.tail[0]
            excess = self.tail_size - self.tail_limit
            if len(first) <= excess:
                self.tail.popleft()
                self.tail_size -= len(first)
                self.dropped += len(first)
            else:
                self.tail[0] = first[excess:]
                self.tail_size -= excess
                self.dropped += excess

    def text(self) -> str:
        head = bytes(self.head).decode("utf-8", errors="replace")
        tail = b"".join(self.tail).decode("utf-8", errors="replace")
        if self.dropped:
            marker = f"\n[output truncated: {self.dropped} bytes dropped]\n"
            return head + marker + tail
        return head + tail


def check_options(timeout: float, max_output: int) -> None:
    """Refuse a ``timeout`` or ``max_output`` no runner can keep (:class:`InvalidArgument`)."""
    if not (isinstance(timeout, int | float) and timeout > 0):
        msg = f"timeout must be a positive number of seconds, got {timeout!r}"
        raise InvalidArgument(msg)
    if not (isinstance(max_output, int) and max_output >= 64):
        msg = f"max_output must be an int >= 64 (bytes), got {max_output!r}"
        raise InvalidArgument(msg)


def unsupported(block: CodeBlock) -> CodeResult:
    """The result of a block in a language no runner runs (nothing is started)."""
    lang = block.language or "unknown"
    supported = ", ".join(sorted(INTERPRETERS))
    return CodeResult(
        language=lang,
        exit_code=1,
        output=f"unsupported language {lang!r}: only {supported} blocks are run",
    )


def pump(
    proc: subprocess.Popen[bytes], capture: OutputCapture, deadline: float
) -> bool:
    """Read the child's output until it is done; return True on timeout.

    Raises:
        CodeRunError: reading the output failed (an OS error).
    """
    try:
        return _read_until_done(proc, capture, deadline)
    except OSError as exc:
        msg = f"reading the output of a code block failed: {exc}"
        raise CodeRunError(msg) from exc


def _read_until_done(
    proc: subprocess.Popen[bytes], capture: OutputCapture, deadline: float
) -> bool:
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    exited_at: float | None = None
    with selectors.DefaultSelector() as sel:
        sel.register(fd, selectors.EVENT_READ)
        while True:
            now = time.monotonic()
            if exited_at is None and proc.poll() is not None:
                exited_at = now
            if exited_at is not None and now - exited_at > _GRACE:
                return False  # the main process is done; stragglers hold the pipe
            if now >= deadline:
                return exited_at is None
            wait = min(deadline - now, 0.1)
            if not sel.select(timeout=wait):
                continue
            data = os.read(fd, 65536)
            if not data:
                break
            capture.add(data)
    try:
        proc.wait(timeout=max(0.0, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        return True
    return False


def kill_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the child's whole process group (it leads its own session)."""
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
