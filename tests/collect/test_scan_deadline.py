"""Issue 11: one deadline for the whole scan — every Clients made during it (a many-account
scan's per-account clients too) shares it, and a call after it is an error row, not a request."""

from __future__ import annotations

import time

import boto3

from auditor.collect.session import DEFAULT_DEADLINE, Clients, Recorder, scan_deadline


def _clients(**kwargs) -> Clients:
    session = boto3.session.Session(aws_access_key_id="x", aws_secret_access_key="y", region_name="us-east-1")
    return Clients(session, retry_mode="standard", max_attempts=1, **kwargs)


def test_clients_made_during_a_scan_share_its_deadline(aws_env):
    with scan_deadline(0.05) as deadline:
        first, later = _clients(), _clients()
        assert first.deadline is deadline and later.deadline is deadline
    assert _clients().deadline is not deadline  # outside a scan: a deadline of its own
    assert abs(_clients().deadline.remaining() - DEFAULT_DEADLINE) < 5
    assert _clients(deadline_seconds=7).deadline.seconds == 7


def test_a_call_after_the_deadline_is_an_error_row_and_no_request(aws_env):
    sent = []
    with scan_deadline(0.01):
        clients = _clients()
        client = clients.get("ecs", "us-east-1")
        client.meta.events.register("before-send", lambda **kw: sent.append(kw))
        time.sleep(0.05)
        rec = Recorder(clients, "111122223333", "us-east-1")
        try:
            rec.call("ecs", "list_clusters")
        except Exception as exc:  # ApiFailure
            assert "deadline" in str(exc)
        else:
            raise AssertionError("a call after the deadline was made")
    (row,) = rec.coverage()
    assert row.api == "ecs:ListClusters" and row.status == "error" and "deadline" in row.detail
    assert sent == []
