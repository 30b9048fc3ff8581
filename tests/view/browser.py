"""Headless Chromium for the viewer's tests (and benchmarks/screenshot_viewer.py).

The system browser (Debian's ``chromium`` and ``chromium-driver``, installed by
``.ci/run``) driven by Selenium; nothing is downloaded. :func:`missing` says why
a browser cannot run here, for a clear skip.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def missing() -> str | None:
    """Why no headless Chromium can run here (``None``: it can)."""
    if not Path(CHROMIUM).is_file():
        return "no Chromium (apt install chromium; .ci/run installs it)"
    if not Path(CHROMEDRIVER).is_file():
        return "no chromedriver (apt install chromium-driver; .ci/run installs it)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[dev]')"
    return None


@contextmanager
def chromium(width: int = 1500, height: int = 900) -> Iterator[Any]:
    """A headless Chromium (Selenium WebDriver) with a fresh profile, quit after."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    with tempfile.TemporaryDirectory(prefix="fsmchat-chromium-") as profile:
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for flag in (
            *FLAGS,
            f"--user-data-dir={profile}",
            f"--window-size={width},{height}",
        ):
            options.add_argument(flag)
        driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
        try:
            yield driver
        finally:
            driver.quit()
