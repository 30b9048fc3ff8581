"""A poisoned response cache: every bad entry is a logged miss, and no repository can ship one."""

from __future__ import annotations

import json
import logging
import sqlite3
from pathlib import Path

import pytest

from fsmchat import ChatRequest
from fsmchat.adapters._cache import CachedChatModel, default_cache_dir
from fsmchat.testing import ScriptedChatModel

ASK = ChatRequest(messages=[{"role": "user", "content": "hi"}], temperature=0)

POISON = [
    {"content": 5},
    {"content": ["a"]},
    {"content": "x", "tool_calls": "rm -rf"},
    {"content": "x", "tool_calls": [1]},
    {"content": "x", "usage": {"prompt_tokens": "9"}},
    {"content": "x", "usage": {"prompt_tokens": -1}},
    {"content": "x", "usage": {"evil": 1}},
    {"content": "x", "usage": [1]},
    {"content": "x", "model": {"a": 1}},
    [1, 2],
    "just text",
]


def _poison(model: CachedChatModel, entry: object, *, raw: str | None = None) -> None:
    """Store ``entry`` (or ``raw``) under the key of ASK, as an attacker with the file would."""
    model.complete(ASK)  # creates the database with a real entry
    text = raw if raw is not None else json.dumps(entry)
    with sqlite3.connect(model.path) as db:
        db.execute(
            "UPDATE responses SET response = ? WHERE key = ?", (text, model.key(ASK))
        )


@pytest.mark.parametrize("entry", POISON, ids=[json.dumps(p)[:30] for p in POISON])
def test_a_poisoned_entry_is_a_logged_miss(
    tmp_path: Path, entry: object, caplog: pytest.LogCaptureFixture
) -> None:
    """A wrongly typed stored answer is not served: the model is asked again and the entry replaced."""
    scripted = ScriptedChatModel(["first", "fresh"])
    model = CachedChatModel(scripted, cache_dir=tmp_path)
    _poison(model, entry)
    with caplog.at_level(logging.WARNING, logger="fsmchat"):
        answer = model.complete(ASK)
    assert (answer.content, answer.cached) == ("fresh", False)
    assert any("damaged entry" in r.getMessage() for r in caplog.records)
    assert model.complete(ASK).cached is True  # replaced by the fresh answer


@pytest.mark.parametrize("raw", ["{not json", "", "null"])
def test_a_non_json_entry_is_a_miss(tmp_path: Path, raw: str) -> None:
    """Bytes that are not a JSON object are a miss too."""
    model = CachedChatModel(ScriptedChatModel(["first", "fresh"]), cache_dir=tmp_path)
    _poison(model, None, raw=raw)
    assert model.complete(ASK).content == "fresh"


def test_a_poisoned_entry_is_a_miss_in_async_code(tmp_path: Path) -> None:
    """acomplete treats a poisoned entry the same way."""
    import asyncio

    model = CachedChatModel(ScriptedChatModel(["first", "fresh"]), cache_dir=tmp_path)
    _poison(model, {"content": 5})
    assert asyncio.run(model.acomplete(ASK)).content == "fresh"


def test_the_default_cache_is_under_the_user_cache_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cache shipped in a cloned repository's .cache/fsmchat is never read by default."""
    repo = tmp_path / "repo"
    shipped = CachedChatModel(
        ScriptedChatModel(["FORGED"]), cache_dir=repo / ".cache" / "fsmchat"
    )
    shipped.complete(ASK)
    monkeypatch.chdir(repo)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    model = CachedChatModel(ScriptedChatModel(["honest"]))
    assert model.cache_dir == tmp_path / "xdg" / "fsmchat"
    assert model.complete(ASK).content == "honest"


def test_without_xdg_the_cache_is_under_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No (or a relative) XDG_CACHE_HOME: ~/.cache/fsmchat, an absolute path."""
    monkeypatch.setenv("HOME", str(tmp_path))
    for value in (None, "relative/dir"):
        if value is None:
            monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
        else:
            monkeypatch.setenv("XDG_CACHE_HOME", value)
        assert default_cache_dir() == tmp_path / ".cache" / "fsmchat"
