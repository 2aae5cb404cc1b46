"""service-connect: port names of Service Connect and VPC Lattice against named port mappings."""

from __future__ import annotations

from dataclasses import replace

import pytest

from auditor.checks import service_connect
from auditor.config import Config
from auditor.model import PortMapping, VpcLatticeConfiguration
from tests.factories import SnapshotBuilder, run_check


def world(mapping_name, *, enabled=True, sc_names=("web-http",), lattice_name=None, td_known=True):
    b = SnapshotBuilder()
    cluster = b.cluster()
    td = b.task_definition("web", "awsvpc", container_port=8080)
    definition = b.records["task_definitions"][-1]
    (container,) = definition.containers
    b.records["task_definitions"][-1] = replace(
        definition,
        containers=(replace(container, port_mappings=(PortMapping(8080, None, "tcp", name=mapping_name),)),),
    )
    if not td_known:
        b.records["task_definitions"] = []
    b.service(cluster, "web", td, subnets=("subnet-a",))
    b.records["services"][-1] = replace(
        b.records["services"][-1],
        service_connect_enabled=enabled,
        service_connect_port_names=sc_names,
        vpc_lattice=(VpcLatticeConfiguration("arn:tg", lattice_name),) if lattice_name else (),
    )
    return b


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"mapping_name": None}, ["web-http"]),  # positive: no name at all
        ({"mapping_name": "http"}, ["web-http"]),  # renamed
        ({"mapping_name": "web-http"}, []),  # negative
        ({"mapping_name": None, "sc_names": ()}, []),  # client-only Service Connect needs no name
        ({"mapping_name": None, "enabled": False}, []),  # Service Connect off: names not used
        ({"mapping_name": "web-http", "lattice_name": "admin"}, ["admin"]),  # Lattice refers to a name too
    ],
)
def test_decision(kwargs, expected):
    findings = list(run_check(service_connect, world(**kwargs).build(), Config()))
    assert [f.detail["missing_port_names"] for f in findings] == ([expected] if expected else [])
    assert all(f.severity == "high" for f in findings)


def test_unknown_task_definition():
    (finding,) = run_check(service_connect, world(None, td_known=False).build(), Config())
    assert finding.severity == "info" and finding.detail["unknown"] is True
