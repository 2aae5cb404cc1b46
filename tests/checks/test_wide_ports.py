"""wide-port-range: port counting, source classification and the severity that follows it."""

from __future__ import annotations

import pytest

from auditor.checks import wide_ports
from auditor.config import Config, Thresholds
from tests.factories import SnapshotBuilder, rule, run_check


def world(*rules, bridge_service: bool = True, public_ip: str | None = "198.51.100.7") -> SnapshotBuilder:
    b = SnapshotBuilder()
    b.vpc("vpc-1", "10.0.0.0/16")
    cluster = b.cluster()
    b.subnet()
    b.security_group("sg-alb", [rule(from_port=443, to_port=443, cidr="0.0.0.0/0")], name="alb")
    tg = b.load_balancer("sg-alb")
    b.security_group("sg-hosts", list(rules), name="hosts")
    b.instance(cluster, "c5.large", groups=("sg-hosts",), public_ip=public_ip)
    if bridge_service:
        b.service(cluster, "web", b.task_definition("web", "bridge", host_port=0), desired=2, target_group=tg)
    return b


def run(b: SnapshotBuilder, config: Config | None = None):
    return list(run_check(wide_ports, b.build(), config or Config()))


@pytest.mark.parametrize(
    ("source", "public_ip", "coverage", "severity", "reachable"),
    [
        ("0.0.0.0/0", "198.51.100.7", "ok", "critical", True),
        ("0.0.0.0/0", None, "ok", "medium", False),  # no public address: open to private networks only
        ("203.0.113.0/24", None, "ok", "medium", False),
        ("0.0.0.0/0", None, "error", "critical", None),  # ENIs not collected: not downgraded
        ("10.0.0.0/8", None, "ok", "medium", None),  # private sources are not about reachability
    ],
)
def test_reachability_sets_internet_severity(source, public_ip, coverage, severity, reachable):
    b = world(rule(cidr=source), public_ip=public_ip)
    b.coverage("ec2:DescribeNetworkInterfaces", coverage)
    (finding,) = run(b)
    assert finding.severity == severity
    assert finding.detail.get("publicly_reachable") is reachable


@pytest.mark.parametrize(
    ("source", "kind", "severity"),
    [
        ({"cidr": "0.0.0.0/0"}, "internet", "critical"),
        ({"cidr": "::/0"}, "internet", "critical"),
        ({"cidr": "203.0.113.0/24"}, "public-cidr", "high"),
        ({"cidr": "10.0.0.0/8"}, "private-cidr", "medium"),
        ({"cidr": "192.168.0.0/16"}, "private-cidr", "medium"),
        ({"cidr": "10.0.4.0/22"}, "vpc-cidr", "low"),
        ({"group": "sg-alb"}, "load-balancer-sg", "info"),
        ({"group": "sg-hosts"}, "self", "low"),
        ({"group": "sg-other"}, "security-group", "low"),
        ({"prefix_list": "pl-123"}, "prefix-list", "low"),
    ],
)
def test_source_kind_sets_severity(source, kind, severity):
    (finding,) = run(world(rule(**source)))
    assert finding.detail["source_kind"] == kind
    assert finding.severity == severity


@pytest.mark.parametrize(
    ("protocol", "from_port", "to_port", "count"),
    [
        ("tcp", 32768, 65535, 32768),
        ("-1", None, None, 65536),
        ("udp", 0, 65535, 65536),
        ("tcp", 1, 1024, 1024),  # exactly the default threshold
    ],
)
def test_port_count(protocol, from_port, to_port, count):
    (finding,) = run(world(rule(protocol, from_port, to_port, cidr="0.0.0.0/0")))
    assert finding.detail["port_count"] == count


@pytest.mark.parametrize(
    ("protocol", "from_port", "to_port"), [("tcp", 443, 443), ("tcp", 8000, 9022), ("icmp", -1, -1)]
)
def test_narrow_rules_and_icmp_are_quiet(protocol, from_port, to_port):
    assert run(world(rule(protocol, from_port, to_port, cidr="0.0.0.0/0"))) == []


def test_threshold_is_configurable():
    config = Config(thresholds=Thresholds(wide_port_min_ports=100))
    assert len(run(world(rule("tcp", 8000, 8100, cidr="0.0.0.0/0")), config)) == 1


def test_names_dynamic_port_services_and_the_rule_to_write():
    (finding,) = run(world(rule(cidr="0.0.0.0/0")))
    assert finding.detail["dynamic_port_services"] == ["web"]
    assert finding.detail["load_balancer_groups"] == ["sg-alb"]
    assert finding.detail["overlaps_ephemeral"] is True
    assert "GroupId=sg-alb" in finding.recommendation
    assert "FromPort=32768,ToPort=65535" in finding.recommendation


def test_groups_not_attached_to_ecs_are_ignored():
    b = world(rule(cidr="0.0.0.0/0"))
    b.security_group("sg-unused", [rule("-1", None, None, cidr="0.0.0.0/0")])
    assert [f.resource_id for f in run(b)] == ["sg-hosts"]


def test_task_eni_groups_are_checked():
    b = SnapshotBuilder()
    b.vpc()
    cluster = b.cluster()
    b.subnet()
    b.security_group("sg-task", [rule("tcp", 0, 65535, cidr="0.0.0.0/0")])
    b.task(cluster, b.task_definition(), groups=("sg-task",))
    (finding,) = run(b)
    assert finding.resource_id == "sg-task"
    assert finding.detail["attached_to"][0].startswith("eni-")


def test_group_not_collected_is_unknown():
    b = world(rule(cidr="0.0.0.0/0"))
    b.records["security_groups"] = []
    b.coverage("ec2:DescribeSecurityGroups", "denied", "UnauthorizedOperation")
    (finding,) = run(b)
    assert finding.severity == "info" and finding.detail["unknown"] is True


def test_finding_ids_are_stable_and_distinct_per_rule():
    b = world(rule(cidr="0.0.0.0/0"), rule(cidr="203.0.113.0/24"))
    first, second = run(b), run(b)
    assert [f.id for f in first] == [f.id for f in second]
    assert len({f.id for f in first}) == 2
