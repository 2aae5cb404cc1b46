"""The packaged trunking table: a dozen rows checked against the ECS developer guide."""

from __future__ import annotations

import pytest

from auditor.analysis.capacity import eni_task_capacity
from auditor.analysis.instance_facts import trunking_facts, trunking_table


@pytest.mark.parametrize(
    ("instance_type", "without", "with_trunk"),
    [
        ("c5.large", 2, 10),
        ("c5.xlarge", 3, 20),
        ("c5.2xlarge", 3, 40),
        ("m5.4xlarge", 7, 60),
        ("m5.xlarge", 3, 20),
        ("r5.large", 2, 10),
        ("c6g.medium", 1, 4),
        ("c5.24xlarge", 14, 120),
        ("a1.medium", 1, 10),
        ("t3.medium", 2, None),
        ("c5.metal", 14, None),
        ("a1.metal", 7, None),
    ],
)
def test_documented_limits(instance_type, without, with_trunk):
    facts = trunking_facts(instance_type)
    assert facts is not None
    assert facts.tasks_without_trunk == without
    assert facts.tasks_with_trunk == with_trunk
    assert facts.trunking_supported is (with_trunk is not None)


def test_unknown_type_is_unknown_not_zero():
    assert trunking_facts("x9.hypothetical") is None
    assert eni_task_capacity("x9.hypothetical", None, trunk=True) is None


def test_capacity_uses_live_eni_count_without_trunk_and_table_with_it():
    assert eni_task_capacity("c5.large", 3, trunk=False) == 2
    assert eni_task_capacity("c5.large", 3, trunk=True) == 10


def test_table_names_its_sources():
    sources = {f.source for f in trunking_table().values()}
    assert sources == {"ecs-guide-2023-04", "vpc-rc-2026-03"}
    assert len(trunking_table()) > 1000
