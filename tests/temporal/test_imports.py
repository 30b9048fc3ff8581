"""The Temporal SDK is loaded only by what uses it."""

from __future__ import annotations

import subprocess
import sys

from tests.helpers import ROOT

PROBE = """
import sys
import fsmchat
from fsmchat.cli import main
fsmchat.run_chat
try:
    main(["run", "specs/counting.yaml"], standalone_mode=False)
finally:
    print("temporalio" in sys.modules, file=sys.stderr)
"""


def test_import_fsmchat_and_plain_run_do_not_load_temporalio() -> None:
    """`import fsmchat` and `fsmchat run` without --temporal never import temporalio."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "Planner: TERMINATE"
    assert done.stderr.strip().splitlines()[-1] == "False"
