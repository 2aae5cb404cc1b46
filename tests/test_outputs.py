"""Output locations: a folder and an S3 prefix — the run layout, write order, encryption, the
reading side `trend` uses, and `--out s3://…` / `--baseline latest` / `--format emf` on the CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest

from auditor.cli import main
from auditor.outputs import OutputError, open_location, previous_run, run_folder_name
from auditor.outputs.local import LocalFolder
from auditor.outputs.s3 import S3Prefix, parse_uri
from auditor.snapshot import dumps
from tests.factories import SnapshotBuilder

BUCKET = "reports-bucket"
FILES = {"report.html": "<html></html>", "findings.json": '{"x": 1}', "snapshot.json": "{}"}


def findings_doc(generated_at: str, ids: tuple[str, ...] = ()) -> str:
    return json.dumps(
        {
            "schema": "ecs-net-audit/findings/v1",
            "generated_at": generated_at,
            "findings": [{"id": i} for i in ids],
        }
    )


@pytest.fixture
def bucket(moto: None) -> Any:
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket=BUCKET)
    return s3


def test_run_folder_name() -> None:
    assert run_folder_name("2026-11-25T10:00:00Z") == "2026-11-25T100000Z"


@pytest.mark.parametrize(
    ("uri", "expected"),
    [("s3://b-1/", ("b-1", "")), ("s3://b-1/a//b/", ("b-1", "a/b")), ("s3://b-1", ("b-1", ""))],
)
def test_parse_uri(uri: str, expected: tuple[str, str]) -> None:
    assert parse_uri(uri) == expected


@pytest.mark.parametrize("uri", ["s3://", "s3://B/x", "s3://ok-bucket/a/../b"])
def test_parse_uri_refuses(uri: str) -> None:
    with pytest.raises(OutputError):
        parse_uri(uri)


def test_s3_run_is_written_findings_then_latest_last(bucket: Any) -> None:
    location = open_location(f"s3://{BUCKET}/nightly/")
    puts: list[str] = []
    location.client.meta.events.register(
        "before-parameter-build.s3.PutObject", lambda params, **_: puts.append(params["Key"])
    )
    written = location.write_run(FILES, "2026-11-25T10:00:00Z")
    assert puts[-2:] == ["nightly/2026-11-25T100000Z/findings.json", "nightly/latest/findings.json"]
    assert sorted(puts[:-2]) == [
        "nightly/2026-11-25T100000Z/report.html",
        "nightly/2026-11-25T100000Z/snapshot.json",
    ]
    assert written.folder == f"s3://{BUCKET}/nightly/2026-11-25T100000Z"
    assert written.objects["report.html"] == f"s3://{BUCKET}/nightly/2026-11-25T100000Z/report.html"
    # a second run in the same second gets its own folder, never mixing files of two runs
    again = location.write_run(FILES, "2026-11-25T10:00:00Z")
    assert again.folder.endswith("/2026-11-25T100000Z-2")


def test_reading_side_is_the_same_for_s3_and_a_folder(bucket: Any, tmp_path: Path) -> None:
    s3 = open_location(f"s3://{BUCKET}/p")
    s3.write_run(FILES, "2026-11-25T10:00:00Z")
    local = LocalFolder(tmp_path)
    (tmp_path / "2026-11-25T100000Z").mkdir()
    for name, content in FILES.items():
        (tmp_path / "2026-11-25T100000Z" / name).write_text(content)
    (tmp_path / "latest").mkdir()
    (tmp_path / "latest" / "findings.json").write_text(FILES["findings.json"])
    (tmp_path / ".findings.json.123.tmp").write_text("half")  # an atomic write under way: not listed
    assert s3.list_keys() == local.list_keys()
    assert "2026-11-25T100000Z/report.html" in s3.list_keys()
    for key in s3.list_keys():
        assert s3.read_bytes(key) == local.read_bytes(key)
    for location in (s3, local):
        with pytest.raises(FileNotFoundError):
            location.read_bytes("missing/findings.json")
    with pytest.raises(FileNotFoundError):
        local.read_bytes("../outside")


def test_objects_are_encrypted_as_the_bucket_says(bucket: Any) -> None:
    key_arn = boto3.client("kms", region_name="us-east-1").create_key()["KeyMetadata"]["Arn"]
    bucket.put_bucket_encryption(
        Bucket=BUCKET,
        ServerSideEncryptionConfiguration={
            "Rules": [
                {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key_arn}}
            ]
        },
    )
    location = open_location(f"s3://{BUCKET}/enc")
    sent: list[dict[str, Any]] = []
    location.client.meta.events.register(
        "before-parameter-build.s3.PutObject", lambda params, **_: sent.append(params)
    )
    location.write_run(FILES, "2026-11-25T10:00:00Z")
    assert {(p.get("ServerSideEncryption"), p.get("SSEKMSKeyId")) for p in sent} == {("aws:kms", key_arn)}
    head = bucket.head_object(Bucket=BUCKET, Key="enc/latest/findings.json")
    assert head["ServerSideEncryption"] == "aws:kms"


def test_a_denied_put_leaves_latest_on_the_previous_run(bucket: Any) -> None:
    location = open_location(f"s3://{BUCKET}/p")
    location.write_run(
        {**FILES, "findings.json": findings_doc("2026-11-24T10:00:00Z")}, "2026-11-24T10:00:00Z"
    )
    deny_findings = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:PutObject",
                "Resource": f"arn:aws:s3:::{BUCKET}/p/2026-11-25T100000Z/findings.json",
            }
        ],
    }
    bucket.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps(deny_findings))
    with pytest.raises(OutputError) as caught:
        location.write_run(
            {**FILES, "findings.json": findings_doc("2026-11-25T10:00:00Z")}, "2026-11-25T10:00:00Z"
        )
    message = str(caught.value)
    assert "p/2026-11-25T100000Z/findings.json" in message and "AccessDenied" in message
    assert "still points at the previous run" in message and "\n" not in message
    bucket.delete_bucket_policy(Bucket=BUCKET)
    assert previous_run(location)["generated_at"] == "2026-11-24T10:00:00Z"  # type: ignore[index]
    # the failed run's folder holds no findings.json: `trend` (which keys on it) never sees it as a run
    assert "2026-11-25T100000Z/findings.json" not in location.list_keys()


def test_previous_run_in_a_folder_is_the_most_recent_by_generated_at(tmp_path: Path) -> None:
    assert previous_run(LocalFolder(tmp_path)) is None
    for folder, stamp in (("b-older", "2026-11-23T10:00:00Z"), ("a-newer", "2026-11-24T10:00:00Z")):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "findings.json").write_text(findings_doc(stamp))
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "findings.json").write_text("not json")
    (tmp_path / "a-newer" / "deeper").mkdir()
    (tmp_path / "a-newer" / "deeper" / "findings.json").write_text(findings_doc("2027-01-01T00:00:00Z"))
    assert previous_run(LocalFolder(tmp_path))["generated_at"] == "2026-11-24T10:00:00Z"  # type: ignore[index]


def test_s3_previous_run_without_latest_looks_at_the_runs(bucket: Any) -> None:
    bucket.put_object(
        Bucket=BUCKET, Key="q/r1/findings.json", Body=findings_doc("2026-11-23T10:00:00Z").encode()
    )
    bucket.put_object(
        Bucket=BUCKET, Key="q/r2/findings.json", Body=findings_doc("2026-11-24T10:00:00Z").encode()
    )
    assert previous_run(open_location(f"s3://{BUCKET}/q"))["generated_at"] == "2026-11-24T10:00:00Z"  # type: ignore[index]
    assert previous_run(open_location(f"s3://{BUCKET}/empty")) is None


# --- the command line ----------------------------------------------------------------------------


@pytest.fixture
def snapshot_file(tmp_path: Path) -> Path:
    b = SnapshotBuilder()
    b.vpc()
    b.subnet("subnet-a", "10.0.1.0/28", available=3)
    b.eni("subnet-a")
    b.quota(1)  # one ENI of a quota of one: a high eni-quota finding
    b.coverage("ec2:DescribeNetworkInterfaces")
    path = tmp_path / "snapshot.json"
    path.write_text(dumps(b.build()))
    return path


def test_cli_writes_runs_to_s3_and_compares_with_latest(
    bucket: Any, snapshot_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = f"s3://{BUCKET}/cli"
    assert (
        main(["report", str(snapshot_file), "--out", out, "--baseline", "latest", "--format", "json,emf"])
        == 0
    )
    printed = capsys.readouterr().out
    assert f"wrote {out}/2026-11-25T100000Z/findings.json" in printed
    first = json.loads(bucket.get_object(Bucket=BUCKET, Key="cli/latest/findings.json")["Body"].read())
    assert first["baseline"]["generated_at"] == ""  # no earlier run: everything is new
    keys = sorted(o["Key"] for o in bucket.list_objects_v2(Bucket=BUCKET)["Contents"])
    assert "cli/2026-11-25T100000Z/metrics.emf.jsonl" in keys
    assert main(["report", str(snapshot_file), "--out", out, "--baseline", "latest", "--format", "json"]) == 0
    second = json.loads(bucket.get_object(Bucket=BUCKET, Key="cli/latest/findings.json")["Body"].read())
    assert second["baseline"]["generated_at"] == "2026-11-25T10:00:00Z"
    assert second["baseline"]["new"] == 0 and second["baseline"]["unchanged"] == len(second["findings"])


def test_cli_unreachable_bucket_is_one_line_exit_2(
    moto: None, snapshot_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["report", str(snapshot_file), "--out", "s3://no-such-bucket-here/x"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "s3://no-such-bucket-here/x/" in err and "NoSuchBucket (HTTP 404)" in err


def test_cli_baseline_latest_in_a_folder(
    tmp_path: Path, snapshot_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    assert (
        main(
            ["report", str(snapshot_file), "--out", str(out), "--baseline", "latest", "--format", "json,emf"]
        )
        == 0
    )
    first = json.loads((out / "findings.json").read_text())
    assert first["baseline"]["new"] == len(first["findings"]) == 1
    lines = (out / "metrics.emf.jsonl").read_text().splitlines()
    assert (
        len(lines) == 1 and json.loads(lines[0])["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "ECSNetAudit"
    )
    assert (
        main(["report", str(snapshot_file), "--out", str(out), "--baseline", "latest", "--format", "json"])
        == 0
    )
    second = json.loads((out / "findings.json").read_text())
    assert second["baseline"]["generated_at"] == "2026-11-25T10:00:00Z" and second["baseline"]["new"] == 0


def test_s3_location_is_a_location(bucket: Any) -> None:
    from auditor.history.runs import open_location as open_trend_location

    assert isinstance(open_location(f"s3://{BUCKET}/x"), S3Prefix)
    bucket.put_object(Bucket=BUCKET, Key="x/r1/findings.json", Body=b"{}")
    assert open_trend_location(f"s3://{BUCKET}/x/").list_keys() == ["r1/findings.json"]  # as `trend` opens it


def test_cli_s3_run_gets_its_history_from_the_prefix(
    bucket: Any, snapshot_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    later = tmp_path / "later.json"
    later.write_text(snapshot_file.read_text().replace("2026-11-25T10:00:00Z", "2026-11-26T10:00:00Z"))
    out = f"s3://{BUCKET}/hist"
    assert main(["report", str(snapshot_file), "--out", out, "--format", "html,json"]) == 0
    assert main(["report", str(later), "--out", out, "--format", "html,json"]) == 0
    keys = sorted(o["Key"] for o in bucket.list_objects_v2(Bucket=BUCKET, Prefix="hist/")["Contents"])
    assert "hist/2026-11-25T100000Z/trend.html" not in keys  # the first run has no history
    assert "hist/2026-11-26T100000Z/trend.html" in keys  # the second: the earlier run read back from S3
