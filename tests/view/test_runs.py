"""A folder of chats as an index of runs: `fsmchat view DIR` and `--serve DIR`, in Chromium."""

from __future__ import annotations

import os
import shutil
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from fsmchat.cli import main
from fsmchat.view import RunsServer, build_runs
from tests.helpers import SPECS
from tests.view.chats import counting_transcript

#: The folder's chats, oldest first, with what the index says of each.
EXPECTED = {
    "broken.json": ("unreadable", None, None),
    "counting.json": ("finished", "counting", 21),
    "finished.jsonl": ("finished", "counting_nl", 21),
    "running.jsonl": ("running", "counting_nl", 4),
    "paused.jsonl": ("paused", "human_math", 1),
}


@pytest.fixture(scope="module")
def folder(chats: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Five chat files of every status (and a note that is no chat), a minute apart."""
    root = tmp_path_factory.mktemp("runs") / "chats"
    root.mkdir()
    (root / "broken.json").write_text("{not json")
    counting_transcript(root / "counting.json")
    shutil.copy(chats["nl"], root / "finished.jsonl")
    lines = chats["nl"].read_bytes().splitlines(keepends=True)
    (root / "running.jsonl").write_bytes(b"".join(lines[:9]))
    result = CliRunner().invoke(
        main,
        [
            "run",
            str(SPECS / "human_math.yaml"),
            "--record",
            str(root / "paused.jsonl"),
            "--no-wait",
        ],
    )
    assert result.exit_code == 3, result.output
    (root / "notes.txt").write_text("not a chat")
    for i, name in enumerate(EXPECTED):
        os.utime(root / name, (1_700_000_000 + 60 * i, 1_700_000_000 + 60 * i))
    return root


def test_index_model_lists_every_chat_newest_first(folder: Path) -> None:
    """Each record and transcript is a row (newest first) with status, spec, steps, illegal steps."""
    runs = build_runs(str(folder), href=lambda n: f"x/{n}")
    rows = runs.index.model["runs"]
    assert [r["name"] for r in rows] == list(reversed(EXPECTED))
    for row in rows:
        status, spec, steps = EXPECTED[row["name"]]
        assert (row["status"], row["spec"], row["steps"]) == (status, spec, steps)
        assert row["illegal"] == (None if status == "unreadable" else 0)
        assert row["href"] == (None if status == "unreadable" else f"x/{row['name']}")
    broken = next(r for r in rows if r["status"] == "unreadable")
    assert "broken.json" in broken["detail"]
    assert rows[0]["last"] == "2023-11-14 22:17:20 UTC"
    assert set(runs.chats) == set(EXPECTED) - {"broken.json"}


def test_cli_writes_the_index_and_each_chat(
    browser: Any, folder: Path, tmp_path: Path
) -> None:
    """`view DIR -o runs.html`: the index; a search filters it; a row opens its chat, which links back."""
    out = tmp_path / "runs.html"
    result = CliRunner().invoke(main, ["view", str(folder), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "wrote" in result.output
    assert "(5 chats, 1 unreadable)" in result.output
    assert sorted(p.name for p in (tmp_path / "runs_chats").iterdir()) == sorted(
        f"{n}.html" for n in EXPECTED if n != "broken.json"
    )
    browser.get(out.as_uri())
    names = [
        r.get_attribute("data-name")
        for r in browser.find_elements(By.CSS_SELECTOR, "#runs tr.run")
    ]
    assert names == list(reversed(EXPECTED))
    browser.find_element(By.ID, "search").send_keys("human_math")
    shown = browser.find_elements(By.CSS_SELECTOR, "#runs tr.run")
    assert [r.get_attribute("data-name") for r in shown] == ["paused.jsonl"]
    assert browser.find_element(By.ID, "count").text == "1 of 5 chats"
    browser.save_screenshot(str(tmp_path / "runs.png"))
    shown[0].click()
    WebDriverWait(browser, 10).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, "#timeline li")
    )
    assert browser.find_element(By.ID, "status").text.startswith("paused")
    browser.find_element(By.ID, "back").click()
    WebDriverWait(browser, 10).until(lambda d: d.find_elements(By.ID, "runs"))


@pytest.fixture
def served(folder: Path) -> Iterator[RunsServer]:
    server = RunsServer(str(folder))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.close()
        thread.join(5)
    assert not thread.is_alive()


def test_serve_dir_opens_each_chat_live(browser: Any, served: RunsServer) -> None:
    """`--serve DIR`: the index at /, each chat live at /chat/NAME; other names are 404."""
    browser.get(served.url)
    WebDriverWait(browser, 10).until(
        lambda d: len(d.find_elements(By.CSS_SELECTOR, "#runs tr.run")) == 5
    )
    browser.find_element(By.CSS_SELECTOR, 'tr.run[data-name="running.jsonl"] a').click()
    WebDriverWait(browser, 10).until(
        lambda d: "connected" in d.find_element(By.ID, "live").get_attribute("class")
    )
    assert len(browser.find_elements(By.CSS_SELECTOR, "#timeline li")) == 4
    assert browser.current_url == served.url + "chat/running.jsonl"
    for bad in ("chat/notes.txt", "chat/..%2Fchats%2Fcounting.json", "chat/nope.jsonl"):
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(served.url + bad, timeout=5)
        assert err.value.code == 404
        err.value.close()


def test_cli_serve_refuses_a_bench_folder(tmp_path: Path) -> None:
    """--serve follows chats: a bench folder is a usage error (exit 2)."""
    (tmp_path / "results.json").write_text("{}")
    result = CliRunner().invoke(main, ["view", str(tmp_path), "--serve"])
    assert result.exit_code == 2
    assert "bench folder" in result.output


def _status(url: str, path: str, host: str) -> int:
    """The HTTP status of a GET of ``path`` with ``Host: host``."""
    request = urllib.request.Request(url + path, headers={"Host": host})
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as err:
        err.close()
        return err.code


def test_folder_server_shares_the_chat_servers_request_handling(
    served: RunsServer,
) -> None:
    """`--serve DIR` refuses foreign Host names (421), answers the favicon and streams each chat."""
    port = served.url.rsplit(":", 1)[1].rstrip("/")
    assert _status(served.url, "", "evil.example") == 421
    assert _status(served.url, "chat/finished.jsonl", f"evil.example:{port}") == 421
    assert _status(served.url, "favicon.ico", f"localhost:{port}") == 204
    assert _status(served.url, "chat/finished.jsonl/other", "localhost") == 404
    with urllib.request.urlopen(
        served.url + "chat/finished.jsonl/events", timeout=10
    ) as events:
        assert events.headers["Content-Type"].startswith("text/event-stream")
        assert events.readline() == b"event: model\n"
        assert b'"steps"' in events.readline()
