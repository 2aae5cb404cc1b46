"""The command line of many-account audits: `report` over several snapshots, `policy --member`,
the new flags' checks, and `demo --org`."""

from __future__ import annotations

import csv
import itertools
import json

import pytest

from auditor.cli import main, policy_document
from auditor.merge import merge
from auditor.snapshot import dumps, loads
from tests.factories import ACCOUNT, SnapshotBuilder, rule

OTHER = "444455556666"


def account_snapshot(region: str = "us-east-1", account: str = ACCOUNT) -> str:
    """A one-account snapshot document with a wide security group on an ECS host (a finding);
    resource ids differ between accounts, as AWS's do."""
    b = SnapshotBuilder(region=region, _ids=itertools.count(int(account[:4])))
    b.vpc("vpc-1", "10.0.0.0/16")
    cluster = b.cluster()
    b.subnet()
    group = f"sg-{account}"
    b.security_group(group, [rule(from_port=0, to_port=65535, cidr="0.0.0.0/0")], name="hosts")
    b.instance(cluster, "c5.large", groups=(group,))
    b.service(cluster, "web", b.task_definition("web", "bridge", host_port=0), desired=2)
    return dumps(b.build()).replace(ACCOUNT, account)


def test_report_analyses_several_snapshots_as_one(tmp_path, capsys):
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text(account_snapshot())
    b.write_text(account_snapshot(account=OTHER))
    out = tmp_path / "out"
    assert main(["report", str(a), str(b), "--out", str(out), "--format", "json,csv", "--quiet"]) == 0
    doc = json.loads((out / "findings.json").read_text())
    assert doc["scope"]["accounts"] == [ACCOUNT, OTHER]
    by_account = {f["account"] for f in doc["findings"] if f["check"] == "wide-port-range"}
    assert by_account == {ACCOUNT, OTHER}
    rows = list(csv.DictReader((out / "accounts.csv").open()))
    assert [r["account"] for r in rows] == [ACCOUNT, OTHER]
    assert int(rows[0]["high"]) + int(rows[0]["medium"]) + int(rows[0]["critical"]) > 0
    # each file was analysed on its own; the snapshot.json streamed from the spool is still the
    # lossless union of both, and `report` on it alone gives the same findings
    merged = loads((out / "snapshot.json").read_text())
    assert merged == merge([("a", loads(a.read_text())), ("b", loads(b.read_text()))])
    assert len(merged.services) == 2 and len(merged.accounts) == 2
    again = tmp_path / "again"
    assert (
        main(["report", str(out / "snapshot.json"), "--out", str(again), "--format", "json", "--quiet"]) == 0
    )
    redo = json.loads((again / "findings.json").read_text())
    assert [f["id"] for f in redo["findings"]] == [f["id"] for f in doc["findings"]] != []
    assert redo["capacity"] == doc["capacity"]


def test_the_same_account_and_region_twice_is_bad_input(tmp_path, capsys):
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text(account_snapshot())
    b.write_text(account_snapshot())  # the same account and region
    c = tmp_path / "c.json"
    c.write_text(account_snapshot(region="eu-west-1"))  # the same account elsewhere is fine
    out = tmp_path / "out"
    assert main(["report", str(a), str(c), "--out", str(tmp_path / "ok"), "--quiet"]) == 0
    assert main(["report", str(a), str(b), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert str(a) in err and str(b) in err and err.count("\n") == 1 and "Traceback" not in err
    assert not out.exists()


def test_policy_and_member_policy(capsys):
    assert main(["policy"]) == 0
    caller = set(json.loads(capsys.readouterr().out)["Statement"][0]["Action"])
    assert {"organizations:ListAccounts", "sts:AssumeRole", "ecs:DescribeTasks"} <= caller
    assert main(["policy", "--member"]) == 0
    member = set(json.loads(capsys.readouterr().out)["Statement"][0]["Action"])
    assert "ecs:DescribeTasks" in member and "ec2:DescribeRegions" in member
    assert not member & {"organizations:ListAccounts", "sts:AssumeRole", "sts:GetCallerIdentity"}
    assert member == set(policy_document(member=True)["Statement"][0]["Action"])
    for action in caller | member:
        assert action.split(":")[1].startswith(("Describe", "List", "Get")) or action == "sts:AssumeRole"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--org", "--account", "111122223333"], "exclude each other"),
        (["--account", "12345"], "not 12 digits"),
        (["--exclude-account", "abc"], "not 12 digits"),
        (["--org", "--max-parallel", "0"], "between 1 and 64"),
        (["--org", "--role-name", "bad name"], "not an IAM role name"),
        (["--org", "--external-id", "x"], "external id"),
    ],
)
def test_bad_many_account_flags_exit_2_before_any_call(args, message, capsys, tmp_path):
    assert main(["scan", "--region", "us-east-1", "--out", str(tmp_path / "o"), *args]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_role_chain_in_the_config(tmp_path, capsys):
    from auditor.config import load_config

    good = tmp_path / "good.toml"
    good.write_text(
        '[scan]\nrole_chain = ["arn:aws:iam::111122223333:role/hub"]\nrole_name = "audit/reader"\n'
    )
    config = load_config(good)
    assert config.scan.role_chain == ("arn:aws:iam::111122223333:role/hub",)
    bad = tmp_path / "bad.toml"
    bad.write_text('[scan]\nrole_chain = ["hub"]\n')
    assert main(["scan", "--org", "--config", str(bad), "--region", "us-east-1"]) == 2
    assert "scan.role_chain" in capsys.readouterr().err


def test_account_notes_reach_the_terminal_neutralised(monkeypatch, capsys, tmp_path):
    # plan_accounts' notes embed Organizations account names: AWS data, so no escape sequence or
    # bidirectional override may reach the terminal through them.
    import auditor.collect
    import auditor.collect.fanout as fanout

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setattr(auditor.collect, "identify", lambda *a, **k: ACCOUNT)
    monkeypatch.setattr(
        fanout, "plan_accounts", lambda *a, **k: ([], [f"account {OTHER} (\x1b[31mprod\u202e) is SUSPENDED"])
    )

    def stop(*a, **k):
        raise SystemExit(0)

    monkeypatch.setattr(fanout, "spool_accounts", stop)
    with pytest.raises(SystemExit):
        main(["scan", "--account", f"{ACCOUNT},{OTHER}", "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert "SUSPENDED" in err
    assert "\x1b" not in err and "\u202e" not in err
