"""`demo --history N`: N nightly runs of the demo account with one subnet filling up, and the trend."""

from __future__ import annotations

import json

from auditor.cli import main
from auditor.history.runs import read_history
from auditor.outputs.local import LocalFolder


def test_demo_history_builds_nightly_runs_with_a_subnet_running_out(tmp_path, capsys):
    root = tmp_path / "history"
    assert main(["demo", "--history", "6", "--out", str(root), "--format", "html,json"]) == 0
    printed = capsys.readouterr().out
    assert f"wrote 6 nightly runs of the demo account under {root}" in printed
    runs = sorted(p for p in root.iterdir() if p.name != "trend")
    assert len(runs) == 6 and all(p.name.endswith("T020000Z") for p in runs)
    history = read_history(LocalFolder(root), str(root))
    times = [r.when for r in history.runs]
    assert [(b - a).days for a, b in zip(times, times[1:], strict=False)] == [1] * 5
    assert history.problems == ()
    # the last night: forecasts in its findings, trend.html beside its report
    last = runs[-1]
    assert (last / "trend.html").exists() and not (runs[0] / "trend.html").exists()
    findings = json.loads((last / "findings.json").read_text())["findings"]
    forecasts = [f for f in findings if "forecast" in f["detail"]]
    assert any(
        f["check"] == "subnet-ip-exhaustion" and "will run out in about" in f["detail"]["forecast"]
        for f in forecasts
    )
    trend = json.loads((root / "trend" / "trend.json").read_text())
    running_out = [s for s in trend["series"] if s["metric"] == "subnet_available" and s["runs_out_at"]]
    assert len(running_out) == 1 and running_out[0]["slope_per_day"] < -10  # 55 % of 251 over 5 days
    assert (root / "trend" / "trend.html").exists() and not (root / "trend" / "trend.csv").exists()
