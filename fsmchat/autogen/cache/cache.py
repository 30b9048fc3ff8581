"""AutoGen's ``autogen.cache.cache`` path: the SQLite-backed :class:`Cache`."""

from fsmchat.autogen._cache import Cache

__all__ = ["Cache"]
