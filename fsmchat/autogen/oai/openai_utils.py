"""AutoGen's ``autogen.oai.openai_utils``: config lists."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fsmchat.adapters._config import (
    config_list_from_dotenv,
    config_list_from_json,
    filter_config,
)

__all__ = [
    "config_list_from_dotenv",
    "config_list_from_json",
    "filter_config",
    "get_config_list",
]


def get_config_list(
    api_keys: Sequence[str],
    base_urls: Sequence[str] | None = None,
    api_type: str | None = None,
    api_version: str | None = None,
) -> list[dict[str, Any]]:
    """One config per non-blank API key, with the matching base URL, type and version.

    Raises:
        ValueError: ``base_urls`` is given and its length differs from ``api_keys``'.
    """
    if base_urls is not None and len(base_urls) != len(api_keys):
        msg = "The length of api_keys must match the length of base_urls"
        raise ValueError(msg)
    configs: list[dict[str, Any]] = []
    for i, key in enumerate(api_keys):
        if not key.strip():
            continue
        config: dict[str, Any] = {"api_key": key}
        if base_urls:
            config["base_url"] = base_urls[i]
        if api_type:
            config["api_type"] = api_type
        if api_version:
            config["api_version"] = api_version
        configs.append(config)
    return configs
