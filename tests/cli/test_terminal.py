"""The real ``fsmchat run`` process at a pseudo-terminal, driven with pexpect.

pexpect gives the CLI its own pty, so this works on CI runners whose own stdin
is not a terminal. Timeouts are generous; nothing here measures time.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

import pytest

pexpect = pytest.importorskip("pexpect")

pytestmark = pytest.mark.skipif(
    sys.platform == "win32", reason="pexpect.spawn needs a POSIX pty"
)

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "specs" / "human_math.yaml"
PROMPT_TEXT = "[You] to Calculator ('exit' ends): "
PROMPT = re.escape(PROMPT_TEXT)
TIMEOUT = 60


def spawn(*args: str) -> pexpect.spawn:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FSMCHAT_")}
    env.update({"TERM": "dumb", "PYTHONUNBUFFERED": "1", "NO_COLOR": "1"})
    child = pexpect.spawn(
        sys.executable,
        ["-m", "fsmchat", *args],
        cwd=str(ROOT),
        env=env,
        encoding="utf-8",
        timeout=TIMEOUT,
        dimensions=(40, 400),
    )
    return child


def finish(child: pexpect.spawn) -> int:
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus is not None, f"killed by signal {child.signalstatus}"
    return int(child.exitstatus)


def test_human_is_prompted_on_the_terminal_and_can_type_enter_and_exit() -> None:
    """The prompt names who waits for whom; text, Enter and exit all work."""
    child = spawn("run", str(SPEC))
    try:
        child.expect("Calculator: Hello! Type an arithmetic expression")
        child.expect(PROMPT)
        child.sendline("6 * 7")
        child.expect(re.escape("Calculator: 6 * 7 = 42"))
        child.expect(PROMPT)
        child.sendline("")  # Enter: an empty message; the calculator explains
        child.expect(re.escape("Calculator: Type an arithmetic expression"))
        child.expect(PROMPT)
        child.sendline("1/3 + 1/6")
        child.expect(re.escape("Calculator: 1/3 + 1/6 = 1/2"))
        child.expect(PROMPT)
        child.sendline("exit")
        child.expect(r"-- chat ended: stopped \(You typed exit\) after 7 messages")
        code = finish(child)
    finally:
        if child.isalive():
            child.terminate(force=True)
    assert code == 0


def test_the_human_prompt_is_short() -> None:
    """The prompt says who answers whom and how to end, in about 40 characters."""
    assert len(PROMPT_TEXT) <= 40


@pytest.mark.parametrize(
    ("key", "shown"), [("ctrl-d", r"\^D exit"), ("ctrl-c", r"\^C exit")]
)
def test_ctrl_d_and_ctrl_c_at_the_prompt_end_the_chat_like_exit(
    tmp_path: Path, key: str, shown: str
) -> None:
    """Ctrl-D or Ctrl-C at the prompt: '-- chat ended: stopped', exit 0, the record kept and replayable."""
    record = tmp_path / "chat.jsonl"
    child = spawn("run", str(SPEC), "--record", str(record))
    try:
        child.expect(PROMPT)
        child.sendline("6 * 7")
        child.expect(PROMPT)
        if key == "ctrl-d":
            child.sendeof()
        else:
            child.sendintr()
        child.expect(shown)
        child.expect(r"-- chat ended: stopped \(You typed exit\) after 3 messages")
        rest = child.read()
        code = finish(child)
    finally:
        if child.isalive():
            child.terminate(force=True)
    assert code == 0
    assert "Traceback" not in rest
    assert "Aborted" not in rest
    kinds = [json.loads(line)["type"] for line in record.read_text().splitlines()]
    assert kinds[-2:] == ["stop", "end"]
    again = spawn("replay", str(record))
    try:
        again.expect(r"Calculator: 6 \* 7 = 42")
        again.expect(r"-- chat ended: stopped \(You typed exit\) after 3 messages")
        assert finish(again) == 0
    finally:
        if again.isalive():
            again.terminate(force=True)


def test_human_math_spec_runs_in_process_with_a_scripted_human() -> None:
    """The same spec with a ScriptedHuman: text, Enter, then exit."""
    from fsmchat import load_spec, run_chat
    from fsmchat.testing import ScriptedHuman

    human = ScriptedHuman(["2 ** 10", "", "exit"])
    result = run_chat(load_spec(SPEC), human=human)
    assert [m.content for m in result.messages][1:4] == [
        "2 ** 10",
        "2 ** 10 = 1024",
        "",
    ]
    assert "You typed exit" in f"{result.finished.reason} {result.finished.detail}"
    assert all(p == PROMPT_TEXT for p in human.prompts)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("(1 + 2) * 3 / 4", "9/4"),
        ("-2 ** 2", "-4"),
        ("7 // 2 + 7 % 2", "4"),
        ("0.1 + 0.2", "3/10"),
    ],
)
def test_calculator_is_exact(text: str, expected: str) -> None:
    """The calculator computes exactly with fractions."""
    from fsmchat.examples.calculator import evaluate

    assert str(evaluate(text)) == expected


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("__import__('os')", "is not allowed"),
        ("1 / 0", "division by zero"),
        ("2 ** 0.5", "whole numbers"),
        ("(10 ** 1000) ** 1000", "bits"),
        ("1 +", "not an arithmetic expression"),
    ],
)
def test_calculator_refuses_what_it_cannot_compute(text: str, problem: str) -> None:
    """Anything but plain arithmetic, and impossible results, raise CalculationError."""
    from fsmchat.examples.calculator import CalculationError, evaluate

    with pytest.raises(CalculationError, match=problem):
        evaluate(text)
