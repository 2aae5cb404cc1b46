"""trend.html in headless Chromium (Debian's, via Playwright): charts present, nothing fetched, no
console error, the series table filters and sorts, text from AWS stays text."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.history.render import render_trend
from auditor.history.runs import read_history
from auditor.history.trend import analyse_history
from auditor.outputs.local import LocalFolder
from tests.browser.test_report_browser import ARTIFACTS, XSS, browser  # noqa: F401  (module fixture)
from tests.history.runs_factory import run_doc, write_run


@pytest.fixture(scope="module")
def trend_page(tmp_path_factory) -> tuple[Path, object]:
    root = tmp_path_factory.mktemp("runs")
    for d in range(20):
        write_run(
            root,
            f"night-{d:02d}",
            run_doc(
                d,
                subnets={"subnet-fill": 200 - 8 * d, "subnet-flat": 120, f"subnet-{XSS}": 90},
                instances={"i-1": 6 - d // 4, "i-2": 5},
                findings={"high": d // 5, "medium": 3},
                enis=(3000 + 40 * d, 5000),
            ),
        )
    trend = analyse_history(read_history(LocalFolder(root), str(root)))
    path = root / "trend.html"
    path.write_text(render_trend(trend, ("html",))["trend.html"])
    return path, trend


def open_trend(browser, path):  # noqa: F811
    page = browser.new_page(viewport={"width": 1300, "height": 1400})
    errors: list[str] = []
    requests: list[str] = []
    dialogs: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(path.as_uri())
    page.wait_for_selector("#series-body tr.row", state="attached")
    return page, errors, requests, dialogs


def rows(page) -> list[dict[str, str]]:
    return page.eval_on_selector_all(
        "#series-body tr.row",
        "rows => rows.map(r => ({metric: r.dataset.metric, status: r.dataset.status, "
        "runs_out: r.children[0].textContent, resource: r.children[2].textContent}))",
    )


def test_charts_present_nothing_fetched(browser, trend_page):  # noqa: F811
    path, trend = trend_page
    page, errors, requests, dialogs = open_trend(browser, path)
    assert errors == [] and dialogs == []
    assert requests == [path.as_uri()]
    assert page.locator("[data-chart=severity] polyline").count() == 5
    subnets = page.locator("[data-chart=subnet]")
    assert subnets.count() == 3
    first = subnets.nth(0)  # soonest to run out first, with its dashed fit line to zero
    assert first.get_attribute("data-resource") == "subnet-fill"
    assert first.locator("polyline").count() == 2 and first.locator("line.fit").count() == 1
    assert page.locator("[data-chart=cluster] polyline").count() == 2
    assert page.locator("[data-chart=region] polyline").count() == 3
    assert page.locator("#soonest-table tr").nth(1).text_content().count("subnet-fill") == 1
    assert XSS in page.text_content("body") and page.locator("script").count() == 2
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "trend-top.png"))


def test_series_table_filters_and_sorts(browser, trend_page):  # noqa: F811
    path, trend = trend_page
    page, *_ = open_trend(browser, path)
    assert len(rows(page)) == len(trend.series)
    page.select_option("#f-status", "running-out")
    shown = rows(page)
    expected = trend.series[trend.series["status"] == "running-out"]
    assert len(shown) == len(expected) > 0 and {r["status"] for r in shown} == {"running-out"}
    assert [r["runs_out"] for r in shown] == sorted(r["runs_out"] for r in shown)
    page.select_option("#f-status", "")
    page.select_option("#f-metric", "subnet_available")
    assert {r["metric"] for r in rows(page)} == {"subnet_available"} and len(rows(page)) == 3
    page.fill("#f-search", "flat")
    assert [r["resource"] for r in rows(page)] == ["subnet-flat"]
    page.fill("#f-search", "")
    page.select_option("#f-metric", "")
    page.click("#series-table th[data-sort=resource_id]")
    resources = [r["resource"] for r in rows(page)]
    assert resources == sorted(resources)
    page.click("#series-table th[data-sort=resource_id]")
    assert [r["resource"] for r in rows(page)] == sorted(resources, reverse=True)


def test_dark_and_print(browser, trend_page):  # noqa: F811
    path, _ = trend_page
    page, errors, *_ = open_trend(browser, path)
    light = page.evaluate("getComputedStyle(document.body).backgroundColor")
    page.emulate_media(color_scheme="dark")
    dark = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert light != dark and dark == "rgb(15, 20, 25)"
    page.emulate_media(media="print")
    assert not page.locator("#filters").is_visible()
    assert page.locator("[data-chart=subnet]").nth(0).is_visible()
    assert errors == []
