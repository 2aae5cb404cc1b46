"""FindingStore: findings on disk, read back as one sequence in report order."""

from __future__ import annotations

import random

import pytest

from auditor.checks import finding_order
from auditor.finding_store import FindingStore, Mapped
from auditor.findings import SEVERITIES, Finding


def finding(n: int, severity: str, account: str = "111122223333", check: str = "eni-quota") -> Finding:
    return Finding(
        check, severity, account, "us-east-1", "region", f"r{n:03d}", None, f"t{n}", {"n": n}, "", ""
    )


@pytest.fixture
def parts() -> list[list[Finding]]:
    rng = random.Random(7)
    return [
        [finding(n, rng.choice(SEVERITIES), account=f"{a}" * 12) for n in range(a * 100, a * 100 + 40)]
        for a in range(1, 5)
    ]


def test_reads_every_part_as_one_sorted_sequence(tmp_path, parts):
    store = FindingStore(tmp_path, finding_order)
    for part in parts:
        random.Random(1).shuffle(part)
        store.add(part)
    everything = sorted((f for p in parts for f in p), key=finding_order)
    assert len(store) == 160 == len(list(store))
    assert list(store) == everything  # the same findings, details and all, in report order
    assert list(store) == everything  # a second pass reads the files again
    assert store[:5] == tuple(everything[:5]) and store[10:20:3] == tuple(everything[10:20:3])
    assert store[0] == everything[0] and store[-1] == everything[-1]
    with pytest.raises(IndexError):
        store[160]
    assert [f.id for f in store] == [f.id for f in everything]


def test_replaced_findings_are_left_out_and_their_replacements_read(tmp_path):
    store = FindingStore(tmp_path, finding_order)
    store.replaceable = lambda f: f.check == "subnet-ip-exhaustion"
    subnet = [
        finding(1, "medium", check="subnet-ip-exhaustion"),
        finding(2, "low", check="subnet-ip-exhaustion"),
    ]
    store.add([*subnet, finding(3, "high")])
    store.add([finding(1, "low", account="444455556666", check="subnet-ip-exhaustion")])
    assert len(store) == 4
    joined = finding(1, "critical", check="subnet-ip-exhaustion")
    for _ in range(2):  # replacing again replaces the first replacement
        store.replace({("subnet-ip-exhaustion", "us-east-1", "r001")}, [joined])
        assert len(store) == len(list(store)) == 3
        assert [(f.severity, f.resource_id) for f in store] == [
            ("critical", "r001"),
            ("high", "r003"),
            ("low", "r002"),
        ]


def test_stored_ids_survive_the_disk(tmp_path):
    store = FindingStore(tmp_path, finding_order)
    kept = Finding("eni-quota", "high", "1" * 12, "us-east-1", "region", "r", None, "t", stored_id="abcd")
    store.add([kept, finding(1, "low")])
    assert [f.id for f in store][0] == "abcd"


def test_mapped_applies_as_it_reads(tmp_path, parts):
    store = FindingStore(tmp_path, finding_order)
    store.add(parts[0])
    mapped = Mapped(store, lambda f: Finding(**{**f.__dict__, "title": f.title.upper()}))
    assert len(mapped) == 40 and all(f.title.startswith("T") for f in mapped)
    assert mapped[0].title == store[0].title.upper() and mapped[:2][1].title == store[1].title.upper()


def test_many_parts_are_merged_so_reading_holds_few_files_open(tmp_path, monkeypatch):
    import auditor.finding_store as store_module

    monkeypatch.setattr(store_module, "MAX_FILES", 3)
    store = FindingStore(tmp_path, finding_order)
    store.replaceable = lambda f: f.check == "subnet-ip-exhaustion"
    rng = random.Random(3)
    everything = []
    for a in range(10):
        part = [finding(n, rng.choice(SEVERITIES), account=f"{a}" * 12) for n in range(a * 10, a * 10 + 7)]
        part.append(finding(a, "high", account=f"{a}" * 12, check="subnet-ip-exhaustion"))
        everything += part
        store.add(part)
        assert len(store.files) <= 4 and len(list(tmp_path.iterdir())) == len(store.files)
    assert list(store) == sorted(everything, key=finding_order) and len(store) == 80
    store.replace({("subnet-ip-exhaustion", "us-east-1", "r000")}, [])  # left out across merged files
    assert len(store) == 79 == len(list(store))
