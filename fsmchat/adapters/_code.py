"""Running code blocks: the code-runner port and its local and Docker adapters.

This is the only fsmchat module that imports :mod:`subprocess`.

Rules
-----
* :class:`CodeRunner` is the port: ``run(blocks) -> tuple[CodeResult, ...]``.
  Blocks run in order and the run stops at the first block that fails (its
  result is the last one returned), so a later block never runs on the wreck
  of an earlier one.
* ``python`` blocks run with the interpreter running fsmchat
  (``sys.executable``, or ``python=``); ``sh`` blocks with ``sh``; ``bash``
  blocks with ``bash``. Any other language is answered, without running
  anything, as ``unsupported language 'X'`` (exit code 1).
* All blocks of one ``run`` share one work directory: a fresh temporary
  directory, deleted afterwards, unless ``work_dir`` is configured (then it is
  created if needed and kept, so files persist across runs).
* :class:`LocalCodeRunner` starts each block in a new session (its own process
  group). When the block's time is up (``timeout`` seconds of wall time) the
  whole group is killed with SIGKILL and the result says ``timed_out``. When the
  block's main process exits, anything it left running in its group is killed
  too: a block's processes never outlive it.
* stdout and stderr are captured together, in the order written, and capped at
  ``max_output`` bytes: the head and the tail are kept and the middle replaced
  by ``[output truncated: N bytes dropped]``.
* The child's environment is the parent's minus secrets: every variable whose
  name contains KEY, TOKEN, SECRET, PASSWORD, PASSWD, CREDENTIAL, AUTH or
  PRIVATE (case-insensitive), and every variable whose value is a URL with a
  password (``scheme://user:pass@host``). ``keep_secrets=True`` keeps them;
  ``env=`` adds variables (never stripped: you asked for them).
* CPU time (``RLIMIT_CPU``, default: the timeout rounded up, plus one second)
  and address space (``RLIMIT_AS``, default 2048 MiB) are limited in the child
  through :mod:`resource` (POSIX only).
* :class:`DockerCodeRunner` runs blocks in a container. If Docker is requested
  and the engine cannot be reached it raises :class:`~fsmchat.CodeRunError`
  saying so; it never falls back to running code on the host.
"""

from __future__ import annotations

import collections
import math
import os
import re
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path

from fsmchat._core.codeblocks import CodeBlock
from fsmchat._core.errors import CodeRunError, InvalidArgument
from fsmchat._run.ports import CodeResult, CodeRunner

__all__ = [
    "SECRET_MARKERS",
    "CodeResult",
    "CodeRunner",
    "DockerCodeRunner",
    "LocalCodeRunner",
    "format_results",
    "scrub_env",
]

SECRET_MARKERS = (
    "KEY",
    "TOKEN",
    "SECRET",
    "PASSWORD",
    "PASSWD",
    "CREDENTIAL",
    "AUTH",
    "PRIVATE",
)
_URL_WITH_PASSWORD = re.compile(r"[a-z][a-z0-9+.-]*://[^/\s:@]+:[^/\s@]+@", re.I)
TIMEOUT_EXIT_CODE = 124  # what GNU timeout(1) reports
DEFAULT_MAX_OUTPUT = 64 * 1024
DEFAULT_MEMORY_MB = 2048
_GRACE = 0.2  # seconds to wait for the pipe to close after the main process exits

_INTERPRETERS = {"python": None, "sh": "sh", "bash": "bash"}
_SUFFIX = {"python": ".py", "sh": ".sh", "bash": ".sh"}


def _run_blocks(
    work_dir: str | os.PathLike[str] | None,
    blocks: Sequence[CodeBlock],
    run_one: Callable[[Path, CodeBlock, int], CodeResult],
) -> tuple[CodeResult, ...]:
    """Run ``blocks`` in order in one work dir, stopping after the first failure."""
    results: list[CodeResult] = []
    with _work_dir(work_dir) as directory:
        for i, block in enumerate(blocks):
            result = run_one(directory, block, i)
            results.append(result)
            if not result.ok:
                break
    return tuple(results)


def scrub_env(env: Mapping[str, str]) -> dict[str, str]:
    """Return ``env`` without secrets (see the module rules for what counts).

    Returns:
        A new dict holding every variable of ``env`` that is not a secret.
    """
    out = {}
    for name, value in env.items():
        upper = name.upper()
        if any(marker in upper for marker in SECRET_MARKERS):
            continue
        if _URL_WITH_PASSWORD.search(value):
            continue
        out[name] = value
    return out


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
    }
    return f"[the process was killed by {name}{why.get(name, '')}]"


class _Capture:
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


def _check_options(timeout: float, max_output: int) -> None:
    if not (isinstance(timeout, int | float) and timeout > 0):
        msg = f"timeout must be a positive number of seconds, got {timeout!r}"
        raise InvalidArgument(msg)
    if not (isinstance(max_output, int) and max_output >= 64):
        msg = f"max_output must be an int >= 64 (bytes), got {max_output!r}"
        raise InvalidArgument(msg)


@contextmanager
def _work_dir(configured: str | os.PathLike[str] | None) -> Iterator[Path]:
    if configured is not None:
        path = Path(configured)
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            msg = f"cannot create the code work_dir {os.fspath(path)!r}: {exc}"
            raise CodeRunError(msg) from exc
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="fsmchat-code-") as tmp:
        yield Path(tmp)


def _write_block(directory: Path, block: CodeBlock, index: int) -> Path:
    path = directory / f"fsmchat_block_{index}{_SUFFIX[block.language]}"
    path.write_text(block.code + "\n", encoding="utf-8")
    return path


def _unsupported(block: CodeBlock) -> CodeResult:
    lang = block.language or "unknown"
    supported = ", ".join(sorted(_INTERPRETERS))
    return CodeResult(
        language=lang,
        exit_code=1,
        output=f"unsupported language {lang!r}: only {supported} blocks are run",
    )


class LocalCodeRunner:
    """Runs code blocks as local processes (see the module rules).

    Args:
        work_dir: a directory to run in (kept); default a fresh temporary one
            per :meth:`run`.
        timeout: wall-clock seconds per block.
        max_output: bytes of output kept per block.
        cpu_seconds: RLIMIT_CPU per process (default ``ceil(timeout) + 1``).
        memory_mb: RLIMIT_AS per process in MiB (``None``: no limit).
        env: variables added to the child's environment.
        keep_secrets: pass secret-looking variables through unchanged.
        python: the interpreter for ``python`` blocks (default ``sys.executable``).

    Raises:
        InvalidArgument: an option is out of range.
    """

    def __init__(
        self,
        work_dir: str | os.PathLike[str] | None = None,
        *,
        timeout: float = 60,
        max_output: int = DEFAULT_MAX_OUTPUT,
        cpu_seconds: int | None = None,
        memory_mb: int | None = DEFAULT_MEMORY_MB,
        env: Mapping[str, str] | None = None,
        keep_secrets: bool = False,
        python: str | None = None,
    ) -> None:
        _check_options(timeout, max_output)
        if cpu_seconds is not None and cpu_seconds < 1:
            msg = f"cpu_seconds must be >= 1, got {cpu_seconds!r}"
            raise InvalidArgument(msg)
        if memory_mb is not None and memory_mb < 16:
            msg = f"memory_mb must be >= 16 (MiB) or None, got {memory_mb!r}"
            raise InvalidArgument(msg)
        self.work_dir = work_dir
        self.timeout = float(timeout)
        self.max_output = max_output
        self.cpu_seconds = (
            cpu_seconds if cpu_seconds is not None else math.ceil(timeout) + 1
        )
        self.memory_mb = memory_mb
        self.env = dict(env or {})
        self.keep_secrets = keep_secrets
        self.python = python or sys.executable

    def __repr__(self) -> str:
        return (
            f"LocalCodeRunner(work_dir={self.work_dir!r}, timeout={self.timeout}, "
            f"cpu_seconds={self.cpu_seconds}, memory_mb={self.memory_mb})"
        )

    def child_env(self) -> dict[str, str]:
        """Return the environment a block runs with."""
        base = dict(os.environ) if self.keep_secrets else scrub_env(os.environ)
        base.update(self.env)
        return base

    def run(self, blocks: Sequence[CodeBlock]) -> tuple[CodeResult, ...]:
        """Run ``blocks`` in order, stopping after the first failure.

        Returns:
            One result per block run.

        Raises:
            CodeRunError: the work directory cannot be made, or a process
                cannot be started at all.
        """
        return _run_blocks(self.work_dir, blocks, self._run_one)

    def _run_one(self, directory: Path, block: CodeBlock, index: int) -> CodeResult:
        if block.language not in _INTERPRETERS:
            return _unsupported(block)
        interpreter = _INTERPRETERS[block.language] or self.python
        exe = shutil.which(interpreter)
        if exe is None:
            return CodeResult(
                language=block.language,
                exit_code=1,
                output=f"cannot run a {block.language} block: {interpreter!r} was not found on PATH",
            )
        path = _write_block(directory, block, index)
        return self._execute([exe, path.name], directory, block.language)

    def _limits(self) -> Callable[[], None] | None:
        try:
            import resource
        except ImportError:  # pragma: no cover - not POSIX
            return None
        cpu = self.cpu_seconds
        memory = None if self.memory_mb is None else self.memory_mb * 1024 * 1024

        def apply() -> None:  # runs in the child, between fork and exec
            resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
            if memory is not None:
                resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

        return apply

    def _execute(self, argv: list[str], cwd: Path, language: str) -> CodeResult:
        capture = _Capture(self.max_output)
        try:
            proc = subprocess.Popen(
                argv,
                cwd=cwd,
                env=self.child_env(),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=self._limits(),  # rlimits must be set in the child
            )
        except OSError as exc:
            msg = f"cannot start {argv[0]!r} for a {language} block in {os.fspath(cwd)!r}: {exc}"
            raise CodeRunError(msg) from exc
        timed_out = False
        assert proc.stdout is not None
        try:
            timed_out = _pump(proc, capture, time.monotonic() + self.timeout)
        finally:
            _kill_group(proc)
            proc.stdout.close()
        code = TIMEOUT_EXIT_CODE if timed_out else proc.returncode
        output = capture.text()
        if timed_out:
            output += f"\n[timed out after {self.timeout:g} s: the block's processes were killed]"
        return CodeResult(
            language=language,
            exit_code=code,
            output=output.strip("\n"),
            timed_out=timed_out,
            dropped=capture.dropped,
        )


def _pump(proc: subprocess.Popen[bytes], capture: _Capture, deadline: float) -> bool:
    """Read the child's output until it is done; return True on timeout."""
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


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the child's whole process group (it leads its own session)."""
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


# --------------------------------------------------------------------------
# Docker


class DockerCodeRunner:
    """Runs code blocks in a Docker container (``docker run --rm``).

    The work directory is mounted at ``/workspace``; the container gets no
    network (``network="none"``, change it if the code needs to download) and
    no variable of the host environment except ``env``. The Docker engine is
    checked on first use.

    Raises:
        CodeRunError: (from :meth:`run` and :meth:`check`) the docker CLI is
            missing or its engine cannot be reached. There is no fallback to
            local execution.
    """

    def __init__(
        self,
        image: str = "python:3-slim",
        *,
        work_dir: str | os.PathLike[str] | None = None,
        timeout: float = 60,
        max_output: int = DEFAULT_MAX_OUTPUT,
        memory_mb: int | None = DEFAULT_MEMORY_MB,
        cpus: float | None = 1.0,
        network: str = "none",
        env: Mapping[str, str] | None = None,
        docker: str = "docker",
    ) -> None:
        _check_options(timeout, max_output)
        self.image = image
        self.work_dir = work_dir
        self.timeout = float(timeout)
        self.max_output = max_output
        self.memory_mb = memory_mb
        self.cpus = cpus
        self.network = network
        self.env = dict(env or {})
        self.docker = docker
        self._checked = False

    def __repr__(self) -> str:
        return f"DockerCodeRunner(image={self.image!r}, timeout={self.timeout})"

    def check(self) -> None:
        """Make sure the docker CLI exists and its engine answers.

        Raises:
            CodeRunError: it does not; the message says what to do.
        """
        if self._checked:
            return
        exe = shutil.which(self.docker)
        advice = (
            "Start the Docker engine (or fix DOCKER_HOST), or set "
            "code_execution_config={'use_docker': False} to run code locally "
            "without container isolation"
        )
        if exe is None:
            msg = f"code execution in Docker was requested but the {self.docker!r} command is not on PATH. {advice}."
            raise CodeRunError(msg)
        try:
            done = subprocess.run(
                [exe, "version", "--format", "{{.Server.Version}}"],
                capture_output=True,
                text=True,
                timeout=20,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            msg = f"code execution in Docker was requested but {self.docker!r} did not answer: {exc}. {advice}."
            raise CodeRunError(msg) from exc
        if done.returncode != 0 or not done.stdout.strip():
            why = (done.stderr or done.stdout).strip().splitlines()
            detail = why[-1] if why else f"exit code {done.returncode}"
            msg = f"code execution in Docker was requested but the Docker engine is not available ({detail}). {advice}."
            raise CodeRunError(msg)
        self._checked = True

    def run(self, blocks: Sequence[CodeBlock]) -> tuple[CodeResult, ...]:
        """Run ``blocks`` in one container each, in order, stopping after a failure.

        Returns:
            One result per block run.

        Raises:
            CodeRunError: Docker is unavailable (see :meth:`check`).
        """
        self.check()
        return _run_blocks(self.work_dir, blocks, self._run_one)

    def _run_one(self, directory: Path, block: CodeBlock, index: int) -> CodeResult:
        if block.language not in _INTERPRETERS:
            return _unsupported(block)
        path = _write_block(directory, block, index)
        interpreter = _INTERPRETERS[block.language] or "python"
        name = f"fsmchat-{uuid.uuid4().hex[:12]}"
        argv = [
            self.docker,
            "run",
            "--rm",
            "--name",
            name,
            "--network",
            self.network,
            "-v",
            f"{directory.resolve()}:/workspace",
            "-w",
            "/workspace",
        ]
        if self.memory_mb is not None:
            argv += ["--memory", f"{self.memory_mb}m"]
        if self.cpus is not None:
            argv += ["--cpus", str(self.cpus)]
        for key, value in self.env.items():
            argv += ["-e", f"{key}={value}"]
        argv += [self.image, interpreter, path.name]
        capture = _Capture(self.max_output)
        try:
            proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        except OSError as exc:
            msg = f"cannot start docker for a {block.language} block: {exc}"
            raise CodeRunError(msg) from exc
        assert proc.stdout is not None
        try:
            timed_out = _pump(proc, capture, time.monotonic() + self.timeout)
        finally:
            if proc.poll() is None:
                subprocess.run(
                    [self.docker, "kill", name],
                    capture_output=True,
                    timeout=30,
                    check=False,
                )
            _kill_group(proc)
            proc.stdout.close()
        output = capture.text()
        if timed_out:
            output += (
                f"\n[timed out after {self.timeout:g} s: the container was killed]"
            )
        return CodeResult(
            language=block.language,
            exit_code=TIMEOUT_EXIT_CODE if timed_out else proc.returncode,
            output=output.strip("\n"),
            timed_out=timed_out,
            dropped=capture.dropped,
        )
