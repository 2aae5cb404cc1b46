"""`ecs-net-audit demo`: build the sample account in an in-process AWS emulator (moto) and
collect it with exactly the `scan` pipeline. No credentials, no network."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import boto3

from auditor.collect.session import Clients
from auditor.errors import ConfigError
from auditor.model import Snapshot

DEMO_ACCOUNT = "123456789012"  # moto's default account
_FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "demo",
    "AWS_SECRET_ACCESS_KEY": "demo",
    "AWS_SESSION_TOKEN": "demo",
}
_CLEARED = ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_DEFAULT_PROFILE")


@contextmanager
def _demo_environment() -> Iterator[None]:
    """Fake credentials and no profile or endpoint, restored afterwards."""
    saved = {k: os.environ.get(k) for k in (*_FAKE_CREDENTIALS, *_CLEARED)}
    os.environ.update(_FAKE_CREDENTIALS)
    for key in _CLEARED:
        os.environ.pop(key, None)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def demo_snapshot() -> Snapshot:
    """Build the demo world in moto and collect it as `scan` would."""
    try:
        from moto import mock_aws
    except ImportError:
        raise ConfigError("the demo needs moto: pip install 'ecs-net-audit[demo]'") from None
    from auditor.collect import collect
    from auditor.demo.realism import moto_like_aws
    from auditor.demo.world import build_demo_world

    with _demo_environment(), mock_aws(), moto_like_aws():
        builder = boto3.session.Session(region_name="us-east-1")
        build_demo_world(lambda service, region: builder.client(service, region_name=region), DEMO_ACCOUNT)
        world_regions = ("us-east-1", "eu-west-1")
        clients = Clients(
            boto3.session.Session(region_name="us-east-1"), retry_mode="standard", max_attempts=3
        )
        return collect(clients, world_regions)


DEMO_MEMBER_NAMES = ("workloads", "sandbox")


def demo_org_snapshot() -> Snapshot:
    """A small organisation in moto, collected as `scan --org` would: the management account
    (the demo account, audited with its own credentials), member `workloads` (the demo world
    again, with eu-west-1 denied by a service control policy) and member `sandbox` (whose
    `ecs-net-audit` role cannot be assumed)."""
    try:
        from moto import mock_aws
    except ImportError:
        raise ConfigError("the demo needs moto: pip install 'ecs-net-audit[demo]'") from None
    from auditor.collect.accounts import assume_role_session, role_arn
    from auditor.collect.fanout import collect_accounts, plan_accounts
    from auditor.config import ScanSettings
    from auditor.demo import refusals
    from auditor.demo.world import build_demo_world

    with _demo_environment(), mock_aws():
        base = boto3.session.Session(region_name="us-east-1")
        org = base.client("organizations")
        org.create_organization(FeatureSet="ALL")
        members = [
            org.create_account(AccountName=name, Email=f"{name}@example.com")["CreateAccountStatus"][
                "AccountId"
            ]
            for name in DEMO_MEMBER_NAMES
        ]
        build_demo_world(lambda service, region: base.client(service, region_name=region), DEMO_ACCOUNT)
        workloads = assume_role_session(base, members[0], "OrganizationAccountAccessRole")
        build_demo_world(lambda service, region: workloads.client(service, region_name=region), members[0])
        refusals.clear()
        refusals.deny_region_by_scp(members[0], "eu-west-1")
        refusals.refuse_assume_role(DEMO_ACCOUNT, role_arn(members[1], "ecs-net-audit"))
        try:
            scan = ScanSettings(org=True)
            clients = Clients(base, retry_mode="standard", max_attempts=3)
            plans, _ = plan_accounts(clients, scan, DEMO_ACCOUNT, "us-east-1")
            return collect_accounts(plans, base, scan, ("us-east-1", "eu-west-1"), "us-east-1")
        finally:
            refusals.clear()
