"""moto's ECS answers must not resize the response-transformer dict that concurrent answers read."""

from __future__ import annotations

import boto3


def test_ecs_describes_never_resize_the_shared_transformer_dict(moto):  # moto_like_aws is open
    from moto.ecs.responses import EC2ContainerServiceResponse

    shared = EC2ContainerServiceResponse.RESPONSE_KEY_PATH_TO_TRANSFORMER
    before = set(shared)
    ecs = boto3.client("ecs", region_name="us-east-1")
    ecs.create_cluster(clusterName="c")
    ecs.describe_clusters(clusters=["c"])
    ecs.describe_clusters(clusters=["c"], include=["TAGS"])
    ecs.describe_services(cluster="c", services=["absent"])
    ecs.describe_tasks(cluster="c", tasks=["arn:aws:ecs:us-east-1:123456789012:task/c/absent"])
    ecs.describe_tasks(cluster="c", tasks=["absent"], include=["TAGS"])
    assert set(shared) == before  # values may change, the size never does
