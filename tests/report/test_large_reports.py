"""Issue 11: a very large run still gives a usable page (capped, and saying so), streamed files
that are the same as the whole documents, and every file name a format writes is known (so stale
files of an earlier run can be removed)."""

from __future__ import annotations

import json
import re

from auditor.pipeline import write_reports
from auditor.report import OUTPUT_FILES, RENDERERS, html, render_all
from tests.report.test_reports import hostile_result


def _embedded(page: str) -> list[dict]:
    blob = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', page, re.S)
    assert blob
    return json.loads(blob.group(1))["findings"]


def test_the_page_caps_what_it_embeds_and_says_so(monkeypatch):
    result = hostile_result()
    assert len(result.findings) > 3
    page = render_all(result, ("html",))["report.html"]
    assert len(_embedded(page)) == len(result.findings) and 'id="findings-capped"' not in page
    monkeypatch.setattr(html, "MAX_FINDINGS", 3)
    monkeypatch.setattr(html, "MAX_TABLE_ROWS", 0)
    page = render_all(result, ("html",))["report.html"]
    embedded = _embedded(page)
    assert len(embedded) == 3 and 'id="findings-capped"' in page
    assert f"the 3 most severe of {len(result.findings)} findings" in page
    worst = sorted(
        result.findings, key=lambda f: ("critical", "high", "medium", "low", "info").index(f.severity)
    )
    assert [f["severity"] for f in embedded] == [f.severity for f in worst[:3]]
    assert 'id="instances-capped"' in page


def test_streamed_files_equal_the_whole_documents(tmp_path):
    result = hostile_result()
    paths = write_reports(result, tmp_path / "o", ("html", "json", "csv", "md"))
    whole = render_all(result, ("html", "json", "csv", "md"))
    assert {p.name for p in paths} == set(whole)
    for path in paths:
        assert path.read_text(encoding="utf-8") == whole[path.name], path.name
    doc = json.loads((tmp_path / "o" / "findings.json").read_text())
    assert len(doc["findings"]) == len(result.findings) and doc["run_id"] == result.run_id


def test_every_file_a_format_writes_is_a_known_output_name():
    result = hostile_result()
    names = {name for render in RENDERERS.values() for name in render(result)}
    assert names <= OUTPUT_FILES
