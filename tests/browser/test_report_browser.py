"""The HTML report in a real browser: headless Chromium from Debian's `chromium` package, driven by
Playwright for Python (no browser download: `executable_path=/usr/bin/chromium`, installed by
.ci/run). Loads with no console error and no network request; filters, sorting and row expansion
work; text from AWS stays text; a screenshot of the top is saved in tests/artifacts/."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from auditor.config import Config
from auditor.demo import demo_snapshot
from auditor.pipeline import analyse
from auditor.report import render_all
from tests.factories import SnapshotBuilder

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
XSS = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert Path(CHROMIUM).exists(), "Chromium is needed: apt-get install chromium (.ci/run does)"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def demo_result():
    return analyse(demo_snapshot(), Config())


@pytest.fixture(scope="module")
def demo_report(demo_result, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("report") / "report.html"
    path.write_text(render_all(demo_result, ("html",))["report.html"])
    return path


class Opened:
    def __init__(self, page: Page):
        self.page = page
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("request", lambda r: self.requests.append(r.url))
        page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))

    def rows(self) -> list[dict[str, str]]:
        return self.page.eval_on_selector_all(
            "#findings-body tr.row",
            "rows => rows.map(r => ({severity: r.dataset.severity, check: r.children[1].textContent, "
            "region: r.children[2].textContent, title: r.children[5].textContent}))",
        )


def open_report(browser: Browser, path: Path) -> Opened:
    page = browser.new_page(viewport={"width": 1300, "height": 1400})
    opened = Opened(page)
    page.goto(path.as_uri())
    page.wait_for_selector("#findings-body tr.row", state="attached")
    return opened


def test_loads_without_errors_or_network_and_saves_a_screenshot(browser, demo_report, demo_result):
    opened = open_report(browser, demo_report)
    assert opened.errors == []
    assert opened.requests == [demo_report.as_uri()]
    assert len(opened.rows()) == len(demo_result.findings)
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "report-top.png"
    opened.page.screenshot(path=str(shot))
    assert shot.stat().st_size > 10_000


def test_filters_change_what_is_shown(browser, demo_report, demo_result):
    opened = open_report(browser, demo_report)
    page = opened.page
    page.select_option("#f-severity", "high")
    rows = opened.rows()
    assert rows and {r["severity"] for r in rows} == {"high"}
    assert len(rows) == sum(1 for f in demo_result.findings if f.severity == "high")
    page.select_option("#f-severity", "")
    page.select_option("#f-check", "wide-port-range")
    assert {r["check"] for r in opened.rows()} == {"wide-port-range"}
    page.select_option("#f-check", "")
    page.select_option("#f-region", "eu-west-1")
    assert {r["region"] for r in opened.rows()} == {"eu-west-1"}
    page.select_option("#f-region", "")
    page.fill("#f-search", "legacy-admin")
    titles = [r["title"] for r in opened.rows()]
    assert titles and all("legacy-admin" in t or "8081" in t or "legacy" in t for t in titles)
    page.fill("#f-search", "no such thing anywhere")
    assert opened.rows() == []
    assert "0 of" in page.text_content("#f-count")


def test_severity_cards_filter(browser, demo_report):
    opened = open_report(browser, demo_report)
    opened.page.click("[data-severity-card=critical]")
    assert {r["severity"] for r in opened.rows()} == {"critical"}


def test_sorting_by_check(browser, demo_report):
    opened = open_report(browser, demo_report)
    before = [r["check"] for r in opened.rows()]
    opened.page.click("#findings-table th[data-sort=check]")
    ascending = [r["check"] for r in opened.rows()]
    assert ascending == sorted(before)
    opened.page.click("#findings-table th[data-sort=check]")
    assert [r["check"] for r in opened.rows()] == sorted(before, reverse=True)


def test_row_expands_to_evidence_and_remediation(browser, demo_report):
    opened = open_report(browser, demo_report)
    page = opened.page
    page.fill("#f-search", "hosts-open")
    page.click("#findings-body tr.row >> nth=0")
    evidence = page.locator("#findings-body tr.evidence")
    assert evidence.count() == 1
    text = evidence.text_content()
    assert "source kind" in text and "internet" in text
    assert "authorize-security-group-ingress" in text
    assert evidence.locator("a").get_attribute("href").startswith("https://docs.aws.amazon.com/")
    page.click("#findings-body tr.row >> nth=0")
    assert page.locator("#findings-body tr.evidence").count() == 0


def test_hostile_names_stay_text(browser, tmp_path):
    b = SnapshotBuilder()
    cluster = b.cluster(XSS)
    b.subnet()
    host = b.instance(cluster, "c5.large")
    td = b.task_definition()
    for _ in range(2):
        b.task(cluster, td, instance=host)
    path = tmp_path / "report.html"
    path.write_text(render_all(analyse(b.build(), Config()), ("html",))["report.html"])
    opened = open_report(browser, path)
    assert opened.dialogs == [] and opened.errors == []
    assert opened.page.evaluate("document.querySelectorAll('script').length") == 2  # report data + the app
    assert XSS in opened.page.text_content("#findings-body")
    assert XSS in opened.page.text_content("header")


def test_what_changed_section_with_a_baseline(browser, demo_result, tmp_path):
    previous = json.loads(render_all(demo_result, ("json",))["findings.json"])
    dropped = previous["findings"].pop(0)
    previous["findings"].append({**dropped, "id": "0" * 16, "title": "an old finding now gone"})
    result = analyse(demo_result.snapshot, Config(), previous)
    path = tmp_path / "report.html"
    path.write_text(render_all(result, ("html",))["report.html"])
    opened = open_report(browser, path)
    section = opened.page.text_content("#what-changed")
    assert "an old finding now gone" in section and dropped["title"] in section
    opened.page.select_option("#f-change", "new")
    assert [r["title"] for r in opened.rows()] == [dropped["title"]]


def test_many_accounts_table_and_account_filter(browser, tmp_path):
    """A report over two accounts opens with the per-account table; a click on an account's row,
    or the account filter, shows that account's findings only."""
    from auditor.merge import merge
    from auditor.snapshot import loads
    from tests.org.test_cli_org import OTHER, account_snapshot

    first, second = loads(account_snapshot()), loads(account_snapshot(account=OTHER))
    result = analyse(merge([("a", first), ("b", second)]), Config())
    path = tmp_path / "report.html"
    path.write_text(render_all(result, ("html",))["report.html"])
    opened = open_report(browser, path)
    page = opened.page
    assert opened.errors == []
    table = page.locator("#accounts-table tr[data-account]")
    assert table.count() == 2
    all_rows = len(opened.rows())
    mine = sum(1 for f in result.findings if f.account == OTHER)
    assert 0 < mine < all_rows
    page.click(f'#accounts-table tr[data-account="{OTHER}"]')
    assert page.input_value("#f-account") == OTHER
    assert len(opened.rows()) == mine
    page.select_option("#f-account", "")
    assert len(opened.rows()) == all_rows
