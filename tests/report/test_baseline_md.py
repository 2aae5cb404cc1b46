"""--baseline (new / unchanged / resolved in JSON, CSV, Markdown) and the md format."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest

from auditor.baseline import compare, load_baseline
from auditor.config import Config
from auditor.errors import ConfigError
from auditor.pipeline import analyse
from auditor.report import render_all
from tests.factories import SnapshotBuilder, rule


def result_with(groups: list[str], previous=None):
    b = SnapshotBuilder()
    b.vpc()
    cluster = b.cluster()
    b.subnet()
    for g in groups:
        b.security_group(g, [rule(cidr="0.0.0.0/0")], name=f"name-{g}")
    b.instance(cluster, "c5.large", groups=tuple(groups), public_ip="198.51.100.7")  # reachable: critical
    return analyse(b.build(), Config(), previous)


def findings_doc(result) -> dict:
    return json.loads(render_all(result, ("json",))["findings.json"])


def test_new_unchanged_resolved_everywhere():
    before = findings_doc(result_with(["sg-a", "sg-b"]))
    now = result_with(["sg-b", "sg-c"], before)
    doc = findings_doc(now)
    change = {f["resource_id"]: f["change"] for f in doc["findings"]}
    assert change == {"sg-b": "unchanged", "sg-c": "new"}
    assert [f["resource_id"] for f in doc["resolved"]] == ["sg-a"]
    assert doc["baseline"] == {
        "generated_at": before["generated_at"],
        "new": 1,
        "unchanged": 1,
        "resolved": 1,
    }
    rows = list(csv.DictReader(io.StringIO(render_all(now, ("csv",))["findings.csv"])))
    assert {r["resource_id"]: r["change"] for r in rows} == change
    summary = render_all(now, ("md",))["summary.md"]
    assert "1 new, 1 resolved, 1 unchanged" in summary and "resolved" in summary


def test_without_baseline_no_change_fields():
    doc = findings_doc(result_with(["sg-a"]))
    assert "change" not in doc["findings"][0] and "resolved" not in doc and "baseline" not in doc
    rows = list(csv.DictReader(io.StringIO(render_all(result_with(["sg-a"]), ("csv",))["findings.csv"])))
    assert rows[0]["change"] == ""


def test_compare_on_ids():
    result = result_with(["sg-a"])
    baseline = compare(result.findings, {"generated_at": "t", "findings": [{"id": result.findings[0].id}]})
    assert baseline.changes == {result.findings[0].id: "unchanged"} and baseline.resolved == ()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{", "not valid JSON"),
        ('{"schema": "other"}', "not an ecs-net-audit findings.json"),
        ('{"schema": "ecs-net-audit/findings/v1", "findings": [{"no": "id"}]}', "list of findings with ids"),
    ],
)
def test_bad_baseline_is_a_config_error(tmp_path, content, message):
    path = tmp_path / "findings.json"
    path.write_text(content)
    with pytest.raises(ConfigError, match=message):
        load_baseline(path)
    with pytest.raises(ConfigError, match="cannot read baseline"):
        load_baseline(tmp_path / "missing.json")


def test_markdown_summary_escapes_and_counts():
    b = SnapshotBuilder()
    b.vpc()
    cluster = b.cluster("prod|<b>*x*</b>")
    b.security_group("sg-a", [rule(cidr="0.0.0.0/0")], name="a|b")
    b.instance(cluster, "c5.large", groups=("sg-a",), public_ip="198.51.100.7")
    b.coverage("ecs:ListTasks", "denied", "AccessDenied")
    text = render_all(analyse(b.build(), Config()), ("md",))["summary.md"]
    assert "Incomplete audit" in text and "ecs:ListTasks" in text
    assert "**1** critical" in text
    table = [line for line in text.splitlines() if line.startswith("| critical")]
    assert table and len(re.findall(r"(?<!\\)\|", table[0])) == 5  # the `|` in the group name is escaped
    assert "<b>" not in text
