"""Reading a chat's page in headless Chromium: zoom and pan, edge numbers, prompts, status."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from fsmchat.cli import main
from fsmchat.view import build_page, render_html
from tests.helpers import SPECS
from tests.view.chats import COUNTING, counting_transcript

TWO = "agents: [{name: A}, {name: B}]\nend: [B]\ntransitions:\n  - {from: A, to: B}\n"


def open_chat(browser: Any, source: Path, out: Path, spec: Path | None = None) -> None:
    page = build_page(str(source), spec_path=None if spec is None else str(spec))
    out.write_text(render_html(page), encoding="utf-8")
    browser.get(out.as_uri())
    WebDriverWait(browser, 10).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, "#timeline li")
    )


def label_px(browser: Any) -> dict[str, float]:
    """On-screen heights of the diagram's smallest and largest text, and its zoom."""
    return browser.execute_script(
        """
        var d = document.getElementById('diagram');
        var hs = Array.from(d.querySelectorAll('svg text')).map(function (t) {
          return t.getBoundingClientRect().height; }).filter(function (h) { return h > 0; });
        return {min: Math.min.apply(null, hs), max: Math.max.apply(null, hs),
                zoom: Number(d.dataset.zoom)};
        """
    )


def test_labels_are_readable_for_a_big_and_a_tiny_spec(
    browser: Any, tmp_path: Path
) -> None:
    """Counting's edge labels open at least 9 px tall; a 2-agent spec's names at most 30 px."""
    open_chat(browser, counting_transcript(tmp_path / "c.json"), tmp_path / "c.html")
    big = label_px(browser)
    assert big["min"] >= 9, big
    spec = tmp_path / "two.yaml"
    spec.write_text(TWO)
    chat = tmp_path / "two.json"
    chat.write_text(
        json.dumps([{"name": "A", "content": "hi"}, {"name": "B", "content": "done"}])
    )
    open_chat(browser, chat, tmp_path / "two.html", spec)
    small = label_px(browser)
    assert small["max"] <= 30, small


def test_zoom_buttons_wheel_and_drag(browser: Any, tmp_path: Path) -> None:
    """+ and − scale the drawing, fit shows it whole, a drag pans and is no click on an edge."""
    open_chat(browser, counting_transcript(tmp_path / "c.json"), tmp_path / "c.html")
    start = label_px(browser)
    browser.find_element(By.CSS_SELECTOR, "#diagram .zoom-in").click()
    zoomed = label_px(browser)
    assert abs(zoomed["zoom"] / start["zoom"] - 1.25) < 0.01
    assert zoomed["min"] > start["min"]
    browser.find_element(By.CSS_SELECTOR, "#diagram .zoom-out").click()
    browser.find_element(By.CSS_SELECTOR, "#diagram .zoom-out").click()
    assert label_px(browser)["zoom"] < start["zoom"]
    browser.find_element(By.CSS_SELECTOR, "#diagram .zoom-fit").click()
    whole = browser.execute_script(
        "var r = document.querySelector('#diagram svg').getBoundingClientRect();"
        "var g = document.querySelector('#diagram svg > g').getBoundingClientRect();"
        "return [g.left >= r.left - 1, g.right <= r.right + 1, g.top >= r.top - 1, g.bottom <= r.bottom + 1];"
    )
    assert whole == [True, True, True, True]
    browser.find_element(By.CSS_SELECTOR, "#diagram .zoom-reset").click()
    assert label_px(browser)["zoom"] == start["zoom"]
    before = browser.execute_script(
        "return document.querySelector('#diagram svg').getAttribute('viewBox')"
    )
    browser.execute_script(
        "document.getElementById('diagram').dispatchEvent(new WheelEvent('wheel',"
        "{deltaY: -300, clientX: 300, clientY: 300, bubbles: true, cancelable: true}));"
    )
    assert label_px(browser)["zoom"] > start["zoom"]
    edge = browser.find_element(By.CSS_SELECTOR, '#diagram g[data-edge="2"] path')
    ActionChains(browser).click_and_hold(edge).move_by_offset(
        60, 40
    ).release().perform()
    after = browser.execute_script(
        "return document.querySelector('#diagram svg').getAttribute('viewBox')"
    )
    assert after != before
    assert not browser.find_element(
        By.ID, "edge-info"
    ).is_displayed()  # a pan, no click


def test_diagram_step_and_guard_table_number_edges_alike(
    browser: Any, tmp_path: Path
) -> None:
    """Edge i is '#i' on the diagram, transitions[i] in the step and #i in the guard table."""
    open_chat(browser, counting_transcript(tmp_path / "c.json"), tmp_path / "c.html")
    labels = browser.execute_script(
        "return Array.from(document.querySelectorAll('#diagram g[data-edge]')).map(function (g) {"
        " return [Number(g.dataset.edge), g.querySelector('text').textContent]; });"
    )
    assert sorted(i for i, _ in labels) == list(range(7))
    for index, text in labels:
        assert text.startswith(f"#{index}"), (index, text)
    browser.find_element(By.TAG_NAME, "body").send_keys(Keys.ARROW_RIGHT * 3)
    step = browser.find_element(By.ID, "step").text
    edge = browser.execute_script(
        "return Number(document.querySelector('#diagram g.fsm-current').dataset.edge)"
    )
    assert f"transitions[{edge}]" in step
    cells = [
        td.text
        for td in browser.find_elements(
            By.CSS_SELECTOR, "#step tr.guard td:first-child"
        )
    ]
    assert f"#{edge}" in cells


def test_prompt_behind_a_decision(
    browser: Any, chats: dict[str, Path], tmp_path: Path
) -> None:
    """Each model answer has a folded 'prompt sent' with the exact messages of the record."""
    open_chat(browser, chats["nl"], tmp_path / "nl.html")
    browser.find_element(By.TAG_NAME, "body").send_keys(Keys.ARROW_RIGHT * 3)
    box = browser.find_element(
        By.CSS_SELECTOR, "#step .attempt.accepted details.prompt"
    )
    assert not box.find_element(By.CSS_SELECTOR, ".prompt-text").is_displayed()
    box.find_element(By.TAG_NAME, "summary").click()
    shown = [
        (
            m.find_element(By.CSS_SELECTOR, ".prompt-role").text.lower(),
            m.find_element(By.CSS_SELECTOR, ".prompt-text").text,
        )
        for m in box.find_elements(By.CSS_SELECTOR, ".prompt-message")
    ]
    lines = [json.loads(x) for x in chats["nl"].read_text().splitlines()]
    decision = next(
        x for x in lines if x.get("type") == "decision" and x["decision"]["round"] == 3
    )
    sent = decision["decision"]["attempts"][-1]["request"]["messages"]
    assert shown == [(m["role"], m["content"].strip()) for m in sent]
    assert box.find_element(By.TAG_NAME, "summary").text.startswith(
        f"prompt sent ({len(sent)} messages"
    )


def test_a_running_record_is_not_called_cut_short(
    browser: Any, chats: dict[str, Path], tmp_path: Path
) -> None:
    """A record still being written says it is running; it never says 'cut short'."""
    lines = chats["nl"].read_bytes().splitlines(keepends=True)
    record = tmp_path / "running.jsonl"
    record.write_bytes(b"".join(lines[:9]))
    open_chat(browser, record, tmp_path / "running.html")
    assert browser.find_element(By.ID, "status").text.startswith("running")
    notes = browser.find_element(By.ID, "notes").text
    assert "cut short" not in notes
    assert "the chat is still running" in notes
    assert "cut short" not in browser.find_element(By.TAG_NAME, "body").text


def test_run_json_names_its_spec(browser: Any, tmp_path: Path) -> None:
    """`fsmchat run --json` output opens in `fsmchat view` without --spec."""
    out = tmp_path / "out.json"
    assert (
        CliRunner().invoke(main, ["run", str(COUNTING), "--json", str(out)]).exit_code
        == 0
    )
    data = json.loads(out.read_text())
    assert data["spec_path"] == str(COUNTING)
    result = CliRunner().invoke(
        main, ["view", str(out), "-o", str(tmp_path / "v.html")]
    )
    assert result.exit_code == 0, result.output
    assert "wrote" in result.output
    browser.get((tmp_path / "v.html").as_uri())
    assert browser.find_element(By.ID, "title").text == "counting"
    assert len(browser.find_elements(By.CSS_SELECTOR, "#timeline li")) == 21
    assert SPECS.is_dir()
