"""Running code blocks as local processes: on the host, or in a bubblewrap sandbox.

Rules
-----
* :class:`CodeRunner` is the port: ``run(blocks) -> tuple[CodeResult, ...]``.
  What every runner does alike (languages, one work dir per run, stop at the
  first failure, capped output, the whole process group killed at the end) is
  in :mod:`._blocks`; this module says how a local block is started.
* ``python`` blocks run with the interpreter running fsmchat
  (``sys.executable``, or ``python=``); ``sh`` blocks with ``sh``; ``bash``
  blocks with ``bash``.
* The work dir is a fresh temporary directory, deleted afterwards, unless
  ``work_dir`` is configured (then it is created if needed and kept, so files
  persist across runs); a kept work dir goes back to its owner with safe modes
  after the run (:mod:`._workdir`). Any OS error of the runner (a full disk
  included) is a :class:`~fsmchat.CodeRunError`.
* :class:`LocalCodeRunner` starts each block in a new session (its own process
  group). When the block's time is up (``timeout`` seconds of wall time) the
  whole group is killed with SIGKILL and the result says ``timed_out``.
* By default each block runs in a bubblewrap sandbox (:mod:`._sandbox`): no
  network, no parent secret (the environment is an allow-list plus ``env=``),
  the system read-only, the work dir the only writable place, every descendant
  killed with the block, at most ``max_processes`` processes. Without a working
  ``bwrap`` :meth:`LocalCodeRunner.run` raises :class:`~fsmchat.CodeRunError`.
  ``bwrap`` reports a block killed by signal N as exit code 128 + N; sandbox
  results turn that back into ``-N``, as for host processes.
* ``sandbox=False`` (an explicit opt-out, warned about once) runs blocks on the
  host as the user, with the parent's environment minus secrets
  (:func:`scrub_env`'s deny-list); ``keep_secrets=True`` keeps them; ``env=``
  adds variables (never stripped: you asked for them).
* Limits of a block. Where fsmchat may make a cgroup v2 (:mod:`._cgroup`),
  each block runs in its own with ``memory.max = memory_mb`` (every process of
  the block and its tmpfs together) and ``pids.max = max_processes``.
  Everywhere, through :mod:`resource` in the child: CPU time (``RLIMIT_CPU``,
  default the timeout rounded up plus one second), address space per process
  (``RLIMIT_AS``, default 2048 MiB), the largest file written (``RLIMIT_FSIZE``,
  ``max_file_mb``, default 1024 MiB); in the sandbox also ``RLIMIT_NPROC``
  (``max_processes``) and a ``/tmp`` tmpfs of ``tmp_mb`` MiB (default 256).
  Without a cgroup a block's memory is bounded by
  ``max_processes * memory_mb + tmp_mb``, not by ``memory_mb``.
* :class:`~fsmchat.adapters._docker.DockerCodeRunner` runs blocks in a container.
"""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from fsmchat._core.codeblocks import CodeBlock
from fsmchat._core.errors import CodeRunError, InvalidArgument
from fsmchat._run.ports import CodeResult, CodeRunner
from fsmchat.adapters._blocks import (
    DEFAULT_MAX_OUTPUT,
    DEFAULT_MEMORY_MB,
    INTERPRETERS,
    TIMEOUT_EXIT_CODE,
    OutputCapture,
    check_options,
    kill_group,
    pump,
    run_blocks,
    unsupported,
)
from fsmchat.adapters._cgroup import BlockCgroup, make_cgroup
from fsmchat.adapters._sandbox import (
    SECRET_MARKERS,
    bwrap_argv,
    check_sandbox,
    run_as_nobody,
    sandbox_env,
    scrub_env,
    warn_host_mode,
)
from fsmchat.adapters._workdir import block_name

__all__ = [
    "SECRET_MARKERS",
    "CodeResult",
    "CodeRunner",
    "LocalCodeRunner",
    "scrub_env",
]

DEFAULT_MAX_PROCESSES = 256
DEFAULT_TMP_MB = 256
DEFAULT_FILE_MB = 1024
_MIB = 1024 * 1024


class LocalCodeRunner:
    """Runs code blocks as local processes (see the module rules).

    Args:
        work_dir: a directory to run in (kept); default a fresh temporary one
            per :meth:`run`.
        timeout: wall-clock seconds per block.
        max_output: bytes of output kept per block.
        cpu_seconds: RLIMIT_CPU per process (default ``ceil(timeout) + 1``).
        memory_mb: RLIMIT_AS per process in MiB, and the whole block's
            ``memory.max`` where a cgroup v2 can be made (``None``: no limit).
        env: variables added to the child's environment.
        keep_secrets: host mode only: pass secret-looking variables through.
        python: the interpreter for ``python`` blocks (default ``sys.executable``).
        sandbox: run each block in a bubblewrap sandbox (default). ``False``
            runs blocks on the host as you (warned about once per process).
        max_processes: sandbox mode: the most processes a block may have.
        tmp_mb: sandbox mode: the size of the block's ``/tmp`` (a tmpfs) in MiB.
        max_file_mb: RLIMIT_FSIZE in MiB: the largest file a block may write.

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
        sandbox: bool = True,
        max_processes: int = DEFAULT_MAX_PROCESSES,
        tmp_mb: int = DEFAULT_TMP_MB,
        max_file_mb: int = DEFAULT_FILE_MB,
    ) -> None:
        check_options(timeout, max_output)
        for name, value in (("tmp_mb", tmp_mb), ("max_file_mb", max_file_mb)):
            if not (
                isinstance(value, int) and not isinstance(value, bool) and value >= 1
            ):
                msg = f"{name} must be an int >= 1 (MiB), got {value!r}"
                raise InvalidArgument(msg)
        if cpu_seconds is not None and cpu_seconds < 1:
            msg = f"cpu_seconds must be >= 1, got {cpu_seconds!r}"
            raise InvalidArgument(msg)
        if memory_mb is not None and memory_mb < 16:
            msg = f"memory_mb must be >= 16 (MiB) or None, got {memory_mb!r}"
            raise InvalidArgument(msg)
        if not isinstance(sandbox, bool):
            msg = f"sandbox must be True or False, got {sandbox!r}"
            raise InvalidArgument(msg)
        if not (isinstance(max_processes, int) and max_processes >= 4):
            msg = f"max_processes must be an int >= 4, got {max_processes!r}"
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
        self.sandbox = sandbox
        self.max_processes = max_processes
        self.tmp_mb = tmp_mb
        self.max_file_mb = max_file_mb

    def __repr__(self) -> str:
        return (
            f"LocalCodeRunner(work_dir={self.work_dir!r}, timeout={self.timeout}, "
            f"cpu_seconds={self.cpu_seconds}, memory_mb={self.memory_mb}, "
            f"sandbox={self.sandbox})"
        )

    def child_env(self, work_dir: Path | None = None) -> dict[str, str]:
        """Return the environment a block runs with (in ``work_dir``).

        Sandbox mode: only PATH, LANG, HOME (the work dir), TMPDIR and ``env``.
        Host mode: the parent's environment minus secrets, plus ``env``.
        """
        if self.sandbox:
            home = work_dir if work_dir is not None else Path(tempfile.gettempdir())
            return sandbox_env(home, self.env, python=self.python)
        base = dict(os.environ) if self.keep_secrets else scrub_env(os.environ)
        base.update(self.env)
        return base

    def check(self) -> None:
        """Make sure blocks can run as configured (a working ``bwrap`` when sandboxed).

        Raises:
            CodeRunError: bubblewrap is missing or cannot sandbox here; the
                message names the fix and the opt-out.
        """
        if self.sandbox:
            check_sandbox()

    def run(self, blocks: Sequence[CodeBlock]) -> tuple[CodeResult, ...]:
        """Run ``blocks`` in order, stopping after the first failure.

        Returns:
            One result per block run.

        Raises:
            CodeRunError: the sandbox is unavailable (see :meth:`check`), the
                work directory cannot be made, or a process cannot be started.
        """
        if self.sandbox:
            check_sandbox()
        else:
            warn_host_mode()
        return run_blocks(
            self.work_dir,
            blocks,
            self._run_one,
            as_nobody=self.sandbox and run_as_nobody(),
        )

    def _run_one(self, directory: Path, block: CodeBlock, index: int) -> CodeResult:
        if block.language not in INTERPRETERS:
            return unsupported(block)
        interpreter = INTERPRETERS[block.language] or self.python
        exe = shutil.which(interpreter)
        if exe is None:
            return CodeResult(
                language=block.language,
                exit_code=1,
                output=f"cannot run a {block.language} block: {interpreter!r} was not found on PATH",
            )
        name = block_name(block, index)
        if not self.sandbox:
            return self._execute([exe, name], directory, block.language)
        argv = bwrap_argv(
            check_sandbox(),
            directory,
            self.child_env(directory),
            [os.path.abspath(exe), name],
            python=self.python,
            max_processes=self.max_processes,
            tmp_bytes=self.tmp_mb * _MIB,
        )
        return self._execute(argv, directory, block.language)

    def _limits(self, group: BlockCgroup | None) -> Callable[[], None] | None:
        try:
            import resource
        except ImportError:  # pragma: no cover - not POSIX
            return None
        cpu = self.cpu_seconds
        memory = None if self.memory_mb is None else self.memory_mb * _MIB
        fsize = self.max_file_mb * _MIB

        def apply() -> None:  # runs in the child, between fork and exec
            if group is not None:
                group.join()
            resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
            resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
            if memory is not None:
                resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

        return apply

    def _execute(self, argv: list[str], cwd: Path, language: str) -> CodeResult:
        # The cgroup, the start, the pump and the kill belong together: a
        # group or a process left behind on any path is a leak.
        capture = OutputCapture(self.max_output)
        memory = None if self.memory_mb is None else self.memory_mb * _MIB
        group = make_cgroup(memory, self.max_processes)
        try:
            try:
                proc = subprocess.Popen(
                    argv,
                    cwd=cwd,
                    env=self.child_env(cwd),
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                    preexec_fn=self._limits(group),  # limits are set in the child
                )
            except (OSError, subprocess.SubprocessError) as exc:
                msg = f"cannot start {argv[0]!r} for a {language} block in {os.fspath(cwd)!r}: {exc}"
                raise CodeRunError(msg) from exc
            assert proc.stdout is not None
            try:
                timed_out = pump(proc, capture, time.monotonic() + self.timeout)
            finally:
                kill_group(proc)
                proc.stdout.close()
        finally:
            if group is not None:
                group.remove()
        code = TIMEOUT_EXIT_CODE if timed_out else proc.returncode
        if self.sandbox and 128 < code <= 128 + 64:
            code = 128 - code  # bwrap reports a block killed by signal N as 128 + N
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
