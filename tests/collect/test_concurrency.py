"""The client-side limiter (token buckets per region and bucket) and parallel collection."""

from __future__ import annotations

import threading
import time

import boto3
import pytest

from auditor.collect import collect
from auditor.collect.ratelimits import Limiter, TokenBucket, bucket_of
from auditor.collect.session import Clients
from tests.collect.test_partial_failure import REGIONS, world  # noqa: F401 - the shared demo world


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_token_bucket_bursts_then_refills():
    clock = FakeClock()
    bucket = TokenBucket(burst=3, refill=2, clock=clock, sleep=clock.sleep)
    assert [bucket.acquire() for _ in range(3)] == [0.0, 0.0, 0.0]  # the burst
    assert bucket.acquire() == pytest.approx(0.5)  # then one token every 1/refill seconds
    assert bucket.acquire() == pytest.approx(0.5)
    clock.now += 10  # idle: refills, but never past the burst
    assert [bucket.acquire() for _ in range(3)] == [0.0, 0.0, 0.0]
    assert bucket.acquire() == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("api", "bucket"),
    [
        ("ecs:DescribeTasks", "ecs-cluster-resource-read"),
        ("ecs:ListContainerInstances", "ecs-cluster-resource-read"),
        ("ecs:DescribeServices", "ecs-service-read"),
        ("ec2:DescribeSubnets", "ec2:ec2:DescribeSubnets"),
    ],
)
def test_buckets(api, bucket):
    assert bucket_of(api) == bucket


def test_limiter_shares_ecs_categories_and_separates_regions(monkeypatch):
    limiter = Limiter()
    for _ in range(100):  # the whole "cluster resource read" burst of us-east-1
        limiter.acquire("us-east-1", "ecs:DescribeTasks" if _ % 2 else "ecs:ListTasks")
    waits = []
    monkeypatch.setattr(time, "sleep", lambda s: waits.append(s))
    started = time.monotonic()
    limiter.acquire("eu-west-1", "ecs:DescribeTasks")  # another region: its own bucket, no wait
    limiter.acquire("us-east-1", "ec2:DescribeSubnets")  # another bucket: no wait
    assert waits == [] and time.monotonic() - started < 1
    buckets = limiter._buckets  # the category bucket is nearly empty: the next ECS read must wait
    assert buckets[("us-east-1", "ecs-cluster-resource-read")]._tokens < 1


class Overlap:
    """A before-send hook that holds each request a while (a stand-in for AWS latency) and keeps
    the most requests seen in flight at once."""

    def __init__(self, seconds: float):
        self.seconds, self.active, self.peak = seconds, 0, 0
        self._lock = threading.Lock()

    def __call__(self, **_) -> None:
        with self._lock:
            self.active += 1
            self.peak = max(self.peak, self.active)
        time.sleep(self.seconds)
        with self._lock:
            self.active -= 1


def test_independent_calls_run_in_parallel(world):  # noqa: F811
    overlap = Overlap(0.02)
    clients = Clients(boto3.session.Session(region_name="us-east-1"), retry_mode="standard", max_attempts=1)
    clients.session.events.register("before-send", overlap)
    snapshot = collect(clients, REGIONS)
    assert all(c.status == "ok" for c in snapshot.coverage)
    assert overlap.peak >= 4  # regions side by side, and inventories beside the ECS chain inside each


def test_batches_of_one_api_run_in_parallel(clients):
    """25 services in one cluster are 3 DescribeServices batches of ≤10; they overlap in time, and
    each batch is still asked exactly once."""
    ecs = boto3.client("ecs", region_name="us-east-1")
    ecs.create_cluster(clusterName="many")
    td = ecs.register_task_definition(
        family="f", networkMode="bridge", containerDefinitions=[{"name": "c", "image": "x", "memory": 64}]
    )["taskDefinition"]["taskDefinitionArn"]
    for n in range(25):
        ecs.create_service(cluster="many", serviceName=f"s{n}", taskDefinition=td, desiredCount=0)
    overlap, batches = Overlap(0.05), []

    def sizes(params, **_):
        batches.append(len(params["services"]))

    clients.session.events.register("before-send.ecs.DescribeServices", overlap)
    clients.session.events.register("provide-client-params.ecs.DescribeServices", sizes)
    snapshot = collect(clients, ("us-east-1",), ("many",))
    assert len(snapshot.services) == 25
    assert sorted(batches) == [5, 10, 10]
    assert overlap.peak >= 2
