"""The README's examples run as written and print what the README says."""

from __future__ import annotations

import subprocess
import sys

from tests.helpers import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def _block(section: str, fence: str, nth: int = 0) -> str:
    """The ``nth`` fenced block of kind ``fence`` after the heading ``section``."""
    text = README[README.index(section) :]
    for _ in range(nth + 1):
        text = text[text.index(f"```{fence}\n") + len(fence) + 4 :]
    return text[: text.index("```")]


def test_writing_your_own_port_snippet_prints_what_the_readme_shows() -> None:
    """The "Writing your own port" code runs from the repository and prints the shown text."""
    code = _block("### Writing your own port", "python")
    expected = _block("### Writing your own port", "text")
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == expected
