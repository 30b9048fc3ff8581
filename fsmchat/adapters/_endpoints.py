"""The endpoints of a config list: each entry checked once, ready to call.

An AutoGen config list is a list of dicts (``model``, ``api_key``,
``base_url``, ``api_type``, ``api_version``, ...). :func:`endpoints` checks
every entry when the model is built, so a wrong one fails before any request,
naming its index; an :class:`Endpoint` keeps the entry, how to show it (its
URL without credentials, never the key) and the clients made for it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from fsmchat._core.errors import InvalidArgument
from fsmchat.adapters import _structured
from fsmchat.adapters._clients import LoopClient
from fsmchat.adapters._wire import safe_url

__all__ = ["DEFAULT_BASE_URL", "Endpoint", "endpoints"]

DEFAULT_BASE_URL = "https://api.openai.com/v1"


@attrs.define(repr=False)
class Endpoint:
    """One config-list entry, ready to call (the key is kept out of ``repr``)."""

    index: int
    config: Mapping[str, Any]
    model: str
    base_url: str | None
    azure: bool
    label: str
    client: Any = None
    #: The async client of each event loop, with the generator that closes it.
    aclients: dict[asyncio.AbstractEventLoop, LoopClient] = attrs.Factory(dict)

    def __repr__(self) -> str:
        return f"<endpoint {self.label}>"


def endpoints(config_list: Sequence[Mapping[str, Any]]) -> list[Endpoint]:
    """Every entry of ``config_list`` as an :class:`Endpoint`, in order.

    Raises:
        InvalidArgument: ``config_list`` is not a non-empty list of dicts, or
            an entry lacks what its kind needs (a ``model``; for Azure a
            ``base_url`` and an ``api_version``), naming the entry.
    """
    if isinstance(config_list, Mapping) or not isinstance(config_list, Sequence):
        msg = (
            f"config_list must be a list of dicts (AutoGen's OAI_CONFIG_LIST shape), "
            f"got {type(config_list).__name__}"
        )
        raise InvalidArgument(msg)
    if not config_list:
        msg = (
            "config_list is empty: give at least one {'model': ..., 'api_key': ...} "
            "entry (check a filter_dict or --model that matched nothing)"
        )
        raise InvalidArgument(msg)
    out = []
    for i, config in enumerate(config_list):
        if not isinstance(config, Mapping):
            msg = f"config_list[{i}] must be a dict, got {type(config).__name__}"
            raise InvalidArgument(msg)
        model = config.get("model")
        if not isinstance(model, str) or not model:
            msg = f"config_list[{i}] has no 'model' (a non-empty string is required)"
            raise InvalidArgument(msg)
        api_type = str(config.get("api_type") or "openai").lower()
        azure = api_type == "azure"
        base_url = config.get("base_url") or config.get("azure_endpoint")
        if base_url is not None and not isinstance(base_url, str):
            msg = f"config_list[{i}].base_url must be a string"
            raise InvalidArgument(msg)
        if azure and not base_url:
            msg = f"config_list[{i}] is api_type azure but has no base_url (your Azure endpoint)"
            raise InvalidArgument(msg)
        if azure and not config.get("api_version"):
            msg = f"config_list[{i}] is api_type azure but has no api_version (e.g. '2024-06-01')"
            raise InvalidArgument(msg)
        where = safe_url(base_url) if base_url else DEFAULT_BASE_URL
        label = f"{model} at {where}"
        if azure:
            label += f" (azure, api_version {config.get('api_version')})"
        _structured.forced_mode(config, i)  # a bad value fails on construction
        out.append(
            Endpoint(
                index=i,
                config=dict(config),
                model=model,
                base_url=base_url,
                azure=azure,
                label=label,
            )
        )
    return out
