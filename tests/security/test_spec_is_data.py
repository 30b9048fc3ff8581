"""A spec is data: offline tools import nothing it names; run resolves only from an allow-list."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import fsmchat
from fsmchat import SpecError, UnallowedCode, UserCodeError
from fsmchat._core.check import check_text

HOSTILE = """\
import pathlib
pathlib.Path(__file__).with_name("IMPORTED").write_text("the module ran")

def reply(chat, **kwargs):
    return "hello from hostile"

def boom(chat, **kwargs):
    raise ZeroDivisionError("agent went wrong")

def guard_boom(chat, **kwargs):
    raise KeyError("guard went wrong")

def yes(chat, **kwargs):
    return True
"""

SPEC = """\
name: hostile
message: hi
max_round: 3
agents:
  - {name: A, function: "hostile_mod:reply"}
  - {name: B, function: "hostile_mod:reply"}
transitions:
  - {from: A, to: B, when: {call: "hostile_mod:yes"}}
  - {from: B, to: A}
"""

TRANSCRIPT = {
    "messages": [{"name": "A", "content": "hi"}, {"name": "B", "content": "x"}]
}


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A directory holding a hostile module (it leaves IMPORTED when imported) and a spec naming it."""
    (tmp_path / "hostile_mod.py").write_text(HOSTILE)
    (tmp_path / "spec.yaml").write_text(SPEC)
    (tmp_path / "t.json").write_text(json.dumps(TRANSCRIPT))
    return tmp_path


def cli(site: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k != "FSMCHAT_ALLOW"}
    environ["PYTHONPATH"] = os.pathsep.join(
        [str(site), os.environ.get("PYTHONPATH", "")]
    )
    environ.update(env)
    return subprocess.run(
        [sys.executable, "-m", "fsmchat", *args],
        cwd=site,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    "args",
    [
        ("check", "spec.yaml"),
        ("draw", "spec.yaml"),
        ("paths", "spec.yaml"),
        ("verify", "spec.yaml", "t.json"),
        ("draw", "spec.yaml", "--trace", "t.json"),
        ("schema",),
    ],
)
def test_offline_commands_import_nothing_a_spec_names(
    site: Path, args: tuple[str, ...]
) -> None:
    """check, draw, paths, verify and schema next to a hostile module never run it."""
    done = cli(site, *args)
    assert not (site / "IMPORTED").exists(), done.stderr
    assert "Traceback" not in done.stderr


def test_check_warns_of_every_unallowed_reference(site: Path) -> None:
    """check reports each code reference outside the allow-list as unallowed-code, located."""
    done = cli(site, "check", "spec.yaml")
    lines = [ln for ln in done.stdout.splitlines() if "[unallowed-code]" in ln]
    assert len(lines) == 3
    assert lines[0].startswith("spec.yaml:5:")
    assert "warning" in lines[0]
    assert "--allow hostile_mod" in lines[0]
    assert done.returncode == 0
    assert cli(site, "check", "--strict", "spec.yaml").returncode == 1
    allowed = cli(site, "check", "--allow", "hostile_mod", "spec.yaml")
    assert "unallowed-code" not in allowed.stdout
    assert not (site / "IMPORTED").exists()


def test_run_refuses_unallowed_code_before_importing(site: Path) -> None:
    """run without --allow: exit 1, located errors saying how to allow, nothing imported."""
    done = cli(site, "run", "spec.yaml")
    assert done.returncode == 1
    assert "spec.yaml:5:" in done.stderr
    assert "--allow hostile_mod" in done.stderr
    assert "FSMCHAT_ALLOW" in done.stderr
    assert not (site / "IMPORTED").exists()
    assert "Traceback" not in done.stderr


def test_run_with_allow_or_env_runs_the_code(site: Path) -> None:
    """--allow PREFIX and FSMCHAT_ALLOW both let the named module run."""
    done = cli(site, "run", "--allow", "hostile_mod", "spec.yaml")
    assert done.returncode == 0, done.stderr
    assert "hello from hostile" in done.stdout
    (site / "IMPORTED").unlink()
    done = cli(site, "run", "spec.yaml", FSMCHAT_ALLOW="other, hostile_mod")
    assert done.returncode == 0, done.stderr
    assert (site / "IMPORTED").exists()


def test_pydoc_pipepager_is_refused(tmp_path: Path) -> None:
    """A guard naming pydoc:pipepager (a shell command) is refused by run and flagged by check."""
    spec = tmp_path / "pager.yaml"
    spec.write_text(
        "message: hi\nmax_round: 3\nend: [B]\nagents:\n"
        "  - {name: A, function: 'fsmchat.examples.counting:add_one'}\n"
        "  - {name: B, function: 'fsmchat.examples.counting:add_one'}\n"
        "transitions:\n"
        "  - {from: A, to: B, when: {call: 'pydoc:pipepager', args: {text: x, cmd: 'id > pwned'}}}\n"
        "  - {from: A, to: A}\n  - {from: B, to: A}\n"
    )
    done = cli(tmp_path, "run", "pager.yaml")
    assert done.returncode == 1
    assert "'pydoc:pipepager'" in done.stderr
    assert "--allow pydoc" in done.stderr
    assert not (tmp_path / "pwned").exists()
    problems = check_text(spec.read_text(), path="pager.yaml")
    (flagged,) = [p for p in problems if p.code == "unallowed-code"]
    assert flagged.line == 8
    assert flagged.severity == "warning"


def test_bad_allow_prefix_is_a_usage_error(site: Path) -> None:
    """--allow takes dotted module names only (exit 2)."""
    done = cli(site, "run", "--allow", "hostile_mod:reply", "spec.yaml")
    assert done.returncode == 2
    assert "not a module prefix" in done.stderr


def test_raising_function_agent_is_a_typed_error_and_keeps_the_transcript(
    site: Path,
) -> None:
    """A function agent that raises ends run with exit 1 naming the agent; --json keeps the chat."""
    (site / "spec.yaml").write_text(
        SPEC.replace(
            'B, function: "hostile_mod:reply"', 'B, function: "hostile_mod:boom"'
        )
    )
    done = cli(site, "run", "--allow", "hostile_mod", "--json", "out.json", "spec.yaml")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert (
        "function agent 'B' (hostile_mod:boom) raised ZeroDivisionError: agent went wrong"
        in done.stderr
    )
    kept = json.loads((site / "out.json").read_text())
    assert [m["content"] for m in kept["messages"]] == ["hi"]
    assert kept["finished"]["reason"] == "error"


def test_raising_guard_is_a_typed_error(site: Path) -> None:
    """A call: guard that raises ends run with exit 1 naming the guard and the exception."""
    (site / "spec.yaml").write_text(
        SPEC.replace("hostile_mod:yes", "hostile_mod:guard_boom")
    )
    done = cli(site, "run", "--allow", "hostile_mod", "spec.yaml")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "guard guard_boom (hostile_mod:guard_boom) raised KeyError" in done.stderr


def test_library_load_imports_nothing_until_allowed(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """load_spec is data; resolve_spec refuses, then binds with allow=; run_chat needs it bound."""
    monkeypatch.syspath_prepend(str(site))
    spec = fsmchat.load_spec(site / "spec.yaml")
    assert [r.ref for r in spec.unbound] == ["hostile_mod:reply"] * 2 + [
        "hostile_mod:yes"
    ]
    with pytest.raises(UnallowedCode) as refused:
        fsmchat.resolve_spec(spec, allow=["hostile"])  # a prefix is a whole module name
    assert len(refused.value.problems) == 3
    with pytest.raises(UnallowedCode):
        fsmchat.run_chat(spec)
    assert "hostile_mod" not in sys.modules
    assert not (site / "IMPORTED").exists()
    bound = fsmchat.load_spec(site / "spec.yaml", allow=["hostile_mod"])
    result = fsmchat.run_chat(bound)
    assert [m.content for m in result.messages][1:] == ["hello from hostile"] * 2
    sys.modules.pop("hostile_mod", None)


def test_user_code_error_carries_the_cause(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """UserCodeError names where and keeps the original exception."""
    monkeypatch.syspath_prepend(str(site))
    text = SPEC.replace(
        'B, function: "hostile_mod:reply"', 'B, function: "hostile_mod:boom"'
    )
    spec = fsmchat.resolve_spec(fsmchat.parse_spec(text), allow=["hostile_mod"])
    with pytest.raises(UserCodeError) as info:
        fsmchat.run_chat(spec)
    assert info.value.where == "agent 'B'"
    assert isinstance(info.value.error, ZeroDivisionError)
    sys.modules.pop("hostile_mod", None)


def test_not_callable_target_is_an_error_at_resolution() -> None:
    """call: math:pi has the right shape, so it builds; resolving says it is not callable."""
    spec = fsmchat.parse_spec(
        "agents: [{name: A}, {name: B}]\n"
        "transitions: [{from: A, to: B, when: {call: 'math:pi'}}]\n",
        path="pi.yaml",
    )
    with pytest.raises(SpecError, match="'math:pi' is not callable"):
        fsmchat.resolve_spec(spec, allow=["math"])


def test_python_built_callables_are_trusted() -> None:
    """A spec built in Python with callables needs no allow-list."""
    spec = fsmchat.Spec(
        agents=[
            fsmchat.AgentSpec(name="A", kind="function", reply=lambda chat: "a"),
            fsmchat.AgentSpec(name="B", kind="function", reply=lambda chat: "b"),
        ],
        transitions=[
            fsmchat.Edge(
                source="A", target="B", when=fsmchat.Call("mine:f", lambda chat: True)
            ),
            fsmchat.Edge(source="B", target="A"),
        ],
        message="go",
        max_round=3,
    )
    assert spec.unbound == ()
    assert [m.content for m in fsmchat.run_chat(spec).messages] == ["go", "b", "a"]


def test_verify_runs_guards_only_from_the_allow_list(site: Path) -> None:
    """verify refuses a spec whose call: guards are not allowed, and follows them once allowed."""
    refused = cli(site, "verify", "spec.yaml", "t.json")
    assert refused.returncode == 1
    assert "'hostile_mod:yes'" in refused.stderr
    assert "--allow hostile_mod" in refused.stderr
    assert (
        "'hostile_mod:reply'" not in refused.stderr
    )  # function agents are never needed
    assert not (site / "IMPORTED").exists()
    allowed = cli(site, "verify", "--allow", "hostile_mod", "spec.yaml", "t.json")
    assert allowed.returncode == 0, allowed.stderr


def test_replay_binds_guards_of_the_records_spec_only_from_allow(site: Path) -> None:
    """A spec the record names runs guards only from --allow typed for this replay
    (FSMCHAT_ALLOW does not apply: the record chose the spec); --spec makes it the person's."""
    ran = cli(
        site, "run", "--allow", "hostile_mod", "--record", "chat.jsonl", "spec.yaml"
    )
    assert ran.returncode == 0, ran.stderr
    (site / "IMPORTED").unlink()
    for env in ({}, {"FSMCHAT_ALLOW": "hostile_mod"}):
        refused = cli(site, "replay", "chat.jsonl", **env)
        assert refused.returncode == 1
        assert "--allow hostile_mod" in refused.stderr
        assert "a record never chooses code" in refused.stderr
        assert not (site / "IMPORTED").exists()
    replayed = cli(site, "replay", "chat.jsonl", "--allow", "hostile_mod")
    assert replayed.returncode == 0, replayed.stderr
    assert replayed.stdout == ran.stdout
    chosen = cli(
        site, "replay", "chat.jsonl", "--spec", "spec.yaml", FSMCHAT_ALLOW="hostile_mod"
    )
    assert chosen.returncode == 0, chosen.stderr
    assert chosen.stdout == ran.stdout
