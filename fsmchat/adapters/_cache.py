"""A response cache for chat models, in SQLite (WAL), keyed by seed and request.

:class:`CachedChatModel` wraps any :class:`~fsmchat.ChatModel`. The key of a
request is the SHA-256 of a canonical JSON of:

* ``cache_seed`` (AutoGen's: a different seed is a different cache; default 41),
* the wrapped model's ``cache_identity`` when it has one (for the OpenAI adapter:
  the configured model names — never base URLs or keys),
* the request: ``messages``, ``model``, ``response_format``, ``tools``,
  ``temperature``. Not its ``purpose`` (accounting only), and no credentials,
  which a :class:`~fsmchat.ChatRequest` never carries anyway.

A hit returns the stored answer with ``cached=True`` and ``latency=0`` and makes
no request at all; the usage recorded when the answer was first fetched is
returned as it was, so a warm re-run reports the same tokens (``cached`` says
none were spent). Only successful answers are stored; errors are not cached.

The database is ``<cache_dir>/responses.sqlite3``; ``cache_dir`` defaults to
:func:`default_cache_dir`, ``fsmchat`` under the user's cache home
(``$XDG_CACHE_HOME``, else ``~/.cache``), never the current directory: a cloned
repository cannot ship answers (the CLI also reads ``$FSMCHAT_CACHE_DIR``). A
stored entry is untrusted data: it is type-checked field by field like a
record line, and one that fails (``{"content": 5}``, bad JSON, a wrong usage)
is a miss, logged, and replaced by the next answer. Each
operation opens and closes its own connection, so the cache is safe to share
between threads and processes (SQLite's WAL journal lets readers and a writer
work at the same time).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import sqlite3
from contextlib import closing
from pathlib import Path

import attrs

from fsmchat._core.errors import BoundaryError, InvalidArgument
from fsmchat._core.state import Usage
from fsmchat._run.ports import ChatModel, ChatRequest, ChatResponse, to_plain

__all__ = ["CachedChatModel", "cache_key", "default_cache_dir"]

_LOG = logging.getLogger("fsmchat")


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/fsmchat``, else ``~/.cache/fsmchat`` (never relative to the cwd)."""
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    base = Path(xdg) if os.path.isabs(xdg) else Path.home() / ".cache"
    return base / "fsmchat"


_DB_NAME = "responses.sqlite3"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS responses (
    key TEXT PRIMARY KEY,
    cache_seed INTEGER NOT NULL,
    response TEXT NOT NULL
)
"""


def cache_key(request: ChatRequest, *, cache_seed: int, identity: str = "") -> str:
    """Return the hex SHA-256 key of ``request`` under ``cache_seed``."""
    data = {
        "cache_seed": cache_seed,
        "identity": identity,
        "messages": to_plain(request.messages),
        "model": request.model,
        "response_format": to_plain(request.response_format),
        "tools": to_plain(request.tools),
        "temperature": request.temperature,
    }
    if request.functions:  # only then, so keys of other requests stay as they were
        data["functions"] = to_plain(request.functions)
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _dump(response: ChatResponse) -> str:
    data = {
        "content": response.content,
        "tool_calls": to_plain(response.tool_calls),
        "usage": attrs.asdict(response.usage),
        "model": response.model,
    }
    if response.function_call is not None:
        data["function_call"] = to_plain(response.function_call)
    return json.dumps(data)


class _BadEntry(ValueError):
    """A stored entry that is not a well-typed answer (internal)."""


def _load(text: str) -> ChatResponse:
    """The stored answer, every field type-checked.

    Raises:
        _BadEntry: the entry is not JSON or a field has the wrong type.
    """
    try:
        data = json.loads(text)
    except ValueError as exc:
        msg = "not JSON"
        raise _BadEntry(msg) from exc
    problem = _entry_problem(data)
    if problem is not None:
        raise _BadEntry(problem)
    return ChatResponse(
        content=data.get("content"),
        tool_calls=tuple(data.get("tool_calls") or ()),
        function_call=data.get("function_call"),
        usage=Usage(**(data.get("usage") or {})),
        model=data.get("model") or "",
        cached=True,
        latency=0.0,
    )


def _entry_problem(data: object) -> str | None:
    """What is wrong with a decoded entry, or ``None`` when it is a well-typed answer."""
    if not isinstance(data, dict):
        return f"a JSON {type(data).__name__}, not an object"
    content = data.get("content")
    if content is not None and not isinstance(content, str):
        return f"content is {type(content).__name__}, not a string"
    calls = data.get("tool_calls") or []
    if not isinstance(calls, list) or not all(isinstance(c, dict) for c in calls):
        return "tool_calls is not a list of objects"
    if not isinstance(data.get("function_call") or {}, dict):
        return "function_call is not an object"
    usage = data.get("usage") or {}
    if not isinstance(usage, dict) or set(usage) - {
        "prompt_tokens",
        "completion_tokens",
    }:
        return "usage is not {prompt_tokens, completion_tokens}"
    if not all(_count(v) for v in usage.values()):
        return "usage holds something other than token counts"
    model = data.get("model") or ""
    if not isinstance(model, str):
        return f"model is {type(model).__name__}, not a string"
    return None


def _count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


class CachedChatModel:
    """A :class:`~fsmchat.ChatModel` answering repeated requests from SQLite.

    Args:
        model: the model to call on a miss (sync ``complete``; ``acomplete`` is
            used by :meth:`acomplete` when it has one).
        cache_seed: the cache's seed (an int; AutoGen's default is 41).
        cache_dir: the directory of the database (created when needed);
            ``None`` = :func:`default_cache_dir` (the user's cache home).

    Attributes:
        hits, misses: how many requests were served from the cache / the model.

    Raises:
        InvalidArgument: ``cache_seed`` is not an int.
    """

    def __init__(
        self,
        model: ChatModel,
        *,
        cache_seed: int = 41,
        cache_dir: str | os.PathLike[str] | None = None,
    ) -> None:
        if not isinstance(cache_seed, int) or isinstance(cache_seed, bool):
            msg = f"cache_seed must be an int (or use no cache), got {cache_seed!r}"
            raise InvalidArgument(msg)
        self.model = model
        self.cache_seed = cache_seed
        self.cache_dir = Path(
            cache_dir if cache_dir is not None else default_cache_dir()
        )
        self.path = self.cache_dir / _DB_NAME
        self.hits = 0
        self.misses = 0
        self._ready = False

    @property
    def cache_identity(self) -> str:
        """The wrapped model's identity (so caches can be stacked)."""
        return str(getattr(self.model, "cache_identity", ""))

    def key(self, request: ChatRequest) -> str:
        """The cache key of ``request``."""
        return cache_key(
            request, cache_seed=self.cache_seed, identity=self.cache_identity
        )

    def complete(self, request: ChatRequest) -> ChatResponse:
        """Answer from the cache, or ask the model and store its answer.

        Returns:
            The answer; ``cached=True`` when it came from the cache.

        Raises:
            LLMError: (from the model) on a miss whose call failed.
            BoundaryError: the cache database cannot be opened or written.
        """
        key = self.key(request)
        found = self._get(key)
        if found is not None:
            self.hits += 1
            return found
        response = self.model.complete(request)
        self.misses += 1
        self._put(key, response)
        return response

    async def acomplete(self, request: ChatRequest) -> ChatResponse:
        """The async form of :meth:`complete`."""
        key = self.key(request)
        found = self._get(key)
        if found is not None:
            self.hits += 1
            return found
        amethod = getattr(self.model, "acomplete", None)
        if amethod is not None:
            response: ChatResponse = await amethod(request)
        else:
            response = await asyncio.to_thread(self.model.complete, request)
        self.misses += 1
        self._put(key, response)
        return response

    def close(self) -> None:
        """Close the wrapped model if it can be closed (the cache holds nothing open)."""
        close = getattr(self.model, "close", None)
        if close is not None:
            close()

    async def aclose(self) -> None:
        """Close the wrapped model (its async clients too) if it can be closed."""
        aclose = getattr(self.model, "aclose", None)
        if aclose is not None:
            await aclose()
        else:
            self.close()

    async def __aenter__(self) -> CachedChatModel:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def __enter__(self) -> CachedChatModel:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __len__(self) -> int:
        """How many answers are stored for this seed."""
        if not self.path.exists():
            return 0
        with closing(self._connect()) as db:
            row = db.execute(
                "SELECT COUNT(*) FROM responses WHERE cache_seed = ?",
                (self.cache_seed,),
            ).fetchone()
        return int(row[0])

    def __repr__(self) -> str:
        return f"<CachedChatModel seed={self.cache_seed} at {str(self.path)!r} over {self.model!r}>"

    # -- storage ---------------------------------------------------------------

    def _failed(self, exc: Exception) -> BoundaryError:
        msg = (
            f"response cache {str(self.path)!r} failed: {type(exc).__name__}: {exc}; "
            f"use another cache directory or run without the cache"
        )
        return BoundaryError(msg)

    def _connect(self) -> sqlite3.Connection:
        try:
            return self._open()
        except (OSError, sqlite3.Error) as exc:
            raise self._failed(exc) from exc

    def _open(self) -> sqlite3.Connection:
        if not self._ready:
            self.cache_dir.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, timeout=30)
        if not self._ready:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(_SCHEMA)
            db.commit()
            self._ready = True
        return db

    def _get(self, key: str) -> ChatResponse | None:
        if not self._ready and not self.path.exists():
            return None
        try:
            with closing(self._connect()) as db:
                row = db.execute(
                    "SELECT response FROM responses WHERE key = ?", (key,)
                ).fetchone()
        except sqlite3.Error as exc:
            raise self._failed(exc) from exc
        if row is None:
            return None
        try:
            return _load(row[0]) if isinstance(row[0], str) else _load("")
        except _BadEntry as exc:  # a miss; the next put replaces it
            _LOG.warning(
                "response cache %s: ignoring a damaged entry (%s); asking the model",
                self.path,
                exc,
            )
            return None

    def _put(self, key: str, response: ChatResponse) -> None:
        try:
            with closing(self._connect()) as db, db:
                db.execute(
                    "INSERT OR REPLACE INTO responses (key, cache_seed, response) VALUES (?, ?, ?)",
                    (key, self.cache_seed, _dump(response)),
                )
        except sqlite3.Error as exc:
            raise self._failed(exc) from exc
