"""Small helpers shared by the core tests (no fixtures, plain functions)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import fsmchat
from fsmchat.testing._fakeserver import json_completion

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "specs"

COUNTING_TRANSCRIPT = [
    ("User", "1"),
    ("Planner", "2"),
    ("Engineer", "3"),
    ("Executor", "4"),
    ("Engineer", "5"),
    ("Critic", "6"),
    ("Engineer", "7"),
    ("Critic", "8"),
    ("Engineer", "9"),
    ("Executor", "10"),
    ("Engineer", "11"),
    ("Critic", "12"),
    ("Engineer", "13"),
    ("Critic", "14"),
    ("Engineer", "15"),
    ("Executor", "16"),
    ("Engineer", "17"),
    ("Critic", "18"),
    ("Engineer", "19"),
    ("Critic", "20"),
    ("Planner", "TERMINATE"),
]


def pairs(result: fsmchat.ChatResult) -> list[tuple[str, str]]:
    """The transcript as (name, content) pairs."""
    return [(m.name, m.content) for m in result.messages]


def echo(text: str):  # type: ignore[no-untyped-def]
    """A reply function that always says ``text``."""

    def reply(chat: fsmchat.ChatView) -> str:
        return text

    return reply


def agents(*names: str, reply: str = "ok") -> list[fsmchat.AgentSpec]:
    """Function agents with the given names, all replying ``reply``."""
    return [
        fsmchat.AgentSpec(
            name=n, kind="function", reply=echo(reply), description=f"{n} desc"
        )
        for n in names
    ]


_CONDITION = re.compile(r"^(\d+)\. (.*)$", re.MULTILINE)


def last_excerpt_text(prompt: str) -> str:
    """The text of the last message of the prompt's conversation excerpt."""
    lines = [ln for ln in prompt.splitlines() if ln.startswith('{"speaker"')]
    return str(json.loads(lines[-1])["text"])


def judge_counting(body: dict[str, Any]) -> dict[str, Any]:
    """A model that judges the counting conditions correctly from its prompt."""
    prompt = body["messages"][-1]["content"]
    numbers = re.findall(r"-?\d+", last_excerpt_text(prompt))
    n = int(numbers[-1])
    answer: dict[str, Any] = {"reason": f"the last number is {n}"}
    props = body["response_format"]["json_schema"]["schema"]["properties"]
    conditions = dict(_CONDITION.findall(prompt))
    for key in props:
        if key == "reason":
            continue
        text = conditions[key.removeprefix("condition_")]
        divisor = int(re.search(r"multiple of (\d+)", text).group(1))  # type: ignore[union-attr]
        holds = n % divisor == 0
        answer[key] = (not holds) if "not a multiple" in text else holds
    return json_completion(answer, prompt_tokens=100, completion_tokens=20)


def skip_if_docker_engine() -> None:
    """Skip the calling test when a Docker engine answers (it tests the no-engine path)."""
    import shutil
    import subprocess

    import pytest

    if shutil.which("docker"):
        probe = subprocess.run(
            ["docker", "version", "--format", "{{.Server.Version}}"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        if probe.returncode == 0 and probe.stdout.strip():
            pytest.skip("a Docker engine is running here")


def fsmchat_in_fresh_interpreter(
    args: Sequence[str], names: Iterable[str]
) -> tuple[list[str], list[str]]:
    """Run ``fsmchat ARGS`` in a new interpreter (it must succeed).

    Returns its output lines and which of the module ``names`` it had imported
    by the end (sorted): what a command loads, read from a run that happened.
    """
    code = (
        "import json, sys\n"
        "from fsmchat.cli import main\n"
        f"sys.argv = ['fsmchat', *{list(args)!r}]\n"
        "try:\n"
        "    main()\n"
        "except SystemExit as exc:\n"
        "    assert not exc.code, exc.code\n"
        f"names = {sorted(names)!r}\n"
        "print('LOADED', json.dumps([n for n in names if n in sys.modules]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        timeout=120,
    )
    *lines, last = done.stdout.splitlines()
    assert last.startswith("LOADED "), done.stdout[-500:]
    loaded: list[str] = json.loads(last.removeprefix("LOADED "))
    return lines, loaded
