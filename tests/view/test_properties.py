"""A spec's properties on the chat page, and their SPIN verdicts with `view --prove`."""

from __future__ import annotations

import json
import re
import shutil
import threading
import urllib.request
from pathlib import Path
from typing import IO, Any

import pytest
from click.testing import CliRunner

from fsmchat._core.spec import Spec
from fsmchat._core.trail import Verdict
from fsmchat.cli import main
from fsmchat.view import LiveServer, build_page, render_html
from tests.helpers import SPECS

needs_spin = pytest.mark.skipif(
    shutil.which("spin") is None or shutil.which("cc") is None,
    reason="needs SPIN and a C compiler (apt-get install spin gcc)",
)
COUNTING_PROPERTIES = [
    "critic-hands-back",
    "executor-only-after-engineer",
    "planner-first",
    "no-dead-end",
]


def page_model(html: str) -> dict[str, object]:
    """The page model embedded in an HTML page."""
    found = re.search(r'id="fsm-data">(.*?)</script>', html, re.S)
    assert found
    data: dict[str, object] = json.loads(found.group(1))
    return data


def failing_spec(tmp_path: Path) -> Path:
    """specs/counting.yaml with one more property that does not hold."""
    text = (SPECS / "counting.yaml").read_text()
    text += '  - name: engineer-then-executor\n    holds: "after Engineer: Executor"\n'
    path = tmp_path / "counting.yaml"
    path.write_text(text)
    return path


def test_page_lists_properties_without_proving(chats: dict[str, Path]) -> None:
    """Without --prove the page lists each property's name and text, with no verdict."""
    page = build_page(str(chats["counting"]))
    rows = page.model["properties"]
    assert [r["name"] for r in rows] == COUNTING_PROPERTIES
    assert rows[0]["holds"] == "after Critic: Planner or Engineer"
    assert all(r["verdict"] is None for r in rows)
    assert 'id="properties"' in render_html(page)


def test_prove_without_spin_warns_and_the_page_renders(
    chats: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With no spin on PATH, --prove prints a warning naming it; the page is still written."""
    monkeypatch.setenv("PATH", str(tmp_path))
    out = tmp_path / "page.html"
    result = CliRunner().invoke(
        main, ["view", str(chats["counting"]), "-o", str(out), "--prove"]
    )
    assert result.exit_code == 0, result.output
    assert "warning: properties not proved" in result.stderr
    assert "spin" in result.stderr
    rows = page_model(out.read_text())["properties"]
    assert isinstance(rows, list)
    assert [r["verdict"] for r in rows] == [None] * 4


@needs_spin
def test_prove_shows_verdicts_and_the_counterexample_path(
    chats: dict[str, Path], tmp_path: Path
) -> None:
    """--prove: counting's properties PROVED; a false one FAILS with SPIN's path."""
    out = tmp_path / "page.html"
    spec = failing_spec(tmp_path)
    args = ["view", str(chats["counting"]), "--spec", str(spec), "-o", str(out)]
    result = CliRunner().invoke(main, [*args, "--prove"])
    assert result.exit_code == 0, result.output
    rows = page_model(out.read_text())["properties"]
    assert isinstance(rows, list)
    verdicts = {r["name"]: r["verdict"] for r in rows}
    assert verdicts == {
        **dict.fromkeys(COUNTING_PROPERTIES, "PROVED"),
        "engineer-then-executor": "FAILS",
    }
    path = rows[-1]["counterexample"]["path"]
    assert path.startswith("User -[0]-> Planner -[1]-> Engineer")
    assert path.endswith("Critic")


def test_live_page_proves_once_and_streams_the_verdicts(
    chats: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A live page with prove=True asks SPIN once, not again when the chat file changes."""
    import fsmchat.adapters._spin as spin

    calls: list[str] = []

    def fake_prove(spec: Spec, **_: object) -> list[Verdict]:
        calls.append(spec.name)
        return [
            Verdict(name=p.name, holds=p.holds, status="proved")
            for p in spec.properties
        ]

    monkeypatch.setattr(spin, "prove", fake_prove)
    chat = tmp_path / "counting.json"
    chat.write_bytes(chats["counting"].read_bytes())
    server = LiveServer(str(chat), prove=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with urllib.request.urlopen(server.url + "events", timeout=10) as events:
            first = next_model(events)
            chat.write_bytes(chats["counting"].read_bytes() + b"\n")
            second = next_model(events)
    finally:
        server.close()
        thread.join(5)
    for model in (first, second):
        assert [r["verdict"] for r in model["properties"]] == ["PROVED"] * 4
    assert calls == ["counting"]


def next_model(events: IO[bytes]) -> dict[str, Any]:
    """The next `model` event of a Server-Sent Events stream."""
    assert events.readline() == b"event: model\n"
    data: dict[str, Any] = json.loads(events.readline().removeprefix(b"data: "))
    assert events.readline() == b"\n"
    model: dict[str, Any] = data["model"]
    return model
