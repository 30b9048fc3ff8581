"""AutoGen 0.2's own agent-chat unit tests, run on real AutoGen and on ``fsmchat.autogen``.

Run by hand, not in CI. It needs AutoGen 0.2's ``test/`` folder and an
interpreter with AutoGen and pytest installed (never a dependency of fsmchat):

    python3 -m venv /work/ag-ref
    /work/ag-ref/bin/pip install 'autogen-agentchat==0.2.40' pytest
    git -C AUTOGEN_CHECKOUT archive v0.2.40 test | tar x -C /tmp/ag    # microsoft/autogen
    python benchmarks/autogen_unit_tests.py --tests /tmp/ag/test --autogen-python /work/ag-ref/bin/python

How it works. The chosen test files (``--files``; default: the agent-chat files
below) are copied twice into a scratch folder. The first copy runs, unchanged,
with ``--autogen-python``; in the second every import line naming ``autogen``
names ``fsmchat.autogen`` instead (nothing else changes) and it runs with this
interpreter. Both runs are offline (``--skip-openai``, no API key in the
environment); ``async def`` tests run under :func:`asyncio.run` by a small
plugin, so pytest-asyncio is not needed; ``PYTHONPATH`` is kept (to measure
another checkout of fsmchat, put it first there). The script prints passed / failed /
skipped per file for both, the totals and the ratio of fsmchat's passes to
AutoGen's; with ``--failures`` the names of the tests that pass on AutoGen and
not on fsmchat.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

FILES = (
    "agentchat/test_conversable_agent.py",
    "agentchat/test_groupchat.py",
    "agentchat/test_function_and_tool_calling.py",
    "agentchat/test_function_call.py",
    "agentchat/test_function_call_groupchat.py",
    "agentchat/test_tool_calls.py",
    "agentchat/test_chats.py",
    "agentchat/test_nested.py",
    "agentchat/test_async.py",
    "agentchat/test_async_chats.py",
    "agentchat/test_human_input.py",
    "agentchat/test_async_get_human_input.py",
    "agentchat/test_assistant_agent.py",
    "agentchat/test_agentchat_utils.py",
    "agentchat/test_agent_usage.py",
)

_PLUGIN = """
import asyncio, inspect
import pytest

def pytest_configure(config):
    config.addinivalue_line("markers", "asyncio: run the test under asyncio.run")

@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem):
    if inspect.iscoroutinefunction(pyfuncitem.obj):
        names = pyfuncitem._fixtureinfo.argnames
        kwargs = {n: pyfuncitem.funcargs[n] for n in names}
        asyncio.run(pyfuncitem.obj(**kwargs))
        return True
    return None
"""
_IMPORT = re.compile(r"^(\s*)(from|import)\s+autogen\b", re.MULTILINE)


def to_fsmchat(source: str) -> str:
    """``source`` with each import of ``autogen`` importing ``fsmchat.autogen``."""

    def swap(match: re.Match[str]) -> str:
        indent, word = match.group(1), match.group(2)
        if word == "from":
            return f"{indent}from fsmchat.autogen"
        return f"{indent}import fsmchat.autogen as autogen; import fsmchat.autogen"

    out = _IMPORT.sub(swap, source)
    # ``import autogen.x`` became ``import fsmchat.autogen as autogen; import fsmchat.autogen.x``
    return re.sub(
        r"import fsmchat\.autogen as autogen; import fsmchat\.autogen(\.[\w.]+)",
        r"import fsmchat.autogen\1; import fsmchat.autogen as autogen",
        out,
    )


def prepare(tests: Path, where: Path, *, fsmchat: bool) -> None:
    """Copy ``tests`` to ``where``, imports changed when ``fsmchat``; add the asyncio plugin."""
    shutil.copytree(tests, where / "test")
    if fsmchat:
        for path in (where / "test").rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            path.write_text(to_fsmchat(text), encoding="utf-8")
    (where / "ag_asyncio_plugin.py").write_text(_PLUGIN, encoding="utf-8")
    (where / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")


def run(
    python: str, where: Path, files: list[str], timeout: int
) -> dict[str, dict[str, set[str]]]:
    """Run ``files`` with ``python`` in ``where``; outcomes per file: passed/failed/skipped test names."""
    report = where / "report.xml"
    env = {k: v for k, v in os.environ.items() if "API_KEY" not in k}
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(where), os.environ.get("PYTHONPATH", "")) if p
    )
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    cmd = [
        python,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "-p",
        "ag_asyncio_plugin",
        "--skip-openai",
        "--skip-redis",
        "--skip-docker",
        "--continue-on-collection-errors",
        "-W",
        "ignore",
        f"--junitxml={report}",
        *[f"test/{f}" for f in files],
    ]
    subprocess.run(
        cmd, cwd=where, env=env, timeout=timeout, check=False, capture_output=True
    )
    outcomes: dict[str, dict[str, set[str]]] = {
        f: {"passed": set(), "failed": set(), "skipped": set()} for f in files
    }
    if not report.exists():
        return outcomes
    module_of = {"test." + f.removesuffix(".py").replace("/", "."): f for f in files}
    for case in ET.parse(report).getroot().iter("testcase"):
        found = module_of.get(case.get("classname", "").split("::")[0])
        if found is None:
            continue
        name = case.get("name", "")
        if case.find("skipped") is not None:
            kind = "skipped"
        elif case.find("failure") is not None or case.find("error") is not None:
            kind = "failed"
        else:
            kind = "passed"
        outcomes[found][kind].add(name)
    return outcomes


def main() -> int:
    """Run both and print the counts; exit 1 when under ``--target``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--tests", type=Path, required=True, help="AutoGen 0.2's test/ folder"
    )
    parser.add_argument("--autogen-python", default="/work/ag-ref/bin/python")
    parser.add_argument("--fsmchat-python", default=sys.executable)
    parser.add_argument(
        "--files", default=",".join(FILES), help="comma-separated, below --tests"
    )
    parser.add_argument("--timeout", type=int, default=1200, help="seconds per run")
    parser.add_argument("--target", type=float, default=0.8)
    parser.add_argument(
        "--failures", action="store_true", help="list what fails only on fsmchat"
    )
    args = parser.parse_args()
    files = [f for f in args.files.split(",") if f]
    with tempfile.TemporaryDirectory(prefix="ag-unit-") as tmp:
        ag_dir, fs_dir = Path(tmp, "autogen"), Path(tmp, "fsmchat")
        ag_dir.mkdir()
        fs_dir.mkdir()
        prepare(args.tests, ag_dir, fsmchat=False)
        prepare(args.tests, fs_dir, fsmchat=True)
        ag = run(args.autogen_python, ag_dir, files, args.timeout)
        fs = run(args.fsmchat_python, fs_dir, files, args.timeout)
    print(f"{'file':48} {'autogen p/f/s':>15} {'fsmchat p/f/s':>15}")
    totals = [0, 0]
    for f in files:
        a, b = ag.get(f, {}), fs.get(f, {})
        counts = [
            len(x.get(k, ())) for x in (a, b) for k in ("passed", "failed", "skipped")
        ]
        totals[0] += counts[0]
        totals[1] += counts[3]
        print(
            f"{f:48} {'/'.join(map(str, counts[:3])):>15} {'/'.join(map(str, counts[3:])):>15}"
        )
        if args.failures:
            for name in sorted(a.get("passed", set()) - b.get("passed", set())):
                print(f"    only on AutoGen: {name}")
    ratio = totals[1] / totals[0] if totals[0] else 0.0
    print(
        f"passed: AutoGen {totals[0]}, fsmchat.autogen {totals[1]} ({ratio:.0%} of AutoGen's)"
    )
    return 0 if ratio >= args.target else 1


if __name__ == "__main__":
    sys.exit(main())
