"""`ecs-net-audit trend s3://BUCKET/PREFIX`: the runs read through the S3 location (moto, in
process), the Lambda's layout (`<prefix>/<account>/<timestamp>/`, `latest/` copies), and a bucket
that cannot be read."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from auditor.cli import main
from tests.history.runs_factory import ACCOUNT, run_doc

BUCKET = "audit-runs"


@pytest.fixture
def s3(moto: None) -> Any:
    client = boto3.client("s3", region_name="us-east-1")
    client.create_bucket(Bucket=BUCKET)
    return client


def put_run(s3: Any, key_prefix: str, doc: dict[str, Any]) -> None:
    body = json.dumps(doc).encode()
    s3.put_object(Bucket=BUCKET, Key=f"{key_prefix}/findings.json", Body=body)
    s3.put_object(Bucket=BUCKET, Key=f"{key_prefix}/report.html", Body=b"<html></html>")


def test_trend_reads_runs_from_an_s3_prefix(s3, tmp_path):
    for d in range(8):
        doc = run_doc(d, subnets={"subnet-a": 120 - 10 * d})
        put_run(s3, f"nightly/{ACCOUNT}/2026-11-{d + 1:02d}T020000Z", doc)
    s3.put_object(Bucket=BUCKET, Key=f"nightly/{ACCOUNT}/latest/findings.json", Body=json.dumps(doc).encode())
    s3.put_object(Bucket=BUCKET, Key="elsewhere/2026-11-01T020000Z/findings.json", Body=b"{}")
    out = tmp_path / "trend"
    assert main(["trend", f"s3://{BUCKET}/nightly", "--out", str(out), "--quiet"]) == 0
    trend = json.loads((out / "trend.json").read_text())
    assert len(trend["runs"]) == 8 and trend["problems"] == []  # the latest/ copy is not a run
    assert trend["runs"][0]["folder"] == f"{ACCOUNT}/2026-11-01T020000Z"
    subnet = next(s for s in trend["series"] if s["metric"] == "subnet_available")
    assert (subnet["runs"], subnet["slope_per_day"], subnet["runs_out_at"]) == (8, -10.0, "2026-11-13")


def test_an_s3_location_that_cannot_be_read_is_one_line_exit_2(s3, tmp_path, capsys):
    assert main(["trend", "s3://no-such-bucket-here/x", "--out", str(tmp_path / "t")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err and "no-such-bucket-here" in err
    assert not (tmp_path / "t").exists()


def test_a_malformed_s3_location_names_the_argument(capsys, tmp_path):
    assert main(["trend", "s3://x", "--out", str(tmp_path / "t")]) == 2
    assert "LOCATION 's3://x': not an S3 location" in capsys.readouterr().err
