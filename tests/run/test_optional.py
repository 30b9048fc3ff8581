"""Missing optional packages are reported before work starts, with the install line."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import tomllib

from fsmchat import FsmchatError
from fsmchat._run.optional import MissingDependency, missing, require
from fsmchat.adapters import OpenAIChatModel
from fsmchat.adapters._config import config_list_from_dotenv

ROOT = Path(__file__).resolve().parents[2]


def test_openai_and_dotenv_are_normal_dependencies() -> None:
    """pyproject lists openai and python-dotenv as dependencies, not extras."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = [d.split(">")[0].split("=")[0].strip() for d in project["dependencies"]]
    assert "openai" in names
    assert "python-dotenv" in names


def test_require_names_every_missing_package_and_how_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A blocked import is missing; the error lists each package's install line."""
    monkeypatch.setitem(sys.modules, "openai", None)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(MissingDependency) as info:
        require("openai", "json", "matplotlib", purpose="this command")
    text = str(info.value)
    assert text.startswith("this command needs the 'openai' and 'matplotlib' packages")
    assert "pip install 'openai>=1.40'; pip install 'fsmchat[bench]'" in text
    assert isinstance(info.value, FsmchatError)
    assert isinstance(info.value, ImportError)


def test_present_packages_pass() -> None:
    """Installed modules are not reported."""
    require("json", "click", purpose="nothing")
    assert missing("json", "no_such_module_fsmchat_xyz")[0].install == (
        "pip install no_such_module_fsmchat_xyz"
    )


def test_model_without_openai_fails_on_construction(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """OpenAIChatModel says openai is missing when built, not at the first call."""
    monkeypatch.setitem(sys.modules, "openai", None)
    with pytest.raises(MissingDependency, match=r"'openai' package.*pip install"):
        OpenAIChatModel([{"model": "m", "api_key": "k"}])


def test_dotenv_config_without_python_dotenv(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """config_list_from_dotenv names python-dotenv's install line when it is missing."""
    monkeypatch.setitem(sys.modules, "dotenv", None)
    env = tmp_path / ".env"
    env.write_text("OPENAI_API_KEY=sk-x\n")
    with pytest.raises(MissingDependency, match=r"python-dotenv"):
        config_list_from_dotenv(str(env))
