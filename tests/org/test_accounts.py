"""assume_role_session: the role's account, the chain, the external id, STS's regional endpoint,
and credentials that renew themselves when the run outlives them."""

from __future__ import annotations

from datetime import timedelta

import boto3
import pytest
from moto.backends import get_backend

from auditor.collect import accounts
from auditor.collect.accounts import assume_role_session, sts_client
from tests.org.conftest import MANAGEMENT


def assumed_roles(account: str) -> list:
    """What moto's STS recorded: every AssumeRole of a role in `account`."""
    return list(get_backend("sts")[account]["aws"].assumed_roles)


def test_the_session_acts_in_the_target_account_through_the_chain(org):
    prod, dev = org.members["prod"], org.members["dev"]
    hub = f"arn:aws:iam::{dev}:role/hub"
    before_dev, before_prod = len(assumed_roles(dev)), len(assumed_roles(prod))
    session = assume_role_session(
        org.base, prod, "ecs-net-audit", "ext-123", region="eu-west-1", chain=(hub,)
    )
    assert len(assumed_roles(dev)) == before_dev  # deferred: nothing called yet
    identity = session.client("sts").get_caller_identity()
    assert identity["Account"] == prod
    assert identity["Arn"] == f"arn:aws:sts::{prod}:assumed-role/ecs-net-audit/ecs-net-audit"
    first_hop = assumed_roles(dev)[before_dev:]
    second_hop = assumed_roles(prod)[before_prod:]
    assert [r.role_arn for r in first_hop] == [hub] and first_hop[0].external_id is None
    assert [(r.role_arn, r.external_id) for r in second_hop] == [
        (f"arn:aws:iam::{prod}:role/ecs-net-audit", "ext-123")
    ]
    assert session.region_name == "eu-west-1"


def test_sts_is_asked_through_the_regional_endpoint(monkeypatch):
    base = boto3.session.Session(region_name="ap-southeast-2")
    assert sts_client(base, "ap-southeast-2").meta.endpoint_url == "https://sts.ap-southeast-2.amazonaws.com"
    monkeypatch.setenv("AWS_STS_REGIONAL_ENDPOINTS", "legacy")  # a profile may still ask for the global one
    legacy = boto3.session.Session(region_name="eu-west-1")
    assert sts_client(legacy, "eu-west-1").meta.endpoint_url == "https://sts.eu-west-1.amazonaws.com"
    assert sts_client(base, "eu-west-1", endpoint_url="http://127.0.0.1:1").meta.endpoint_url == (
        "http://127.0.0.1:1"
    )


def test_credentials_are_renewed_when_the_run_outlives_them(org, monkeypatch):
    """Token expiry mid-run: an hour and more later the next call renews the credentials first
    (another AssumeRole) instead of failing with ExpiredToken. The clock moves for both sides:
    the credentials' and moto's (which stamps the expiry)."""
    import moto.sts.models

    prod = org.members["prod"]
    session = assume_role_session(org.base, prod, "ecs-net-audit")
    ecs = session.client("ecs", region_name="us-east-1")
    before = len(assumed_roles(prod))
    start = accounts._now()
    moto_start = moto.sts.models.utcnow()

    def move_clock(by: timedelta) -> None:
        monkeypatch.setattr(accounts, "_now", lambda: start + by)
        monkeypatch.setattr(moto.sts.models, "utcnow", lambda: moto_start + by)

    assert ecs.list_clusters()["clusterArns"]
    first = session.get_credentials().get_frozen_credentials().access_key
    assert len(assumed_roles(prod)) == before + 1
    move_clock(timedelta(minutes=30))  # well inside the hour: the same credentials
    ecs.list_clusters()
    assert len(assumed_roles(prod)) == before + 1
    move_clock(timedelta(minutes=50))  # inside botocore's refresh window (15 minutes before expiry)
    assert ecs.list_clusters()["clusterArns"]
    second = session.get_credentials().get_frozen_credentials().access_key
    assert len(assumed_roles(prod)) == before + 2 and second != first
    move_clock(timedelta(hours=3))  # long past the expiry of both
    assert ecs.list_clusters()["clusterArns"]
    assert len(assumed_roles(prod)) == before + 3


def test_a_refused_role_fails_on_first_use_with_aws_words(org, refuse):
    from botocore.exceptions import ClientError

    from auditor.demo import refusals

    dev = org.members["dev"]
    refusals.refuse_assume_role(MANAGEMENT, accounts.role_arn(dev, "ecs-net-audit"))
    session = assume_role_session(org.base, dev, "ecs-net-audit")
    with pytest.raises(ClientError, match="AccessDenied"):
        session.get_credentials().get_frozen_credentials()


@pytest.mark.parametrize(
    ("account", "name", "partition", "arn"),
    [
        ("111122223333", "ecs-net-audit", "aws", "arn:aws:iam::111122223333:role/ecs-net-audit"),
        ("111122223333", "/audit/reader", "aws-cn", "arn:aws-cn:iam::111122223333:role/audit/reader"),
    ],
)
def test_role_arn(account, name, partition, arn):
    assert accounts.role_arn(account, name, partition) == arn
