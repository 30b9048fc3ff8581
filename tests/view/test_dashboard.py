"""The bench page as a dashboard, in headless Chromium: filters, search, paging, heat-map.

A generated 10,000-trial folder is loaded and filtered too; the test prints how
long that took (a figure, not an assertion: tests assert what the page shows).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select, WebDriverWait

from fsmchat.view import build_page, render_html
from tests.view.bench_data import big_bench, small_bench


@pytest.fixture(scope="module")
def bench(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small real bench folder (counting and triage), shared by the module."""
    return small_bench(tmp_path_factory.mktemp("bench") / "b")


def open_bench(browser: Any, folder: Path, out: Path) -> dict[str, Any]:
    """Write and open the page of ``folder``; return the model it embeds."""
    page = build_page(str(folder))
    out.write_text(render_html(page), encoding="utf-8")
    browser.get(out.as_uri())
    WebDriverWait(browser, 30).until(
        lambda d: d.find_element(By.ID, "count").text != ""
    )
    return dict(page.model)


def listed(browser: Any) -> list[int]:
    """The model indexes of the trials on the current page of the list."""
    return browser.execute_script(
        "return Array.from(document.querySelectorAll('#trials li.trial'))"
        ".map(function (li) { return Number(li.dataset.trial); });"
    )


def choose(browser: Any, name: str, value: str) -> None:
    Select(browser.find_element(By.ID, f"f-{name}")).select_by_value(value)


def search(browser: Any, text: str) -> None:
    """Type ``text`` into the search box and wait for the list to answer it."""
    box = browser.find_element(By.ID, "search")
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(Keys.DELETE)  # fires an input event (clear() does not)
    box.send_keys(text)
    WebDriverWait(browser, 30).until(
        lambda d: d.find_element(By.ID, "count").get_attribute("data-query") == text
    )


def test_filters_search_and_a_cell_row(
    browser: Any, bench: Path, tmp_path: Path
) -> None:
    """Each filter and the search keep exactly the matching trials; a table row selects its cell."""
    model = open_bench(browser, bench, tmp_path / "b.html")
    trials = model["trials"]
    assert len(trials) == 2 * 2 * 2 * 3
    assert listed(browser) == list(range(len(trials)))
    choose(browser, "mode", "free")
    free = [i for i, t in enumerate(trials) if t["mode"] == "free"]
    assert listed(browser) == free
    choose(browser, "outcome", "illegal")
    bad = [i for i in free if trials[i]["outcome"] == "illegal"]
    assert bad  # noisy free runs make illegal moves
    assert listed(browser) == bad
    assert browser.find_element(By.ID, "count").text == f"{len(bad)} of 24 trials"
    choose(browser, "outcome", "")
    choose(browser, "mode", "")
    search(browser, "triage noisy")
    assert listed(browser) == [
        i
        for i, t in enumerate(trials)
        if t["scenario"] == "triage" and "noisy" in t["model"]
    ]
    search(browser, "")
    row = browser.find_element(
        By.CSS_SELECTOR,
        'tr.cell[data-scenario="counting"][data-mode="fsm"][data-model="oracle"]',
    )
    row.click()
    assert "active" in row.get_attribute("class")
    cell = [
        i
        for i, t in enumerate(trials)
        if (t["scenario"], t["mode"], t["model"]) == ("counting", "fsm", "oracle")
    ]
    assert listed(browser) == cell
    assert (
        browser.find_element(By.CSS_SELECTOR, "#aggregate .agg-title").text
        == "counting: 3 trials (fsm · oracle · every outcome)"
    )
    browser.save_screenshot(str(tmp_path / "filters.png"))


def heat(browser: Any) -> dict[str, Any]:
    """Each lit edge of the shown diagram: spec edges by index, illegal moves by pair."""
    return browser.execute_script(
        """
        var d = document.querySelector('.bench-diagram:not([hidden])');
        var out = {scenario: d.dataset.scenario, edges: {}, illegal: {}, labels: {}};
        d.querySelectorAll('g.fsm-edge').forEach(function (g) {
          var n = Number(g.dataset.count);
          if (g.dataset.illegal) {
            if (n) { out.illegal[g.dataset.src + '>' + g.dataset.dst] = [n,
              g.querySelector('text').textContent,
              getComputedStyle(g.querySelector('path')).stroke]; }
          } else if (n) {
            out.edges[g.dataset.edge] = n;
            out.labels[g.dataset.edge] = g.querySelector('text.fsm-heat-label').textContent;
          }
        });
        return out;
        """
    )


def test_heat_map_counts_every_trial_of_the_cell(
    browser: Any, bench: Path, tmp_path: Path
) -> None:
    """The diagram counts each edge over the cell's trials; illegal moves are red with their counts."""
    model = open_bench(browser, bench, tmp_path / "b.html")
    choose(browser, "scenario", "counting")
    choose(browser, "mode", "free")
    choose(browser, "model", "noisy:0.3")
    kept = [
        t
        for t in model["trials"]
        if (t["scenario"], t["mode"], t["model"]) == ("counting", "free", "noisy:0.3")
    ]
    edges: dict[str, int] = {}
    moves: dict[str, int] = {}
    for t in kept:
        for e in t["edges"]:
            if e is not None:
                edges[str(e)] = edges.get(str(e), 0) + 1
        for a, b in t["moves"]:
            moves[f"{a}>{b}"] = moves.get(f"{a}>{b}", 0) + 1
    shown = heat(browser)
    assert shown["scenario"] == "counting"
    assert shown["edges"] == edges
    assert shown["labels"] == {k: f"×{n}" for k, n in edges.items()}
    assert moves  # the noisy free trials moved illegally
    assert {k: v[0] for k, v in shown["illegal"].items()} == moves
    for key, (n, label, stroke) in shown["illegal"].items():
        assert label == f"illegal ×{n}", key
        assert stroke == "rgb(209, 36, 47)", key  # red
    names = browser.find_elements(By.CSS_SELECTOR, "#aggregate .property-name")
    assert names[0].text == "critic-hands-back"
    browser.save_screenshot(str(tmp_path / "heat.png"))


def test_diagram_stays_in_view_and_lights_the_chosen_trial(
    browser: Any, bench: Path, tmp_path: Path
) -> None:
    """Scrolling the trial list to its end leaves the diagram where it was; a click lights that trial."""
    model = open_bench(browser, bench, tmp_path / "b.html")
    diagram = "document.querySelector('.bench-diagram:not([hidden])')"
    before = browser.execute_script(f"return {diagram}.getBoundingClientRect().top")
    browser.execute_script(
        "var s = document.querySelector('.bench-list'); s.scrollTop = s.scrollHeight;"
        "window.scrollTo(0, document.body.scrollHeight);"
    )
    assert (
        browser.execute_script("return document.querySelector('.bench-list').scrollTop")
        > 0
    )
    assert (
        browser.execute_script(f"return {diagram}.getBoundingClientRect().top")
        == before
    )
    last = browser.find_elements(By.CSS_SELECTOR, "#trials li.trial")[-1]
    index = int(last.get_attribute("data-trial"))
    last.click()
    t = model["trials"][index]
    lit = browser.execute_script(
        f"return Array.from({diagram}.querySelectorAll('g.fsm-trial, g.fsm-current'))"
        ".map(function (g) { return g.dataset.edge || null; });"
    )
    want = {str(e) for e in t["edges"] if e is not None}
    assert {e for e in lit if e is not None} == want
    assert f"trial {t['trial']}" in browser.find_element(By.ID, "trial-info").text
    browser.save_screenshot(str(tmp_path / "sticky.png"))


def test_truth_chip_at_the_divergence_is_legible(
    browser: Any, bench: Path, tmp_path: Path
) -> None:
    """The ground truth's chip at the divergence is white on dark green (run: white on red)."""
    open_bench(browser, bench, tmp_path / "b.html")
    choose(browser, "outcome", "illegal")  # diverged, with an illegal move
    chip = browser.find_element(By.CSS_SELECTOR, "#trials .path.truth .chip.diverge")
    assert chip.value_of_css_property("color") == "rgba(255, 255, 255, 1)"
    assert chip.value_of_css_property("background-color") == "rgba(26, 127, 55, 1)"


def test_ten_thousand_trials_load_page_and_filter(browser: Any, tmp_path: Path) -> None:
    """A 10,000-trial folder: 50 trials a page, 200 pages; each filter and a search give the right trials."""
    counts = big_bench(tmp_path / "big", 10_000)
    out = tmp_path / "big.html"
    start = time.perf_counter()
    page = build_page(str(tmp_path / "big"))
    out.write_text(render_html(page), encoding="utf-8")
    built = time.perf_counter() - start
    browser.get(out.as_uri())
    WebDriverWait(browser, 60).until(lambda d: d.find_element(By.ID, "count").text)
    assert browser.find_element(By.ID, "count").text == "10000 of 10000 trials"
    assert len(listed(browser)) == 50
    assert browser.find_element(By.ID, "page-label").text == "page 1 of 200"
    browser.find_element(By.ID, "next-page").click()
    assert listed(browser)[0] == 50
    ready = float(
        browser.find_element(By.TAG_NAME, "body").get_attribute("data-ready-ms")
    )
    timings = []
    for outcome, n in counts.items():
        choose(browser, "outcome", outcome)
        assert browser.find_element(By.ID, "count").text == f"{n} of 10000 trials"
        timings.append(
            float(browser.find_element(By.ID, "count").get_attribute("data-ms"))
        )
    choose(browser, "outcome", "")
    search(browser, "trial 9999")
    assert listed(browser) == [9999]
    timings.append(float(browser.find_element(By.ID, "count").get_attribute("data-ms")))
    print(
        f"\n10,000-trial bench page ({out.stat().st_size / 1e6:.1f} MB): built in {built:.2f} s; "
        f"in Chromium: ready {ready:.0f} ms after navigation, filter+redraw "
        + ", ".join(f"{t:.0f}" for t in timings)
        + " ms (4 outcomes, then a search)"
    )
