"""Model-written code in the default bubblewrap sandbox: each escape tried, each one fails.

These tests run real blocks inside ``bwrap``. Where bubblewrap cannot sandbox
on the machine, they skip with the exact reason ``check_sandbox`` gives.
"""

from __future__ import annotations

import logging
import os
import socket
import textwrap
import time
from pathlib import Path

import pytest

from fsmchat import CodeRunError
from fsmchat._core.codeblocks import CodeBlock
from fsmchat.adapters import _sandbox
from fsmchat.adapters._code import LocalCodeRunner
from fsmchat.adapters._sandbox import scrub_env
from tests.security.conftest import needs_bwrap

SECRET = "sk-parent-secret-7f3a"


def py(code: str) -> CodeBlock:
    return CodeBlock(language="python", code=textwrap.dedent(code).strip())


def sh(code: str) -> CodeBlock:
    return CodeBlock(language="sh", code=textwrap.dedent(code).strip())


def _host_processes_with(marker: str) -> list[int]:
    """Host pids whose command line contains ``marker`` (the host sees every namespace)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if marker.encode() in cmdline:
                found.append(int(entry.name))
    return found


@needs_bwrap
def test_parent_secrets_are_unreadable(monkeypatch: pytest.MonkeyPatch) -> None:
    """Neither the environment nor /proc/$PPID/environ nor /proc/1/environ shows a parent secret."""
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    monkeypatch.setenv("HARMLESS_LOOKING", SECRET)
    monkeypatch.setenv("OAI_CONFIG_LIST", f'[{{"api_key": "{SECRET}"}}]')
    block = sh(
        """
        env
        cat /proc/$PPID/environ 2>&1 | tr '\\0' '\\n'
        cat /proc/1/environ 2>&1 | tr '\\0' '\\n'
        for p in /proc/[0-9]*; do cat $p/environ 2>/dev/null | tr '\\0' '\\n'; done
        echo ps: $(ls -d /proc/[0-9]* | wc -l)
        """
    )
    (result,) = LocalCodeRunner(timeout=20).run([block])
    assert SECRET not in result.output
    assert "HARMLESS_LOOKING" not in result.output
    assert "PATH=" in result.output
    assert (
        int(result.output.rsplit("ps: ", 1)[1].split()[0]) < 10
    )  # only the sandbox's pids


@needs_bwrap
def test_environment_is_an_allow_list_plus_what_the_user_passes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Inside: PATH, LANG, HOME (= work dir), TMPDIR and env= only."""
    monkeypatch.setenv("SOMETHING_ELSE", "x")
    runner = LocalCodeRunner(timeout=20, env={"GIVEN": "yes"})
    (result,) = runner.run([py("import os, json; print(json.dumps(dict(os.environ)))")])
    import json

    env = json.loads(result.output)
    assert set(env) <= {
        "PATH",
        "LANG",
        "HOME",
        "TMPDIR",
        "GIVEN",
        "PWD",
        "SHLVL",
        "_",
        "LC_CTYPE",
    }
    assert env["GIVEN"] == "yes"
    assert env["HOME"] == os.getcwd() or env["HOME"].startswith("/tmp/fsmchat-code-")


@needs_bwrap
@pytest.mark.parametrize(
    "spawn",
    [
        "setsid sleep {m} &",
        "(sleep {m} &) &",
        "nohup sleep {m} >/dev/null 2>&1 &",
        "setsid sh -c 'trap \"\" HUP TERM; sleep {m}' &",
    ],
)
def test_no_process_outlives_its_block(spawn: str) -> None:
    """setsid, a double fork and nohup all die with the block (pid namespace)."""
    marker = f"{os.getpid() % 1000}.{time.monotonic_ns() % 100000}"
    (result,) = LocalCodeRunner(timeout=20).run(
        [sh(spawn.format(m=marker) + "\necho started")]
    )
    assert result.ok, result.output
    deadline = time.monotonic() + 5
    while _host_processes_with(marker) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _host_processes_with(marker) == []


@needs_bwrap
def test_timeout_kills_every_descendant() -> None:
    """A block that times out takes its setsid grandchildren with it."""
    marker = f"7{os.getpid() % 1000}.{time.monotonic_ns() % 100000}"
    (result,) = LocalCodeRunner(timeout=1.5).run(
        [sh(f"setsid sleep {marker} &\nsleep 60")]
    )
    assert result.timed_out  # killed at 1.5 s, not after the 60 s sleep
    deadline = time.monotonic() + 5
    while _host_processes_with(marker) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _host_processes_with(marker) == []


@needs_bwrap
def test_nothing_outside_the_work_dir_is_writable(tmp_path: Path) -> None:
    """Writes to a host path, /etc, /usr and the host HOME fail; the work dir and /tmp work."""
    outside = tmp_path / "outside.txt"
    block = sh(
        f"""
        for f in {outside} /etc/pwned /usr/pwned {Path.home()}/pwned /var/tmp/pwned; do
          (echo x > $f) 2>/dev/null && echo "WROTE $f" || echo "denied $f"
        done
        echo ok > inside.txt && echo "work ok"
        echo ok > /tmp/t && echo "tmp ok"
        """
    )
    work = tmp_path / "work"
    (result,) = LocalCodeRunner(work, timeout=20).run([block])
    assert "WROTE" not in result.output
    assert "work ok" in result.output
    assert "tmp ok" in result.output
    assert not outside.exists()
    assert not Path("/etc/pwned").exists()
    assert not (Path.home() / "pwned").exists()
    assert (work / "inside.txt").read_text() == "ok\n"


@needs_bwrap
def test_host_files_are_not_visible(tmp_path: Path) -> None:
    """The host's home, /root and the test's own files cannot be read from a block."""
    secret_file = tmp_path / "secret.txt"
    secret_file.write_text(SECRET)
    block = sh(f"cat {secret_file} 2>&1; ls {Path.home()} 2>&1; cat /etc/shadow 2>&1")
    (result,) = LocalCodeRunner(tmp_path / "work", timeout=20).run([block])
    assert SECRET not in result.output
    assert "root:" not in result.output


@needs_bwrap
def test_network_is_unreachable() -> None:
    """A server on the host's 127.0.0.1 gets no connection from a block; the internet neither."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        server.settimeout(0.5)
        port = server.getsockname()[1]
        block = py(
            f"""
            import socket
            for host in [("127.0.0.1", {port}), ("1.1.1.1", 53)]:
                try:
                    socket.create_connection(host, timeout=2)
                    print("CONNECTED", host)
                except OSError as exc:
                    print("refused", host, type(exc).__name__)
            """
        )
        (result,) = LocalCodeRunner(timeout=20).run([block])
        assert "CONNECTED" not in result.output
        with pytest.raises(TimeoutError):
            server.accept()


@needs_bwrap
def test_process_count_is_limited() -> None:
    """A fork storm stops at max_processes; the block still ends and nothing survives."""
    marker = f"9{os.getpid() % 1000}.{time.monotonic_ns() % 100000}"
    block = py(
        f"""
        import subprocess
        started = 0
        try:
            for _ in range(200):
                subprocess.Popen(["sleep", "{marker}"])
                started += 1
        except OSError as exc:
            print("stopped by", type(exc).__name__)
        print("started", started)
        """
    )
    (result,) = LocalCodeRunner(timeout=20, max_processes=16).run([block])
    assert "stopped by" in result.output
    assert int(result.output.rsplit("started ", 1)[1]) < 16
    deadline = time.monotonic() + 5
    while _host_processes_with(marker) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _host_processes_with(marker) == []


def test_missing_bwrap_is_refused_with_the_fix(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Without bwrap on PATH, local execution is refused, naming the package and the opt-out."""
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(CodeRunError) as info:
        LocalCodeRunner().run([py("print(1)")])
    message = str(info.value)
    assert "apt-get install bubblewrap" in message
    assert "'sandbox': False" in message


def test_host_mode_warns_once(caplog: pytest.LogCaptureFixture) -> None:
    """sandbox=False runs on the host after one warning per process."""
    monkey_flag = list(_sandbox._WARNED)
    _sandbox._WARNED.clear()
    try:
        with caplog.at_level(logging.WARNING, logger="fsmchat"):
            runner = LocalCodeRunner(sandbox=False, timeout=20)
            runner.run([py("print(1)")])
            runner.run([py("print(2)")])
        warnings = [r for r in caplog.records if "sandbox disabled" in r.getMessage()]
        assert len(warnings) == 1
        assert "on the host" in warnings[0].getMessage()
    finally:
        _sandbox._WARNED[:] = monkey_flag or [True]


# The names tried in the audit of issue 13; every one must be scrubbed in host mode.
SECRET_NAMES = [
    "OPENAI_API_KEY",
    "AZURE_OPENAI_API_KEY",
    "ANTHROPIC_API_KEY",
    "GITHUB_TOKEN",
    "GH_TOKEN",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_ACCESS_KEY_ID",
    "OAI_CONFIG_LIST",
    "DB_PASSWORD",
    "PGPASSWORD",
    "MYSQL_PWD_PASS",
    "DB_PASS",
    "SENTRY_DSN",
    "DATABASE_DSN",
    "JWT_SIGNING",
    "MY_JWT",
    "SLACK_WEBHOOK",
    "DISCORD_WEBHOOK_URL",
    "HF_TOKEN",
    "HUGGING_FACE_HUB_TOKEN",
    "NPM_TOKEN",
    "PYPI_PASSWORD",
    "TWINE_PASSWORD",
    "DOCKER_AUTH_CONFIG",
    "SSH_AUTH_SOCK",
    "GOOGLE_APPLICATION_CREDENTIALS",
    "PRIVATE_KEY_PATH",
    "SECRET_KEY_BASE",
    "COOKIE_SECRET",
    "SESSION_SECRET",
    "STRIPE_SIGNATURE",
    "PASSPHRASE",
]
SECRET_VALUES = {
    "REDIS_URL": "redis://:pw@cache:6379/0",
    "DATABASE_URL": "postgres://me:hunter2@db/x",
    "AMQP_URL": "amqp://user:pass@mq//",
    "HOOK": "https://hooks.slack.com/services/T0/B0/XYZ",
    "NOTIFY": "https://discord.com/api/webhooks/1/abc",
    "ENDPOINT": "https://api.example.com/v1?api_key=abc",
    "CONFIG": '[{"model": "m", "api_key": "sk-x"}]',
}


def test_host_mode_scrubber_covers_the_audit_list() -> None:
    """Every secret name and credential-carrying value of the audit is scrubbed; the rest kept."""
    env = dict.fromkeys(SECRET_NAMES, "x") | SECRET_VALUES
    env |= {
        "PATH": "/bin",
        "HOME": "/root",
        "LANG": "C",
        "SITE": "https://example.org/a:b",
    }
    assert scrub_env(env) == {
        "PATH": "/bin",
        "HOME": "/root",
        "LANG": "C",
        "SITE": "https://example.org/a:b",
    }
