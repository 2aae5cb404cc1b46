"""The Check type: a check's identity, next to its logic in each check module."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from auditor.config import Config
from auditor.findings import Finding
from auditor.model import Snapshot

CheckFunction = Callable[[Snapshot, Config], Iterator[Finding]]


@dataclass(frozen=True)
class Check:
    """A check's identity next to its logic: id, title, default severity, rationale (docstring)."""

    id: str
    title: str
    severity: str
    resource_types: tuple[str, ...]
    run: CheckFunction
    doc: str
    needs: tuple[str, ...] = ()  # APIs whose failure in a region makes the check's verdict there partial
    docs: str = ""  # the AWS documentation page the report links to


# What most checks stand on: the ECS inventory of a region.
ECS_INVENTORY = (
    "ecs:ListClusters",
    "ecs:DescribeClusters",
    "ecs:ListContainerInstances",
    "ecs:DescribeContainerInstances",
    "ecs:ListServices",
    "ecs:DescribeServices",
    "ecs:ListTasks",
    "ecs:DescribeTasks",
    "ecs:DescribeTaskDefinition",
)
