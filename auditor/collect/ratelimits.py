"""AWS's request rate limits as token buckets, and a client-side limiter that keeps the audit
inside them (so it does not throttle itself, and leaves room for the account's own traffic).

ECS buckets are shared per action category and per account and region (Amazon ECS API reference,
"Request throttling for the Amazon ECS API"); EC2 describes use the non-mutating default bucket,
one per action (EC2 API reference, "Request throttling"). The other services publish no token
buckets: the figures marked "assumed" are conservative guesses.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

# bucket → (burst = maximum capacity, refill tokens per second, source)
BUCKETS: dict[str, tuple[float, float, str]] = {
    "ecs-cluster-read": (50, 20, "documented"),
    "ecs-cluster-resource-read": (100, 20, "documented"),
    "ecs-service-read": (100, 20, "documented"),
    "ecs-task-definition-read": (50, 20, "documented"),
    "ecs-setting-read": (50, 20, "documented"),
    "ec2-non-mutating": (100, 20, "documented default, per action"),
    "elbv2-describe": (10, 10, "assumed"),
    "iam-read": (20, 10, "assumed"),
    "aas-describe": (10, 5, "assumed"),
    "servicequotas-read": (10, 5, "assumed"),
    "sts": (50, 20, "assumed"),
}
BUCKET_OF = {
    "ecs:ListClusters": "ecs-cluster-read",
    "ecs:DescribeClusters": "ecs-cluster-read",
    "ecs:ListContainerInstances": "ecs-cluster-resource-read",
    "ecs:DescribeContainerInstances": "ecs-cluster-resource-read",
    "ecs:ListTasks": "ecs-cluster-resource-read",
    "ecs:DescribeTasks": "ecs-cluster-resource-read",
    "ecs:ListServices": "ecs-service-read",
    "ecs:DescribeServices": "ecs-service-read",
    "ecs:DescribeTaskDefinition": "ecs-task-definition-read",
    "ecs:ListAccountSettings": "ecs-setting-read",
    "elasticloadbalancing:DescribeTargetGroups": "elbv2-describe",
    "elasticloadbalancing:DescribeLoadBalancers": "elbv2-describe",
    "iam:GetInstanceProfile": "iam-read",
    "application-autoscaling:DescribeScalableTargets": "aas-describe",
    "servicequotas:GetServiceQuota": "servicequotas-read",
    "sts:GetCallerIdentity": "sts",
}
GLOBAL_SERVICES = ("iam:",)  # one bucket for the account, whatever the region


def bucket_of(api: str) -> str:
    """The bucket an API draws from; EC2 actions each have their own."""
    return BUCKET_OF.get(api) or (f"ec2:{api}" if api.startswith("ec2:") else "ec2-non-mutating")


def limits(bucket: str) -> tuple[float, float]:
    burst, refill, _ = BUCKETS.get(bucket, BUCKETS["ec2-non-mutating"])
    return burst, refill


class TokenBucket:
    """Blocks `acquire()` until a token is free: `burst` at once, then `refill` per second."""

    def __init__(
        self,
        burst: float,
        refill: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.burst, self.refill = burst, refill
        self._tokens = burst
        self._clock, self._sleep = clock, sleep
        self._stamp = clock()
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Take one token; returns how long it waited."""
        waited = 0.0
        while True:
            with self._lock:
                now = self._clock()
                self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.refill)
                self._stamp = now
                if self._tokens >= 1:
                    self._tokens -= 1
                    return waited
                pause = (1 - self._tokens) / self.refill
            self._sleep(pause)
            waited += pause


class Limiter:
    """One TokenBucket per (region, bucket), created on first use, shared by every thread."""

    def __init__(self, share: float = 1.0):
        self.share = share  # fraction of each bucket the audit allows itself
        self._buckets: dict[tuple[str, str], TokenBucket] = {}
        self._lock = threading.Lock()

    def acquire(self, region: str, api: str) -> float:
        bucket = bucket_of(api)
        key = ("global" if api.startswith(GLOBAL_SERVICES) else region, bucket)
        with self._lock:
            if key not in self._buckets:
                burst, refill = limits(bucket)
                self._buckets[key] = TokenBucket(max(1.0, burst * self.share), refill * self.share)
            token_bucket = self._buckets[key]
        return token_bucket.acquire()
