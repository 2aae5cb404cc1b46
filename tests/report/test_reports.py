"""Reporters: escaping, self-containment, CSV shape, atomic writes, and nothing half-written."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest

from auditor.config import Config
from auditor.pipeline import analyse, write_reports
from auditor.report import render_all
from tests.factories import SnapshotBuilder, rule

XSS = "<script>alert(1)</script>"


def hostile_result():
    b = SnapshotBuilder()
    b.vpc()
    cluster = b.cluster(XSS)
    b.subnet()
    b.security_group("sg-x", [rule(cidr="0.0.0.0/0")], name=f'"quoted" {XSS} ünïcode')
    host = b.instance(cluster, "c5.large", groups=("sg-x",))
    td = b.task_definition()
    b.task(cluster, td, instance=host)
    b.task(cluster, td, instance=host)
    b.coverage("ecs:DescribeServices", "denied", f"AccessDenied: {XSS}")
    return analyse(b.build(), Config())


def test_aws_text_is_escaped_in_html():
    html = render_all(hostile_result(), ("html",))["report.html"]
    assert XSS not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_html_is_self_contained():
    html = render_all(hostile_result(), ("html",))["report.html"]
    assert not re.search(r"""src\s*=\s*["']?(https?:)?//""", html)
    links = re.findall(r"""href\s*=\s*["']([^"']+)""", html)
    assert links and all(
        link.startswith("https://docs.aws.amazon.com/") for link in links
    )  # links, never fetched
    assert "@import" not in html and "url(" not in html
    assert "Content-Security-Policy" in html


def test_incomplete_audit_looks_incomplete():
    html = render_all(hostile_result(), ("html",))["report.html"]
    assert "Incomplete audit" in html and "ecs:DescribeServices" in html
    doc = json.loads(render_all(hostile_result(), ("json",))["findings.json"])
    assert doc["complete"] is False


def test_findings_json_shape():
    result = hostile_result()
    doc = json.loads(render_all(result, ("json",))["findings.json"])
    assert doc["schema"] == "ecs-net-audit/findings/v1"
    assert set(doc) >= {
        "schema",
        "generated_at",
        "tool",
        "scope",
        "coverage",
        "summary",
        "findings",
        "capacity",
    }
    assert set(doc["summary"]) == {"critical", "high", "medium", "low", "info"}
    finding_keys = {
        "id",
        "check",
        "severity",
        "account",
        "region",
        "resource_type",
        "resource_id",
        "cluster",
        "title",
        "detail",
        "recommendation",
    }
    assert all(set(f) == finding_keys for f in doc["findings"])
    assert doc["coverage"][0]["status"] == "denied"
    assert len(doc["capacity"]["container_instances"]) == 1


def test_csv_tables_have_contract_columns_and_unknowns_empty():
    files = render_all(hostile_result(), ("csv",))
    findings = list(csv.DictReader(io.StringIO(files["findings.csv"])))
    assert findings and json.loads(findings[0]["detail"])
    rows = list(csv.DictReader(io.StringIO(files["capacity_instances.csv"])))
    assert list(rows[0]) == [
        "account",
        "region",
        "cluster",
        "container_instance_arn",
        "instance_id",
        "instance_type",
        "max_enis",
        "trunking",
        "eni_task_capacity",
        "awsvpc_tasks",
        "extra_enis",
        "headroom",
        "capacity_provider",  # an extension: after the contract's columns
        "run_id",  # an extension: which run the row belongs to
    ]
    assert rows[0]["eni_task_capacity"] == "2"  # integers stay integers
    header = files["capacity_subnets.csv"].splitlines()[0]
    assert header == (
        "account,region,subnet_id,vpc_id,availability_zone,cidr,usable,available,ecs_ips,"
        "projected_demand,projected_free,scale_out_demand,run_id"
    )
    zones = files["capacity_zones.csv"].splitlines()[0]
    assert zones == (
        "account,region,cluster,availability_zone,instances,eni_task_capacity,awsvpc_tasks,headroom,free_slots,run_id"
    )


def test_formats_select_files(tmp_path):
    paths = write_reports(hostile_result(), tmp_path / "o", ("csv",))
    assert sorted(p.name for p in paths) == [
        "accounts.csv",  # one row per attempted account, in every audit
        "capacity_instances.csv",
        "capacity_subnets.csv",
        "capacity_zones.csv",
        "findings.csv",
    ]


def test_a_failed_render_writes_nothing(tmp_path, monkeypatch):
    from auditor.report import csv as csv_report

    def broken(_result):
        raise RuntimeError("boom")

    monkeypatch.setitem(__import__("auditor.report", fromlist=["RENDERERS"]).RENDERERS, "csv", broken)
    with pytest.raises(RuntimeError):
        write_reports(hostile_result(), tmp_path / "o", ("html", "json", "csv"))
    assert not (tmp_path / "o").exists() or not any((tmp_path / "o").iterdir())
    assert csv_report.render  # the real renderer is untouched


def test_interrupted_write_leaves_no_partial_file(tmp_path, monkeypatch):
    import os

    from auditor import fileio

    target = tmp_path / "findings.json"
    target.write_text("previous run")

    def crash(*_args):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(KeyboardInterrupt):
        fileio.write_atomic(target, "new content")
    assert target.read_text() == "previous run"
    assert [p.name for p in tmp_path.iterdir()] == ["findings.json"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1+1", "'+1+1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("-cmd|' /C calc'!A0", "'-cmd|' /C calc'!A0"),
        ("-1", "-1"),
        ("-2.5", "-2.5"),
        ("prod", "prod"),
        (5, 5),
        (None, None),
    ],
)
def test_csv_cells_cannot_become_formulas(value, expected):
    from auditor.report.csv import neutralise

    assert neutralise(value) == expected


def test_hostile_cluster_name_in_csv_is_neutralised():
    b = SnapshotBuilder()
    cluster = b.cluster("=cmd|'/C calc'!A0")
    host = b.instance(cluster, "c5.large")
    td = b.task_definition()
    b.task(cluster, td, instance=host)
    b.task(cluster, td, instance=host)
    files = render_all(analyse(b.build(), Config()), ("csv",))
    rows = list(csv.DictReader(io.StringIO(files["capacity_instances.csv"])))
    assert rows[0]["cluster"] == "'=cmd|'/C calc'!A0"


def test_html_subnet_chart_marks_the_runs_thresholds():
    from auditor.config import Thresholds

    snapshot = hostile_result().snapshot
    default = render_all(analyse(snapshot, Config()), ("html",))["report.html"]
    config = Config(thresholds=Thresholds(subnet_free_high=0.05, subnet_free_medium=0.40))
    custom = render_all(analyse(snapshot, config), ("html",))["report.html"]
    assert "dashed: 75 % and 90 % used" in default
    assert "dashed: 60 % and 95 % used" in custom
