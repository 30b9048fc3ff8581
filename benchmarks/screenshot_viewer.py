"""Regenerate the screenshot of ``fsmchat view`` in docs/viewer.md (benchmarks/data/viewer.png).

Run from the repository root (needs the dev install, Graphviz's ``dot``, and the
system ``chromium`` + ``chromium-driver``)::

    .venv/bin/python -m benchmarks.screenshot_viewer

It records ``specs/counting_nl.yaml`` with ``fsmchat run --record`` against a
model on 127.0.0.1 whose first answer is garbage (the same chat the viewer's
tests use), writes the page with ``fsmchat view``, opens it in headless
Chromium, steps to the round where the garbage answer was refused, and saves
the window.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from click.testing import CliRunner
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from fsmchat.cli import main
from tests.view.browser import chromium, missing
from tests.view.chats import nl_record

OUT = Path(__file__).resolve().parent / "data" / "viewer.png"
STEP = 3  # the Engineer's "3": judged after one refused answer


def screenshot(out: Path = OUT) -> Path:
    """Make the chat, its page and the screenshot; return the PNG's path."""
    here = Path.cwd()
    with tempfile.TemporaryDirectory(prefix="fsmchat-shot-") as tmp:
        os.chdir(tmp)  # the page shows the record's path: keep it short and stable
        try:
            record = nl_record(Path("counting_nl.jsonl"))
            page = Path(tmp) / "chat.html"
            result = CliRunner().invoke(main, ["view", str(record), "-o", str(page)])
        finally:
            os.chdir(here)
        if result.exit_code != 0:
            raise SystemExit(result.output)
        with chromium(width=1400, height=820) as browser:
            browser.get(page.as_uri())
            body = browser.find_element(By.TAG_NAME, "body")
            for _ in range(STEP):
                body.send_keys(Keys.ARROW_RIGHT)
            out.parent.mkdir(parents=True, exist_ok=True)
            browser.save_screenshot(str(out))
    return out


if __name__ == "__main__":
    reason = missing()
    if reason is not None:
        sys.exit(f"cannot take the screenshot: {reason}")
    print(f"wrote {screenshot()}")
