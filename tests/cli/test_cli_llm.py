"""`fsmchat run --config ...`: model-routed chats from the command line, in-process."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from fsmchat.cli import main
from fsmchat.testing._fakeserver import (
    FakeOpenAIServer,
    FakeResponse,
    json_completion,
    schema_answer,
)
from tests.helpers import judge_counting

ROOT = Path(__file__).resolve().parents[2]
SPEC = str(ROOT / "specs" / "counting_nl.yaml")
KEY = "sk-cli-SECRET-0123456789abcdef"


@pytest.fixture
def server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer(judge_counting) as srv:
        yield srv


def write_config(path: Path, *servers: FakeOpenAIServer, model: str = "judge") -> str:
    configs = [
        {"model": model, "api_key": KEY, "base_url": s.base_url} for s in servers
    ]
    path.write_text(json.dumps(configs))
    return str(path)


def test_run_with_config_routes_by_the_model_and_prints_usage(
    server: FakeOpenAIServer, tmp_path: Path
) -> None:
    """--config wires a model selector; --usage prints routing calls and tokens."""
    config = write_config(tmp_path / "OAI_CONFIG_LIST", server)
    result = CliRunner().invoke(
        main,
        [
            "run",
            SPEC,
            "--config",
            config,
            "--usage",
            "--cache-dir",
            str(tmp_path / "c"),
        ],
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 21
    assert lines[-1] == "Planner: TERMINATE"
    assert len(server.requests) == 15
    assert "(routing)     15" in result.stderr
    assert "chat ended: terminate_when" in result.stderr
    assert KEY not in result.output


def test_warm_cache_rerun_makes_zero_requests_and_prints_the_same(
    server: FakeOpenAIServer, tmp_path: Path
) -> None:
    """A second run with the same cache sends no request and prints the same transcript."""
    config = write_config(tmp_path / "oai.json", server)
    args = ["run", SPEC, "--config", config, "--cache-dir", str(tmp_path / "c")]
    first = CliRunner().invoke(main, args)
    assert len(server.requests) == 15
    second = CliRunner().invoke(main, args)
    assert second.exit_code == 0, second.output
    assert len(server.requests) == 15
    assert second.stdout == first.stdout


def test_cache_dir_from_environment_and_no_cache(
    server: FakeOpenAIServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """$FSMCHAT_CACHE_DIR is the CLI's default cache; --no-cache bypasses it."""
    monkeypatch.setenv("FSMCHAT_CACHE_DIR", str(tmp_path / "envcache"))
    config = write_config(tmp_path / "oai.json", server)
    CliRunner().invoke(main, ["run", SPEC, "--config", config])
    assert (tmp_path / "envcache" / "responses.sqlite3").is_file()
    CliRunner().invoke(main, ["run", SPEC, "--config", config])
    assert len(server.requests) == 15
    result = CliRunner().invoke(main, ["run", SPEC, "--config", config, "--no-cache"])
    assert result.exit_code == 0
    assert len(server.requests) == 30
    CliRunner().invoke(main, ["run", SPEC, "--config", config, "--cache-seed", "7"])
    assert len(server.requests) == 45


def test_config_from_environment_variable(
    server: FakeOpenAIServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--config names an environment variable holding the JSON list, as AutoGen."""
    monkeypatch.setenv(
        "MY_LLM_CONFIGS",
        json.dumps([{"model": "judge", "api_key": KEY, "base_url": server.base_url}]),
    )
    result = CliRunner().invoke(
        main, ["run", SPEC, "--config", "MY_LLM_CONFIGS", "--no-cache"]
    )
    assert result.exit_code == 0, result.output
    assert len(result.stdout.splitlines()) == 21


def test_model_filter_picks_the_config(
    server: FakeOpenAIServer, tmp_path: Path
) -> None:
    """--model keeps only that model's configs; an unknown one is a usage error with a hint."""
    with FakeOpenAIServer(lambda body: FakeResponse.error(500, "no")) as broken:
        path = tmp_path / "oai.json"
        path.write_text(
            json.dumps(
                [
                    {"model": "broken", "api_key": KEY, "base_url": broken.base_url},
                    {"model": "judge", "api_key": KEY, "base_url": server.base_url},
                ]
            )
        )
        ok = CliRunner().invoke(
            main, ["run", SPEC, "--config", str(path), "--model", "judge", "--no-cache"]
        )
        assert ok.exit_code == 0, ok.output
        assert broken.requests == []
    bad = CliRunner().invoke(
        main, ["run", SPEC, "--config", str(path), "--model", "juge"]
    )
    assert bad.exit_code == 2
    assert "no config for that model" in bad.stderr
    assert "did you mean 'judge'?" in bad.stderr


def test_endpoint_failure_exits_1_names_endpoints_and_keeps_the_transcript(
    tmp_path: Path,
) -> None:
    """All endpoints failing: Error naming them, exit 1, partial transcript in --json."""
    with (
        FakeOpenAIServer(lambda body: FakeResponse.error(503, f"down {KEY}")) as one,
        FakeOpenAIServer(lambda body: FakeResponse(200, "<html>")) as two,
    ):
        config = tmp_path / "oai.json"
        config.write_text(
            json.dumps(
                [
                    {
                        "model": "a",
                        "api_key": KEY,
                        "base_url": one.base_url,
                        "max_retries": 0,
                    },
                    {"model": "b", "api_key": KEY, "base_url": two.base_url},
                ]
            )
        )
        out = tmp_path / "chat.json"
        result = CliRunner().invoke(
            main,
            ["run", SPEC, "--config", str(config), "--json", str(out), "--no-cache"],
        )
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: every model endpoint failed (2 tried)")
    assert f"a at {one.base_url}" in result.stderr
    assert f"b at {two.base_url}: malformed response" in result.stderr
    assert KEY not in result.output
    data = json.loads(out.read_text())
    assert [m["content"] for m in data["messages"]] == ["1", "2", "3"]
    assert data["finished"]["reason"] == "error"
    assert KEY not in out.read_text()


def test_missing_config_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A --config that is neither a variable nor a file exits 2 saying what to do."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("OAI_CONFIG_LIST", raising=False)
    result = CliRunner().invoke(main, ["run", SPEC, "--config", "OAI_CONFIG_LIST"])
    assert result.exit_code == 2
    assert "environment variable OAI_CONFIG_LIST is not set" in result.stderr


def test_nl_spec_without_config_asks_for_one() -> None:
    """Without a model, a spec that needs one is refused up front, pointing at --config."""
    result = CliRunner().invoke(main, ["run", SPEC])
    assert result.exit_code == 2
    assert "--config OAI_CONFIG_LIST" in result.stderr


def test_model_without_config_is_a_usage_error() -> None:
    """--model alone is refused."""
    result = CliRunner().invoke(main, ["run", SPEC, "--model", "x"])
    assert result.exit_code == 2
    assert "--model NAME needs --config" in result.stderr


class _ReviewModel:
    """A model for specs/code_review.yaml: patches, one request for changes, approval."""

    def __init__(self) -> None:
        self.reviews = 0

    def __call__(self, body: dict[str, Any]) -> Any:
        verdicts = schema_answer(body)
        if verdicts is not None:
            return json_completion(verdicts)
        system = body["messages"][0]["content"]
        if system.startswith("You review"):
            self.reviews += 1
            if self.reviews == 1:
                return "Please add a test for the new flag."
            return "APPROVED: the flag is tested."
        return "--- a/cli.py\n+++ b/cli.py\n+VERBOSE = True"


def test_code_review_runs_to_its_end_against_a_server_that_500s_json_schema(
    tmp_path: Path,
) -> None:
    """Done-when of issue 16: `fsmchat run specs/code_review.yaml --config CFG` against a
    llama-cpp-python-like endpoint (json_schema → HTTP 500) runs the chat to its end."""
    with FakeOpenAIServer(_ReviewModel(), dialect="llama-cpp-python") as server:
        config = write_config(tmp_path / "CFG", server, model="local")
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "fsmchat",
                "run",
                str(ROOT / "specs" / "code_review.yaml"),
                "--config",
                config,
                "--cache-dir",
                str(tmp_path / "cache"),
            ],
            input="Add a --verbose flag.\nMerged, thanks.\n",
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert done.returncode == 0, done.stderr
    assert "chat ended: end agent" in done.stderr
    assert "Maintainer: Merged, thanks." in done.stdout
    assert "APPROVED" in done.stdout
    forms = [
        (b.get("response_format") or {}).get("type", "none") for b in server.requests
    ]
    # The first decision discovers the 500 once; llama-cpp-python's form is kept after.
    assert forms.count("json_schema") == 1
    assert "json_object" in forms
    assert server.handler_errors == []


def test_run_with_config_without_openai_stops_before_the_chat(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`run --config` without openai exits 1 with the install line before asking anyone."""
    monkeypatch.setitem(sys.modules, "openai", None)
    with FakeOpenAIServer() as server:
        config = write_config(tmp_path / "CFG", server)
        result = CliRunner().invoke(
            main,
            ["run", str(ROOT / "specs" / "code_review.yaml"), "--config", config],
            input="Add a flag.\n",
        )
    assert result.exit_code == 1
    assert "Error: a model endpoint (OpenAIChatModel) needs the 'openai' package" in (
        result.stderr
    )
    assert "pip install 'openai>=1.40'" in result.stderr
    assert "Traceback" not in result.output
    assert "Type your message" not in result.output
    assert server.requests == []


def test_resume_counts_one_decision_in_the_singular(tmp_path: Path) -> None:
    """Resuming after one message and one decision says "1 message and 1 decision"."""
    spec = str(ROOT / "specs" / "human_math.yaml")
    record = str(tmp_path / "chat.jsonl")
    paused = CliRunner().invoke(main, ["run", spec, "--record", record, "--no-wait"])
    assert paused.exit_code == 3, paused.output
    resumed = CliRunner().invoke(
        main, ["run", spec, "--record", record, "--no-wait", "--answer", "1+1"]
    )
    assert resumed.exit_code == 3, resumed.output
    assert "replayed 1 message and 1 decision from the record" in resumed.stderr
