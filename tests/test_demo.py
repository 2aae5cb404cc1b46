"""The embedded demo: every check fires at least once and stays quiet at least once."""

from __future__ import annotations

import pytest

from auditor.checks import CHECKS
from auditor.config import Config
from auditor.demo import demo_snapshot
from auditor.findings import severity_rank
from auditor.pipeline import analyse
from auditor.snapshot import dumps, loads


@pytest.fixture(scope="module")
def result():
    return analyse(demo_snapshot(), Config())


def test_every_check_fires(result):
    fired = {f.check for f in result.findings if f.severity != "info" or not f.detail.get("unknown")}
    assert fired == {c.id for c in CHECKS}


def resources_of(result, resource_type):
    """The ids of the demo's resources of one type, as findings name them."""
    snapshot = result.snapshot
    return {
        "container-instance": lambda: [r.instance_id or r.container_instance_arn for r in result.instances],
        "service": lambda: [s.arn for s in snapshot.services],
        "subnet": lambda: [s.subnet_id for s in snapshot.subnets],
        "security-group": lambda: [g.group_id for g in snapshot.security_groups],
        "task-definition": lambda: [td.arn for td in snapshot.task_definitions],
        "network-interface": lambda: [e.eni_id for e in snapshot.network_interfaces],
        "vpc": lambda: [v.vpc_id for v in snapshot.vpcs],
        "capacity-provider": lambda: [p.arn for p in snapshot.capacity_providers],
        "region": lambda: list(snapshot.regions),
    }[resource_type]()


def test_every_check_stays_quiet_somewhere(result):
    """On some resource of a type it declares, each check says nothing."""
    flagged = {(f.check, f.resource_id) for f in result.findings}
    for check in CHECKS:
        candidates = [rid for t in check.resource_types for rid in resources_of(result, t)]
        quiet = [rid for rid in candidates if (check.id, rid) not in flagged]
        assert quiet, f"{check.id} fires on every resource of the demo"


def test_findings_keep_to_their_checks_declarations(result):
    declared = {c.id: c for c in CHECKS}
    for f in result.findings:
        check = declared[f.check]
        assert f.resource_type in (*check.resource_types, "region"), f
        assert severity_rank(f.severity) <= severity_rank(check.severity), f
        if f.resource_type != "region":
            assert f.resource_id in resources_of(result, f.resource_type), f


def test_demo_is_complete_two_regions_all_modes(result):
    snapshot = result.snapshot
    assert all(c.status == "ok" for c in snapshot.coverage)
    assert snapshot.regions == ("us-east-1", "eu-west-1")
    assert {td.network_mode for td in snapshot.task_definitions} == {
        "awsvpc",
        "bridge",
        "host",
        "none",
        "default",
    }
    assert {t.launch_type for t in snapshot.tasks} == {"EC2", "FARGATE"}
    assert len(snapshot.scalable_targets) == 3


def test_realism_layer_closes_moto_gaps(result):
    snapshot = result.snapshot
    subnets = {s.subnet_id: s for s in snapshot.subnets}
    enis = {e.eni_id: e for e in snapshot.network_interfaces}
    import ipaddress

    for task in snapshot.tasks:
        for att in task.eni_attachments:
            eni = enis[att.detail("networkInterfaceId")]
            cidr = ipaddress.ip_network(subnets[eni.subnet_id].cidr)
            assert ipaddress.ip_address(eni.private_ips[0]) in cidr  # moto puts it outside
            assert eni.description.startswith("arn:aws:ecs:")
    assert any(e.interface_type == "trunk" for e in snapshot.network_interfaces)
    assert any(e.interface_type == "branch" for e in snapshot.network_interfaces)
    assert any(e.requester_managed for e in snapshot.network_interfaces)
    assert {s.maximum_percent for s in snapshot.services} >= {200, 150}
    assert any(t.network_bindings for t in snapshot.tasks)


def test_demo_shows_real_fleet_shapes(result):
    snapshot = result.snapshot
    external = [ci for ci in snapshot.container_instances if ci.is_external]
    assert [ci.ec2_instance_id[:3] for ci in external] == ["mi-"]
    assert not any(r.instance_id == external[0].ec2_instance_id for r in result.instances)
    windows = [ci for ci in snapshot.container_instances if ci.os_type == "windows"]
    assert windows and any(r.instance_id == windows[0].ec2_instance_id for r in result.instances)
    assert not [
        f
        for f in result.findings
        if f.check == "eni-trunking" and f.resource_id == windows[0].ec2_instance_id
    ]
    assert {td.family: td.network_mode for td in snapshot.task_definitions}["iis-legacy"] == "default"
    checkout = next(s for s in snapshot.services if s.name == "checkout")
    assert checkout.deployment_strategy == "BLUE_GREEN"
    (finding,) = [f for f in result.findings if f.check == "eni-headroom" and f.resource_id == checkout.arn]
    assert finding.detail["two_revisions"] is True and finding.detail["peak_tasks"] == 2
    assert finding.detail["free_in_other_zones"] > 0
    (failed,) = [f for f in result.findings if f.check == "instance-registration"]
    assert failed.severity == "high" and "trunk" in failed.detail["status_reason"]


def test_demo_static_port_scale_out(result):
    """`metrics-sidecar` (static host port 9100, auto scaling up to 4, collected through the
    Application Auto Scaling API) cannot scale out on the 3 instances of prod-web."""
    sidecar = next(s for s in result.snapshot.services if s.name == "metrics-sidecar")
    (finding,) = [
        f
        for f in result.findings
        if f.check == "static-port-conflict" and f.resource_id == sidecar.arn and not f.sub_key
    ]  # its port claim with node-exporter is a finding of its own (sub-key port:9100/tcp)
    assert finding.severity == "medium" and "scale out" in finding.title
    detail = finding.detail
    assert (detail["max_capacity"], detail["eligible_instances"], detail["scale_out_shortfall"]) == (4, 3, 1)


def test_demo_snapshot_round_trips(result):
    assert loads(dumps(result.snapshot)) == result.snapshot


def test_demo_2025_capacity(result):
    """Managed Instances rows, zone rows and the Auto Scaling group's scale-out, as the demo shows them."""
    import json

    from auditor.report import render_all

    ids = {r.instance_id: r for r in result.instances}
    managed = [r for r in result.instances if r.capacity_provider == "shop-mi"]
    assert len(managed) == 2 and all(r.trunking == "on" and r.eni_task_capacity == 10 for r in managed)
    assert set(ids) >= {r.instance_id for r in managed}
    shop = {(z.availability_zone, z.instances) for z in result.zones if z.cluster == "shop"}
    assert shop == {("us-east-1a", 2), ("us-east-1c", 2)}
    (hosts_c,) = [s for s in result.subnets if s.cidr == "10.0.10.0/27"]
    assert hosts_c.scale_out_demand == 28 and hosts_c.projected_free < 0  # 14 more hosts × (primary + trunk)
    flagged = {(f.check, f.resource_id, f.severity) for f in result.findings}
    assert ("subnet-ip-exhaustion", hosts_c.subnet_id, "high") in flagged
    (v6,) = [s for s in result.subnets if s.cidr is None]
    assert v6.projected_free is None and not any(f.resource_id == v6.subnet_id for f in result.findings)
    files = render_all(result, ("json", "html"))
    doc = json.loads(files["findings.json"])
    zone_clusters = {z["cluster"] for z in doc["capacity"]["zones"]}
    assert {"prod-web", "shop", "eu-app"} <= zone_clusters
    assert files["report.html"].count('data-chart="zones"') == len(zone_clusters)
