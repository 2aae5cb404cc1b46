"""`scan --org` collected in-process: every ACTIVE account, each through its own role (the
caller's own with its own credentials), and what happens when a role cannot be assumed, a region
is denied by a service control policy or not enabled, or nothing at all can be read."""

from __future__ import annotations

from dataclasses import replace

import pytest

from auditor.account_status import account_rows
from auditor.collect.accounts import role_arn
from auditor.collect.fanout import collect_accounts, plan_accounts
from auditor.config import Config, ScanSettings
from auditor.demo import refusals
from auditor.errors import CollectError
from auditor.pipeline import analyse
from tests.org.conftest import MANAGEMENT, REGIONS

ORG = ScanSettings(org=True, max_parallel=3)


def scan(org, settings=ORG, regions=REGIONS):
    from auditor.collect.session import Clients

    clients = Clients(org.base, retry_mode="standard", max_attempts=2)
    plans, notes = plan_accounts(clients, settings, MANAGEMENT, "us-east-1")
    return plans, notes, collect_accounts(plans, org.base, settings, regions, "us-east-1")


def rows_of(snapshot, account):
    return [c for c in snapshot.coverage if c.account == account]


def test_every_active_account_is_audited_each_in_its_own_account(org, refuse):
    plans, notes, snapshot = scan(org)
    expected = {MANAGEMENT, *org.members.values()}
    assert {p.account for p in plans} == expected
    assert [p.account for p in plans if p.own] == [MANAGEMENT]
    assert set(snapshot.accounts) == expected and org.suspended not in snapshot.accounts
    assert any(org.suspended in note and "SUSPENDED" in note for note in notes)
    # each account's records come from that account (moto keeps accounts apart)
    assert {(c.account, c.region) for c in snapshot.clusters} == {(a, r) for a in expected for r in REGIONS}
    assert {s.account for s in snapshot.services} == expected
    # the management account uses its own credentials: no AssumeRole; each member exactly one
    assume = [c for c in snapshot.coverage if c.api == "sts:AssumeRole"]
    assert sorted(c.account for c in assume) == sorted(org.members.values())
    assert all(c.status == "ok" and c.calls == 1 for c in assume)
    result = analyse(snapshot, Config())
    orphans = {(f.account, f.region) for f in result.findings if f.check == "orphan-eni"}
    assert orphans == {(a, r) for a in expected for r in REGIONS}
    assert {r.status for r in account_rows(snapshot, result.findings)} == {"ok"}
    names = {r.account: r.name for r in account_rows(snapshot, result.findings)}
    assert names[org.members["prod"]] == "prod" and names[MANAGEMENT] == "master"


def test_a_role_that_cannot_be_assumed_is_one_row_and_the_rest_goes_on(org, refuse):
    dev = org.members["dev"]
    refusals.refuse_assume_role(MANAGEMENT, role_arn(dev, "ecs-net-audit"))
    _, _, snapshot = scan(org)
    rows = rows_of(snapshot, dev)
    assert len(rows) == 1
    (row,) = rows
    assert (row.api, row.status, row.reason) == ("sts:AssumeRole", "denied", "assume-role")
    assert "not authorized to perform: sts:AssumeRole" in row.detail
    assert dev in snapshot.accounts
    statuses = {r.account: r.status for r in account_rows(snapshot, analyse(snapshot, Config()).findings)}
    assert statuses == {MANAGEMENT: "ok", org.members["prod"]: "ok", dev: "failed"}


def test_an_scp_deny_on_one_region_of_one_account(org, refuse):
    prod = org.members["prod"]
    refusals.deny_region_by_scp(prod, "eu-west-1")
    _, _, snapshot = scan(org)
    denied = [c for c in rows_of(snapshot, prod) if c.region == "eu-west-1" and c.status == "denied"]
    assert denied and all(c.reason == "scp" for c in denied)
    assert any(c.api == "ecs:ListClusters" for c in denied)
    assert all(c.status == "ok" for c in rows_of(snapshot, prod) if c.region == "us-east-1")
    assert all(c.status == "ok" for c in rows_of(snapshot, org.members["dev"]))
    result = analyse(snapshot, Config())
    statuses = {r.account: r.status for r in account_rows(snapshot, result.findings)}
    assert statuses[prod] == "partial" and statuses[org.members["dev"]] == "ok"
    # nothing from the denied region poses as an all-clear: its data is simply absent and unknown
    assert not [c for c in snapshot.clusters if c.account == prod and c.region == "eu-west-1"]


def test_a_disabled_region_is_told_apart_from_a_deny(org, refuse):
    dev = org.members["dev"]
    refusals.disable_region(dev, "eu-west-1")
    _, _, snapshot = scan(org)
    gaps = [c for c in rows_of(snapshot, dev) if c.region == "eu-west-1"]
    assert gaps and {c.reason for c in gaps} == {"region-disabled"}
    assert not any(c.status == "ok" for c in gaps)


def test_all_regions_means_each_accounts_enabled_regions(org, refuse):
    from auditor.collect import enabled_regions
    from auditor.collect.session import Clients, Recorder

    dev = org.members["dev"]
    refusals.disable_region(dev, "eu-west-1")
    from auditor.collect.accounts import assume_role_session

    def regions_of(session, account):
        return enabled_regions(Recorder(Clients(session), account, "us-east-1"), None)

    own = regions_of(org.base, MANAGEMENT)
    theirs = regions_of(assume_role_session(org.base, dev, "ecs-net-audit"), dev)
    assert "eu-west-1" in own and "eu-west-1" not in theirs
    assert set(theirs) == set(own) - {"eu-west-1"}
    assert "me-south-1" not in own  # an opt-in region the account has not enabled


def test_excluded_and_named_accounts(org, refuse):
    settings = ScanSettings(accounts=(org.members["prod"], MANAGEMENT), max_parallel=1)
    plans, _, snapshot = scan(org, settings, ("us-east-1",))
    assert [p.account for p in plans] == [org.members["prod"], MANAGEMENT]
    assert set(snapshot.accounts) == {org.members["prod"], MANAGEMENT}
    settings = replace(ORG, exclude_accounts=(org.members["dev"],))
    plans, _, _ = scan(org, settings, ("us-east-1",))
    assert org.members["dev"] not in {p.account for p in plans}


def test_exit_3_only_when_no_account_gave_data(org, refuse):
    for account in org.members.values():
        refusals.refuse_assume_role(MANAGEMENT, role_arn(account, "ecs-net-audit"))
    settings = replace(ORG, exclude_accounts=(MANAGEMENT,))
    with pytest.raises(CollectError, match="nothing could be collected from any of 2 accounts"):
        scan(org, settings, ("us-east-1",))
    # one account with data is enough for a report
    _, _, snapshot = scan(org, ORG, ("us-east-1",))
    assert len(snapshot.accounts) == 3


def test_each_account_has_its_own_rate_limiters(org, refuse, monkeypatch):
    from auditor.collect import session as aws

    limiters = []
    original = aws.Clients.__init__

    def spy(self, *args, **kwargs):
        original(self, *args, **kwargs)
        limiters.append(self.limiter)

    monkeypatch.setattr(aws.Clients, "__init__", spy)
    scan(org, ORG, ("us-east-1",))
    # the planning client, then one per account, none shared
    assert len(limiters) == 1 + 3 and len({id(x) for x in limiters}) == 4


def test_org_listing_refused_is_one_line_with_what_to_do():
    """--org from an account that may not list the organisation: exit 3, saying where to run it."""
    import boto3
    from botocore.stub import Stubber

    from auditor.collect.organizations import active_accounts

    client = boto3.client(
        "organizations", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    with Stubber(client) as stub:
        stub.add_client_error(
            "list_accounts",
            service_error_code="AccessDeniedException",
            service_message="You don't have permissions to access this resource.",
            http_status_code=400,
        )
        with pytest.raises(CollectError, match="management account or a delegated administrator") as caught:
            active_accounts(client)
    assert "AccessDeniedException" in str(caught.value) and "\n" not in str(caught.value)


def test_list_accounts_pages_and_states():
    import boto3
    from botocore.stub import Stubber

    from auditor.collect.organizations import active_accounts

    client = boto3.client(
        "organizations", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )

    def account(n: int, state: str) -> dict:
        return {
            "Id": f"{n:012d}",
            "Name": f"a{n}",
            "State": state,
            "Arn": "arn:aws:organizations::1:account/o-1/1",
        }

    with Stubber(client) as stub:
        stub.add_response(
            "list_accounts", {"Accounts": [account(1, "ACTIVE"), account(2, "SUSPENDED")], "NextToken": "t"}
        )
        stub.add_response(
            "list_accounts",
            {"Accounts": [account(3, "PENDING_CLOSURE"), account(4, "ACTIVE")]},
            {"NextToken": "t"},
        )
        active, skipped = active_accounts(client)
    assert [a.id for a in active] == ["000000000001", "000000000004"]
    assert [(a.id, a.state) for a in skipped] == [
        ("000000000002", "SUSPENDED"),
        ("000000000003", "PENDING_CLOSURE"),
    ]
