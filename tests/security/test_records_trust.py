"""Records never choose code, and a keyed record is evidence: each case is an attack on a record.

A crafted record names the spec it was "made with"; ``replay`` and ``view``
read that file only as data (never echoing a file that is not a spec) and run
its guards only from ``fsmchat.examples`` and ``--allow`` typed for this
command. With a record key, the chain is an HMAC: an edited, re-chained,
stripped or downgraded record is refused.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from fsmchat import RecordError, read_record, replay_record, run_recorded
from fsmchat._record.format import LEGACY_FORMAT, seal, split_hash
from fsmchat._record.keys import KEY_ENV, configured_key, key_file
from fsmchat.cli import main
from fsmchat.testing import ScriptedHuman
from tests.helpers import COUNTING_TRANSCRIPT, SPECS

COUNTING = SPECS / "counting.yaml"
KEY = "k" * 8 + "0123456789abcdef"
SECRET = "sk-SECRET-6f1d2a"
HUMAN = """\
name: review
start: Writer
message: "1"
max_round: 8
terminate_when: {contains: APPROVED}
agents:
  - {name: Writer, kind: function, function: "fsmchat.examples.counting:add_one"}
  - {name: Reviewer, kind: human, description: Approves or asks for another draft.}
transitions:
  - {from: Writer, to: Reviewer}
  - {from: Reviewer, to: Writer}
"""
HOSTILE_SPEC = """\
name: hostile
message: hi
max_round: 3
agents:
  - {name: A, kind: human}
  - {name: B, kind: human}
transitions:
  - {from: A, to: B, when: {call: "hostile_rec_mod:yes"}}
  - {from: B, to: A}
"""


def forge(path: Path, edit: Any, *, key: bytes | None = None) -> None:
    """Rewrite the record at ``path``: ``edit(lines)`` on the parsed lines, then
    re-chain every line as a forger would (SHA-256, or an HMAC under ``key``)."""
    objs = [json.loads(line) for line in path.read_bytes().splitlines()]
    for obj in objs:
        obj.pop("hash", None)
    edit(objs)
    out, previous = [], ""
    for obj in objs:
        body = json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()
        line, previous = seal(previous, body, key)
        out.append(line)
    path.write_bytes(b"\n".join(out) + b"\n")


def cli(*args: str) -> Any:
    return CliRunner().invoke(main, list(args))


@pytest.fixture
def counting_record(tmp_path: Path) -> Path:
    """A finished, unkeyed record of specs/counting.yaml."""
    path = tmp_path / "chat.jsonl"
    run_recorded(COUNTING, record=path)
    return path


# -- records never choose code ----------------------------------------------------


def point_header_at(record: Path, target: Path) -> None:
    """Make ``record``'s header name ``target`` as its spec (chain recomputed)."""

    def edit(objs: list[dict[str, Any]]) -> None:
        objs[0]["spec"].update(path=target.name, abspath=str(target))

    forge(record, edit)


@pytest.mark.parametrize("command", ["replay", "view"])
def test_a_header_pointing_at_a_secrets_file_never_echoes_it(
    counting_record: Path, tmp_path: Path, command: str
) -> None:
    """The record names a secrets file as its spec: one short error, none of the file shown."""
    secret = tmp_path / "secret.txt"
    secret.write_text(f"agents: {SECRET}\nAPI_KEY: {SECRET}\n")
    point_header_at(counting_record, secret)
    extra = ["-o", str(tmp_path / "page.html")] if command == "view" else []
    out = cli(command, str(counting_record), *extra)
    assert out.exit_code == 1, out.output
    assert SECRET not in out.output
    assert "API_KEY" not in out.output
    assert "not a readable fsmchat spec" in out.stderr
    assert "--spec SPEC" in out.stderr
    assert "Traceback" not in out.output
    with pytest.raises(RecordError) as info:
        replay_record(counting_record)
    assert SECRET not in str(info.value)


def test_a_record_naming_a_hostile_spec_runs_nothing_even_with_fsmchat_allow(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """FSMCHAT_ALLOW set for the person's own runs does not let a record's spec run it."""
    (tmp_path / "hostile_rec_mod.py").write_text(
        "import pathlib\n"
        "pathlib.Path(__file__).with_name('IMPORTED').write_text('ran')\n"
        "def yes(chat):\n    return True\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    spec = tmp_path / "hostile.yaml"
    spec.write_text(HOSTILE_SPEC)
    record = tmp_path / "chat.jsonl"
    run_recorded(
        spec,
        record=record,
        human=ScriptedHuman(["x", "y"]),
        allow=["hostile_rec_mod"],
    )
    (tmp_path / "IMPORTED").unlink()
    monkeypatch.delitem(__import__("sys").modules, "hostile_rec_mod")
    monkeypatch.setenv("FSMCHAT_ALLOW", "hostile_rec_mod")
    for args in (
        ["replay", str(record)],
        ["view", str(record), "-o", str(tmp_path / "page.html")],
    ):
        out = cli(*args)
        assert out.exit_code == 1, out.output
        assert "a record never chooses code" in out.stderr
        assert not (tmp_path / "IMPORTED").exists()
    assert not (tmp_path / "page.html").exists()


def test_a_record_naming_a_spec_that_hops_to_input_is_refused_at_load(
    counting_record: Path, tmp_path: Path
) -> None:
    """The issue's record: its sibling spec's guard hops to input(); replay refuses it unread."""
    evil = tmp_path / "evil.yaml"
    evil.write_text(
        COUNTING.read_text().replace(
            "fsmchat.examples.counting:last_number_is_multiple",
            "fsmchat.examples.calculator:operator._abs.__self__.input",
        )
    )
    assert "__self__" in evil.read_text()
    point_header_at(counting_record, evil)
    out = CliRunner().invoke(main, ["replay", str(counting_record)], input="1\n" * 50)
    assert out.exit_code == 1, out.output
    assert "not a readable fsmchat spec" in out.stderr
    assert out.stdout == ""


# -- tamper-evident records --------------------------------------------------------


@pytest.fixture
def keyed(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A record key in FSMCHAT_RECORD_KEY and a finished counting record written with it."""
    monkeypatch.setenv(KEY_ENV, KEY)
    path = tmp_path / "keyed.jsonl"
    run_recorded(COUNTING, record=path)
    return path


def edit_message(objs: list[dict[str, Any]]) -> None:
    objs[3]["message"]["content"] = "FORGED"


def test_a_keyed_record_says_so_and_replays_clean(keyed: Path) -> None:
    """With a key, the header names the MAC, the record reads keyed and replays the same chat."""
    first = json.loads(keyed.read_bytes().splitlines()[0])
    assert first["mac"] == "hmac-sha256"
    assert read_record(keyed).keyed
    out = cli("replay", str(keyed))
    assert out.exit_code == 0, out.output
    assert out.stdout == "".join(f"{a}: {c}\n" for a, c in COUNTING_TRANSCRIPT)


def test_without_a_key_a_rechained_edit_replays_clean(counting_record: Path) -> None:
    """What the README says: an unkeyed chain detects accidents, not a forger who re-chains."""
    forge(counting_record, edit_message)
    out = cli("replay", str(counting_record))
    assert out.exit_code == 0, out.output
    assert (
        "Planner: FORGED" in out.stdout
    )  # replay answers from the record: no agent runs


def test_an_edit_rechained_without_the_key_breaks_the_mac(keyed: Path) -> None:
    """A forger keeps "mac" and re-chains with SHA-256: the MAC breaks on line 1."""
    forge(keyed, edit_message)
    for args in (["replay", str(keyed)], ["verify", str(COUNTING), str(keyed)]):
        out = cli(*args)
        assert out.exit_code == 1, out.output
        assert "line 1: the MAC breaks here" in out.stderr


def test_an_edit_rechained_with_another_key_breaks_the_mac(keyed: Path) -> None:
    """A forger with a key of their own cannot write a chain that verifies under ours."""
    forge(keyed, edit_message, key=b"another key, 32 bytes long......")
    with pytest.raises(RecordError, match="sealed with another key"):
        read_record(keyed)


def test_a_stripped_mac_is_refused_when_a_key_is_configured(keyed: Path) -> None:
    """Dropping "mac" and re-chaining with SHA-256: replay and verify refuse it unless accepted."""

    def strip(objs: list[dict[str, Any]]) -> None:
        del objs[0]["mac"]

    forge(keyed, strip)
    for args in (["replay", str(keyed)], ["verify", str(COUNTING), str(keyed)]):
        out = cli(*args)
        assert out.exit_code == 1, out.output
        assert "has no MAC although a record key is configured" in out.stderr
    accepted = cli("replay", str(keyed), "--accept-unkeyed")
    assert accepted.exit_code == 0, accepted.output
    assert "Warning: record" in accepted.stderr


def test_a_keyed_record_without_the_key_is_refused_with_how_to_fix(
    keyed: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No key configured: a keyed record's lines cannot be checked, so it is not read."""
    monkeypatch.delenv(KEY_ENV)
    out = cli("replay", str(keyed))
    assert out.exit_code == 1
    assert "no key is configured" in out.stderr
    assert str(key_file()) in out.stderr


def test_a_downgrade_to_format_1_is_refused_unless_accepted(keyed: Path) -> None:
    """Rewritten as fsmchat.record/1 (no hashes at all): refused; --accept-v1 warns."""
    lines = []
    for line in keyed.read_bytes().splitlines():
        sealed = split_hash(line)
        assert sealed is not None
        obj = json.loads(sealed[0])
        obj.pop("mac", None)
        if obj["type"] == "header":
            obj["format"] = LEGACY_FORMAT
        lines.append(json.dumps(obj, separators=(",", ":")).encode())
    keyed.write_bytes(b"\n".join(lines) + b"\n")
    for args in (["replay", str(keyed)], ["verify", str(COUNTING), str(keyed)]):
        out = cli(*args)
        assert out.exit_code == 1, out.output
        assert "pass --accept-v1" in out.stderr
    accepted = cli("replay", str(keyed), "--accept-v1")
    assert accepted.exit_code == 0, accepted.output
    assert "has no hash chain" in accepted.stderr


def test_pause_resume_and_a_torn_tail_keep_a_record_keyed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Resume, answers and a cut torn line work the same with a key; the result stays keyed."""
    monkeypatch.setenv(KEY_ENV, KEY)
    spec = tmp_path / "review.yaml"
    spec.write_text(HUMAN)
    record = tmp_path / "r.jsonl"
    run_recorded(spec, record=record, no_wait=True)
    with record.open("ab") as f:
        f.write(b'{"type":"message","ind')  # a crash mid-write
    run_recorded(spec, record=record, no_wait=True, answers=["try 5"])
    done = run_recorded(spec, record=record, human=ScriptedHuman(["APPROVED"]))
    assert [m.content for m in done.messages] == ["1", "try 5", "6", "APPROVED"]
    read = read_record(record)
    assert read.keyed
    assert read.torn is None


def test_the_key_file_must_be_private(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A key file others can read is refused with the chmod to run; a private one is used."""
    path = key_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(KEY + "\n")
    path.chmod(0o644)
    with pytest.raises(RecordError, match="chmod 600"):
        configured_key()
    path.chmod(0o600)
    key = configured_key()
    assert key is not None
    assert key.secret == KEY.encode()
    assert KEY not in repr(key)
    record = tmp_path / "r.jsonl"
    run_recorded(COUNTING, record=record)
    assert read_record(record).keyed


def test_a_key_file_that_is_a_link_is_refused(tmp_path: Path) -> None:
    """The key file is opened without following a link (someone else's file stays theirs)."""
    target = tmp_path / "elsewhere.key"
    target.write_text(KEY)
    target.chmod(0o600)
    path = key_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    os.symlink(target, path)
    with pytest.raises(RecordError, match="cannot read the record key file"):
        configured_key()


def test_a_short_key_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """A guessable key is a chain anyone can forge: under 16 bytes is refused."""
    monkeypatch.setenv(KEY_ENV, "short")
    with pytest.raises(RecordError, match="has 5 bytes"):
        configured_key()


def test_view_shows_an_unkeyed_or_old_record_with_a_note(
    keyed: Path, tmp_path: Path
) -> None:
    """Showing is not trusting: view builds the page and says what could not be checked."""
    from fsmchat.view import build_page

    def strip(objs: list[dict[str, Any]]) -> None:
        del objs[0]["mac"]

    forge(keyed, strip)
    notes = build_page(str(keyed)).model["notes"]
    assert any("has no MAC although a record key is configured" in n for n in notes)
    old = tmp_path / "old.jsonl"
    old.write_bytes(
        b"\n".join(
            split_hash(line)[0].replace(b"fsmchat.record/2", LEGACY_FORMAT.encode())  # type: ignore[index]
            for line in keyed.read_bytes().splitlines()
        )
        + b"\n"
    )
    notes = build_page(str(old)).model["notes"]
    assert any("has no hash chain" in n for n in notes)
