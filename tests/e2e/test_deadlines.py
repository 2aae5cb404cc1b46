"""Issue 11, failure 6: bounded time. A call that never answers, or trickles, is cut off by the
scan's deadline (`--timeout`) and the report is still written; SIGINT/SIGTERM stop a scan within a
few seconds with 130/143, no traceback, no temporary file and nothing half-written."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.e2e.conftest import ROOT, base_env
from tests.e2e.faults import hang, throttle, trickle

REGION = "us-east-1"


def _leftovers(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.name.endswith(".tmp") or p.name.startswith(".")]


@pytest.mark.parametrize("fault", ["hang", "trickle"])
def test_6_the_deadline_cuts_off_a_silent_call_and_the_report_is_written(server, proxy, tmp_path, fault):
    proxy.on("DescribeTasks", hang(proxy) if fault == "hang" else trickle(proxy, every=0.5))
    out = tmp_path / "out"
    started = time.monotonic()
    result = server.run(
        "scan", "--endpoint-url", proxy.url, "--region", REGION, "--out", str(out), "--timeout", "4"
    )
    elapsed = time.monotonic() - started
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == 0, result.stderr
    assert elapsed < 25, elapsed
    doc = json.loads((out / "findings.json").read_text())
    tasks = next(c for c in doc["coverage"] if c["api"] == "ecs:DescribeTasks")
    assert tasks["status"] == "error" and "deadline" in tasks["detail"]
    assert doc["complete"] is False
    assert not _leftovers(out)


SIGNALS = {
    "sigint-hung-call": (signal.SIGINT, 130, "hang"),
    "sigterm-hung-call": (signal.SIGTERM, 143, "hang"),
    "sigint-throttled": (signal.SIGINT, 130, "throttle"),
    "sigterm-throttled": (signal.SIGTERM, 143, "throttle"),
}


@pytest.mark.parametrize("case", sorted(SIGNALS))
def test_6_signals_stop_a_scan_within_seconds(server, proxy, tmp_path, case):
    sig, code, fault = SIGNALS[case]
    proxy.on("DescribeTasks", hang(proxy) if fault == "hang" else throttle())
    out = tmp_path / "out"
    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "auditor",
            "scan",
            "--endpoint-url",
            proxy.url,
            "--region",
            REGION,
            "--out",
            str(out),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=base_env(),
        cwd=ROOT,
        text=True,
    )
    deadline = time.monotonic() + 60
    while "DescribeTasks" not in proxy.seen and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "DescribeTasks" in proxy.seen
    time.sleep(0.5)
    child.send_signal(sig)
    sent = time.monotonic()
    try:
        stdout, stderr = child.communicate(timeout=15)
    finally:
        child.kill()
    assert time.monotonic() - sent < 5
    assert child.returncode == code, stderr
    assert "Traceback" not in stderr and stderr.strip().count("\n") <= 1, stderr
    assert not out.exists() or not list(out.iterdir())


def test_6_a_signal_while_writing_leaves_no_temp_file_and_no_mixed_set(server, tmp_path):
    """SIGTERM at many points of the write phase: the folder holds either the old run's whole set
    or files of the new run only, never a `.tmp` and never a mix."""
    out = tmp_path / "out"
    assert server.run("demo", "--out", str(out), "--format", "json,csv").returncode == 0
    old = json.loads((out / "findings.json").read_text())["run_id"]
    old_set = {p.name for p in out.iterdir()}
    for delay in (0.6, 0.9, 1.2, 1.5, 1.8, 2.1):
        child = subprocess.Popen(
            [sys.executable, "-m", "auditor", "demo", "--out", str(out), "--format", "json,csv"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=base_env(),
            cwd=ROOT,
            text=True,
        )
        time.sleep(delay)
        child.send_signal(signal.SIGTERM)
        _, stderr = child.communicate(timeout=30)
        # -SIGTERM: killed before the tool installed its handler (still starting up), as a shell's 143
        assert child.returncode in (0, 143, -signal.SIGTERM), stderr
        assert "Traceback" not in stderr
        assert not _leftovers(out), _leftovers(out)
        names = {p.name for p in out.iterdir()}
        ids = set()
        for name in names & {"findings.json"}:
            ids.add(json.loads((out / name).read_text())["run_id"])
        for name in {n for n in names if n.endswith(".csv")}:
            ids |= {line.rsplit(",", 1)[-1] for line in (out / name).read_text().splitlines()[1:]}
        assert len(ids) <= 1, (delay, ids)
        if ids == {old}:
            assert names == old_set
