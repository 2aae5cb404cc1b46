"""Partial failure, for every API the tool calls: the audit completes, coverage says what failed,
and no check reports an all-clear on data it did not see."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator

import boto3
import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from auditor.collect import PERMISSIONS, collect
from auditor.collect.session import Clients
from auditor.config import Config
from auditor.demo.realism import moto_like_aws
from auditor.demo.world import build_demo_world
from auditor.pipeline import analyse
from auditor.report import render_all
from auditor.result import AuditResult

REGIONS = ("us-east-1", "eu-west-1")
APIS = sorted(set(PERMISSIONS) - {"sts:GetCallerIdentity", "ec2:DescribeRegions"})
FAILURES = {
    "denied": ("AccessDeniedException", 400),
    "error": ("InternalFailure", 500),
}


@pytest.fixture(scope="module")
def world() -> Iterator[None]:
    from moto import mock_aws

    saved = dict(os.environ)
    os.environ.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_SESSION_TOKEN="testing",
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
    )
    os.environ.pop("AWS_PROFILE", None)
    with mock_aws(), moto_like_aws():
        build_demo_world(lambda s, r: boto3.client(s, region_name=r), "123456789012")
        yield
    os.environ.clear()
    os.environ.update(saved)


def audit(hook=None) -> AuditResult:
    clients = Clients(boto3.session.Session(region_name="us-east-1"), retry_mode="standard", max_attempts=1)
    if hook:
        clients.session.events.register("provide-client-params", hook)
    return analyse(collect(clients, REGIONS), Config())


@pytest.fixture(scope="module")
def baseline(world) -> AuditResult:
    return audit()


def failing(api: str, code: str, http: int, region: str | None = None):
    def hook(model, context=None, **_):
        if f"{model.service_model.signing_name}:{model.name}" != api:
            return
        if region and context and context.get("client_region") != region:
            return
        raise ClientError(
            {"Error": {"Code": code, "Message": "injected"}, "ResponseMetadata": {"HTTPStatusCode": http}},
            model.name,
        )

    return hook


def assert_no_silent_pass(baseline: AuditResult, degraded: AuditResult) -> None:
    """Every real finding of the full audit is still there, or its check says unknown there."""
    seen = {(f.check, f.resource_id) for f in degraded.findings}
    unknown_regions = {
        (f.check, f.region)
        for f in degraded.findings
        if f.resource_type == "region" and f.detail.get("unknown")
    }
    unknown_resources = {(f.check, f.resource_id) for f in degraded.findings if f.detail.get("unknown")}
    for f in baseline.findings:
        if f.severity == "info":
            continue
        assert (
            (f.check, f.resource_id) in seen
            or (f.check, f.region) in unknown_regions
            or (f.check, f.resource_id) in unknown_resources
        ), f"silent pass: {f.check} {f.resource_id} {f.title}"


def test_baseline_is_complete(baseline):
    assert all(c.status == "ok" for c in baseline.snapshot.coverage)
    assert not [f for f in baseline.findings if f.detail.get("unknown")]


@pytest.mark.parametrize("status", sorted(FAILURES))
@pytest.mark.parametrize("api", APIS)
def test_one_api_failing(baseline, api, status):
    code, http = FAILURES[status]
    degraded = audit(failing(api, code, http))
    statuses = {(c.region, c.api): c.status for c in degraded.snapshot.coverage}
    assert status in {s for (_, a), s in statuses.items() if a == api}, statuses
    assert_no_silent_pass(baseline, degraded)
    assert degraded.incomplete
    html = render_all(degraded, ("html",))["report.html"]
    assert "Incomplete audit" in html and api in html
    doc = json.loads(render_all(degraded, ("json",))["findings.json"])
    assert doc["complete"] is False


def test_one_region_unreachable(baseline):
    def unreachable(model, context=None, **_):
        if context and context.get("client_region") == "eu-west-1":
            raise EndpointConnectionError(endpoint_url="https://ecs.eu-west-1.amazonaws.com")

    degraded = audit(unreachable)
    eu = [c for c in degraded.snapshot.coverage if c.region == "eu-west-1"]
    us = [c for c in degraded.snapshot.coverage if c.region == "us-east-1"]
    assert eu and all(c.status in ("error", "skipped") for c in eu)
    assert any("endpoint unreachable" in c.detail for c in eu)
    assert all(c.status == "ok" for c in us)
    us_findings = {(f.check, f.resource_id) for f in baseline.findings if f.region == "us-east-1"}
    assert us_findings <= {(f.check, f.resource_id) for f in degraded.findings}
    assert_no_silent_pass(baseline, degraded)
