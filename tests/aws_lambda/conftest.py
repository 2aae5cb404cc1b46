"""In-process moto for the scheduled audit: a bucket, an SNS topic read through an SQS queue, and
a small account whose ENI quota a test can lower to make a new high finding appear."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

ACCOUNT = "123456789012"  # moto's default account: the function's own
REGION = "us-east-1"
BUCKET = "audit-runs"
PREFIX = "nightly"


@dataclass
class Aws:
    """The audit account as the tests see it."""

    s3: Any
    sqs: Any
    queue_url: str
    topic_arn: str
    monkeypatch: pytest.MonkeyPatch

    def keys(self, prefix: str = "") -> list[str]:
        pages = self.s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix)
        return sorted(o["Key"] for page in pages for o in page.get("Contents", ()))

    def read_json(self, key: str) -> Any:
        return json.loads(self.s3.get_object(Bucket=BUCKET, Key=key)["Body"].read())

    def messages(self) -> list[dict[str, Any]]:
        """Every SNS notification delivered so far (Subject, Message), drained from the queue."""
        found = []
        while True:
            got = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10)
            batch = got.get("Messages", [])
            if not batch:
                return found
            for m in batch:
                found.append(json.loads(m["Body"]))
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=m["ReceiptHandle"])


def make_aws(monkeypatch: pytest.MonkeyPatch) -> Aws:
    """The bucket, topic and queue, and the function's environment (inside an active moto)."""
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket=BUCKET)
    sns = boto3.client("sns", region_name=REGION)
    sqs = boto3.client("sqs", region_name=REGION)
    topic = sns.create_topic(Name="ecs-net-audit")["TopicArn"]
    queue_url = sqs.create_queue(QueueName="inbox")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("ECS_NET_AUDIT_OUT", f"s3://{BUCKET}/{PREFIX}")
    monkeypatch.setenv("ECS_NET_AUDIT_REGIONS", REGION)
    monkeypatch.setenv("ECS_NET_AUDIT_NOTIFY_TOPIC", topic)
    monkeypatch.delenv("ECS_NET_AUDIT_NOTIFY_ON", raising=False)
    monkeypatch.delenv("ECS_NET_AUDIT_CONFIG", raising=False)
    return Aws(s3=s3, sqs=sqs, queue_url=queue_url, topic_arn=topic, monkeypatch=monkeypatch)


@pytest.fixture
def aws(moto: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[Aws]:
    yield make_aws(monkeypatch)


def small_account(account: str = ACCOUNT, region: str = REGION, session: Any = None) -> None:
    """A VPC with two ENIs: no finding at or above high while the ENI quota is the default."""
    ec2 = (session or boto3).client("ec2", region_name=region)
    vpc = ec2.create_vpc(CidrBlock="10.8.0.0/24")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.8.0.0/26")["Subnet"]["SubnetId"]
    for _ in range(2):
        ec2.create_network_interface(SubnetId=subnet, Description="app")


def findings_of(doc: dict[str, Any], check: str) -> list[dict[str, Any]]:
    return [f for f in doc["findings"] if f["check"] == check]
