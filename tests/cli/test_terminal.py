"""The real ``fsmchat run`` process at a pseudo-terminal, driven with pexpect.

pexpect gives the CLI its own pty, so this works on CI runners whose own stdin
is not a terminal. Timeouts are generous; nothing here measures time.
"""

from __future__ import annotations

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
PROMPT = re.escape(
    "[You] (replying to Calculator) Type your message, press Enter to send "
    "nothing, or type 'exit' to end the chat: "
)
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


def test_end_of_input_at_the_prompt_is_a_clean_error() -> None:
    """Ctrl-D at the prompt ends the CLI with an error message and exit code 1."""
    child = spawn("run", str(SPEC))
    try:
        child.expect(PROMPT)
        child.sendeof()
        child.expect("Error: no more input on stdin")
        code = finish(child)
    finally:
        if child.isalive():
            child.terminate(force=True)
    assert code == 1


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
    assert all("(replying to Calculator)" in p for p in human.prompts)


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
