"""AutoGen's ``autogen.cache``: the response cache (SQLite; no Redis or Cosmos DB)."""

from fsmchat.autogen.cache.abstract_cache_base import AbstractCache
from fsmchat.autogen.cache.cache import Cache

__all__ = ["AbstractCache", "Cache"]
