"""``Cache``: AutoGen's response cache, on fsmchat's SQLite cache.

``with Cache.disk(cache_seed=42) as cache: user.initiate_chat(..., cache=cache)``
answers the chat's repeated model requests from
``<cache_path_root>/responses.sqlite3`` (a
:class:`~fsmchat.adapters._cache.CachedChatModel` around each agent's model).
``cache.get(key)`` / ``cache.set(key, value)`` keep values of your own in
``<cache_path_root>/values.sqlite3``, per ``cache_seed``, as JSON: AutoGen pickles
them, but a cache file is data and unpickling runs code, so values must be JSON
(a ``TypeError`` says so otherwise).
"""

from __future__ import annotations

import json
import os
import sqlite3
from contextlib import closing
from typing import Any

from fsmchat._core.errors import BoundaryError, InvalidArgument
from fsmchat.adapters._cache import CachedChatModel

__all__ = ["Cache"]

#: The file of values set with :meth:`Cache.set`, in ``cache_path_root``.
_VALUES = "values.sqlite3"


class Cache:
    """A response cache for ``initiate_chat(cache=...)`` (AutoGen's ``Cache``).

    Args:
        config: ``{"cache_seed": 42, "cache_path_root": ".cache"}``.

    Raises:
        InvalidArgument: an unknown key, a Redis or Cosmos DB cache (not
            supported: fsmchat caches in SQLite), or a seed that is not an int.
    """

    ALLOWED_CONFIG_KEYS = ("cache_seed", "cache_path_root")

    def __init__(self, config: dict[str, Any]) -> None:
        for key in config:
            if key not in self.ALLOWED_CONFIG_KEYS:
                msg = f"Cache: unsupported config key {key!r} (fsmchat caches in SQLite; keys: {', '.join(self.ALLOWED_CONFIG_KEYS)})"
                raise InvalidArgument(msg)
        seed = config.get("cache_seed", 42)
        if isinstance(seed, str) and seed.isdigit():
            seed = int(seed)
        if not isinstance(seed, int) or isinstance(seed, bool):
            msg = f"Cache: cache_seed must be an int, got {seed!r}"
            raise InvalidArgument(msg)
        self.config = dict(config)
        self.cache_seed = seed
        self.cache_path_root = str(config.get("cache_path_root", ".cache"))

    @staticmethod
    def disk(cache_seed: str | int = 42, cache_path_root: str = ".cache") -> Cache:
        """A cache in ``cache_path_root`` (SQLite)."""
        return Cache({"cache_seed": cache_seed, "cache_path_root": cache_path_root})

    @staticmethod
    def redis(
        cache_seed: str | int = 42, redis_url: str = "redis://localhost:6379/0"
    ) -> Cache:
        """Not supported: fsmchat caches in SQLite (use :meth:`disk`).

        Raises:
            InvalidArgument: always.
        """
        msg = "Cache.redis is not supported: fsmchat caches responses in SQLite; use Cache.disk()"
        raise InvalidArgument(msg)

    def wrap(self, model: Any) -> CachedChatModel:
        """``model`` answered from this cache."""
        return CachedChatModel(
            model,
            cache_seed=self.cache_seed,
            cache_dir=os.path.join(self.cache_path_root),
        )

    def get(self, key: str, default: Any = None) -> Any:
        """The value stored under ``key`` for this seed, else ``default``.

        Raises:
            BoundaryError: the cache file cannot be read.
        """
        path = os.path.join(self.cache_path_root, _VALUES)
        if not os.path.exists(path):
            return default
        with closing(self._db()) as db:
            row = db.execute(
                "SELECT value FROM kv WHERE seed = ? AND key = ?",
                (self.cache_seed, str(key)),
            ).fetchone()
        return default if row is None else json.loads(row[0])

    def set(self, key: str, value: Any) -> None:
        """Store ``value`` (JSON-serialisable) under ``key`` for this seed.

        Raises:
            TypeError: ``value`` is not JSON-serialisable.
            BoundaryError: the cache file cannot be written.
        """
        try:
            text = json.dumps(value)
        except (TypeError, ValueError) as exc:
            msg = f"Cache.set({key!r}): fsmchat keeps JSON values only (a cache file is data; unpickling would run code): {exc}"
            raise TypeError(msg) from None
        with closing(self._db()) as db, db:
            db.execute(
                "INSERT OR REPLACE INTO kv (seed, key, value) VALUES (?, ?, ?)",
                (self.cache_seed, str(key), text),
            )

    def _db(self) -> sqlite3.Connection:
        path = os.path.join(self.cache_path_root, _VALUES)
        try:
            os.makedirs(self.cache_path_root, exist_ok=True)
            db = sqlite3.connect(path, timeout=30)
            db.execute(
                "CREATE TABLE IF NOT EXISTS kv (seed INTEGER, key TEXT, value TEXT,"
                " PRIMARY KEY (seed, key))"
            )
        except (OSError, sqlite3.Error) as exc:
            msg = f"Cache: cannot use {path}: {exc}"
            raise BoundaryError(msg) from exc
        return db

    def __enter__(self) -> Cache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Nothing to close: each lookup opens and closes its own connection."""
