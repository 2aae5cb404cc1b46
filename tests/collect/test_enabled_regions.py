"""`enabled_regions`, the one helper behind `--all-regions` (single account, Lambda, each account of
an organisation scan): the regions in use, the call on the recorder's rows, a refusal as exit 3."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import NoCredentialsError
from botocore.stub import Stubber

from auditor.collect import enabled_regions
from auditor.collect.session import Clients, Recorder
from auditor.errors import CollectError

REGION = "us-east-1"


@pytest.fixture
def rec(aws_env) -> Recorder:
    clients = Clients(boto3.session.Session(region_name=REGION), max_attempts=1)
    return Recorder(clients, "111122223333", REGION)


def region(name: str, status: str) -> dict[str, str]:
    return {"RegionName": name, "Endpoint": f"ec2.{name}.amazonaws.com", "OptInStatus": status}


def test_only_regions_in_use_and_in_the_partition(rec: Recorder) -> None:
    answer = {
        "Regions": [
            region("us-west-2", "opt-in-not-required"),
            region("eu-south-1", "opted-in"),
            region("me-south-1", "not-opted-in"),  # an emulator may list it; AWS does not
            region("us-east-1", "opt-in-not-required"),
            region("cn-north-1", "opt-in-not-required"),  # another partition
        ]
    }
    with Stubber(rec.clients.get("ec2", REGION)) as stub:
        stub.add_response("describe_regions", answer, {})
        stub.add_response("describe_regions", answer, {})
        assert enabled_regions(rec) == ("cn-north-1", "eu-south-1", "us-east-1", "us-west-2")
        partition = {"us-east-1", "us-west-2", "eu-south-1", "me-south-1"}
        assert enabled_regions(rec, partition) == ("eu-south-1", "us-east-1", "us-west-2")
    (row,) = rec.coverage()
    assert (row.api, row.status, row.calls) == ("ec2:DescribeRegions", "ok", 2)


def test_a_refusal_is_exit_3_and_a_row(rec: Recorder) -> None:
    with Stubber(rec.clients.get("ec2", REGION)) as stub:
        stub.add_client_error(
            "describe_regions",
            service_error_code="UnauthorizedOperation",
            service_message="You are not authorized to perform this operation.",
            http_status_code=403,
        )
        with pytest.raises(CollectError) as caught:
            enabled_regions(rec)
    assert caught.value.exit_code == 3
    assert str(caught.value).startswith("cannot list the account's regions: UnauthorizedOperation")
    (row,) = rec.coverage()
    assert (row.api, row.status) == ("ec2:DescribeRegions", "denied")


def test_no_credentials_says_what_to_do(rec: Recorder) -> None:
    def none(**_: object) -> None:
        raise NoCredentialsError()

    rec.clients.session.events.register("provide-client-params.ec2.DescribeRegions", none)
    with pytest.raises(CollectError, match="no AWS credentials found") as caught:
        enabled_regions(rec)
    assert "AWS_PROFILE" in str(caught.value)
    (row,) = rec.coverage()
    assert (row.api, row.status) == ("ec2:DescribeRegions", "error")
    assert row.detail.startswith("no AWS credentials found")
