"""The work directory of a code run, handled so the host never follows a planted link.

Rules / theory of operation
---------------------------
Model-written code may leave anything in its work dir: a symbolic link named
like the next block's file, a FIFO, a hard link, a world-writable directory.
The host therefore never resolves a name inside the work dir by path once code
may have run there:

* Every block's file is written **before the first block runs**, through a
  descriptor of the work dir (``dir_fd``) with
  ``O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW``. A name left by an earlier run
  is unlinked first (``unlink`` removes a link, never its target), so the
  create is always of a fresh file; a link planted between the unlink and the
  create makes ``O_EXCL`` fail instead of being followed.
* When blocks run as ``nobody`` (fsmchat running as root), only the work dir
  itself is handed to ``nobody`` for the run. A configured (persistent) work dir
  is given back to the owner it had before the run afterwards: every entry is
  ``lchown``-ed through descriptors (:func:`os.fwalk`, links not followed) and
  loses its set-uid, set-gid, sticky and group/other write bits. This runs
  only after every process of the run is dead (the sandbox's pid namespace
  ends with the block), so nothing can race it.
* The host never runs, as root or otherwise, a file a block wrote: it only
  starts interpreters from the system on the files it wrote itself.
* Every OS error here (a full disk, a read-only file system, a quota) becomes
  :class:`~fsmchat.CodeRunError` naming the work dir.
"""

from __future__ import annotations

import errno
import os
import shutil
import stat
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import attrs

from fsmchat._core.codeblocks import CodeBlock
from fsmchat._core.errors import CodeRunError

__all__ = ["WorkDir", "block_name", "hand_back", "open_work_dir", "write_blocks"]

#: Mode bits a handed-back entry loses: set-id, sticky, group and other write.
_UNSAFE_BITS = stat.S_ISUID | stat.S_ISGID | stat.S_ISVTX | 0o022
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
_SUFFIX = {"python": ".py", "sh": ".sh", "bash": ".sh"}


@attrs.frozen
class WorkDir:
    """A work dir held open: its path, and whether it is kept after the run."""

    path: Path
    kept: bool
    owner: tuple[int, int]


def block_name(block: CodeBlock, index: int) -> str:
    """The file name of block ``index`` (``fsmchat_block_<i>.<suffix>``)."""
    return f"fsmchat_block_{index}{_SUFFIX[block.language]}"


@contextmanager
def open_work_dir(configured: str | os.PathLike[str] | None) -> Iterator[WorkDir]:
    """Yield the run's work dir: ``configured`` (made if needed, kept) or a fresh temp dir.

    Raises:
        CodeRunError: the directory cannot be made or read.
    """
    if configured is None:
        try:
            tmp = tempfile.mkdtemp(prefix="fsmchat-code-")
        except OSError as exc:
            raise _failed(tempfile.gettempdir(), exc) from exc
        try:
            yield WorkDir(Path(tmp), kept=False, owner=(os.getuid(), os.getgid()))
        finally:
            shutil.rmtree(tmp, ignore_errors=True)  # fd-based: follows no link
        return
    path = Path(configured)
    try:
        path.mkdir(parents=True, exist_ok=True)
        st = os.stat(path)
    except OSError as exc:
        msg = f"cannot create the code work_dir {os.fspath(path)!r}: {exc}"
        raise CodeRunError(msg) from exc
    if not stat.S_ISDIR(st.st_mode):
        msg = f"the code work_dir {os.fspath(path)!r} is not a directory"
        raise CodeRunError(msg)
    yield WorkDir(path, kept=True, owner=(st.st_uid, st.st_gid))


def write_blocks(directory: Path, blocks: Sequence[CodeBlock]) -> None:
    """Write every runnable block's file into ``directory`` (see the rules).

    Raises:
        CodeRunError: a file cannot be written (disk full, permissions, ...).
    """
    try:
        dir_fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError as exc:
        raise _failed(os.fspath(directory), exc) from exc
    try:
        for i, block in enumerate(blocks):
            if block.language in _SUFFIX:
                _write_one(dir_fd, block_name(block, i), block.code + "\n")
    except OSError as exc:
        raise _failed(os.fspath(directory), exc) from exc
    finally:
        os.close(dir_fd)


def _write_one(dir_fd: int, name: str, text: str) -> None:
    try:
        os.unlink(name, dir_fd=dir_fd)  # a link itself, never its target
    except FileNotFoundError:
        pass
    except (IsADirectoryError, PermissionError):  # a directory: move it aside
        aside = f"{name}.moved-{time.time_ns()}"
        os.rename(name, aside, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
    fd = os.open(name, _CREATE, 0o644, dir_fd=dir_fd)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)


def hand_back(directory: Path, owner: tuple[int, int]) -> None:
    """Give ``directory`` and everything in it to ``owner`` with safe modes.

    Links are never followed: each entry is changed through its parent's
    descriptor. Call it only once no process of the run is alive.

    Raises:
        CodeRunError: the tree cannot be walked or changed.
    """
    uid, gid = owner
    try:
        _safe(directory, None, uid, gid)
        for _root, dirs, files, root_fd in os.fwalk(directory, follow_symlinks=False):
            for name in [*dirs, *files]:
                _safe(name, root_fd, uid, gid)
    except OSError as exc:
        raise _failed(os.fspath(directory), exc) from exc


def _safe(name: str | Path, dir_fd: int | None, uid: int, gid: int) -> None:
    st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    os.chown(name, uid, gid, dir_fd=dir_fd, follow_symlinks=False)
    if not stat.S_ISLNK(st.st_mode):  # a link's own mode means nothing on Linux
        mode = stat.S_IMODE(st.st_mode)
        os.chmod(name, mode & ~_UNSAFE_BITS, dir_fd=dir_fd)


def _failed(where: str, exc: OSError) -> CodeRunError:
    why = exc.strerror or str(exc)
    msg = f"the code runner failed in its work dir {where!r}: {why}"
    if exc.errno in {errno.ENOSPC, errno.EDQUOT}:
        msg += " (the disk is full: free space or use another work_dir)"
    return CodeRunError(msg)
