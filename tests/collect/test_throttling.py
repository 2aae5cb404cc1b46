"""Throttling: the first call of every API is throttled; retries give complete, correct data, and
the coverage rows count the retries."""

from __future__ import annotations

import json
from urllib.parse import urlparse

import boto3
import botocore.endpoint
from botocore.awsrequest import AWSResponse

from auditor.collect import collect
from auditor.collect.session import Clients
from auditor.config import Config
from auditor.pipeline import analyse
from tests.collect.test_partial_failure import REGIONS, world  # noqa: F401 - the shared demo world

THROTTLE_BODIES = {
    # by protocol: what AWS answers when it throttles
    "json": (
        400,
        {"Content-Type": "application/x-amz-json-1.1"},
        json.dumps({"__type": "ThrottlingException", "message": "Rate exceeded"}).encode(),
    ),
    "ec2": (
        503,
        {"Content-Type": "text/xml"},
        b"<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded."
        b"</Message></Error></Errors><RequestID>r</RequestID></Response>",
    ),
    "query": (
        400,
        {"Content-Type": "text/xml"},
        b"<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message>"
        b"</Error><RequestId>r</RequestId></ErrorResponse>",
    ),
}


PROTOCOLS = {
    "ec2": "ec2",
    "sts": "query",
    "iam": "query",
    "elastic-load-balancing-v2": "query",
    "auto-scaling": "query",
}


class _Raw:
    def __init__(self, body: bytes):
        self._body = body

    def stream(self, **_):
        yield self._body


def throttle_first_calls():
    throttled: set[str] = set()

    def before_send(request, event_name, **_):
        _, service, operation = event_name.split(".", 2)
        key = f"{urlparse(request.url).netloc}:{operation}:{request.body!r}"  # every distinct request
        if key in throttled:
            return None
        throttled.add(key)
        status, headers, body = THROTTLE_BODIES[PROTOCOLS.get(service, "json")]
        return AWSResponse(request.url, status, headers, _Raw(body))

    return before_send, throttled


def test_throttled_first_calls_are_retried_to_complete_data(world, monkeypatch):  # noqa: F811
    mode = "standard"  # adaptive is covered below: its client-side limiter really waits after throttles
    monkeypatch.setattr(botocore.endpoint.time, "sleep", lambda _seconds: None)  # no real back-off wait
    clean = Clients(boto3.session.Session(region_name="us-east-1"), retry_mode="standard", max_attempts=1)
    expected = analyse(collect(clean, REGIONS), Config())

    clients = Clients(boto3.session.Session(region_name="us-east-1"), retry_mode=mode, max_attempts=3)
    hook, throttled = throttle_first_calls()
    clients.session.events.register_first("before-send", hook)
    result = analyse(collect(clients, REGIONS), Config())

    assert all(c.status == "ok" for c in result.snapshot.coverage)
    assert all(c.retries >= 1 for c in result.snapshot.coverage), [
        (c.region, c.api, c.retries) for c in result.snapshot.coverage if c.retries < 1
    ]
    assert len(throttled) >= len(result.snapshot.coverage)
    assert [f.id for f in result.findings] == [f.id for f in expected.findings]
    assert result.instances == expected.instances and result.subnets == expected.subnets


def test_throttled_past_the_attempts_is_an_error_not_an_empty_answer(world, monkeypatch):  # noqa: F811
    monkeypatch.setattr(botocore.endpoint.time, "sleep", lambda _seconds: None)
    clients = Clients(boto3.session.Session(region_name="us-east-1"), retry_mode="standard", max_attempts=2)

    def always(request, event_name, **_):
        if event_name.endswith(".DescribeTasks"):
            status, headers, body = THROTTLE_BODIES["json"]
            return AWSResponse(request.url, status, headers, _Raw(body))
        return None

    clients.session.events.register_first("before-send", always)
    snapshot = collect(clients, REGIONS)
    rows = [c for c in snapshot.coverage if c.api == "ecs:DescribeTasks"]
    assert rows and all(c.status == "error" and "Throttling" in c.detail for c in rows)


def test_adaptive_mode_retries_too(world, monkeypatch):  # noqa: F811
    monkeypatch.setattr(botocore.endpoint.time, "sleep", lambda _seconds: None)
    clients = Clients(boto3.session.Session(region_name="us-east-1"), retry_mode="adaptive", max_attempts=3)
    hook, throttled = throttle_first_calls()

    def only_clusters(request, event_name, **kwargs):
        return hook(request, event_name, **kwargs) if event_name.endswith(".ListClusters") else None

    clients.session.events.register_first("before-send", only_clusters)
    snapshot = collect(clients, REGIONS)
    rows = {(c.region, c.api): c for c in snapshot.coverage}
    for region in REGIONS:
        assert rows[(region, "ecs:ListClusters")].retries == 1
        assert rows[(region, "ecs:ListClusters")].status == "ok"
    assert {c.name for c in snapshot.clusters} == {"prod-web", "batch", "eu-app", "win-apps", "shop"}
