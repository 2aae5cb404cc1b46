"""Snapshot files: lossless round trip, schema check, and one-line errors on bad files."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.errors import SnapshotError
from auditor.snapshot import SCHEMA, dumps, load, loads
from tests.factories import SnapshotBuilder, rule


def rich_snapshot():
    b = SnapshotBuilder()
    b.vpc()
    cluster = b.cluster("prod <b>")
    b.subnet()
    b.subnet("subnet-v6", None, 0)
    b.trunking("enabled")
    td = b.task_definition()
    host = b.instance(cluster, "c5.large", trunk=True, groups=("sg-1",))
    b.task(cluster, td, instance=host, trunked=True, service="api")
    b.service(cluster, "api", td, subnets=("subnet-a",), scale_max=5)
    b.security_group("sg-1", [rule(cidr="0.0.0.0/0"), rule(group="sg-2"), rule(prefix_list="pl-1")])
    b.load_balancer("sg-2")
    b.coverage("ecs:DescribeTasks", "denied", "AccessDenied: nope ü")
    return b.build()


def test_round_trip_is_lossless():
    snapshot = rich_snapshot()
    assert loads(dumps(snapshot)) == snapshot


def test_round_trip_through_a_file(tmp_path):
    path = tmp_path / "snapshot.json"
    path.write_text(dumps(rich_snapshot()))
    assert load(path) == rich_snapshot()


def _doc():
    return json.loads(dumps(rich_snapshot()))


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.update(schema="ecs-net-audit/snapshot/v99"), "not supported"),
        (lambda d: d.pop("schema"), "no 'schema'"),
        (lambda d: d["snapshot"]["clusters"][0].update(name=5), "clusters[0].name: expected a string"),
        (lambda d: d["snapshot"]["subnets"][0].update(available_ips="many"), "expected a whole number"),
        (lambda d: d["snapshot"]["subnets"][0].update(surprise=1), "unknown key 'surprise'"),
        (lambda d: d["snapshot"]["tasks"][0].pop("arn"), "arn"),
        (lambda d: d["snapshot"].update(tasks={}), "expected a list"),
        (
            lambda d: d["snapshot"]["subnets"][0].update(cidr="10.0.0.0/33"),
            "subnets[0]: '10.0.0.0/33' is not",
        ),
        (lambda d: d["snapshot"]["vpcs"][0].update(cidrs=["zz"]), "vpcs[0]: 'zz' is not a CIDR"),
        (
            lambda d: d["snapshot"]["security_groups"][0]["ingress"][0].update(cidr="0.0.0.0/x"),
            "security_groups[0]",
        ),
        (lambda d: d["snapshot"]["quotas"].append({"value": float("inf")}), "Infinity is not a number"),
    ],
)
def test_hand_edited_snapshots_fail_with_one_line(mutate, message):
    doc = _doc()
    mutate(doc)
    with pytest.raises(SnapshotError) as info:
        loads(json.dumps(doc))
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_truncated_and_missing_files(tmp_path):
    text = dumps(rich_snapshot())
    with pytest.raises(SnapshotError, match="not a valid JSON"):
        loads(text[: len(text) // 2])
    with pytest.raises(SnapshotError, match="cannot read snapshot"):
        load(tmp_path / "absent.json")
    (tmp_path / "binary.json").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(SnapshotError):
        load(tmp_path / "binary.json")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=12,
)


@settings(max_examples=200, deadline=None)
@given(payload=json_values)
def test_fuzzed_documents_load_or_raise_snapshot_error(payload):
    for doc in (payload, {"schema": SCHEMA, "snapshot": payload}):
        try:
            loads(json.dumps(doc))
        except SnapshotError:
            pass


def _paths(value, prefix=()):
    """Every (path, value) inside a JSON document, containers included."""
    yield prefix, value
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from _paths(inner, (*prefix, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from _paths(inner, (*prefix, index))


_RICH_PATHS = [p for p, _ in _paths(_doc()["snapshot"]) if p]


@settings(max_examples=300, deadline=None)
@given(where=st.sampled_from(_RICH_PATHS), value=json_values)
def test_one_field_edited_loads_and_analyses_or_raises_snapshot_error(where, value):
    """A valid snapshot with one field replaced by any JSON value: `report` either analyses it or
    stops with the project's one-line error, never a traceback."""
    from auditor.config import Config
    from auditor.pipeline import analyse

    doc = _doc()
    node = doc["snapshot"]
    for key in where[:-1]:
        node = node[key]
    node[where[-1]] = value
    try:
        snapshot = loads(json.dumps(doc))
    except SnapshotError as exc:
        assert "\n" not in str(exc)
        return
    analyse(snapshot, Config())


def test_a_version_1_snapshot_is_read_with_its_notes_typed():
    from auditor.model import MissingCluster

    doc = _doc()
    doc["schema"] = "ecs-net-audit/snapshot/v1"
    del doc["snapshot"]["missing_clusters"]
    doc["snapshot"]["extra"] = {"missing_clusters:eu-west-1": "a,b"}
    snapshot = loads(json.dumps(doc))
    account = snapshot.accounts[0]
    assert snapshot.missing_clusters == (
        MissingCluster(account, "eu-west-1", "a"),
        MissingCluster(account, "eu-west-1", "b"),
    )
    doc["snapshot"]["extra"] = {"surprise": "x"}
    with pytest.raises(SnapshotError, match="unknown note"):
        loads(json.dumps(doc))
