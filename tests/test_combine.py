"""Many accounts analysed one at a time (auditor/combine.py) give the audit of all of them at once.

The demo organisation (three accounts: the management account, a member with ECS, a member whose
role cannot be assumed) is split into one snapshot per account, each added to `Combined` on its
own, and compared with `analyse` over the merged snapshot: the same findings, capacity rows, facts
and files, and a snapshot.json streamed from the spool that loads as the merged snapshot.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from auditor.combine import Combined, summary_of
from auditor.config import Config
from auditor.errors import SnapshotError
from auditor.merge import concat, split_accounts
from auditor.model import Snapshot
from auditor.pipeline import analyse
from auditor.report import render_all
from auditor.snapshot import loads


def split(snapshot: Snapshot) -> list[Snapshot]:
    """One snapshot per account, as `scan --org` spools them."""
    parts = split_accounts(snapshot)
    assert len(parts) == len(snapshot.accounts)
    return parts


@pytest.fixture(scope="module")
def org() -> Snapshot:
    from auditor.demo import demo_org_snapshot

    return demo_org_snapshot()


@pytest.fixture(scope="module")
def both(org):
    config = Config()
    whole = analyse(org, config)
    combined = Combined(config)
    for i, part in enumerate(split(org)):
        combined.add(f"part{i}.json", part)
    yield whole, combined.result(), combined
    combined.close()


def rows(items) -> list[str]:
    return sorted(json.dumps(i.to_dict(), sort_keys=True) for i in items)


def test_split_is_the_organisation(org):
    parts = split(org)
    assert len(parts) == 3 and {p.accounts for p in parts} == {(a,) for a in org.accounts}
    assert sum(len(p.tasks) for p in parts) == len(org.tasks) > 0


def test_same_findings_and_capacity_rows(both):
    whole, combined, _ = both
    assert len(whole.findings) > 50
    assert rows(combined.findings) == rows(whole.findings)
    assert [f.id for f in sorted(combined.findings, key=lambda f: f.id)] == sorted(
        f.id for f in whole.findings
    )
    assert rows(combined.instances) == rows(whole.instances)
    assert rows(combined.subnets) == rows(whole.subnets)
    assert rows(combined.zones) == rows(whole.zones)
    assert combined.severity_counts == whole.severity_counts
    assert combined.coverage_gaps and sorted(combined.coverage_gaps, key=repr) == sorted(
        whole.coverage_gaps, key=repr
    )


def test_same_facts_without_the_raw_records(both):
    whole, combined, _ = both
    assert combined.summary_only and not combined.snapshot.tasks and not combined.snapshot.network_interfaces
    assert combined.facts.clusters == whole.facts.clusters
    assert rows(combined.facts.regions) == rows(whole.facts.regions)
    assert rows(combined.facts.tasks) == rows(whole.facts.tasks)
    assert sum(t.tasks for t in combined.facts.tasks) == len(whole.snapshot.tasks)


def _doc(files: dict[str, str]) -> dict[str, Any]:
    doc = json.loads(files["findings.json"])
    doc.pop("run_id")
    for key in ("findings", "coverage"):
        doc[key] = sorted(doc[key], key=lambda x: json.dumps(x, sort_keys=True))
    for key, value in doc["capacity"].items():
        doc["capacity"][key] = sorted(value, key=lambda x: json.dumps(x, sort_keys=True))
    return doc


def test_same_findings_json_csv_and_metrics(both):
    whole, combined, _ = both
    formats = ("json", "csv", "emf", "md")
    a, b = render_all(whole, formats), render_all(combined, formats)
    assert _doc(a) == _doc(b)
    assert _doc(b)["capacity"]["tasks"], "capacity.tasks is written"
    assert sorted(a["accounts.csv"].splitlines()[1:]) != [] and [
        line.rsplit(",", 1)[0] for line in a["accounts.csv"].splitlines()
    ] == [line.rsplit(",", 1)[0] for line in b["accounts.csv"].splitlines()]
    strip = lambda text: sorted(  # noqa: E731
        json.dumps({k: v for k, v in json.loads(line).items() if k != "RunId"}, sort_keys=True)
        for line in text.splitlines()
    )
    assert strip(a["metrics.emf.jsonl"]) == strip(b["metrics.emf.jsonl"])
    assert a["summary.md"].replace(whole.run_id, "") == b["summary.md"].replace(combined.run_id, "")


def test_html_draws_the_same_task_table(both):
    from auditor.report.html import _mode_counts

    whole, combined, _ = both
    assert _mode_counts(combined) == _mode_counts(whole) != []


def test_streamed_snapshot_is_the_lossless_union(both, org):
    whole, combined, _ = both
    text = "".join(render_all(combined, ("json",)) and combined.snapshot_json(combined.run_id))
    loaded = loads(text)
    assert loaded == concat(split(org))
    assert len(loaded.tasks) == len(org.tasks) and len(loaded.instance_types) == len(org.instance_types)
    assert json.loads(text)["run_id"] == combined.run_id


def test_summary_keeps_only_small_records(org):
    summary = summary_of(org)
    assert summary.coverage == org.coverage and summary.clusters == org.clusters
    assert not summary.tasks and not summary.services and not summary.network_interfaces


def test_the_same_account_and_region_twice_names_both_inputs(org):
    part = split(org)[0]
    with Combined(Config(), keep_snapshot=False) as combined:
        combined.add("a.json", part)
        with pytest.raises(SnapshotError, match=r"in both a\.json and b\.json"):
            combined.add("b.json", part)


def test_close_removes_the_spool(org):
    combined = Combined(Config())
    combined.add("a.json", split(org)[0])
    folder = combined.folder
    assert folder is not None and any(folder.iterdir())
    combined.close()
    assert not folder.exists()


def test_organisation_from_account_findings_json_is_the_same_audit(both, org, request):
    """The Lambda aggregator's path: each account's findings.json (written by the real reporter)
    read back by auditor/documents.py gives the findings, capacity rows and facts of the scan."""
    from auditor.documents import Organisation

    whole, combined, _ = both
    organisation = Organisation(Config())
    request.addfinalizer(organisation.close)
    for part in split(org):
        doc = json.loads(render_all(analyse(part, Config()), ("json",))["findings.json"])
        organisation.add(doc, report=f"s3://b/{part.accounts[0]}/report.html")
    result = organisation.organisation_result("2026-12-02T00:00:00Z")
    assert rows(result.findings) == rows(whole.findings)
    assert [f.id for f in result.findings] == [f.id for f in combined.findings]
    for name in ("instances", "subnets", "zones"):
        assert rows(getattr(result, name)) == rows(getattr(whole, name))
    assert rows(result.facts.tasks) == rows(whole.facts.tasks) != []
    assert rows(result.facts.regions) == rows(whole.facts.regions)
    assert result.facts.clusters == whole.facts.clusters
    files = render_all(result, ("html", "json", "csv", "md"))
    assert "snapshot.json" not in files
    a, b = _doc(render_all(whole, ("json",))), _doc(files)
    for doc in (a, b):
        doc.pop("generated_at")
        doc["tool"].pop("version")
    assert a.pop("accounts") == [{k: v for k, v in r.items() if k != "report"} for r in b.pop("accounts")]
    assert a == b
    statuses = {
        r.account: r.status
        for r in __import__("auditor.account_status").account_status.account_rows(
            result.snapshot, result.findings
        )
    }
    assert sorted(statuses.values()) == ["failed", "ok", "partial"]
    assert "s3://b/123456789012/report.html" in files["report.html"]


def shared_subnet_account(account: str) -> Snapshot:
    """An account running a Fargate service (peak 12 tasks) in subnet-shared, a /27 with 20 free
    addresses that another account also uses (VPC sharing)."""
    import itertools

    from auditor.snapshot import dumps
    from tests.factories import ACCOUNT, SnapshotBuilder

    b = SnapshotBuilder(_ids=itertools.count(int(account[:4])))
    b.vpc("vpc-1", "10.0.0.0/16")
    cluster = b.cluster(f"c{account[:4]}")
    b.subnet("subnet-shared", "10.0.1.0/27", available=20)
    td = b.task_definition("web", "awsvpc")
    b.service(cluster, "web", td, desired=6, subnets=("subnet-shared",), launch_type="FARGATE")
    return loads(dumps(b.build()).replace(ACCOUNT, account))


def test_a_subnet_shared_by_accounts_is_judged_on_their_summed_demand(request):
    a, b = shared_subnet_account("111122223333"), shared_subnet_account("444455556666")
    config = Config()
    alone = [analyse(s, config) for s in (a, b)]
    for result in alone:  # each account alone: 12 of 20 free addresses at peak, no finding
        (row,) = result.subnets
        assert (row.projected_demand, row.projected_free) == (12, 8)
        assert not [f for f in result.findings if f.check == "subnet-ip-exhaustion"]
    combined = Combined(config)
    request.addfinalizer(combined.close)
    combined.add("a", a)
    combined.add("b", b)
    joined = combined.result()  # its findings are read from the combination's folder: closed at the end
    (row,) = joined.subnets
    assert (row.account, row.projected_demand, row.projected_free) == ("111122223333", 24, -4)
    (finding,) = [f for f in joined.findings if f.check == "subnet-ip-exhaustion"]
    assert (finding.severity, finding.account, finding.resource_id) == (
        "high",
        "111122223333",
        "subnet-shared",
    )
    assert finding.detail["shared_by"] == ["111122223333", "444455556666"]
    assert finding.detail["services"] == ["web"] and finding.detail["projected_free"] == -4
    # the merged snapshot analysed whole reaches the same verdict on the same row
    whole = analyse(concat([a, b]), config)
    assert rows(whole.subnets) == rows(joined.subnets)
    (same,) = [f for f in whole.findings if f.check == "subnet-ip-exhaustion"]
    assert (same.id, same.severity) == (finding.id, finding.severity)
    combined.close()


def test_many_account_pages_name_the_account_and_fold_the_gaps(both):
    """Two accounts' clusters of one name are two charts; the gaps read one line per account and
    region (every row folded below); summary.md names each finding's account."""
    import re

    _, combined, _ = both
    files = render_all(combined, ("html", "md"))
    page = files["report.html"]
    titles = re.findall(r"awsvpc ENI slots — prod-web <span class=\"muted\">\(([^)]*)\)", page)
    assert len(titles) == 2 and len({t.split(" · ")[1] for t in titles}) == 2
    places = re.search(r'<table id="gap-places">(.*?)</table>', page, re.S)
    assert places is not None
    gap_accounts = {c.account for c in combined.coverage_gaps}
    assert len(gap_accounts) == 2 and all(a in places.group(1) for a in gap_accounts)
    assert "denied (scp)" in places.group(1) and "denied (assume-role)" in places.group(1)
    assert f"Every API not collected ({len(combined.coverage_gaps)})" in page
    assert "| severity | check | account | region | finding |" in files["summary.md"]


def test_a_many_account_run_with_history_beside_it(both, tmp_path):
    """The findings on disk go through the history step: the forecasts are added as they are read
    (finding_store.Mapped), the trend is written beside the report, no finding is lost."""
    from auditor.cli import _write_run
    from auditor.finding_store import Mapped

    _, combined, _ = both
    _write_run(combined, tmp_path / "earlier", ("json",))
    earlier = tmp_path / "earlier" / "findings.json"
    doc = json.loads(earlier.read_text())
    doc["generated_at"], doc["run_id"] = "2026-11-01T00:00:00Z", "earlier"
    earlier.write_text(json.dumps(doc))
    from auditor.history.live import attach_history

    attached, extra = attach_history(combined, tmp_path / "now")
    assert isinstance(attached.findings, Mapped) and set(extra) == {"trend.html"}
    assert attached.history is not None and attached.history.runs == 2
    paths = _write_run(combined, tmp_path / "now", ("json", "html"))
    assert {p.name for p in paths} == {"findings.json", "snapshot.json", "report.html", "trend.html"}
    now = json.loads((tmp_path / "now" / "findings.json").read_text())
    assert [f["id"] for f in now["findings"]] == [f.id for f in combined.findings]
