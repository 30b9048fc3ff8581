"""Config lists and llm_config, as AutoGen users write them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fsmchat import InvalidArgument
from fsmchat.adapters import OpenAIChatModel
from fsmchat.adapters._cache import CachedChatModel
from fsmchat.adapters._config import (
    LLMConfig,
    config_list_from_dotenv,
    config_list_from_json,
    filter_config,
    make_chat_model,
)

KEY = "sk-config-SECRET-0123456789abcdef"
CONFIGS = [
    {"model": "gpt-4o", "api_key": KEY, "tags": ["big", "paid"]},
    {"model": "gpt-4o-mini", "api_key": KEY, "base_url": "http://127.0.0.1:1/v1"},
    {
        "model": "llama3",
        "api_key": "ollama",
        "base_url": "http://127.0.0.1:2/v1",
        "tags": ["local"],
    },
]


def test_from_env_var_holding_json(monkeypatch: pytest.MonkeyPatch) -> None:
    """An environment variable holding the JSON list is read first."""
    monkeypatch.setenv("OAI_CONFIG_LIST", json.dumps(CONFIGS))
    assert config_list_from_json() == CONFIGS


def test_from_env_var_naming_a_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """An environment variable may hold the path of the JSON file."""
    path = tmp_path / "oai.json"
    path.write_text(json.dumps(CONFIGS))
    monkeypatch.setenv("MY_LIST", str(path))
    assert config_list_from_json("MY_LIST") == CONFIGS


def test_from_file_in_file_location(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Without the variable, the name is a file (under file_location when given)."""
    monkeypatch.delenv("OAI_CONFIG_LIST", raising=False)
    (tmp_path / "OAI_CONFIG_LIST").write_text(json.dumps(CONFIGS))
    got = config_list_from_json(
        file_location=tmp_path, filter_dict={"model": ["llama3"]}
    )
    assert got == [CONFIGS[2]]


def test_missing_config_says_where_it_looked(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Nothing found: the error names the variable, the file, and what to do."""
    monkeypatch.delenv("OAI_CONFIG_LIST", raising=False)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InvalidArgument) as info:
        config_list_from_json()
    text = str(info.value)
    assert "environment variable OAI_CONFIG_LIST is not set" in text
    assert "'OAI_CONFIG_LIST' does not exist" in text
    assert "Create that file" in text


def test_malformed_json_error_has_position_but_not_the_content(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Bad JSON reports line and column, never the text (it may hold keys)."""
    monkeypatch.setenv("OAI_CONFIG_LIST", '[{"model": "m", "api_key": "' + KEY + '",}]')
    with pytest.raises(
        InvalidArgument, match=r"not valid JSON .* line 1, column \d+"
    ) as info:
        config_list_from_json()
    assert KEY not in str(info.value)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"model": "m"}, "expected a JSON list"),
        (["m"], r"entry \[0\] must be an object"),
        ([{"api_key": "k"}], r"entry \[0\] has no 'model' \(its keys: api_key\)"),
    ],
)
def test_wrong_shapes_are_refused(
    monkeypatch: pytest.MonkeyPatch, data: object, expected: str
) -> None:
    """A list of objects with a model is required; others are named clearly."""
    monkeypatch.setenv("OAI_CONFIG_LIST", json.dumps(data))
    with pytest.raises(InvalidArgument, match=expected):
        config_list_from_json()


def test_env_var_that_is_neither_json_nor_a_file(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A variable holding neither JSON nor an existing path is an error, not a silent miss."""
    monkeypatch.setenv("OAI_CONFIG_LIST", "/no/such/file.json")
    with pytest.raises(InvalidArgument, match="neither a JSON list nor the path"):
        config_list_from_json()


def test_filter_config_autogen_semantics() -> None:
    """Values must be allowed; list fields match on intersection; None admits missing keys."""
    assert filter_config(CONFIGS, {"model": ["gpt-4o", "llama3"]}) == [
        CONFIGS[0],
        CONFIGS[2],
    ]
    assert filter_config(CONFIGS, {"tags": ["local"]}) == [CONFIGS[2]]
    assert filter_config(CONFIGS, {"tags": ["paid", "local"]}) == [
        CONFIGS[0],
        CONFIGS[2],
    ]
    assert filter_config(CONFIGS, {"base_url": [None]}) == [CONFIGS[0]]
    assert filter_config(CONFIGS, {"model": "gpt-4o-mini"}) == [CONFIGS[1]]
    assert filter_config(CONFIGS, {"model": ["gpt-4o"], "tags": ["local"]}) == []
    assert filter_config(CONFIGS, None) == CONFIGS
    assert filter_config(CONFIGS, None)[0] is not CONFIGS[0]


def test_config_list_from_dotenv(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Keys come from the .env file (winning over the environment), one config per model."""
    env = tmp_path / ".env"
    env.write_text(f"OPENAI_API_KEY={KEY}\nAZURE_KEY=az-key\n")
    monkeypatch.setenv("OPENAI_API_KEY", "from-environment")
    configs = config_list_from_dotenv(
        env,
        model_api_key_map={
            "gpt-4o": "OPENAI_API_KEY",
            "my-deploy": {
                "api_key_env_var": "AZURE_KEY",
                "api_type": "azure",
                "api_version": "2024-06-01",
                "base_url": "https://x.openai.azure.com",
            },
            "absent": "NOT_SET_ANYWHERE_123",
        },
    )
    assert configs == [
        {"model": "gpt-4o", "api_key": KEY},
        {
            "model": "my-deploy",
            "api_key": "az-key",
            "api_type": "azure",
            "api_version": "2024-06-01",
            "base_url": "https://x.openai.azure.com",
        },
    ]
    import os

    assert os.environ.get("AZURE_KEY") is None  # the environment is left alone


def test_config_list_from_dotenv_without_any_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No key for any model is an error naming the variables, not an empty list."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(InvalidArgument, match="set one of OPENAI_API_KEY"):
        config_list_from_dotenv()
    with pytest.raises(InvalidArgument, match="does not exist"):
        config_list_from_dotenv(tmp_path / "nope.env")


def test_llm_config_defaults_like_autogen() -> None:
    """cache_seed defaults to 41; None disables; the legacy seed key is read."""
    config = LLMConfig.from_dict({"config_list": CONFIGS})
    assert config.cache_seed == 41
    assert config.max_retries == 2
    assert config.temperature is None
    assert (
        LLMConfig.from_dict({"config_list": CONFIGS, "cache_seed": None}).cache_seed
        is None
    )
    assert LLMConfig.from_dict({"config_list": CONFIGS, "seed": 7}).cache_seed == 7
    full = LLMConfig.from_dict(
        {"config_list": CONFIGS, "temperature": 0.2, "timeout": 30, "max_retries": 5}
    )
    assert (full.temperature, full.timeout, full.max_retries) == (0.2, 30.0, 5)


def test_llm_config_repr_hides_keys() -> None:
    """The repr of an LLMConfig shows models and URLs, never keys."""
    text = repr(LLMConfig.from_dict({"config_list": CONFIGS}))
    assert KEY not in text
    assert "'gpt-4o'" in text


def test_llm_config_single_entry_form() -> None:
    """A bare llm_config with model and api_key is one config."""
    config = LLMConfig.from_dict(
        {"model": "gpt-4o", "api_key": KEY, "cache_seed": None}
    )
    assert [dict(c) for c in config.config_list] == [
        {"model": "gpt-4o", "api_key": KEY}
    ]


@pytest.mark.parametrize(
    ("llm_config", "expected"),
    [
        (
            {"config_list": CONFIGS, "cache_sede": 1},
            "unknown llm_config key 'cache_sede'; did you mean 'cache_seed'",
        ),
        ({"config_list": CONFIGS, "cache_seed": "41"}, "must be an int or None"),
        ({"config_list": CONFIGS, "temperature": "hot"}, "must be a number"),
        ({"config_list": CONFIGS, "max_retries": -1}, "must be an int >= 0"),
        ({"config_list": []}, "is empty"),
        ({"temperature": 0}, "has no 'config_list'"),
        ({"config_list": [{"api_key": KEY}]}, "has no 'model'"),
        ("gpt-4o", "must be a dict"),
    ],
)
def test_llm_config_errors_are_clear(llm_config: object, expected: str) -> None:
    """Malformed llm_configs are refused saying what and what to do."""
    with pytest.raises(InvalidArgument, match=expected) as info:
        LLMConfig.from_dict(llm_config)  # type: ignore[arg-type]
    assert KEY not in str(info.value)


def test_model_fills_configs_without_one() -> None:
    """llm_config['model'] is used for configs that name none."""
    config = LLMConfig.from_dict({"config_list": [{"api_key": "k"}], "model": "m"})
    assert config.config_list[0]["model"] == "m"


def test_make_chat_model_wraps_in_cache_unless_disabled(tmp_path: Path) -> None:
    """make_chat_model returns the adapter, behind the cache unless cache_seed is None."""
    cached = make_chat_model(
        {"config_list": CONFIGS, "cache_seed": 3}, cache_dir=tmp_path
    )
    assert isinstance(cached, CachedChatModel)
    assert cached.cache_seed == 3
    assert cached.path == tmp_path / "responses.sqlite3"
    assert isinstance(cached.model, OpenAIChatModel)
    bare = make_chat_model({"config_list": CONFIGS, "cache_seed": None})
    assert isinstance(bare, OpenAIChatModel)
    assert KEY not in repr(cached) + repr(bare)
    with pytest.raises(InvalidArgument, match="has no model"):
        make_chat_model(False)  # type: ignore[arg-type]
