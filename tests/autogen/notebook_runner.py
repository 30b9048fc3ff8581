"""Run a ported AutoGen notebook against a fake model and compare it with its golden.

Each program in ``tests/data/autogen_programs/nb_*.py`` runs in a fresh Python
process (``_harness.py``) in an empty directory, with an ``OAI_CONFIG_LIST``
and ``OPENAI_BASE_URL`` pointing at a :class:`FakeOpenAIServer` that answers
with the notebook's world from :mod:`tests.autogen.notebook_worlds`, and its
scripted human input on stdin. The run gives three things to compare: the
printed text (stdout), the speaker order of each group chat and the final
``chat_messages`` of every agent.

The goldens in ``tests/golden/autogen/`` come from the same runs on real
AutoGen 0.2.40 (the import read as ``autogen``); regenerate them with::

    .venv/bin/python -m tests.autogen.notebook_runner --golden [--autogen-python /work/ag-ref/bin/python]

and print the conformance table (fsmchat against the goldens) with::

    .venv/bin/python -m tests.autogen.notebook_runner
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from fsmchat.autogen import GroupChat
from fsmchat.testing import FakeOpenAIServer
from tests.autogen.notebook_worlds import NOTEBOOKS

ROOT = Path(__file__).resolve().parents[2]
PROGRAMS = ROOT / "tests" / "data" / "autogen_programs"
GOLDEN = ROOT / "tests" / "golden" / "autogen"
HARNESS = PROGRAMS / "_harness.py"
AUTOGEN_PYTHON = "/work/ag-ref/bin/python"

_ADDRESS = re.compile(r"<(?:fsmchat\.)?autogen\.[\w.]*?(\w+) object at 0x[0-9a-f]+>")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def normalize(text: str, where: str) -> str:
    """The run-independent form of printed text.

    Only what cannot match between two runs changes: the run's temporary
    directory, terminal colours, and object addresses (with the defining
    module, which is a different package by construction).
    """
    text = (
        _ANSI.sub("", text)
        .replace(os.path.realpath(where), "<RUN>")
        .replace(where, "<RUN>")
    )
    return _ADDRESS.sub(r"<\1 object>", text)


def speakers(state: dict[str, Any]) -> dict[str, list[str]]:
    """Each group chat's speaker order."""
    return {
        name: [str(m.get("name")) for m in messages]
        for name, messages in state.get("groupchats", {}).items()
    }


def run(
    program: str, *, python: str = sys.executable, autogen: bool = False
) -> dict[str, Any]:
    """Run ``program`` once; its normalized stdout, state, error and model requests."""
    notebook = NOTEBOOKS[program]
    with (
        tempfile.TemporaryDirectory() as where,
        FakeOpenAIServer(notebook.world) as server,
    ):
        config = [
            {
                "model": "gpt-4",
                "api_key": "sk-test-not-a-real-key",
                "base_url": server.base_url,
                "tags": ["gpt-4o", "tool", "gpt-4"],
            },
            {  # for the notebooks that filter on this model
                "model": "gpt-4-32k",
                "api_key": "sk-test-not-a-real-key",
                "base_url": server.base_url,
            },
        ]
        Path(where, "OAI_CONFIG_LIST").write_text(json.dumps(config), encoding="utf-8")
        env = {
            k: v for k, v in os.environ.items() if not k.startswith(("OPENAI", "OAI_"))
        }
        env.update(
            OPENAI_API_KEY="sk-test-not-a-real-key",
            OPENAI_BASE_URL=server.base_url,
            MPLBACKEND="Agg",
            PYTHONHASHSEED="0",
            # a fresh response cache per run, as AutoGen's (in the working directory)
            XDG_CACHE_HOME=str(Path(where, "cache")),
        )
        env.pop("PYTHONPATH", None)
        out = Path(where, "_state.json")
        argv = [python, str(HARNESS), str(PROGRAMS / program), str(out)]
        proc = subprocess.run(
            [*argv, "--autogen"] if autogen else argv,
            cwd=where,
            env=env,
            input=notebook.stdin,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        state = json.loads(out.read_text(encoding="utf-8")) if out.exists() else {}
        return {
            "stdout": normalize(proc.stdout, where),
            "error": state.get("error", f"no state (exit {proc.returncode})"),
            "speakers": speakers(state),
            "agents": state.get("agents", {}),
            "stderr": proc.stderr[-4000:],
            "requests": len(server.requests),
            "handler_errors": [repr(e) for e in server.handler_errors],
        }


def golden_path(program: str) -> Path:
    """Where ``program``'s golden (AutoGen's run) is kept."""
    return GOLDEN / (Path(program).stem + ".json")


def load_golden(program: str) -> dict[str, Any]:
    """AutoGen's run of ``program``."""
    data: dict[str, Any] = json.loads(golden_path(program).read_text(encoding="utf-8"))
    return data


#: fsmchat's deliberate differences from AutoGen, each a canonical form applied
#: to the printed text and the stored messages of both runs of a notebook that shows it (README,
#: "Porting from AutoGen"): the comparison then proves that nothing else differs.
DELIBERATE: dict[str, tuple[re.Pattern[str], str]] = {
    # fsmchat knows no model prices: every cost is 0 (token counts are compared)
    "cost": (re.compile(r"('(?:total_)?cost': )[0-9.e-]+"), r"\g<1>0"),
    # an agent prints as <ConversableAgent 'name'> (AutoGen: the default object repr)
    "repr": (re.compile(r"<(\w+) (?:object|'[^']*')>"), r"<\1>"),
    # send_introductions: the opening line is fsmchat's own words (its prompts are its own);
    # the roster after it is AutoGen's
    "intro": (
        re.compile(
            r"Hello everyone\. [^\"\\]*In attendance are:|"
            + re.escape(GroupChat.DEFAULT_INTRO_MSG)
        ),
        "<introductions>",
    ),
}


def canonical(text: str, deliberate: tuple[str, ...]) -> str:
    """``text`` with the named deliberate differences put in their canonical form."""
    for name in deliberate:
        pattern, replacement = DELIBERATE[name]
        text = pattern.sub(replacement, text)
    return text


def compare(
    golden: dict[str, Any], got: dict[str, Any], deliberate: tuple[str, ...] = ()
) -> list[str]:
    """What differs between two runs: ``[]`` when they are the same."""
    differs = [
        part for part in ("error", "speakers") if golden.get(part) != got.get(part)
    ]
    agents = [
        canonical(json.dumps(run.get("agents"), sort_keys=True), deliberate)
        for run in (golden, got)
    ]
    if agents[0] != agents[1]:
        differs.append("agents")
    if canonical(golden["stdout"], deliberate) != canonical(got["stdout"], deliberate):
        differs.append("stdout")
    return differs


def verdict(golden: dict[str, Any], got: dict[str, Any], program: str) -> str:
    """``same``, ``traceback`` (fsmchat raised where AutoGen did not) or ``differs: ...``."""
    if got["error"] and not golden["error"]:
        return "traceback"
    deliberate = NOTEBOOKS[program].deliberate
    if compare(golden, got) == []:
        return "same"
    parts = compare(golden, got, deliberate)
    if parts == []:
        return "same but for " + ", ".join(deliberate)
    return "differs: " + ", ".join(parts)


def _write_golden(program: str, python: str) -> None:
    result = run(program, python=python, autogen=True)
    keep = {k: result[k] for k in ("error", "speakers", "stdout", "agents", "requests")}
    keep["handler_errors"] = result["handler_errors"]
    golden_path(program).write_text(
        json.dumps(keep, indent=1, sort_keys=True) + "\n", encoding="utf-8"
    )
    print(
        f"{program}: golden written ({result['requests']} requests, error={result['error']})"
    )
    if result["handler_errors"] or result["error"]:
        print(result["stderr"][-2000:])


def main(argv: list[str] | None = None) -> int:
    """Write the goldens (``--golden``) or print fsmchat's conformance table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--golden", action="store_true", help="rewrite the goldens with AutoGen"
    )
    parser.add_argument("--autogen-python", default=AUTOGEN_PYTHON)
    parser.add_argument("programs", nargs="*", default=sorted(NOTEBOOKS))
    args = parser.parse_args(argv)
    if args.golden:
        GOLDEN.mkdir(parents=True, exist_ok=True)
        for program in args.programs:
            _write_golden(program, args.autogen_python)
        return 0
    same = 0
    for program in args.programs:
        golden, got = load_golden(program), run(program)
        result = verdict(golden, got, program)
        same += result.startswith("same")
        print(f"| {NOTEBOOKS[program].source} | {result} |")
        if result != "same" and os.environ.get("NOTEBOOK_DEBUG"):
            print(got["stderr"][-3000:])
    print(f"{same} of {len(args.programs)} same (deliberate differences aside)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
