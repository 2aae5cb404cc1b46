"""Issue 11: every input is bounded. Snapshots, baselines and configs that are too large, too deep,
or hold numbers out of range (negative counts, non-finite, absurdly large) are refused with exit 2
and one line — never a traceback, never a MemoryError; a UTF-8 BOM is fine."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from auditor.cli import main
from auditor.snapshot import dumps
from tests.test_snapshot import rich_snapshot


def _doc() -> dict:
    doc = json.loads(dumps(rich_snapshot()))
    quota = {"account": "123456789012", "region": "us-east-1", "service_code": "vpc"}
    doc["snapshot"]["quotas"] = [{**quota, "quota_code": "L-DF5E4CA3", "value": 5000.0, "source": "api"}]
    return doc


def _run(capsys, *args: str) -> tuple[int, str]:
    code = main(list(args))
    err = capsys.readouterr().err
    return code, err


def _text(doc: dict) -> str:
    return json.dumps(doc)


def _deep(n: int) -> str:
    return "[" * n + "]" * n


SNAPSHOTS = {
    "5000-digit-integer": lambda: _text(_doc()).replace(
        '"available_ips": 200', '"available_ips": ' + "9" * 5000
    ),
    "absurd-integer": lambda: _text(_doc()).replace('"available_ips": 200', '"available_ips": ' + "9" * 20),
    "1e400": lambda: _text(_doc()).replace('"value": 5000.0', '"value": 1e400'),
    "negative-1e400": lambda: _text(_doc()).replace('"value": 5000.0', '"value": -1e400'),
    "negative-count": lambda: _text(_doc()).replace('"available_ips": 200', '"available_ips": -3'),
    "negative-desired-count": lambda: _text(_doc()).replace('"desired_count": 2', '"desired_count": -1', 1),
    "negative-quota": lambda: _text(_doc()).replace('"value": 5000.0', '"value": -5.0'),
    "deep-nesting": lambda: '{"schema": "ecs-net-audit/snapshot/v1", "snapshot": ' + _deep(100_000) + "}",
    "duplicate-task": lambda: _dup("tasks"),
    "duplicate-subnet": lambda: _dup("subnets"),
    "duplicate-cluster": lambda: _dup("clusters"),
    "bad-generated-at": lambda: _text(_doc()).replace(rich_snapshot().generated_at, "../../x", 1),
    "nul-bytes": lambda: "\0" * 1000,
}


def _dup(field: str) -> str:
    doc = _doc()
    doc["snapshot"][field].append(doc["snapshot"][field][0])
    return _text(doc)


def test_the_cases_really_change_the_document(tmp_path):
    base = _text(_doc())
    for name, make in SNAPSHOTS.items():
        assert make() != base, name
    doc = _findings(tmp_path)
    for name, change in BASELINES.items():
        assert change(doc) != json.dumps(doc), name


@pytest.mark.parametrize("case", sorted(SNAPSHOTS))
def test_bad_snapshots_exit_2_with_one_line(tmp_path, capsys, case):
    path = tmp_path / "snapshot.json"
    path.write_text(SNAPSHOTS[case](), encoding="utf-8")
    code, err = _run(capsys, "report", str(path), "--out", str(tmp_path / "out"))
    assert code == 2, err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_dev_zero_is_refused_quickly(tmp_path, capsys):
    for args in (
        ["report", "/dev/zero"],
        ["report", _good(tmp_path), "--baseline", "/dev/zero"],
        ["report", _good(tmp_path), "--config", "/dev/zero"],
    ):
        code, err = _run(capsys, *args, "--out", str(tmp_path / "out"))
        assert code == 2, (args, err)
        assert err.count("\n") == 1


def _good(tmp_path: Path) -> str:
    path = tmp_path / "good.json"
    path.write_text(dumps(rich_snapshot()))
    return str(path)


def test_a_file_over_the_documented_limit_is_refused(tmp_path, capsys, monkeypatch):
    import auditor.limits

    monkeypatch.setattr(auditor.limits, "SNAPSHOT_MAX_BYTES", 1000)
    code, err = _run(capsys, "report", _good(tmp_path), "--out", str(tmp_path / "out"))
    assert code == 2 and "limit" in err


def test_a_utf8_bom_is_accepted(tmp_path, capsys):
    snapshot = tmp_path / "bom.json"
    snapshot.write_bytes(b"\xef\xbb\xbf" + dumps(rich_snapshot()).encode())
    code, err = _run(capsys, "report", str(snapshot), "--out", str(tmp_path / "a"), "--format", "json")
    assert code == 0, err
    baseline = tmp_path / "bom-findings.json"
    baseline.write_bytes(b"\xef\xbb\xbf" + (tmp_path / "a" / "findings.json").read_bytes())
    config = tmp_path / "bom.toml"
    config.write_bytes(b"\xef\xbb\xbf[thresholds]\neni_utilization = 0.9\n")
    code, err = _run(
        capsys,
        "report",
        str(snapshot),
        "--baseline",
        str(baseline),
        "--config",
        str(config),
        "--out",
        str(tmp_path / "b"),
    )
    assert code == 0, err


def _findings(tmp_path: Path) -> dict:
    out = tmp_path / "base"
    main(["report", _good(tmp_path), "--out", str(out), "--format", "json"])
    return json.loads((out / "findings.json").read_text())


BASELINES = {
    "5000-digit-integer": lambda d: json.dumps(d).replace('"retries": 0', '"retries": ' + "9" * 5000, 1),
    "deep-nesting": lambda d: '{"schema": "ecs-net-audit/findings/v1", "findings": ' + _deep(100_000) + "}",
    "1e400": lambda d: json.dumps(d).replace('"retries": 0', '"retries": 1e400', 1),
    "duplicate-ids": lambda d: json.dumps({**d, "findings": d["findings"] + d["findings"][:1]}),
    "nul-bytes": lambda d: "\0" * 100,
}


@pytest.mark.parametrize("case", sorted(BASELINES))
def test_bad_baselines_exit_2_with_one_line(tmp_path, capsys, case):
    capsys.readouterr()
    doc = _findings(tmp_path)
    capsys.readouterr()
    path = tmp_path / "baseline.json"
    path.write_text(BASELINES[case](doc))
    code, err = _run(capsys, "report", _good(tmp_path), "--baseline", str(path), "--out", str(tmp_path / "o"))
    assert code == 2, err
    assert err.count("\n") == 1 and "Traceback" not in err


CONFIGS = {
    "deep-nesting": "x = " + _deep(100_000) + "\n",
    "huge-attempts": "[scan]\nmax_attempts = 99999999999999999999\n",
    "inf-threshold": "[thresholds]\neni_utilization = inf\n",
    "nan-threshold": "[thresholds]\neni_utilization = nan\n",
    "negative-timeout": "[scan]\ntimeout = -1\n",
    "huge-ports": "[thresholds]\nwide_port_min_ports = 1e400\n",
}


@pytest.mark.parametrize("case", sorted(CONFIGS))
def test_bad_configs_exit_2_with_one_line(tmp_path, capsys, case):
    path = tmp_path / "c.toml"
    path.write_text(CONFIGS[case])
    code, err = _run(capsys, "report", _good(tmp_path), "--config", str(path), "--out", str(tmp_path / "o"))
    assert code == 2, err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_unforeseen_failures_exit_4_with_one_line_and_debug_shows_the_traceback(
    tmp_path, capsys, monkeypatch
):
    import auditor.cli

    def boom(*args, **kwargs):
        raise ZeroDivisionError("something nobody planned for")

    monkeypatch.setattr(auditor.cli, "analyse", boom)
    code, err = _run(capsys, "report", _good(tmp_path), "--out", str(tmp_path / "o"))
    assert code == 4 and err.count("\n") == 1 and "ZeroDivisionError" in err and "Traceback" not in err
    code, err = _run(capsys, "--debug", "report", _good(tmp_path), "--out", str(tmp_path / "o"))
    assert code == 4 and "Traceback" in err


def test_a_full_disk_while_writing_is_exit_2_with_one_line(tmp_path, capsys, monkeypatch):
    import errno
    import os

    import auditor.fileio

    real = os.fdopen

    def full(fd, *args, **kwargs):
        handle = real(fd, *args, **kwargs)

        def write(data):
            raise OSError(errno.ENOSPC, "No space left on device")

        handle.write = write
        return handle

    monkeypatch.setattr(auditor.fileio.os, "fdopen", full)
    code, err = _run(capsys, "report", _good(tmp_path), "--out", str(tmp_path / "o"))
    assert code == 2 and "No space left" in err and err.count("\n") == 1
    assert not [p for p in (tmp_path / "o").rglob("*") if p.is_file()]
