"""Reading runs: the local folder source, older versions, gaps, unreadable files, copies,
several accounts under one root, and the figures one findings.json contributes."""

from __future__ import annotations

import json

from auditor.history.runs import (
    parse_run,
    points_of,
    read_history,
)
from auditor.history.trend import analyse_history
from auditor.outputs import run_findings_keys
from auditor.outputs.local import LocalFolder
from tests.history.runs_factory import ACCOUNT, REGION, run_doc, write_run


def test_local_folder_lists_relative_slash_keys_and_reads_them(tmp_path):
    write_run(tmp_path, "a/2026-11-01T020000Z", run_doc(0))
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "findings.json").write_text("{}")
    source = LocalFolder(tmp_path)
    assert source.list_keys() == ["a/2026-11-01T020000Z/findings.json"]
    assert json.loads(source.read_bytes("a/2026-11-01T020000Z/findings.json"))["generated_at"]


def test_run_keys_skip_latest_copies_and_other_files():
    def is_run_key(key: str, depth: int = 2) -> bool:
        return run_findings_keys([key], depth) == [key]

    assert is_run_key("prod/2026-11-01T020000Z/findings.json")
    assert is_run_key("findings.json")
    assert not is_run_key("prod/latest/findings.json")
    assert not is_run_key("prod/2026-11-01T020000Z/report.html")
    assert not is_run_key("prod/.findings.json.abc.tmp")
    assert not is_run_key(".hidden/2026-11-01T020000Z/findings.json")


def test_one_run_key_rule_bounds_the_depth():
    keys = [
        "findings.json",
        "2026-11-01T020000Z/findings.json",
        "111122223333/2026-11-01T020000Z/findings.json",
        "a/b/c/findings.json",
        "latest/findings.json",
    ]
    assert run_findings_keys(keys) == ["2026-11-01T020000Z/findings.json", "findings.json"]
    assert run_findings_keys(keys, 2) == [
        "111122223333/2026-11-01T020000Z/findings.json",
        "2026-11-01T020000Z/findings.json",
        "findings.json",
    ]


def test_local_folder_listing_stops_at_max_depth(tmp_path):
    write_run(tmp_path, "r1", run_doc(0))
    write_run(tmp_path, "deep/er/r2", run_doc(1))
    assert LocalFolder(tmp_path, max_depth=1).list_keys() == ["r1/findings.json"]
    assert "deep/er/r2/findings.json" in LocalFolder(tmp_path).list_keys()


def test_runs_are_ordered_by_generated_at_not_folder_name(tmp_path):
    write_run(tmp_path, "zzz", run_doc(0))
    write_run(tmp_path, "aaa", run_doc(2))
    write_run(tmp_path, "mmm", run_doc(1))
    history = read_history(LocalFolder(tmp_path), "x")
    assert [r.folder for r in history.runs] == ["zzz", "mmm", "aaa"]


def test_unreadable_files_are_skipped_and_reported(tmp_path):
    write_run(tmp_path, "good", run_doc(0))
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "findings.json").write_text('{"generated_at": ')
    write_run(tmp_path, "other", {"schema": "something/else", "generated_at": "2026-11-01T00:00:00Z"})
    write_run(tmp_path, "undated", {"schema": "ecs-net-audit/findings/v1", "findings": []})
    write_run(tmp_path, "latest", run_doc(5))  # a copy: not a run, not a problem
    history = read_history(LocalFolder(tmp_path), "x")
    assert [r.folder for r in history.runs] == ["good"]
    text = "\n".join(history.problems)
    assert "broken/findings.json: the file is not valid JSON" in text
    assert "other/findings.json: the file is not an ecs-net-audit findings.json" in text
    assert "undated/findings.json: no readable generated_at" in text
    assert "latest" not in text


def test_older_versions_and_gaps_are_read_for_what_they_hold(tmp_path):
    old = run_doc(0, findings={"high": 2}, version="0.0.9", capacity=False)
    del old["schema"], old["coverage"]
    write_run(tmp_path, "v0", old)
    write_run(tmp_path, "gappy", run_doc(1, subnets={"subnet-a": 90}, gaps=True))
    write_run(tmp_path, "full", run_doc(2, subnets={"subnet-a": 80}, findings={"high": 1}))
    history = read_history(LocalFolder(tmp_path), "x")
    assert len(history.runs) == 3
    v0, gappy, _ = history.runs
    assert v0.complete is None and not v0.has_capacity and v0.tool_version == "0.0.9"
    assert gappy.complete is False and gappy.gaps == (f"{ACCOUNT} {REGION} ecs:DescribeTasks denied",)
    notes = "\n".join(history.problems)
    assert "v0 (2026-11-01T02:00:00Z, tool 0.0.9): no capacity tables" in notes
    assert "gappy (2026-11-02T02:00:00Z): incomplete, 1 coverage rows not ok" in notes
    series = analyse_history(history).series.set_index(["metric", "resource_id"])
    assert series.loc[("findings_high", REGION), "runs"] == 3  # counted in every version
    assert series.loc[("subnet_available", "subnet-a"), "runs"] == 2  # absent, not zero, in v0


def test_a_figure_missing_from_an_incomplete_latest_run_is_not_gone(tmp_path):
    for d in range(4):
        write_run(tmp_path, f"r{d}", run_doc(d, subnets={"subnet-a": 90 - d}))
    write_run(tmp_path, "r4", run_doc(4, subnets={}, gaps=True))
    series = analyse_history(read_history(LocalFolder(tmp_path), "x")).series
    row = series[series["resource_id"] == "subnet-a"].iloc[0]
    assert row["status"] == "not-in-latest"


def test_the_same_run_twice_counts_once(tmp_path):
    doc = run_doc(0, subnets={"subnet-a": 50})
    doc["run_id"] = "r-1"
    write_run(tmp_path, "2026-11-01T020000Z", doc)
    write_run(tmp_path, "copy", doc)
    history = read_history(LocalFolder(tmp_path), "x")
    assert len(history.runs) == 1
    assert any("the same run as" in p for p in history.problems)


def test_several_accounts_under_one_root(tmp_path):
    for d in range(5):
        write_run(
            tmp_path,
            f"111111111111/{d}",
            run_doc(d, account="111111111111", subnets={"subnet-a": 50 - 5 * d}),
        )
        if d < 3:  # the second account's runs stopped: its series are not "gone" because of the first
            write_run(
                tmp_path, f"222222222222/{d}", run_doc(d, account="222222222222", subnets={"subnet-b": 80})
            )
    history = read_history(LocalFolder(tmp_path), "x")
    assert history.accounts() == ["111111111111", "222222222222"]
    series = analyse_history(history).series
    a = series[(series["resource_id"] == "subnet-a") & (series["metric"] == "subnet_available")].iloc[0]
    b = series[(series["resource_id"] == "subnet-b") & (series["metric"] == "subnet_available")].iloc[0]
    assert (a["account"], a["status"], a["runs"]) == ("111111111111", "running-out", 5)
    assert (b["account"], b["status"], b["runs"]) == ("222222222222", "ok", 3)


def test_points_of_a_run():
    doc = run_doc(
        0,
        subnets={"subnet-a": 40},
        instances={"i-1": 2, "i-2": -1},
        findings={"high": 2, "low": 1},
        enis=(4100, 5000),
    )
    doc["capacity"]["subnets"].append(
        {"account": ACCOUNT, "region": REGION, "subnet_id": "subnet-v6", "usable": None}
    )
    doc["capacity"]["container_instances"].append(
        {"account": ACCOUNT, "region": REGION, "cluster": "prod", "instance_id": "i-3", "headroom": None}
    )
    got = {(p.metric, p.resource_id): p.value for p in points_of(doc)}
    assert got[("findings_high", REGION)] == 2 and got[("findings_critical", REGION)] == 0
    assert got[("subnet_available", "subnet-a")] == 40 and got[("subnet_projected_free", "subnet-a")] == 30
    assert ("subnet_available", "subnet-v6") not in got  # IPv6-only: no IPv4 pool
    assert ("instance_eni_headroom", "i-3") not in got  # unknown is absent, never zero
    assert got[("cluster_min_eni_headroom", "prod")] == -1 and got[("cluster_free_eni_slots", "prod")] == 2
    assert got[("eni_quota_free", REGION)] == 900 and got[("enis_in_use", REGION)] == 4100


def test_eni_quota_from_an_older_runs_finding():
    doc = run_doc(0, capacity=False)
    doc["findings"] = [
        {
            "check": "eni-quota",
            "severity": "medium",
            "account": ACCOUNT,
            "region": REGION,
            "detail": {"enis_in_use": 4200, "quota": 5000, "utilization": 0.84},
        }
    ]
    got = {(p.metric, p.resource_id): p.value for p in points_of(doc)}
    assert got[("eni_quota_free", REGION)] == 800


def test_nonsense_numbers_are_skipped():
    doc = run_doc(0, subnets={"subnet-a": 40})
    doc["capacity"]["subnets"][0]["available"] = True
    doc["capacity"]["subnets"][0]["projected_free"] = 1e13
    run = parse_run("x/findings.json", json.dumps(doc).encode())
    assert not [p for p in run.points if p.resource_id == "subnet-a"]


def test_runs_go_through_the_baseline_validator(tmp_path, monkeypatch):
    """One validator for --baseline FILE, --baseline latest and trend: its number bounds, its
    duplicate-id check and its size limit (limits.BASELINE_MAX_BYTES) — a bad run is skipped."""
    from auditor import limits
    from auditor.outputs import previous_run

    write_run(tmp_path, "good", run_doc(0))
    huge = run_doc(1)
    huge["capacity"]["subnets"] = [{"subnet_id": "subnet-a", "usable": 1, "available": 1e300}]
    write_run(tmp_path, "huge-number", huge)
    twice = run_doc(2, findings={"high": 1})
    twice["findings"].append(dict(twice["findings"][0]))
    write_run(tmp_path, "duplicate-ids", twice)
    history = read_history(LocalFolder(tmp_path), "x")
    assert [r.folder for r in history.runs] == ["good"]
    text = "\n".join(history.problems)
    assert "skipped huge-number/findings.json: the file: the number" in text
    assert "duplicate-ids/findings.json: the file: a finding id appears twice" in text
    assert previous_run(LocalFolder(tmp_path))["generated_at"] == run_doc(0)["generated_at"]  # type: ignore[index]
    monkeypatch.setattr(limits, "BASELINE_MAX_BYTES", 100)
    assert previous_run(LocalFolder(tmp_path)) is None  # every run is over the (one) limit
    assert read_history(LocalFolder(tmp_path), "x").runs == ()


def test_an_organisation_report_beside_the_accounts_own_runs_is_not_counted_twice(tmp_path):
    for d in range(3):
        for account in ("111111111111", "222222222222"):
            write_run(tmp_path, f"{account}/{d}", run_doc(d, account=account, subnets={"subnet-a": 50}))
        org = run_doc(d + 0.1, subnets={"subnet-a": 50})
        org["scope"]["accounts"] = ["111111111111", "222222222222"]
        write_run(tmp_path, f"org/{d}", org)
    history = read_history(LocalFolder(tmp_path), "x")
    assert len(history.runs) == 6 and all(len(r.accounts) == 1 for r in history.runs)
    assert sum("an organisation report" in p for p in history.problems) == 3


def test_a_run_of_another_region_does_not_make_a_series_gone(tmp_path):
    for d in range(4):
        write_run(tmp_path, f"r{d}", run_doc(d, subnets={"subnet-a": 90}))
    other = run_doc(5)
    other["scope"]["regions"] = ["eu-west-1"]
    write_run(tmp_path, "eu", other)
    series = analyse_history(read_history(LocalFolder(tmp_path), "x")).series
    row = series[series["resource_id"] == "subnet-a"].iloc[0]
    assert row["status"] == "ok"
