"""`ecs-net-audit trend` end to end (in-process `main`), and the per-run report with history."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest

from auditor.cli import main
from auditor.snapshot import dumps
from tests.factories import SnapshotBuilder
from tests.history.runs_factory import ACCOUNT, REGION, run_doc, write_run, write_series

ROW_COLUMNS = ["generated_at", "account", "region", "metric", "resource_id", "value", "runs_out_at"]
SERIES_KEYS = {
    "account",
    "region",
    "metric",
    "resource_id",
    "runs",
    "last_value",
    "slope_per_day",
    "runs_out_at",
}


@pytest.fixture
def runs(tmp_path):
    root = tmp_path / "runs"
    write_series(root, [200 - 5 * d for d in range(20)], findings={"high": 1})
    return root


def test_trend_writes_the_contracts_files(runs, tmp_path, capsys):
    out = tmp_path / "trend"
    assert main(["trend", str(runs), "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["trend.csv", "trend.html", "trend.json"]
    printed = capsys.readouterr().out
    assert "20 runs" in printed and "subnet-a" in printed

    table = list(csv.DictReader(io.StringIO((out / "trend.csv").read_text())))
    assert list(table[0]) == ROW_COLUMNS
    subnet_rows = [r for r in table if r["metric"] == "subnet_available"]
    assert len(subnet_rows) == 20
    assert {r["runs_out_at"] for r in subnet_rows} == {"2026-12-11"}  # day 19 + 105/5
    assert subnet_rows[0] == {
        "generated_at": "2026-11-01T02:00:00Z",
        "account": ACCOUNT,
        "region": REGION,
        "metric": "subnet_available",
        "resource_id": "subnet-a",
        "value": "200",
        "runs_out_at": "2026-12-11",
    }

    doc = json.loads((out / "trend.json").read_text())
    assert {"rows", "series"} <= set(doc)
    assert len(doc["rows"]) == len(table) and set(doc["rows"][0]) == set(ROW_COLUMNS)
    series = {(s["metric"], s["resource_id"]): s for s in doc["series"]}
    assert all(SERIES_KEYS <= set(s) for s in doc["series"])
    a = series[("subnet_available", "subnet-a")]
    assert (a["runs"], a["last_value"], a["slope_per_day"], a["runs_out_at"]) == (20, 105, -5.0, "2026-12-11")
    assert series[("findings_high", REGION)]["runs_out_at"] is None
    assert len(doc["runs"]) == 20 and doc["window"]


def test_trend_format_subset(runs, tmp_path):
    out = tmp_path / "only-csv"
    assert main(["trend", str(runs), "--out", str(out), "--format", "csv", "--quiet"]) == 0
    assert [p.name for p in out.iterdir()] == ["trend.csv"]


@pytest.mark.parametrize(
    "args, message",
    [
        (["trend", "{missing}"], "no such folder"),
        (["trend", "{empty}"], "no run found"),
        (["trend", "{runs}", "--format", "pdf"], "trend --format takes"),
        (["trend", "{runs}", "--out", "{file}"], "exists and is not a folder"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(runs, tmp_path, capsys, args, message):
    (tmp_path / "empty").mkdir()
    (tmp_path / "file").write_text("x")
    names = {
        "missing": tmp_path / "nope",
        "empty": tmp_path / "empty",
        "runs": runs,
        "file": tmp_path / "file",
    }
    argv = [a.format(**names) for a in args]
    if "--out" not in argv:
        argv += ["--out", str(tmp_path / "out")]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def _snapshot_with_small_subnet(tmp_path, available: int):
    b = SnapshotBuilder()
    cluster = b.cluster()
    b.subnet("subnet-0", "10.0.1.0/24", available)
    td = b.task_definition()
    b.task(cluster, td, subnet="subnet-0", service="api")
    b.service(cluster, "api", td, desired=1, subnets=("subnet-0",), launch_type="FARGATE")
    path = tmp_path / "snapshot.json"
    path.write_text(dumps(b.build()))  # generated_at 2026-11-25T10:00:00Z
    return path


def test_per_run_report_links_the_trend_and_says_when_the_subnet_runs_out(tmp_path):
    root = tmp_path / "reports"
    for d in range(14, 24):  # nightly runs up to the day before, 5 addresses a day
        write_run(root, f"night-{d}", run_doc(d, subnets={"subnet-0": 30 + 5 * (24 - d)}))
    snapshot = _snapshot_with_small_subnet(tmp_path, 30)
    out = root / "today"
    assert main(["report", str(snapshot), "--out", str(out), "--quiet"]) == 0
    assert (out / "trend.html").exists()
    finding = next(
        f
        for f in json.loads((out / "findings.json").read_text())["findings"]
        if f["resource_id"] == "subnet-0"
    )
    match = re.search(
        r"subnet-0 will run out in about (\d+) days at the current rate", finding["detail"]["forecast"]
    )
    assert match and 5 <= int(match.group(1)) <= 7, finding["detail"]
    assert finding["title"].endswith(finding["detail"]["forecast"])
    assert finding["detail"]["runs_out_at"].startswith("2026-12-0")
    html = (out / "report.html").read_text()
    assert 'href="trend.html"' in html and "11 runs of this account" in html


def test_a_run_without_history_is_unchanged(tmp_path):
    snapshot = _snapshot_with_small_subnet(tmp_path, 30)
    out = tmp_path / "alone" / "run"
    assert main(["report", str(snapshot), "--out", str(out), "--quiet"]) == 0
    assert not (out / "trend.html").exists()
    doc = json.loads((out / "findings.json").read_text())
    assert not any("forecast" in f["detail"] for f in doc["findings"])
    assert 'id="trend-link"' not in (out / "report.html").read_text()


def test_other_accounts_runs_are_not_this_runs_history(tmp_path):
    root = tmp_path / "reports"
    for d in range(14, 24):
        write_run(
            root, f"night-{d}", run_doc(d, account="999999999999", subnets={"subnet-0": 30 + 5 * (24 - d)})
        )
    out = root / "today"
    assert main(["report", str(_snapshot_with_small_subnet(tmp_path, 30)), "--out", str(out), "--quiet"]) == 0
    assert not (out / "trend.html").exists()


def test_history_is_one_level_under_the_root_never_a_deep_walk(tmp_path):
    """`--out ~/x`: only `~/*/findings.json` are earlier runs; runs deeper down (an unrelated
    project's reports, a folder of run folders) are not read, nor a findings.json in the root."""
    home = tmp_path / "home"
    for d in range(14, 24):  # the same account's runs, but two and three levels down
        write_run(home, f"projects/audit/night-{d}", run_doc(d, subnets={"subnet-0": 30 + 5 * (24 - d)}))
        write_run(home, f"reports/night-{d}-b", run_doc(d + 0.5, subnets={"subnet-0": 28 + 5 * (24 - d)}))
    write_run(home, ".", run_doc(13, subnets={"subnet-0": 90}))  # ~/findings.json: not a run folder
    out = home / "x"
    assert main(["report", str(_snapshot_with_small_subnet(tmp_path, 30)), "--out", str(out), "--quiet"]) == 0
    assert not (out / "trend.html").exists()
    doc = json.loads((out / "findings.json").read_text())
    assert not any("forecast" in f["detail"] for f in doc["findings"])
    # one earlier run folder directly beside it is history
    write_run(home, "night-23", run_doc(23, subnets={"subnet-0": 35}))
    assert main(["report", str(_snapshot_with_small_subnet(tmp_path, 30)), "--out", str(out), "--quiet"]) == 0
    assert (out / "trend.html").exists()
    assert "2 runs of this account" in (out / "report.html").read_text()


def test_demo_history_needs_at_least_two_nights(tmp_path, capsys):
    assert main(["demo", "--history", "1", "--out", str(tmp_path / "d")]) == 2
    assert "--history takes 2 to" in capsys.readouterr().err
    assert not (tmp_path / "d").exists()


def test_control_characters_from_runs_are_neutralised_on_the_terminal(tmp_path, capsys):
    root = tmp_path / "runs"
    write_series(root, [50 - 5 * d for d in range(6)], metric_subnet="subnet-\x1b[31mred")
    assert main(["trend", str(root), "--out", str(tmp_path / "t")]) == 0
    out = capsys.readouterr().out
    assert "subnet-?[31mred" in out and "\x1b" not in out
