"""Fixtures of the adversarial suite: a tiny real file system to fill up."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from fsmchat import CodeRunError
from fsmchat.adapters._sandbox import check_sandbox


def _sandbox_problem() -> str | None:
    try:
        check_sandbox()
    except CodeRunError as exc:
        return str(exc)
    return None


_WHY = _sandbox_problem()
#: Skips a test where bubblewrap cannot sandbox, with the reason check_sandbox gives.
needs_bwrap = pytest.mark.skipif(
    _WHY is not None, reason=f"no working bubblewrap: {_WHY}"
)


class TinyFs:
    """A tmpfs mounted for one test; :meth:`resize` frees (or takes) space."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def resize(self, size: str) -> None:
        """Remount with ``size`` (e.g. ``"64k"``)."""
        subprocess.run(
            ["mount", "-o", f"remount,size={size}", str(self.path)],
            check=True,
            capture_output=True,
        )


@pytest.fixture
def tiny_fs(tmp_path: Path) -> Iterator[TinyFs]:
    """A 256 KiB tmpfs mounted for the test (root only; skipped where mount is refused)."""
    mount_point = tmp_path / "tiny"
    mount_point.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a tiny tmpfs to fill up needs root")
    done = subprocess.run(
        [
            "mount",
            "-t",
            "tmpfs",
            "-o",
            "size=256k,mode=0755",
            "tmpfs",
            str(mount_point),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tiny tmpfs here: {done.stderr.strip()}")
    try:
        yield TinyFs(mount_point)
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def fill(directory: Path) -> None:
    """Write into ``directory`` until its file system is full."""
    fd = os.open(directory / "filler", os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        while True:
            os.write(fd, b"\0" * 4096)
    except OSError:
        pass
    finally:
        os.close(fd)
