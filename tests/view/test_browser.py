"""The viewer in a real headless Chromium: files and the live server.

One browser serves the whole module (the ``browser`` fixture); each test saves a
screenshot under its temporary directory.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from fsmchat._core.transcript import load_transcript
from fsmchat._core.verify import verify_transcript
from fsmchat.adapters._files import load_spec
from fsmchat.testing import FakeOpenAIServer, FakeResponse
from fsmchat.view import LiveServer, build_page, render_html
from tests.helpers import judge_counting
from tests.view.chats import COUNTING, GARBAGE, NL_SPEC, counting_transcript
from tests.view.test_page import EVIL, GPT4, SEED003, evil_transcript


def write_page(source: Path, out: Path, spec: Path | None = None) -> Path:
    """Write the page of ``source`` to ``out`` (as ``fsmchat view -o`` does)."""
    page = build_page(str(source), spec_path=None if spec is None else str(spec))
    out.write_text(render_html(page), encoding="utf-8")
    return out


def open_page(browser: Any, path: Path) -> None:
    browser.get(path.as_uri())
    WebDriverWait(browser, 10).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, "#timeline li")
    )


def press(browser: Any, key: str, times: int = 1) -> None:
    body = browser.find_element(By.TAG_NAME, "body")
    for _ in range(times):
        body.send_keys(key)


def state(browser: Any) -> dict[str, Any]:
    """What the page shows as current: step, timeline row, lit edge, lit node."""
    return browser.execute_script(
        """
        var g = document.querySelector('#diagram g.fsm-current');
        var n = document.querySelector('#diagram g.fsm-node-current');
        var li = document.querySelector('#timeline li.active');
        return {
          label: document.getElementById('step-label').textContent,
          slider: Number(document.getElementById('slider').value),
          active: li ? Number(li.dataset.step) : null,
          edge: g ? (g.dataset.edge === undefined ? null : Number(g.dataset.edge)) : null,
          start: g ? g.classList.contains('fsm-start') : false,
          illegal: g ? g.dataset.illegal === '1' : false,
          move: g ? [g.dataset.src, g.dataset.dst] : null,
          node: n ? n.dataset.agent : null,
          speaker: document.querySelector('#step .speaker').textContent,
        };
        """
    )


def test_step_through_the_counting_chat(browser: Any, tmp_path: Path) -> None:
    """→/← and the slider walk the steps; each lights its own edge and speaker."""
    transcript = counting_transcript(tmp_path / "counting.json")
    open_page(browser, write_page(transcript, tmp_path / "counting.html", COUNTING))
    spec = load_spec(COUNTING, allow=[])
    chat = load_transcript(json.loads(transcript.read_text()), spec=spec)
    steps = verify_transcript(spec, chat.messages, trace=chat.trace).steps
    first = state(browser)
    assert first["start"]
    assert (first["active"], first["node"], first["speaker"]) == (0, "User", "User")
    for i in range(1, len(steps)):
        press(browser, Keys.ARROW_RIGHT)
        now = state(browser)
        assert now["label"] == f"step {i} of 20"
        assert (now["slider"], now["active"]) == (i, i)
        assert now["edge"] == steps[i].edge
        assert now["node"] == now["speaker"] == chat.messages[i].name
    press(browser, Keys.ARROW_RIGHT)  # past the end: stays
    assert state(browser)["active"] == 20
    assert (
        "chat finished: terminate_when"
        in browser.find_element(By.CSS_SELECTOR, "#step .ending").text
    )
    press(browser, Keys.ARROW_LEFT, 3)
    assert state(browser)["active"] == 17
    browser.execute_script(
        "var s = document.getElementById('slider'); s.value = '4';"
        "s.dispatchEvent(new Event('input'));"
    )
    assert state(browser)["edge"] == steps[4].edge
    props = browser.find_elements(By.CSS_SELECTOR, "#properties .property-name")
    assert [p.text for p in props][:2] == [
        "critic-hands-back",
        "executor-only-after-engineer",
    ]
    browser.save_screenshot(str(tmp_path / "counting.png"))


def test_click_a_step_and_an_edge(
    browser: Any, chats: dict[str, Path], tmp_path: Path
) -> None:
    """Clicking a timeline row shows that step; clicking an edge explains it and jumps to a step that took it."""
    open_page(browser, write_page(chats["nl"], tmp_path / "nl.html"))
    browser.find_element(By.CSS_SELECTOR, '#timeline li[data-step="7"]').click()
    now = state(browser)
    assert (now["active"], now["speaker"]) == (7, "Critic")
    assert browser.find_element(By.CSS_SELECTOR, "#step .message-text").text == "8"
    edge = browser.find_element(By.CSS_SELECTOR, '#diagram g[data-edge="2"] text')
    edge.click()
    info = browser.find_element(By.ID, "edge-info")
    assert info.is_displayed()
    assert "transitions[2] Engineer → Executor" in info.text
    assert "taken\n3 times\nstep 3\nstep 9\nstep 15" in info.text
    now = state(browser)
    assert now["edge"] == 2
    assert now["active"] == 9  # the first step after step 7 that took edge 2
    assert now["move"] == ["Engineer", "Executor"]
    browser.save_screenshot(str(tmp_path / "edge.png"))


def test_refusal_reason_of_a_garbage_answer(
    browser: Any, chats: dict[str, Path], tmp_path: Path
) -> None:
    """The step judged after a garbage answer shows the raw answer as text and why it was refused."""
    open_page(browser, write_page(chats["nl"], tmp_path / "nl.html"))
    title = browser.title
    press(browser, Keys.ARROW_RIGHT, 3)
    refused = browser.find_element(By.CSS_SELECTOR, "#step .attempt.refused")
    assert refused.find_element(By.CSS_SELECTOR, ".raw").text == GARBAGE
    assert refused.find_element(By.CSS_SELECTOR, ".refusal").text == (
        "refused: expected 2 true/false verdicts, got None"
    )
    accepted = browser.find_element(By.CSS_SELECTOR, "#step .attempt.accepted")
    assert "100 prompt + 20 completion tokens" in accepted.text
    reason = browser.find_element(By.CSS_SELECTOR, "#step .decision .reason").text
    assert "judged" in reason
    guards = [r.text for r in browser.find_elements(By.CSS_SELECTOR, "#step tr.guard")]
    assert guards[0].endswith("holds")
    assert guards[1].endswith("does not hold")
    assert browser.title == title  # the <script> in the answer never ran
    assert not browser.find_elements(By.CSS_SELECTOR, "#step b")
    browser.save_screenshot(str(tmp_path / "refusal.png"))


def test_gpt4_illegal_step_is_red(browser: Any, tmp_path: Path) -> None:
    """GPT-4's first #1400 run: step 5 (Engineer → Planner) is red, on the red illegal edge."""
    open_page(browser, write_page(GPT4, tmp_path / "gpt4.html", SEED003))
    press(browser, Keys.ARROW_RIGHT, 5)
    now = state(browser)
    assert now["illegal"]
    assert now["move"] == ["Engineer", "Planner"]
    verdict = browser.find_element(By.CSS_SELECTOR, "#step .verdict")
    assert verdict.text.startswith("illegal: 'Planner' cannot follow 'Engineer'")
    assert "illegal" in verdict.get_attribute("class")
    row = browser.find_element(By.CSS_SELECTOR, '#timeline li[data-step="5"]')
    assert "illegal" in row.get_attribute("class")
    assert row.value_of_css_property("color") == "rgba(209, 36, 47, 1)"
    illegal_rows = browser.find_elements(By.CSS_SELECTOR, "#timeline li.illegal")
    assert [r.get_attribute("data-step") for r in illegal_rows] == ["5", "15"]
    browser.save_screenshot(str(tmp_path / "gpt4.png"))


def test_script_in_a_message_is_shown_as_text(browser: Any, tmp_path: Path) -> None:
    """A message holding <script> and an onerror image shows as text; nothing runs."""
    messages_path = evil_transcript(tmp_path / "evil.json")
    messages = json.loads(messages_path.read_text())
    messages[2]["content"] = "long line\n" * 300
    messages_path.write_text(json.dumps(messages))
    open_page(browser, write_page(messages_path, tmp_path / "evil.html", SEED003))
    press(browser, Keys.ARROW_RIGHT)
    assert browser.find_element(By.CSS_SELECTOR, "#step .message-text").text == EVIL
    assert browser.execute_script("return window.pwned === undefined")
    assert not browser.find_elements(By.CSS_SELECTOR, "#step img")
    press(browser, Keys.ARROW_RIGHT)
    box = browser.find_element(By.CSS_SELECTOR, "#step .message")
    assert "collapsed" in box.get_attribute("class")
    assert box.size["height"] < 300
    box.find_element(By.CSS_SELECTOR, ".more").click()
    assert "collapsed" not in box.get_attribute("class")
    assert box.size["height"] > 1000
    browser.save_screenshot(str(tmp_path / "evil.png"))


# -- the live server -------------------------------------------------------------


@pytest.fixture
def growing(
    chats: dict[str, Path], tmp_path: Path
) -> Iterator[tuple[Path, list[bytes], LiveServer]]:
    """The nl record cut after 5 lines, served live; yields the lines still to write."""
    lines = chats["nl"].read_bytes().splitlines(keepends=True)
    record = tmp_path / "live.jsonl"
    record.write_bytes(b"".join(lines[:5]))
    server = LiveServer(str(record))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield record, lines[5:], server
    finally:
        server.close()
        thread.join(5)
    assert not thread.is_alive()


def timeline_length(browser: Any) -> int:
    return len(browser.find_elements(By.CSS_SELECTOR, "#timeline li"))


def test_live_page_shows_new_steps_without_a_reload(
    browser: Any, growing: tuple[Path, list[bytes], LiveServer], tmp_path: Path
) -> None:
    """--serve: lines appended to the record appear without a reload (timings printed)."""
    record, rest, server = growing
    browser.get(server.url)
    WebDriverWait(browser, 10).until(lambda d: timeline_length(d) == 2)
    WebDriverWait(browser, 10).until(
        lambda d: "connected" in d.find_element(By.ID, "live").get_attribute("class")
    )
    browser.execute_script("window.sameDocument = true;")
    press(browser, Keys.END)
    delays = []
    for chunk in (rest[:6], rest[6:]):
        before = timeline_length(browser)
        with record.open("ab") as f:
            f.write(b"".join(chunk))
        start = time.monotonic()
        WebDriverWait(browser, 5, poll_frequency=0.02).until(
            lambda d, before=before: timeline_length(d) > before
        )
        delays.append(time.monotonic() - start)
    WebDriverWait(browser, 5).until(lambda d: timeline_length(d) == 21)
    # The server looks at the file every POLL seconds: a figure, not a bound.
    print(
        f"\nlive page: new steps shown {', '.join(f'{d:.2f}' for d in delays)} s after the write"
    )
    assert browser.execute_script("return window.sameDocument === true")  # no reload
    now = state(browser)
    assert (now["active"], now["speaker"], now["edge"]) == (
        20,
        "Planner",
        5,
    )  # followed the tail
    assert "finished" in browser.find_element(By.ID, "status").text
    label = browser.find_element(
        By.CSS_SELECTOR, '#diagram g[data-edge="2"]'
    ).get_attribute("textContent")  # the edge may be panned out of view
    assert "×3" in label  # the diagram was redrawn with the new counts
    browser.save_screenshot(str(tmp_path / "live.png"))


def test_live_page_follows_fsmchat_run_record(browser: Any, tmp_path: Path) -> None:
    """A real `fsmchat run --record` (a slow model on 127.0.0.1) is followed step by step to its end."""

    def slow_judge(body: dict[str, Any]) -> FakeResponse:
        return FakeResponse(body=judge_counting(body), delay=0.2)

    record = tmp_path / "running.jsonl"
    with FakeOpenAIServer(slow_judge) as model:
        config = tmp_path / "oai.json"
        config.write_text(
            json.dumps(
                [{"model": "judge", "api_key": "sk-test", "base_url": model.base_url}]
            )
        )
        cmd = [
            sys.executable,
            "-m",
            "fsmchat",
            "run",
            str(NL_SPEC),
            "--config",
            str(config),
        ]
        run = subprocess.Popen(
            [*cmd, "--no-cache", "--record", str(record)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            deadline = time.monotonic() + 30
            while b"\n" not in (record.read_bytes() if record.exists() else b""):
                assert time.monotonic() < deadline, "the run wrote no header"
                assert run.poll() is None, run.stderr.read() if run.stderr else ""
                time.sleep(0.02)
            server = LiveServer(str(record))
            thread = threading.Thread(target=server.serve_forever, daemon=True)
            thread.start()
            try:
                browser.get(server.url)
                browser.execute_script("window.sameDocument = true;")
                seen = set()
                deadline = time.monotonic() + 60
                while timeline_length(browser) < 21 or run.poll() is None:
                    assert time.monotonic() < deadline, sorted(seen)
                    seen.add(timeline_length(browser))
                    time.sleep(0.05)
                WebDriverWait(browser, 5).until(
                    lambda d: "finished" in d.find_element(By.ID, "status").text
                )
                assert browser.execute_script("return window.sameDocument === true")
                assert state(browser)["active"] == 20
            finally:
                server.close()
                thread.join(5)
        finally:
            if run.poll() is None:
                run.kill()
            _, err = run.communicate(timeout=30)  # closes the pipe
    assert run.returncode == 0, err
    assert len([n for n in seen if 0 < n < 21]) >= 5, sorted(seen)  # it grew live
    assert not model.handler_errors
    browser.save_screenshot(str(tmp_path / "running.png"))
