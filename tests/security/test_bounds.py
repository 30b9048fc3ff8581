"""A whole block is bounded: its /tmp, the files it writes, its memory and processes together.

The attacks write gigabytes under small limits (64 MiB), so they fail fast.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from fsmchat import InvalidArgument
from fsmchat._core.codeblocks import CodeBlock
from fsmchat.adapters._cgroup import default_parent, make_cgroup, why_no_cgroup
from fsmchat.adapters._code import LocalCodeRunner
from tests.security.conftest import needs_bwrap

_NO_CGROUP = why_no_cgroup(default_parent())

MIB = 1024 * 1024


def _writer(target: str) -> CodeBlock:
    """A block writing up to 3 GiB to ``target`` in 1 MiB pieces, reporting how far it got."""
    code = f"""
        import errno
        written = 0
        try:
            with open({target!r}, "wb") as f:
                for _ in range(3 * 1024):
                    f.write(b"x" * {MIB})
                    f.flush()
                    written += {MIB}
        except OSError as exc:
            print("stopped:", errno.errorcode.get(exc.errno, exc.errno))
        print("written", written)
        """
    return CodeBlock(language="python", code=textwrap.dedent(code).strip())


def _written(output: str) -> int:
    return int(output.rsplit("written ", 1)[1].split()[0])


@needs_bwrap
def test_writing_3_gib_to_tmp_stops_at_the_tmpfs_size(tmp_path: Path) -> None:
    """/tmp is a tmpfs of tmp_mb MiB: 3 GiB written there stops at 64 MiB with ENOSPC."""
    runner = LocalCodeRunner(tmp_path / "work", timeout=60, tmp_mb=64)
    (result,) = runner.run([_writer("/tmp/big")])
    assert "stopped: ENOSPC" in result.output
    assert _written(result.output) <= 64 * MIB


@needs_bwrap
def test_writing_a_3_gib_file_in_the_work_dir_stops_at_max_file_mb(
    tmp_path: Path,
) -> None:
    """RLIMIT_FSIZE: one file in the work dir cannot grow past max_file_mb."""
    runner = LocalCodeRunner(tmp_path / "work", timeout=60, max_file_mb=64)
    (result,) = runner.run([_writer("big.bin")])
    assert "stopped: EFBIG" in result.output
    assert _written(result.output) <= 64 * MIB
    assert (tmp_path / "work" / "big.bin").stat().st_size <= 64 * MIB


@needs_bwrap
def test_a_shell_killed_by_the_file_size_limit_is_explained(tmp_path: Path) -> None:
    """dd past max_file_mb dies of SIGXFSZ; the result names the limit."""
    from fsmchat.adapters._blocks import format_results

    block = CodeBlock(
        language="sh", code="dd if=/dev/zero of=big bs=1M count=3072 2>/dev/null"
    )
    runner = LocalCodeRunner(tmp_path, timeout=60, max_file_mb=1)
    (result,) = runner.run([block])
    assert not result.ok
    assert "file size limit" in format_results([result])


@pytest.mark.parametrize("option", ["tmp_mb", "max_file_mb"])
@pytest.mark.parametrize("value", [0, -1, "64", True])
def test_size_limits_are_validated(option: str, value: object) -> None:
    """tmp_mb and max_file_mb must be ints >= 1."""
    with pytest.raises(InvalidArgument, match=option):
        LocalCodeRunner(**{option: value})  # type: ignore[arg-type]


def _fake_cgroup(root: Path, controllers: str, enabled: str) -> Path:
    root.mkdir()
    (root / "cgroup.controllers").write_text(controllers + "\n")
    (root / "cgroup.subtree_control").write_text(enabled + "\n")
    return root


def test_a_block_cgroup_caps_memory_and_processes(tmp_path: Path) -> None:
    """Where memory and pids are delegated, a block's group gets memory.max and pids.max."""
    parent = _fake_cgroup(tmp_path / "cg", "cpu memory pids", "memory pids")
    group = make_cgroup(64 * MIB, 16, parent=parent)
    assert group is not None
    assert (group.path / "memory.max").read_text() == str(64 * MIB)
    assert (group.path / "pids.max").read_text() == "16"
    (group.path / "memory.max").unlink()
    (group.path / "pids.max").unlink()
    group.remove()
    assert not group.path.exists()


def test_without_a_delegated_memory_controller_there_is_no_cgroup(
    tmp_path: Path,
) -> None:
    """A hierarchy without the memory controller falls back (and says why)."""
    parent = _fake_cgroup(tmp_path / "cg", "cpu pids", "pids")
    assert make_cgroup(64 * MIB, 16, parent=parent) is None
    assert "memory controller is not delegated" in str(why_no_cgroup(parent))
    assert why_no_cgroup(None) == "no cgroup v2 hierarchy"


@needs_bwrap
@pytest.mark.skipif(
    _NO_CGROUP is not None, reason=f"no cgroup v2 for blocks here: {_NO_CGROUP}"
)
def test_many_processes_together_cannot_pass_memory_mb(tmp_path: Path) -> None:
    """With a cgroup, 8 processes of 32 MiB each cannot all live under memory_mb=64."""
    code = """
        import os, time
        kids = []
        for _ in range(8):
            pid = os.fork()
            if pid == 0:
                block = bytearray(32 * 1024 * 1024)
                for i in range(0, len(block), 4096):
                    block[i] = 1
                time.sleep(2)
                os._exit(0)
            kids.append(pid)
        codes = [os.waitpid(p, 0)[1] for p in kids]
        print("killed", sum(1 for c in codes if c != 0))
        """
    block = CodeBlock(language="python", code=textwrap.dedent(code).strip())
    runner = LocalCodeRunner(tmp_path / "work", timeout=60, memory_mb=64)
    (result,) = runner.run([block])
    assert "killed 0" not in result.output
