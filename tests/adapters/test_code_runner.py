"""The local and Docker code runners (fsmchat.adapters._code), with real processes."""

from __future__ import annotations

import os
import shutil
import sys
import textwrap
import time
from pathlib import Path

import pytest

from fsmchat import CodeRunError, InvalidArgument
from fsmchat._core.codeblocks import CodeBlock
from fsmchat.adapters._blocks import TIMEOUT_EXIT_CODE, format_results
from fsmchat.adapters._code import CodeResult, LocalCodeRunner, scrub_env
from fsmchat.adapters._docker import DockerCodeRunner
from tests.helpers import skip_if_docker_engine

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="POSIX process groups")


def py(code: str) -> CodeBlock:
    return CodeBlock(language="python", code=textwrap.dedent(code).strip())


def sh(code: str) -> CodeBlock:
    return CodeBlock(language="sh", code=textwrap.dedent(code).strip())


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie still answers kill(0); look at its state where /proc exists
    stat = Path(f"/proc/{pid}/stat")
    if stat.exists():
        try:
            return stat.read_text().split(") ", 1)[1][0] != "Z"
        except (OSError, IndexError):
            return False
    return True


def test_python_and_shell_blocks_run_and_report_exit_codes() -> None:
    """Each block's output and exit code come back; a failing block stops the run."""
    results = LocalCodeRunner().run(
        [
            py("print('hello from python')"),
            sh("echo hello from sh; exit 3"),
            py("print('never runs')"),
        ]
    )
    assert [r.exit_code for r in results] == [0, 3]
    assert results[0].output == "hello from python"
    assert results[1].output == "hello from sh"
    assert not results[1].ok


def test_stdout_and_stderr_are_captured_together() -> None:
    """Errors (stderr) appear in the output, e.g. a traceback."""
    (result,) = LocalCodeRunner().run([py("print('before'); 1/0")])
    assert result.exit_code == 1
    assert "before" in result.output
    assert "ZeroDivisionError" in result.output


def test_unsupported_language_is_answered_without_running() -> None:
    """A javascript block gets 'unsupported language' and exit code 1."""
    (result,) = LocalCodeRunner().run([CodeBlock(language="javascript", code="1")])
    assert result.exit_code == 1
    assert "unsupported language 'javascript'" in result.output


@posix_only
def test_infinite_loop_is_killed_at_the_timeout() -> None:
    """`while True: pass` with timeout=1 is killed and reported as a timeout."""
    runner = LocalCodeRunner(timeout=1)
    (result,) = runner.run([py("print('started', flush=True)\nwhile True: pass")])
    assert result.timed_out
    assert result.exit_code == TIMEOUT_EXIT_CODE
    assert "started" in result.output
    message = format_results([result])
    assert message.startswith(
        f"exitcode: {TIMEOUT_EXIT_CODE} (execution failed: timed out)"
    )


@posix_only
def test_timeout_kills_the_whole_process_tree(tmp_path: Path) -> None:
    """A grandchild that sleeps is killed with its parent when the block times out."""
    pidfile = tmp_path / "grandchild.pid"
    block = py(
        f"""
        import subprocess, sys, time
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
        open({str(pidfile)!r}, "w").write(str(child.pid))
        time.sleep(60)
        """
    )
    (result,) = LocalCodeRunner(timeout=1.5, sandbox=False).run([block])
    assert result.timed_out  # killed at 1.5 s, not after the 60 s sleep
    pid = int(pidfile.read_text())
    deadline = time.monotonic() + 5
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(pid), "the grandchild survived the timeout"


@posix_only
def test_background_processes_do_not_outlive_their_block(tmp_path: Path) -> None:
    """A block that exits leaving `sleep &` behind returns promptly and the sleep dies."""
    pidfile = tmp_path / "bg.pid"
    (result,) = LocalCodeRunner(timeout=30, sandbox=False).run(
        [sh(f"sleep 60 &\necho $! > {pidfile}\necho done")]
    )
    assert result.ok  # had it waited for the 60 s sleep, the 30 s timeout would show
    assert result.output == "done"
    pid = int(pidfile.read_text())
    deadline = time.monotonic() + 5
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(pid)


def test_secrets_are_stripped_from_the_child_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Host mode: a block printing os.environ shows no OPENAI_API_KEY although the parent has one."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", "azure-secret")
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_secret")
    monkeypatch.setenv("DATABASE_URL", "postgres://me:hunter2@db/x")
    monkeypatch.setenv("FSMCHAT_HARMLESS", "visible")
    (result,) = LocalCodeRunner(sandbox=False).run(
        [py("import os; print(dict(os.environ))")]
    )
    assert result.ok
    assert "OPENAI_API_KEY" not in result.output
    assert "sk-test-not-a-real-key" not in result.output
    for leaked in ("azure-secret", "ghp_secret", "hunter2"):
        assert leaked not in result.output
    assert "visible" in result.output


def test_keep_secrets_and_explicit_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Host mode: keep_secrets=True passes secrets through; env= adds variables."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-kept")
    runner = LocalCodeRunner(keep_secrets=True, env={"EXTRA_VAR": "42"}, sandbox=False)
    (result,) = runner.run(
        [py("import os; print(os.environ['OPENAI_API_KEY'], os.environ['EXTRA_VAR'])")]
    )
    assert result.output == "sk-kept 42"


def test_scrub_env_rules() -> None:
    """Names with secret markers and URLs with passwords are dropped, the rest kept."""
    env = {
        "PATH": "/bin",
        "MY_API_KEY": "x",
        "some_token": "x",
        "SSH_AUTH_SOCK": "x",
        "AWS_SECRET_ACCESS_KEY": "x",
        "HOME": "/root",
        "PROXY": "http://user:pw@proxy:8080",
        "SITE": "https://example.org/a:b",
    }
    assert scrub_env(env) == {
        "PATH": "/bin",
        "HOME": "/root",
        "SITE": "https://example.org/a:b",
    }


def test_output_is_capped_with_a_marker() -> None:
    """Output beyond max_output keeps head and tail and says how much was dropped."""
    block = py("print('A' * 5000 + 'B' * 5000 + 'END')")
    (result,) = LocalCodeRunner(max_output=1000).run([block])
    assert result.ok
    assert result.dropped == 10004 - 1000
    assert f"[output truncated: {result.dropped} bytes dropped]" in result.output
    assert result.output.startswith("A" * 500)
    assert result.output.endswith("END")


@posix_only
def test_memory_rlimit_stops_a_large_allocation() -> None:
    """With memory_mb=256 allocating 1 GiB fails with MemoryError."""
    (result,) = LocalCodeRunner(memory_mb=256).run(
        [py("x = bytearray(1024 * 1024 * 1024)\nprint('allocated')")]
    )
    assert result.exit_code != 0
    assert "MemoryError" in result.output
    assert "allocated" not in result.output


@posix_only
def test_cpu_rlimit_kills_a_busy_loop() -> None:
    """cpu_seconds=1 ends a busy loop by SIGXCPU before a long wall-clock timeout."""
    (result,) = LocalCodeRunner(timeout=20, cpu_seconds=1).run([py("while True: pass")])
    assert not result.timed_out
    assert result.exit_code < 0
    assert "SIGXCPU" in format_results([result])


def test_blocks_share_a_fresh_temporary_directory() -> None:
    """Blocks of one run share a new directory, removed afterwards."""
    runner = LocalCodeRunner()
    results = runner.run(
        [
            py("import os; open('data.txt', 'w').write('42'); print(os.getcwd())"),
            sh("cat data.txt"),
        ]
    )
    assert results[1].output == "42"
    assert not Path(results[0].output).exists()
    (again,) = runner.run([sh("ls")])
    assert "data.txt" not in again.output


def test_configured_work_dir_is_kept(tmp_path: Path) -> None:
    """With work_dir, files persist across runs."""
    runner = LocalCodeRunner(tmp_path / "work")
    runner.run([py("open('kept.txt', 'w').write('yes')")])
    (result,) = runner.run([sh("cat kept.txt")])
    assert result.output == "yes"


def test_invalid_options_are_refused() -> None:
    """Non-positive timeouts and tiny caps raise InvalidArgument."""
    with pytest.raises(InvalidArgument, match="timeout"):
        LocalCodeRunner(timeout=0)
    with pytest.raises(InvalidArgument, match="max_output"):
        LocalCodeRunner(max_output=1)
    with pytest.raises(InvalidArgument, match="memory_mb"):
        LocalCodeRunner(memory_mb=1)


def test_format_results_wording() -> None:
    """The message sent back names the exit code, success, and each block's output."""
    ok = CodeResult(language="python", exit_code=0, output="7")
    assert format_results([ok]) == "exitcode: 0 (execution succeeded)\nCode output:\n7"
    bad = CodeResult(language="sh", exit_code=2, output="")
    text = format_results([ok, bad])
    assert text.startswith("exitcode: 2 (execution failed)")
    assert "[block 1: python, exit code 0]\n7" in text
    assert "[block 2: sh, exit code 2]\n(no output)" in text


def test_docker_requested_without_an_engine_is_a_clear_error(tmp_path: Path) -> None:
    """No Docker engine: CodeRunError saying so, and nothing runs on the host."""
    marker = tmp_path / "ran-on-host"
    runner = DockerCodeRunner(docker=shutil.which("docker") or "docker")
    skip_if_docker_engine()
    with pytest.raises(CodeRunError, match="Docker") as info:
        runner.run([py(f"open({str(marker)!r}, 'w').write('x')")])
    assert "use_docker" in str(info.value)
    assert not marker.exists()


def test_docker_cli_missing_is_a_clear_error() -> None:
    """A docker command that is not on PATH gives CodeRunError naming it."""
    runner = DockerCodeRunner(docker="fsmchat-no-such-docker")
    with pytest.raises(
        CodeRunError, match="'fsmchat-no-such-docker' command is not on PATH"
    ):
        runner.check()
