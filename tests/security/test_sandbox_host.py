"""The host side of the code runner under attack: planted links, a stolen work dir, a full disk.

Each test is an attack a block (or an earlier run) can make on the host that
starts it. Sandbox tests skip with the reason ``check_sandbox`` gives where
bubblewrap cannot sandbox.
"""

from __future__ import annotations

import os
import stat
import textwrap
from pathlib import Path

import pytest

from fsmchat import CodeRunError
from fsmchat._core.codeblocks import CodeBlock
from fsmchat.adapters._code import LocalCodeRunner
from tests.security.conftest import TinyFs, fill, needs_bwrap

needs_root = pytest.mark.skipif(
    os.geteuid() != 0,
    reason="the work dir changes hands only when fsmchat runs as root",
)


def sh(code: str) -> CodeBlock:
    return CodeBlock(language="sh", code=textwrap.dedent(code).strip())


def _victim(tmp_path: Path) -> Path:
    victim = tmp_path / "host-file"
    victim.write_text("original\n")
    victim.chmod(0o644)
    return victim


@needs_bwrap
def test_a_block_cannot_make_the_host_write_the_next_block_through_a_link(
    tmp_path: Path,
) -> None:
    """Block 0 replaces block 1's file with a link to a host file; the host file is untouched."""
    victim = _victim(tmp_path)
    blocks = [
        sh(
            f"rm -f fsmchat_block_1.sh; ln -s {victim} fsmchat_block_1.sh; echo planted"
        ),
        sh("echo PWNED"),
    ]
    LocalCodeRunner(tmp_path / "work", timeout=20).run(blocks)
    assert victim.read_text() == "original\n"
    assert not victim.is_symlink()


@needs_bwrap
def test_a_link_planted_by_an_earlier_run_is_not_followed(tmp_path: Path) -> None:
    """A persistent work dir: run 1 plants the name of run 2's file; run 2 writes a fresh file."""
    victim = _victim(tmp_path)
    work = tmp_path / "work"
    runner = LocalCodeRunner(work, timeout=20)
    (first,) = runner.run([sh(f"ln -sf {victim} fsmchat_block_0.sh; echo planted")])
    assert first.ok, first.output
    (second,) = runner.run([sh("echo second run")])
    assert second.output == "second run"
    assert victim.read_text() == "original\n"
    assert not (work / "fsmchat_block_0.sh").is_symlink()


@needs_bwrap
def test_a_planted_directory_or_fifo_does_not_stop_the_host(tmp_path: Path) -> None:
    """Names of the next run's files taken by a directory and a FIFO: the run still writes its files."""
    work = tmp_path / "work"
    runner = LocalCodeRunner(work, timeout=20)
    runner.run(
        [
            sh(
                "rm fsmchat_block_0.sh && mkdir -p fsmchat_block_0.sh/x"
                " && mkfifo fsmchat_block_1.sh && echo planted"
            )
        ]
    )
    assert (work / "fsmchat_block_0.sh").is_dir()
    results = runner.run([sh("echo one"), sh("echo two")])
    assert [r.output for r in results] == ["one", "two"]
    assert (work / "fsmchat_block_0.sh").is_file()


@needs_bwrap
@needs_root
def test_a_persistent_work_dir_goes_back_to_its_owner_with_safe_modes(
    tmp_path: Path,
) -> None:
    """After a run as root, nothing in the kept work dir belongs to nobody, is set-uid or world-writable."""
    work = tmp_path / "work"
    work.mkdir(mode=0o755)
    owner = (os.stat(work).st_uid, os.stat(work).st_gid)
    victim = _victim(tmp_path)
    os.chown(victim, 4321, 4321)
    block = sh(
        f"""
        chmod 0777 .
        mkdir sub && chmod 0777 sub
        cp /bin/true sub/suid && chmod 4777 sub/suid
        echo x > sub/file && chmod 0666 sub/file
        ln -s /etc/shadow sub/link
        ln -s {victim} sub/victim
        echo done
        """
    )
    (result,) = LocalCodeRunner(work, timeout=20).run([block])
    assert result.ok, result.output
    for path in [work, *work.rglob("*")]:
        st = os.lstat(path)
        assert (st.st_uid, st.st_gid) == owner, path
        if not stat.S_ISLNK(st.st_mode):
            assert st.st_mode & (stat.S_ISUID | stat.S_ISGID | 0o022) == 0, path
    assert os.readlink(work / "sub" / "link") == "/etc/shadow"
    assert (os.stat(victim).st_uid, stat.S_IMODE(os.stat(victim).st_mode)) == (
        4321,
        0o644,
    )


@needs_bwrap
def test_a_full_work_dir_is_a_code_run_error(tiny_fs: TinyFs) -> None:
    """The work dir's file system is full: CodeRunError saying so, never a raw OSError."""
    work = tiny_fs.path / "work"
    work.mkdir()
    fill(tiny_fs.path)
    with pytest.raises(CodeRunError, match="disk is full"):
        LocalCodeRunner(work, timeout=20).run([sh("echo " + "x" * 100_000)])


def test_a_full_work_dir_is_a_code_run_error_on_the_host_too(
    tiny_fs: TinyFs,
) -> None:
    """Host mode (sandbox=False) turns a full disk into CodeRunError as well."""
    work = tiny_fs.path / "work"
    work.mkdir()
    fill(tiny_fs.path)
    with pytest.raises(CodeRunError, match="disk is full"):
        LocalCodeRunner(work, timeout=20, sandbox=False).run(
            [sh("echo " + "x" * 100_000)]
        )


def test_an_unmakeable_work_dir_is_a_code_run_error(tmp_path: Path) -> None:
    """A work_dir path under a regular file cannot be made: CodeRunError."""
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(CodeRunError, match="cannot create the code work_dir"):
        LocalCodeRunner(blocker / "work", sandbox=False).run([sh("echo hi")])


@needs_bwrap
@needs_root
def test_a_work_dir_left_to_nobody_by_a_killed_run_goes_back_to_its_parent_owner(
    tmp_path: Path,
) -> None:
    """A kept work dir found owned by nobody (a run killed mid-way) is not handed back to nobody."""
    work = tmp_path / "work"
    work.mkdir()
    os.chown(work, 65534, 65534)
    (result,) = LocalCodeRunner(work, timeout=20).run([sh("echo x > made; echo ok")])
    assert result.ok, result.output
    parent = os.stat(tmp_path)
    for path in (work, work / "made"):
        assert os.stat(path).st_uid == parent.st_uid
