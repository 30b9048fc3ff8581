"""Running code blocks in Docker: the ``use_docker`` code runner.

The container gets the work dir at ``/workspace``, no network by default and no
variable of the host environment except ``env``. If Docker is requested and the
engine cannot be reached, :class:`~fsmchat.CodeRunError` says so; there is never
a fallback to running code on the host.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path

from fsmchat._core.codeblocks import CodeBlock
from fsmchat._core.errors import CodeRunError
from fsmchat._run.ports import CodeResult
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
from fsmchat.adapters._workdir import block_name

__all__ = ["DockerCodeRunner"]


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
        check_options(timeout, max_output)
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
        return run_blocks(self.work_dir, blocks, self._run_one)

    def _argv(
        self, directory: Path, block: CodeBlock, index: int, name: str
    ) -> list[str]:
        """The ``docker run`` command line of one block, in a container called ``name``."""
        interpreter = INTERPRETERS[block.language] or "python"
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
        return [*argv, self.image, interpreter, block_name(block, index)]

    def _run_one(self, directory: Path, block: CodeBlock, index: int) -> CodeResult:
        # The start, the pump and the kill belong together: a container left
        # running on any path is a leak.
        if block.language not in INTERPRETERS:
            return unsupported(block)
        name = f"fsmchat-{uuid.uuid4().hex[:12]}"
        argv = self._argv(directory, block, index, name)
        capture = OutputCapture(self.max_output)
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
            timed_out = pump(proc, capture, time.monotonic() + self.timeout)
        finally:
            if proc.poll() is None:
                subprocess.run(
                    [self.docker, "kill", name],
                    capture_output=True,
                    timeout=30,
                    check=False,
                )
            kill_group(proc)
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
