"""AutoGen's ``autogen.cache.abstract_cache_base``: the cache protocol."""

from __future__ import annotations

from types import TracebackType
from typing import Any, Protocol

__all__ = ["AbstractCache"]


class AbstractCache(Protocol):
    """What ``initiate_chat(cache=...)`` needs of a cache."""

    def get(self, key: str, default: Any = None) -> Any:
        """The value kept under ``key``, else ``default``."""
        ...  # pragma: no cover

    def set(self, key: str, value: Any) -> None:
        """Keep ``value`` under ``key``."""
        ...  # pragma: no cover

    def close(self) -> None:
        """Release the cache."""
        ...  # pragma: no cover

    def __enter__(self) -> AbstractCache: ...  # pragma: no cover

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None: ...  # pragma: no cover
