"""The realism layer's stand-ins for moto answer exactly as moto does, only faster or paged as AWS."""

from __future__ import annotations

import json
import subprocess
import sys

import boto3

from auditor.demo.realism import moto_like_aws


def _run_tasks(ecs, cluster: str, count: int) -> list[str]:
    ec2 = boto3.client("ec2", region_name="us-east-1")
    iid = ec2.run_instances(ImageId="ami-12345678", MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    ecs.create_cluster(clusterName=cluster)
    td = ecs.register_task_definition(
        family=cluster, containerDefinitions=[{"name": "c", "image": "x", "memory": 64}]
    )["taskDefinition"]["taskDefinitionArn"]
    ecs.register_container_instance(cluster=cluster, instanceIdentityDocument=json.dumps({"instanceId": iid}))
    return [t["taskArn"] for t in ecs.run_task(cluster=cluster, taskDefinition=td, count=count)["tasks"]]


def test_describe_tasks_by_id_answers_as_moto_does(moto):
    from moto.ecs.models import EC2ContainerServiceBackend

    ecs = boto3.client("ecs", region_name="us-east-1")
    a = _run_tasks(ecs, "a", 6)
    b = _run_tasks(ecs, "b", 4)
    asked = [a[0], a[3].rsplit("/", 1)[-1], b[1], "arn:aws:ecs:us-east-1:123456789012:task/a/absent"]

    def described() -> list[str]:
        return sorted(t["taskArn"] for t in ecs.describe_tasks(cluster="a", tasks=asked)["tasks"])

    with moto_like_aws():  # the moto fixture opened one already: a nested block changes nothing
        patched = EC2ContainerServiceBackend.describe_tasks
    assert EC2ContainerServiceBackend.describe_tasks is patched
    original = patched.__wrapped__
    assert not hasattr(original, "__wrapped__")  # wrapped once, however often it is applied
    EC2ContainerServiceBackend.describe_tasks = original
    try:
        by_moto = described()
    finally:
        EC2ContainerServiceBackend.describe_tasks = patched
    assert described() == by_moto == sorted([a[0], a[3], b[1]])


UNDO_CHECK = """
from moto.ecs.models import EC2ContainerServiceBackend
from moto.ecs.responses import EC2ContainerServiceResponse
from moto.moto_api import state_manager
from auditor.demo.realism import TASK_MODEL, moto_like_aws

moto_describe = EC2ContainerServiceBackend.describe_tasks
moto_list = EC2ContainerServiceResponse.list_tasks
moto_transition = state_manager.get_transition(TASK_MODEL)
assert not hasattr(moto_describe, "__wrapped__")
with moto_like_aws():
    assert EC2ContainerServiceBackend.describe_tasks.__wrapped__ is moto_describe
    assert EC2ContainerServiceResponse.list_tasks.__wrapped__ is moto_list
    assert state_manager.get_transition(TASK_MODEL) != moto_transition
    with moto_like_aws():
        pass
    assert EC2ContainerServiceBackend.describe_tasks.__wrapped__ is moto_describe  # the inner block kept it
assert EC2ContainerServiceBackend.describe_tasks is moto_describe
assert EC2ContainerServiceResponse.list_tasks is moto_list
assert state_manager.get_transition(TASK_MODEL) == moto_transition
print("undone")
"""


def test_the_stand_ins_are_undone_when_the_block_ends():
    # in a fresh interpreter: this session's fixtures (the e2e server) keep a block open
    done = subprocess.run([sys.executable, "-c", UNDO_CHECK], capture_output=True, text=True, check=False)
    assert done.stdout.strip() == "undone", done.stderr
