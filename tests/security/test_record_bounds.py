"""What reaches the record is bounded: a huge model answer, a full disk while recording."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from fsmchat._core.prompts import MAX_ANSWER_CHARS, answer_problem, capped_answer
from fsmchat.cli import main
from tests.security.conftest import TinyFs
from tests.view.chats import COUNTING, NL_SPEC, nl_record

FSMCHAT = [sys.executable, "-m", "fsmchat"]

HUGE = "{" + "x" * 1_000_000


def test_a_huge_decision_answer_is_recorded_as_a_capped_prefix_and_its_length(
    tmp_path: Path,
) -> None:
    """A 1 MB answer is refused for routing and stored as 8192 characters plus its length."""
    record = nl_record(tmp_path / "chat.jsonl", garbage=HUGE)
    assert record.stat().st_size < 200_000
    raws = [
        attempt["raw"]
        for line in record.read_text().splitlines()
        for attempt in json.loads(line).get("decision", {}).get("attempts", [])
    ]
    cut = [r for r in raws if "characters in all" in r]
    assert len(cut) == 1
    assert cut[0].endswith(f"[answer cut: {len(HUGE)} characters in all]")
    assert cut[0].startswith(HUGE[:8192])


def test_a_record_with_a_capped_answer_replays_the_same(tmp_path: Path) -> None:
    """Replaying the capped record gives the recorded transcript, refusal included."""
    record = nl_record(tmp_path / "chat.jsonl", garbage=HUGE)
    result = CliRunner().invoke(main, ["replay", str(record), "--spec", str(NL_SPEC)])
    assert result.exit_code == 0, result.output


def test_a_full_disk_while_recording_is_one_error_line_and_loses_nothing(
    tiny_fs: TinyFs,
) -> None:
    """8 KiB of disk: `run --record` stops with one line, exit 1; with space back it finishes and replays."""
    tiny_fs.resize("8k")
    record = tiny_fs.path / "chat.jsonl"
    args = ["run", str(COUNTING), "--record", str(record)]
    full = subprocess.run(
        [*FSMCHAT, *args], capture_output=True, text=True, check=False
    )
    assert full.returncode == 1
    assert full.stderr.strip().splitlines() == [
        f"Error: cannot append to record {record}: the disk is full; every finished "
        f"step is kept: free some space and run the same command again to continue"
    ]
    kept = full.stdout.count("\n")
    assert kept > 3  # some steps were recorded before the disk filled
    tiny_fs.resize("256k")
    resumed = subprocess.run(
        [*FSMCHAT, *args], capture_output=True, text=True, check=False
    )
    assert resumed.returncode == 0, resumed.stderr
    assert "Traceback" not in resumed.stderr
    replay = subprocess.run(
        [*FSMCHAT, "replay", str(record)], capture_output=True, text=True, check=False
    )
    assert replay.returncode == 0, replay.stderr
    assert replay.stdout.splitlines()[:kept] == full.stdout.splitlines()
    assert replay.stdout.rstrip().endswith("Planner: TERMINATE")


@given(st.text(max_size=20_000), st.integers(min_value=0, max_value=3))
def test_a_capped_answer_is_refused_for_the_same_reason_as_the_original(
    text: str, repeat: int
) -> None:
    """Capping keeps a short answer whole and is idempotent; a long one's refusal reads the same."""
    long = text * (repeat + 1)
    capped = capped_answer(long)
    assert capped_answer(capped) == capped
    assert len(capped) <= MAX_ANSWER_CHARS + 64
    assert answer_problem(capped) == answer_problem(long)
    if len(long) <= MAX_ANSWER_CHARS:
        assert capped == long
