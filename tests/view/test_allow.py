"""`fsmchat view --allow`: a spec's call: guards run only from the allow-list."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from fsmchat.cli import main

SPEC = """\
name: guarded
start: A
max_round: 3
agents:
  - {name: A, kind: human}
  - {name: B, kind: human}
  - {name: C, kind: human}
transitions:
  - {from: A, to: B, when: {call: "viewguards_mod:says_go"}}
  - {from: A, to: C, default: true}
  - {from: B, to: A}
  - {from: C, to: A}
"""


@pytest.fixture
def chat(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """A spec whose guard lives in a user module beside it, and a transcript of it."""
    (tmp_path / "viewguards_mod.py").write_text(
        "def says_go(chat):\n    return chat.last_content.strip() == 'go'\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delenv("FSMCHAT_ALLOW", raising=False)
    spec = tmp_path / "guarded.yaml"
    spec.write_text(SPEC)
    messages = [
        {"name": "A", "role": "user", "content": "go"},
        {"name": "B", "role": "user", "content": "hi"},
        {"name": "A", "role": "user", "content": "stop"},
    ]
    transcript = tmp_path / "chat.json"
    transcript.write_text(json.dumps(messages))
    return spec, transcript


def test_view_refuses_a_guard_outside_the_allow_list(
    chat: tuple[Path, Path], tmp_path: Path
) -> None:
    """Without --allow the page is not built and the error names the reference and the fix."""
    spec, transcript = chat
    out = tmp_path / "page.html"
    result = CliRunner().invoke(
        main, ["view", str(transcript), "--spec", str(spec), "-o", str(out)]
    )
    assert result.exit_code == 1, result.output
    assert "viewguards_mod:says_go" in result.stderr
    assert "--allow viewguards_mod" in result.stderr
    assert not out.exists()


def test_view_runs_allowed_guards_to_judge_moves(
    chat: tuple[Path, Path], tmp_path: Path
) -> None:
    """With --allow the guard judges each move and every step of the legal chat is legal."""
    spec, transcript = chat
    out = tmp_path / "page.html"
    result = CliRunner().invoke(
        main,
        [
            "view",
            str(transcript),
            "--spec",
            str(spec),
            "-o",
            str(out),
            "--allow",
            "viewguards_mod",
        ],
    )
    assert result.exit_code == 0, result.output
    verdicts = re.findall(r'"ok": *(true|false)', out.read_text())
    assert verdicts == ["true", "true", "true"]


def test_view_marks_a_move_the_allowed_guard_forbids(
    chat: tuple[Path, Path], tmp_path: Path
) -> None:
    """The allowed guard really runs: A -> B after 'stop' is shown as illegal."""
    spec, _ = chat
    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps(
            [
                {"name": "A", "role": "user", "content": "stop"},
                {"name": "B", "role": "user", "content": "hi"},
            ]
        )
    )
    out = tmp_path / "page.html"
    result = CliRunner().invoke(
        main,
        [
            "view",
            str(bad),
            "--spec",
            str(spec),
            "-o",
            str(out),
            "--allow",
            "viewguards_mod",
        ],
    )
    assert result.exit_code == 0, result.output
    assert re.findall(r'"ok": *(true|false)', out.read_text()) == ["true", "false"]
