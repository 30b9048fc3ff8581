"""Fixtures of the viewer's tests: one headless Chromium per module, real chats."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.view.browser import chromium, missing
from tests.view.chats import counting_transcript, nl_record

needs_dot = pytest.mark.skipif(
    shutil.which("dot") is None,
    reason="needs the Graphviz dot binary (.ci/run installs it)",
)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """A headless Chromium (Selenium) shared by the tests of one module."""
    reason = missing()
    if reason is not None:
        pytest.skip(reason)
    if shutil.which("dot") is None:
        pytest.skip("needs the Graphviz dot binary (.ci/run installs it)")
    with chromium() as driver:
        yield driver


@pytest.fixture(scope="module")
def chats(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A counting_nl record (first answer garbage) and a counting transcript."""
    root = tmp_path_factory.mktemp("chats")
    return {
        "nl": nl_record(root / "counting_nl.jsonl"),
        "counting": counting_transcript(root / "counting.json"),
    }
