"""`demo --org`: a small organisation in the embedded emulator, one account of each status. (Not
under tests/org: the emulator there is module-wide, and the demo builds its own.)"""

from __future__ import annotations

import csv
import json

from auditor.cli import main


def test_demo_org_shows_ok_partial_and_failed_accounts(tmp_path):
    out = tmp_path / "out"
    assert main(["demo", "--org", "--out", str(out), "--quiet"]) == 0
    rows = {r["name"]: r for r in csv.DictReader((out / "accounts.csv").open())}
    assert {n: r["status"] for n, r in rows.items()} == {
        "master": "ok",
        "workloads": "partial",
        "sandbox": "failed",
    }
    assert rows["workloads"]["regions"] == "us-east-1"
    doc = json.loads((out / "findings.json").read_text())
    reasons = {(c["account"], c.get("reason")) for c in doc["coverage"] if c["status"] != "ok"}
    assert (rows["workloads"]["account"], "scp") in reasons
    assert (rows["sandbox"]["account"], "assume-role") in reasons
    html = (out / "report.html").read_text()
    assert 'id="accounts-table"' in html and 'id="f-account"' in html
    for row in rows.values():
        assert f'data-account="{row["account"]}"' in html
