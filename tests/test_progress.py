"""The progress line (terminal only) and the closing summary."""

from __future__ import annotations

import io

from auditor.progress import CollectionProgress


def test_live_line_redraws_and_clears(monkeypatch):
    stream = io.StringIO()
    progress = CollectionProgress(stream=stream, live=True, interval=0)
    progress("us-east-1", "ecs:ListTasks", 1, 0)
    progress("eu-west-1", "ec2:DescribeSubnets", 1, 2)
    progress.finish(2, quiet=False)
    text = stream.getvalue()
    assert text.count("\r") >= 3
    assert "us-east-1: ecs:ListTasks ×1" in text and "eu-west-1: ec2:DescribeSubnets ×1" in text
    assert text.rstrip().splitlines()[-1].strip().startswith("collected 2 regions in")
    assert "2 calls, 2 retries" in text


def test_not_a_terminal_prints_only_the_summary():
    stream = io.StringIO()  # StringIO.isatty() is False
    progress = CollectionProgress(stream=stream)
    for n in range(50):
        progress("us-east-1", "ecs:DescribeTasks", n + 1, 0)
    progress.finish(1, quiet=False)
    assert "\r" not in stream.getvalue()
    assert (
        stream.getvalue().startswith("collected 1 region in") and "50 calls, 0 retries" in stream.getvalue()
    )


def test_quiet_prints_nothing():
    stream = io.StringIO()
    progress = CollectionProgress(stream=stream, live=False)
    progress("us-east-1", "ecs:ListTasks", 1, 0)
    progress.finish(1, quiet=True)
    assert stream.getvalue() == ""
