"""Model configuration as AutoGen users know it: config lists and ``llm_config``.

* :func:`config_list_from_json` reads ``OAI_CONFIG_LIST``: an environment
  variable holding the JSON list (or the path of a file holding it), else a file
  of that name (in ``file_location`` when given).
* :func:`config_list_from_dotenv` builds a config list from a ``.env`` file and
  the environment (python-dotenv), one entry per model.
* :func:`filter_config` keeps the entries matching a ``filter_dict``.
* :class:`LLMConfig` is an AutoGen ``llm_config`` dict parsed and checked.
* :func:`make_chat_model` turns an ``llm_config`` into a
  :class:`~fsmchat.ChatModel`: the OpenAI adapter, behind the response cache
  unless ``cache_seed`` is ``None``.

A config list entry looks like AutoGen's::

    {"model": "gpt-4o", "api_key": "sk-...", "base_url": "https://...",
     "api_type": "azure", "api_version": "2024-06-01"}

API keys never appear in an error message or a ``repr`` from this module.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from fsmchat._core.errors import InvalidArgument
from fsmchat._core.text import did_you_mean
from fsmchat._run.ports import ChatModel

__all__ = [
    "DEFAULT_CACHE_SEED",
    "LLMConfig",
    "config_list_from_dotenv",
    "config_list_from_json",
    "filter_config",
    "make_chat_model",
]

DEFAULT_CACHE_SEED = 41
_DEFAULT_KEY_MAP: Mapping[str, Any] = {
    "gpt-4o": "OPENAI_API_KEY",
    "gpt-4o-mini": "OPENAI_API_KEY",
}
_LLM_CONFIG_KEYS = (
    "cache_seed",
    "config_list",
    "max_retries",
    "model",
    "temperature",
    "timeout",
    "tools",
)
# AutoGen keys accepted and handled elsewhere (or with no effect here).
_IGNORED_KEYS = ("functions", "tool_choice", "cache", "seed")
# Keys that make a bare llm_config a single config-list entry.
_ENTRY_KEYS = ("api_key", "base_url", "api_type", "api_version")


def _redacted(config_list: Sequence[Mapping[str, Any]]) -> str:
    parts = []
    for c in config_list:
        where = c.get("base_url") or "default endpoint"
        parts.append(f"{c.get('model')!r} at {where}")
    return f"[{', '.join(parts)}]"


def _check_list(data: Any, where: str) -> list[dict[str, Any]]:
    if not isinstance(data, list):
        msg = (
            f"{where}: expected a JSON list of configs like "
            f'[{{"model": "gpt-4o", "api_key": "..."}}], got a JSON {type(data).__name__}'
        )
        raise InvalidArgument(msg)
    out: list[dict[str, Any]] = []
    for i, entry in enumerate(data):
        if not isinstance(entry, dict):
            msg = f"{where}: entry [{i}] must be an object, got {type(entry).__name__}"
            raise InvalidArgument(msg)
        if not isinstance(entry.get("model"), str) or not entry["model"]:
            keys = ", ".join(sorted(str(k) for k in entry)) or "none"
            msg = f"{where}: entry [{i}] has no 'model' (its keys: {keys}); every config needs one"
            raise InvalidArgument(msg)
        out.append(dict(entry))
    return out


def _parse_json(text: str, where: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        # exc.msg and the position only: the text may hold keys.
        msg = (
            f"{where}: not valid JSON ({exc.msg} at line {exc.lineno}, column "
            f"{exc.colno}); expected a list of configs"
        )
        raise InvalidArgument(msg) from None


def _read_file(path: Path, where: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        msg = f"{where}: cannot read {str(path)!r}: {exc.__class__.__name__}: {exc.strerror if isinstance(exc, OSError) else exc}"
        raise InvalidArgument(msg) from exc


def config_list_from_json(
    env_or_file: str = "OAI_CONFIG_LIST",
    *,
    file_location: str | os.PathLike[str] = "",
    filter_dict: Mapping[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """Load a config list the way AutoGen does.

    1. If the environment variable ``env_or_file`` is set, its value is the JSON
       list itself, or the path of a file holding it.
    2. Otherwise ``env_or_file`` is a file path (joined to ``file_location``
       when that is given).

    Returns:
        The configs (copies), filtered by ``filter_dict`` (see :func:`filter_config`).

    Raises:
        InvalidArgument: nothing found, unreadable, not JSON, or not a list of
            objects each with a ``model``.
    """
    value = os.environ.get(env_or_file)
    if value is not None and value.strip():
        stripped = value.strip()
        if stripped.startswith(("[", "{")):
            where = f"environment variable {env_or_file}"
            data = _parse_json(stripped, where)
        else:
            path = Path(stripped)
            where = f"file {stripped!r} (named by environment variable {env_or_file})"
            if not path.is_file():
                msg = (
                    f"environment variable {env_or_file} is set but is neither a JSON "
                    f"list nor the path of an existing file; set it to the JSON or to "
                    f"a file path"
                )
                raise InvalidArgument(msg)
            data = _parse_json(_read_file(path, where), where)
    else:
        path = Path(file_location) / env_or_file if file_location else Path(env_or_file)
        where = f"file {str(path)!r}"
        if not path.is_file():
            msg = (
                f"no model configuration: environment variable {env_or_file} is not "
                f"set and file {str(path)!r} does not exist. Create that file with a "
                f'JSON list like [{{"model": "gpt-4o-mini", "api_key": "..."}}] or '
                f"set {env_or_file} to that JSON"
            )
            raise InvalidArgument(msg)
        data = _parse_json(_read_file(path, where), where)
    return filter_config(_check_list(data, where), filter_dict)


def config_list_from_dotenv(
    dotenv_file_path: str | os.PathLike[str] | None = None,
    *,
    model_api_key_map: Mapping[str, Any] | None = None,
    filter_dict: Mapping[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """Build a config list from a ``.env`` file and the environment.

    ``model_api_key_map`` maps a model name to the name of the variable holding
    its key (``{"gpt-4o": "OPENAI_API_KEY"}``), or to a dict with
    ``api_key_env_var`` plus other config fields (``base_url``, ``api_type``,
    ``api_version``, ...). Values in the ``.env`` file win over the process
    environment; the process environment is not modified. Models whose key
    variable is unset are left out.

    Returns:
        One config per model whose key was found, filtered by ``filter_dict``.

    Raises:
        InvalidArgument: the ``.env`` file does not exist, a map entry is
            malformed, or no key was found for any model.
    """
    values = _dotenv_values(dotenv_file_path)

    def lookup(name: str) -> str | None:
        found = values.get(name)
        return found if found else os.environ.get(name) or None

    key_map = _DEFAULT_KEY_MAP if model_api_key_map is None else model_api_key_map
    configs: list[dict[str, Any]] = []
    wanted: list[str] = []
    for model, spec in key_map.items():
        if isinstance(spec, str):
            var, extra = spec, {}
        elif isinstance(spec, Mapping) and isinstance(spec.get("api_key_env_var"), str):
            var = spec["api_key_env_var"]
            extra = {k: v for k, v in spec.items() if k != "api_key_env_var"}
        else:
            msg = (
                f"model_api_key_map[{model!r}] must be a variable name or a dict with "
                f"'api_key_env_var', got {type(spec).__name__}"
            )
            raise InvalidArgument(msg)
        wanted.append(var)
        key = lookup(var)
        if key is not None:
            configs.append({"model": model, "api_key": key, **extra})
    if not configs:
        names = ", ".join(sorted(set(wanted))) or "(none)"
        msg = (
            f"no API key found for any model: set one of {names} in the environment "
            f"or in the .env file"
        )
        raise InvalidArgument(msg)
    return filter_config(configs, filter_dict)


def _dotenv_values(
    dotenv_file_path: str | os.PathLike[str] | None,
) -> dict[str, str | None]:
    """The variables of the given ``.env`` file, or of ``./.env`` if there is one."""
    from fsmchat._run.optional import require

    require("dotenv", purpose="config_list_from_dotenv")
    from dotenv import dotenv_values

    if dotenv_file_path is not None:
        path = Path(dotenv_file_path)
        if not path.is_file():
            msg = (
                f".env file {str(path)!r} does not exist; pass an existing path or None"
            )
            raise InvalidArgument(msg)
        return dict(dotenv_values(path))
    if Path(".env").is_file():
        return dict(dotenv_values(".env"))
    return {}


def filter_config(
    config_list: Sequence[Mapping[str, Any]], filter_dict: Mapping[str, Any] | None
) -> list[dict[str, Any]]:
    """Keep the configs that match ``filter_dict`` (AutoGen's semantics).

    A config matches when, for every key of ``filter_dict``, its value for that
    key is one of the allowed values (a missing key counts as ``None``, so
    ``None`` in the allowed values lets configs without the key pass). When the
    config's value is a list (e.g. ``tags``), it matches if it shares any element
    with the allowed values. A single allowed value may be given without a list.

    Returns:
        The matching configs (copies), in their order.
    """
    if not filter_dict:
        return [dict(c) for c in config_list]
    allowed: dict[str, list[Any]] = {
        k: list(v) if isinstance(v, list | tuple | set | frozenset) else [v]
        for k, v in filter_dict.items()
    }

    def matches(config: Mapping[str, Any]) -> bool:
        for key, values in allowed.items():
            value = config.get(key)
            if isinstance(value, list | tuple):
                if not any(v in values for v in value):
                    return False
            elif value not in values:
                return False
        return True

    return [dict(c) for c in config_list if matches(c)]


def _number(data: Mapping[str, Any], key: str, *, minimum: float = 0) -> float | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value < minimum:
        msg = f"llm_config[{key!r}] must be a number >= {minimum}, got {value!r}"
        raise InvalidArgument(msg)
    return float(value)


def _to_tuple(items: Sequence[Mapping[str, Any]]) -> tuple[Mapping[str, Any], ...]:
    return tuple(items)


def _config_list_repr(config_list: Sequence[Mapping[str, Any]]) -> str:
    return _redacted(config_list)


def _llm_config_list(
    data: Mapping[str, Any], model: str | None
) -> list[dict[str, Any]]:
    """The checked ``config_list`` of an ``llm_config`` (or its single inline entry)."""
    raw_list = data.get("config_list")
    if raw_list is None:
        if any(k in data for k in _ENTRY_KEYS) and isinstance(data.get("model"), str):
            entry_keys = ("model", *_ENTRY_KEYS)
            raw_list = [{k: data[k] for k in entry_keys if k in data}]
        else:
            msg = (
                "llm_config has no 'config_list': pass config_list="
                "config_list_from_json('OAI_CONFIG_LIST') (or --config on the CLI)"
            )
            raise InvalidArgument(msg)
    if isinstance(raw_list, list) and model is not None:
        raw_list = [
            c if not isinstance(c, dict) or c.get("model") else {**c, "model": model}
            for c in raw_list
        ]
    config_list = _check_list(raw_list, "llm_config['config_list']")
    if not config_list:
        msg = (
            "llm_config['config_list'] is empty: no endpoint to call (did a "
            "filter_dict or --model match nothing?)"
        )
        raise InvalidArgument(msg)
    return config_list


def _llm_options(data: Mapping[str, Any]) -> tuple[int | None, int, list[Any]]:
    """The checked ``cache_seed``, ``max_retries`` and ``tools`` of an ``llm_config``."""
    seed: Any = data.get("cache_seed", data.get("seed", DEFAULT_CACHE_SEED))
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        msg = (
            f"llm_config['cache_seed'] must be an int or None (no cache), got {seed!r}"
        )
        raise InvalidArgument(msg)
    retries = data.get("max_retries", 2)
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        msg = f"llm_config['max_retries'] must be an int >= 0, got {retries!r}"
        raise InvalidArgument(msg)
    tools = data.get("tools") or []
    if not isinstance(tools, list) or not all(isinstance(t, Mapping) for t in tools):
        msg = "llm_config['tools'] must be a list of OpenAI tool definitions (dicts)"
        raise InvalidArgument(msg)
    return seed, retries, tools


@attrs.frozen(kw_only=True)
class LLMConfig:
    """An AutoGen ``llm_config``, parsed and checked (see :meth:`from_dict`).

    Attributes:
        config_list: endpoints, tried in order (``repr`` hides the keys).
        temperature: default sampling temperature (``None``: the endpoint's).
        timeout: seconds per HTTP request (``None``: the SDK's default).
        cache_seed: the response cache's seed; ``None`` disables the cache.
        model: the model for configs that name none.
        max_retries: retries of a retryable failure per endpoint.
        tools: OpenAI tool definitions for LLM agents.
    """

    config_list: tuple[Mapping[str, Any], ...] = attrs.field(
        converter=_to_tuple, repr=_config_list_repr
    )
    temperature: float | None = None
    timeout: float | None = None
    cache_seed: int | None = DEFAULT_CACHE_SEED
    model: str | None = None
    max_retries: int = 2
    tools: tuple[Mapping[str, Any], ...] = attrs.field(default=(), converter=_to_tuple)

    @classmethod
    def from_dict(cls, llm_config: Mapping[str, Any] | LLMConfig) -> LLMConfig:
        """Parse an AutoGen ``llm_config`` dict.

        A dict with ``config_list`` is the usual form. A dict without one but with
        ``model`` and ``api_key``/``base_url`` is taken as a single config. The
        legacy ``seed`` key is read as ``cache_seed``.

        Returns:
            The checked config.

        Raises:
            InvalidArgument: not a dict, an unknown key (with a "did you mean"),
                a value of the wrong type, or no usable config list.
        """
        if isinstance(llm_config, LLMConfig):
            return llm_config
        if not isinstance(llm_config, Mapping):
            msg = (
                f"llm_config must be a dict like {{'config_list': [...], "
                f"'cache_seed': 41}}, got {type(llm_config).__name__}"
            )
            raise InvalidArgument(msg)
        data = dict(llm_config)
        known = (*_LLM_CONFIG_KEYS, *_IGNORED_KEYS, *_ENTRY_KEYS)
        for key in data:
            if key not in known:
                msg = (
                    f"unknown llm_config key {key!r}{did_you_mean(str(key), known)} (known: "
                    f"{', '.join(_LLM_CONFIG_KEYS)})"
                )
                raise InvalidArgument(msg)
        model = data.get("model")
        if model is not None and not isinstance(model, str):
            msg = f"llm_config['model'] must be a string, got {model!r}"
            raise InvalidArgument(msg)
        config_list = _llm_config_list(data, model)
        seed, retries, tools = _llm_options(data)
        return cls(
            config_list=config_list,
            temperature=_number(data, "temperature"),
            timeout=_number(data, "timeout"),
            cache_seed=seed,
            model=model,
            max_retries=retries,
            tools=tools,
        )


def make_chat_model(
    llm_config: Mapping[str, Any] | LLMConfig,
    *,
    cache_dir: str | os.PathLike[str] | None = None,
) -> ChatModel:
    """Build the chat model an ``llm_config`` describes.

    Returns:
        An :class:`~fsmchat.adapters.OpenAIChatModel` over the config list,
        wrapped in a :class:`~fsmchat.adapters._cache.CachedChatModel` (in ``cache_dir``,
        default ``fsmchat`` under the user's cache home) unless ``cache_seed`` is ``None``. Both also
        have ``acomplete``, ``close()`` and ``aclose()`` (and work as ``with`` /
        ``async with`` blocks); their HTTP clients are reused across calls.

    Raises:
        InvalidArgument: the config is missing or malformed.
    """
    if not isinstance(llm_config, Mapping | LLMConfig):
        msg = (
            "llm_config is False/None: this agent has no model; pass an llm_config dict"
        )
        raise InvalidArgument(msg)
    config = LLMConfig.from_dict(llm_config)
    from fsmchat.adapters._openai import OpenAIChatModel

    model: ChatModel = OpenAIChatModel(
        config.config_list,
        temperature=config.temperature,
        timeout=config.timeout,
        max_retries=config.max_retries,
    )
    if config.cache_seed is None:
        return model
    from fsmchat.adapters._cache import CachedChatModel

    return CachedChatModel(model, cache_seed=config.cache_seed, cache_dir=cache_dir)
