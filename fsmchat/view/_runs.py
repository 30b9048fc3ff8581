"""A folder of chats as an index of runs: ``fsmchat view DIR`` (or ``--serve DIR``).

Every record (``*.jsonl``) and transcript (``*.json``) directly in the folder
is one row: its status, its spec, its steps and illegal steps, and when it last
changed; newest first. A file that cannot be shown (no spec, corrupt) is still
a row, saying why. Other files are not chats and are left out. Each readable
row links to that chat's own page, built as ``fsmchat view FILE`` builds it.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import attrs

from fsmchat._core.errors import FsmchatError
from fsmchat.view._page import Page, build_chat_page

__all__ = ["CHAT_SUFFIXES", "Runs", "build_runs", "chat_files"]

#: The files of a folder the index lists (records, then transcripts).
CHAT_SUFFIXES = (".jsonl", ".json")


@attrs.frozen(kw_only=True)
class Runs:
    """The index page of a folder and the page of each chat it links to.

    Attributes:
        index: the index page.
        chats: each readable chat's page, by file name.
    """

    index: Page
    chats: Mapping[str, Page]


def chat_files(folder: str) -> dict[str, Path]:
    """The chat files directly in ``folder``, by name (sorted; links are not followed)."""
    out: dict[str, Path] = {}
    for path in sorted(Path(folder).iterdir()):
        if path.suffix in CHAT_SUFFIXES and path.is_file() and not path.is_symlink():
            out[path.name] = path
    return out


def build_runs(
    folder: str,
    *,
    href: Callable[[str], str],
    allow: Iterable[str] = (),
    chats: bool = True,
) -> Runs:
    """Build the index of the chats in ``folder`` (``href(name)``: a row's link).

    With ``chats=False`` the chats' pages are built for their rows and not kept.
    """
    allow = tuple(allow)
    rows: list[dict[str, Any]] = []
    pages: dict[str, Page] = {}
    for name, path in chat_files(folder).items():
        mtime = path.stat().st_mtime
        row: dict[str, Any] = {
            "name": name,
            "mtime": mtime,
            "last": datetime.datetime.fromtimestamp(
                mtime, tz=datetime.timezone.utc
            ).strftime("%Y-%m-%d %H:%M:%S UTC"),
        }
        try:
            page = build_chat_page(str(path), allow=allow)
        except FsmchatError as exc:
            row.update(
                status="unreadable",
                detail=str(exc),
                spec=None,
                steps=None,
                illegal=None,
                speakers=[],
                href=None,
            )
        else:
            model = page.model
            row.update(
                status=model["status"],
                detail=model["detail"],
                spec=model["spec"]["name"],
                steps=len(model["steps"]),
                illegal=model["summary"]["illegal"],
                speakers=sorted({s["speaker"] for s in model["steps"]}),
                href=href(name),
            )
            if chats:
                pages[name] = page
        rows.append(row)
    rows.sort(key=lambda r: (-r["mtime"], r["name"]))
    model = {
        "kind": "runs",
        "title": f"chats in {folder}",
        "source": folder,
        "runs": rows,
    }
    return Runs(index=Page(model=model), chats=pages)
