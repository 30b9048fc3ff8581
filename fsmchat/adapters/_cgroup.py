"""One cgroup v2 per code block, where the hierarchy lets fsmchat make one.

Rules
-----
* A block's aggregate bound (every process it starts, and the pages of its
  tmpfs) is a fresh child of fsmchat's own cgroup v2 with ``memory.max``,
  ``memory.swap.max = 0`` and ``pids.max``. The block's first process joins it
  between fork and exec, so everything it starts is inside.
* It is used only when it can be: a cgroup2 mount, fsmchat's own cgroup in it,
  the ``memory`` and ``pids`` controllers available to children (enabled in
  ``cgroup.subtree_control``, or enabled by fsmchat when it may) and the
  directory writable. Otherwise :func:`make_cgroup` returns ``None`` and the
  code runner falls back to per-process limits plus a process cap (see
  :mod:`fsmchat.adapters._code`); :func:`why_no_cgroup` says why.
* The group is removed after the block; a removal that fails (the kernel still
  tearing processes down) is retried briefly, then left for the system.
"""

from __future__ import annotations

import itertools
import os
import time
from pathlib import Path

import attrs

__all__ = ["BlockCgroup", "make_cgroup", "why_no_cgroup"]

_NEEDED = ("memory", "pids")
_COUNTER = itertools.count()


@attrs.frozen
class BlockCgroup:
    """A block's cgroup: join it in the child, remove it after."""

    path: Path

    def join(self) -> None:
        """Move the calling process into the group (call between fork and exec)."""
        with open(self.path / "cgroup.procs", "w", encoding="ascii") as f:
            f.write(str(os.getpid()))

    def remove(self) -> None:
        """Remove the group (its processes are dead); give up quietly after a moment."""
        for _ in range(50):
            try:
                os.rmdir(self.path)
            except FileNotFoundError:
                return
            except OSError:
                time.sleep(0.02)
            else:
                return


def _own_cgroup(mountinfo: str, proc_cgroup: str) -> Path | None:
    """fsmchat's cgroup v2 directory, from ``/proc/self/mountinfo`` and ``/proc/self/cgroup``."""
    mount = None
    for line in mountinfo.splitlines():
        left, _, right = line.partition(" - ")
        if right.split(" ", 1)[0] == "cgroup2":
            mount = left.split()[4]
            break
    own = next(
        (ln[3:] for ln in proc_cgroup.splitlines() if ln.startswith("0::")), None
    )
    if mount is None or own is None:
        return None
    return Path(mount) / own.lstrip("/")


def why_no_cgroup(parent: Path | None) -> str | None:
    """Why blocks cannot get a cgroup under ``parent``, or ``None`` when they can."""
    if parent is None:
        return "no cgroup v2 hierarchy"
    try:
        available = (parent / "cgroup.controllers").read_text().split()
        enabled = (parent / "cgroup.subtree_control").read_text().split()
    except OSError as exc:
        return f"cgroup {parent} cannot be read ({exc.strerror})"
    missing = [c for c in _NEEDED if c not in available]
    if missing:
        noun = "controllers are" if len(missing) > 1 else "controller is"
        return f"the {' and '.join(missing)} {noun} not delegated to {parent}"
    todo = [c for c in _NEEDED if c not in enabled]
    if todo:
        try:
            (parent / "cgroup.subtree_control").write_text(
                " ".join(f"+{c}" for c in todo)
            )
        except OSError as exc:
            return f"cannot enable {', '.join(todo)} in {parent} ({exc.strerror})"
    if not os.access(parent, os.W_OK):
        return f"cgroup {parent} is not writable"
    return None


def default_parent() -> Path | None:
    """fsmchat's own cgroup v2 directory, or ``None`` without one."""
    try:
        with open("/proc/self/mountinfo", encoding="utf-8") as f:
            mountinfo = f.read()
        with open("/proc/self/cgroup", encoding="utf-8") as f:
            proc_cgroup = f.read()
    except OSError:
        return None
    return _own_cgroup(mountinfo, proc_cgroup)


def make_cgroup(
    memory_bytes: int | None, pids: int, *, parent: Path | None = None
) -> BlockCgroup | None:
    """A fresh cgroup bounding a block, or ``None`` where none can be made (see rules)."""
    parent = default_parent() if parent is None else parent
    if why_no_cgroup(parent) is not None:
        return None
    assert parent is not None
    path = parent / f"fsmchat-{os.getpid()}-{next(_COUNTER)}"
    try:
        path.mkdir()
    except OSError:
        return None
    group = BlockCgroup(path)
    try:
        if memory_bytes is not None:
            (path / "memory.max").write_text(str(memory_bytes))
            swap = path / "memory.swap.max"
            if swap.exists():  # without swap accounting there is nothing to cap
                swap.write_text("0")
        (path / "pids.max").write_text(str(pids))
    except OSError:
        group.remove()
        return None
    return group
