"""Real fleets, from AWS-shaped responses: each scenario of tests/fixtures/aws/ collected by the real
collectors (through `Stubber`) and judged by every check. One test per defect of issue 12; the
verdicts before the fix are listed in tests/fixtures/aws/README.md."""

from __future__ import annotations

from functools import cache

import pytest

from auditor.analysis.capacity import peak_tasks
from auditor.analysis.instance_facts import tasks_without_trunk
from auditor.collect.ec2 import ids_in_message
from auditor.model import Service
from tests.aws_corpus import Audit, audit, scenario_names, validate_documents

TRUNK_ADVICE_WORDS = "awsvpcTrunking --value enabled"


@cache
def run(name: str) -> Audit:
    return audit(name)


def rows(a: Audit) -> dict[str, object]:
    return {r.instance_id or r.container_instance_arn: r for r in a.instances}


def demand(a: Audit) -> dict[str, int]:
    return {r.subnet_id: r.projected_demand for r in a.subnets}


def service_arn(name: str) -> str:
    return f"arn:aws:ecs:us-east-1:123456789012:service/prod/{name}"


@pytest.mark.parametrize("name", scenario_names())
def test_every_document_passes_botocore_shape_validation(name: str) -> None:
    assert validate_documents(name) >= 19


def test_the_corpus_covers_every_defect() -> None:
    import json

    from tests.aws_corpus import FIXTURES

    defects = {json.loads(p.read_text())["defect"] for p in FIXTURES.glob("*.json")}
    assert defects == set(range(1, 13))


# ---------------------------------------------------------------- 1: ECS Anywhere, terminated hosts


def test_an_ecs_anywhere_instance_does_not_blind_the_region() -> None:
    a = run("anywhere-instance")
    asked = [p["InstanceIds"] for op, p in a.calls if op == "DescribeInstances"]
    assert asked and all(i.startswith("i-") for ids in asked for i in ids)
    row = a.coverage("ec2:DescribeInstances")
    assert row.status == "ok" and "mi-" in row.detail
    capacity = rows(a)
    assert not any(str(k).startswith("mi-") for k in capacity)
    host = capacity["i-00000000000000001"]
    assert host.headroom == 1 and host.instance_type == "c5.large"
    assert not [f for f in a.findings if f.resource_id.startswith("mi-")]
    assert not [f for f in a.findings if f.detail.get("unknown")]


def test_a_terminated_instance_is_dropped_and_named() -> None:
    a = run("terminated-instance")
    asked = [p["InstanceIds"] for op, p in a.calls if op == "DescribeInstances"]
    assert len(asked) == 2 and "i-00000000000000006" in asked[0] and "i-00000000000000006" not in asked[1]
    row = a.coverage("ec2:DescribeInstances")
    assert row.status == "ok" and "i-00000000000000006" in row.detail
    assert rows(a)["i-00000000000000001"].headroom == 1
    assert a.coverage("iam:GetInstanceProfile").status == "ok"


@pytest.mark.parametrize(
    "message, ids",
    [
        ("The instance ID 'i-0abc' does not exist", {"i-0abc"}),
        ("The instance IDs 'i-1, i-2' do not exist", {"i-1", "i-2"}),
        ('Invalid id: "mi-0123"', {"mi-0123"}),
        ("Request limit exceeded.", set()),
    ],
)
def test_ids_named_by_ec2(message: str, ids: set[str]) -> None:
    assert ids_in_message(message) == ids


# ---------------------------------------------------------------- 2: Windows


def test_windows_hosts_are_not_told_to_get_a_trunk() -> None:
    a = run("windows-host")
    windows = "i-00000000000000001"
    assert not a.of("eni-trunking", windows)
    (full,) = a.of("eni-headroom", windows)
    assert full.severity == "high"
    assert TRUNK_ADVICE_WORDS not in full.recommendation and "Linux-only" in full.recommendation
    winapp = next(td for td in a.snapshot.task_definitions if td.family == "winapp")
    assert winapp.network_mode == "default"
    assert not [f for f in a.of("network-mode") if "winapp" in f.resource_id]


# ---------------------------------------------------------------- 3: multi-network-card types


def test_thirteen_tasks_fill_a_c6in_32xlarge() -> None:
    a = run("multicard-type")
    big = rows(a)["i-00000000000000006"]
    assert (big.max_enis, big.eni_task_capacity, big.headroom) == (16, 13, 0)
    (finding,) = a.of("eni-headroom", "i-00000000000000006")
    assert finding.severity == "high"
    (trunking,) = a.of("eni-trunking", "i-00000000000000006")
    assert trunking.detail["capacity_without_trunk"] == 13


@pytest.mark.parametrize(
    "instance_type, max_enis, expected",
    [
        ("c6in.32xlarge", 16, 13),
        ("c5.large", 3, 2),
        ("c5.large", None, 2),
        ("x9.unknown", 5, 4),
        ("x9.unknown", None, None),
    ],
)
def test_tasks_without_trunk(instance_type: str, max_enis: int | None, expected: int | None) -> None:
    assert tasks_without_trunk(instance_type, max_enis) == expected


# ---------------------------------------------------------------- 4: peaks


def _service(**kw: object) -> Service:
    base: dict[str, object] = dict(
        arn="arn",
        name="s",
        cluster_arn="c",
        account="a",
        region="r",
        status="ACTIVE",
        task_definition_arn=None,
        launch_type="EC2",
    )
    return Service(**{**base, **kw})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "base, kw, expected",
    [
        (3, {"maximum_percent": 150}, 4),  # rounded down, not 5
        (3, {"maximum_percent": 100}, 3),
        (1, {"maximum_percent": 150}, 1),
        (4, {}, 8),  # maximumPercent defaults to 200
        (5, {"maximum_percent": 125}, 6),
        (4, {"deployment_controller": "CODE_DEPLOY", "maximum_percent": 100}, 8),
        (4, {"deployment_controller": "EXTERNAL"}, 8),
        (3, {"deployment_strategy": "BLUE_GREEN", "maximum_percent": 100}, 6),
        (3, {"deployment_strategy": "LINEAR", "maximum_percent": 100}, 6),
        (3, {"deployment_strategy": "CANARY", "maximum_percent": 100}, 6),
        (3, {"deployment_strategy": "ROLLING", "maximum_percent": 150}, 4),
        (0, {"deployment_strategy": "BLUE_GREEN"}, 0),
    ],
)
def test_peak(base: int, kw: dict[str, object], expected: int) -> None:
    assert peak_tasks(base, _service(**kw)) == expected


def test_maximum_percent_150_is_no_slow_wave() -> None:
    assert not run("peak-rounding").of("static-port-conflict")


def test_two_revision_deployments_double_the_subnet_demand() -> None:
    a = run("peak-strategies")
    by_name = {s.name: s for s in a.snapshot.services}
    strategy = {n: (s.deployment_controller, s.deployment_strategy) for n, s in by_name.items()}
    assert (
        strategy["svc-blue-green"] == ("ECS", "BLUE_GREEN")
        and strategy["svc-code-deploy"][0] == "CODE_DEPLOY"
    )
    wanted = demand(a)
    for name in ("svc-code-deploy", "svc-external", "svc-blue-green", "svc-linear", "svc-canary"):
        (subnet,) = by_name[name].subnets
        assert wanted[subnet] == 8, name
    (rolling,) = by_name["svc-rolling"].subnets
    assert wanted[rolling] == 4


# ---------------------------------------------------------------- 5: task sets


def test_task_sets_carry_the_service_network() -> None:
    a = run("task-set-service")
    ext = next(s for s in a.snapshot.services if s.name == "ext")
    assert ext.subnets == ("subnet-0a1a00000000000d1",) and ext.task_definition_arn
    assert ext.task_sets and ext.task_sets[0].status == "PRIMARY"
    assert demand(a)["subnet-0a1a00000000000d1"] == 6
    (egress,) = a.of("egress-path", service_arn("ext"))
    assert egress.severity == "high" and egress.detail["path"] == "task"


# ---------------------------------------------------------------- 6: who can take a task


def test_free_slots_in_another_zone_do_not_count() -> None:
    a = run("zone-full")
    (finding,) = a.of("eni-headroom", service_arn("zonal"))
    assert finding.detail["cluster_headroom"] == 0
    assert finding.detail["zones"] == {"us-east-1b": 0}
    assert finding.detail["free_in_other_zones"] == 4
    assert "us-east-1b" in finding.recommendation


def test_disconnected_agents_take_no_task() -> None:
    a = run("agents-disconnected")
    (finding,) = a.of("static-port-conflict", service_arn("legacy"))
    assert finding.severity == "high" and finding.detail["eligible_instances"] == 2


# ---------------------------------------------------------------- 7: egress on its own network


@pytest.mark.parametrize(
    "name",
    [
        "egress-task-isolated",
        "egress-gwlb",
        "egress-ipv6-only",
        "egress-endpoint-prefix-list",
        "egress-endpoint-instance-group",
    ],
)
def test_egress_that_works(name: str) -> None:
    assert not run(name).of("egress-path")


def test_isolated_hosts_cannot_pull_images_for_nat_routed_tasks() -> None:
    a = run("egress-host-isolated")
    (finding,) = a.of("egress-path", service_arn("api"))
    assert finding.severity == "high"
    assert finding.detail["path"] == "instance" and finding.detail["subnet_id"] == "subnet-0a1a00000000000d1"
    assert finding.detail["instances"] == ["i-00000000000000001"]
    assert "ecr.dkr" in finding.detail["missing_endpoints"]


# ---------------------------------------------------------------- 8: reachability


@pytest.mark.parametrize(
    "name, severity, reachable",
    [
        ("wide-ports-private", "medium", False),
        ("wide-ports-public", "critical", True),
        ("wide-ports-nlb", "critical", True),
    ],
)
def test_wide_ranges_follow_reachability(name: str, severity: str, reachable: bool) -> None:
    (finding,) = run(name).of("wide-port-range", "sg-0000000000000b001")
    assert finding.severity == severity
    assert finding.detail["publicly_reachable"] is reachable
    if name == "wide-ports-nlb":
        assert finding.detail["client_ip_preserving_nlbs"] == ["web-nlb"] and "web-nlb" in finding.title


# ---------------------------------------------------------------- 9: port ranges and bindIP


def test_port_ranges_and_bind_ips_are_kept() -> None:
    a = run("port-ranges")
    rtp = next(td for td in a.snapshot.task_definitions if td.family == "rtp")
    assert rtp.containers[0].port_mappings[0].container_port_range == "10000-10099"
    task = next(t for t in a.snapshot.tasks if t.task_definition_arn == rtp.arn)
    assert {(b.bind_ip, b.host_port, b.host_port_range) for b in task.network_bindings} == {
        ("0.0.0.0", None, "10000-10099"),
        ("0.0.0.0", 80, None),
        ("::", 80, None),
    }
    (finding,) = a.of("static-port-conflict", service_arn("rtp"))
    assert "10000-10099/udp" in finding.detail["host_ports"]


# ---------------------------------------------------------------- 10: leftovers


def test_ecs_leftover_enis_are_reported_and_other_managed_enis_are_not() -> None:
    a = run("leftover-enis")
    reported = {f.resource_id: f for f in a.of("orphan-eni")}
    enis = {e.eni_id: e for e in a.snapshot.network_interfaces}
    kinds = sorted(("trunk" if enis[i].interface_type == "trunk" else "task") for i in reported)
    assert kinds == ["task", "trunk"]
    for eni_id in reported:
        assert enis[eni_id].requester_managed
    assert all("Lambda" not in enis[i].description and "EFS" not in enis[i].description for i in reported)


# ---------------------------------------------------------------- 11: registration


def test_registration_failures_are_reported_with_their_reason() -> None:
    a = run("registration-states")
    found = {
        f.detail["status"] + ("" if f.detail["status_reason"] else "-no-reason"): f
        for f in a.of("instance-registration")
    }
    assert set(found) == {"REGISTRATION_FAILED", "REGISTERING", "DEREGISTERING-no-reason"}
    failed = found["REGISTRATION_FAILED"]
    assert failed.severity == "high" and "trunk" in failed.detail["status_reason"]
    assert "subnet" in failed.recommendation
    assert found["REGISTERING"].severity == "medium"  # registering since 2026-11-20; the recent one is quiet


# ---------------------------------------------------------------- 12: the real cause


def test_no_trunking_advice_where_trunking_cannot_help() -> None:
    a = run("advice-real-cause")
    (trunked,) = a.of("eni-headroom", "i-00000000000000001")
    assert (
        TRUNK_ADVICE_WORDS not in trunked.recommendation
        and "already uses ENI trunking" in trunked.recommendation
    )
    (small,) = a.of("eni-headroom", "i-00000000000000019")
    assert (
        TRUNK_ADVICE_WORDS not in small.recommendation
        and "does not support ENI trunking" in small.recommendation
    )
    (service,) = a.of("eni-headroom", service_arn("dense"))
    assert TRUNK_ADVICE_WORDS not in service.recommendation


def test_an_instance_error_naming_no_id_is_a_failure_not_a_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests import aws_corpus

    def unnamed(self: object, params: dict[str, object]) -> object:
        return aws_corpus._error("InvalidInstanceID.NotFound", "The instance ID does not exist")

    monkeypatch.setattr(aws_corpus.CorpusStubber, "_DescribeInstances", unnamed)
    a = aws_corpus.audit("anywhere-instance")
    row = a.coverage("ec2:DescribeInstances")
    assert row.status == "error" and "InvalidInstanceID.NotFound" in row.detail
    (unknown,) = a.of("eni-headroom", "i-00000000000000001")
    assert unknown.detail["unknown"] is True
