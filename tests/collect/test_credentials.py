"""No, expired or rejected credentials: CollectError (exit 3) with one line saying what was looked at."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError

from auditor.collect import collect
from auditor.collect.session import Clients
from auditor.errors import CollectError


@pytest.mark.parametrize("code", ["ExpiredToken", "InvalidClientTokenId", "SignatureDoesNotMatch"])
def test_rejected_credentials_exit_3_with_hint(aws_env, monkeypatch, tmp_path, code):
    config = tmp_path / "config"
    config.write_text(
        "[profile audit]\naws_access_key_id = a\naws_secret_access_key = b\nregion = us-east-1\n"
    )
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_PROFILE", "audit")
    clients = Clients(boto3.session.Session(profile_name="audit"), max_attempts=1)

    def reject(model, **_):
        raise ClientError(
            {
                "Error": {
                    "Code": code,
                    "Message": "The security token included in the request is expired\nsecond line",
                },
                "ResponseMetadata": {"HTTPStatusCode": 403},
            },
            model.name,
        )

    clients.session.events.register("provide-client-params", reject)
    with pytest.raises(CollectError) as info:
        collect(clients, ("us-east-1",))
    message = str(info.value)
    assert info.value.exit_code == 3
    assert code in message and "profile 'audit'" in message and "AWS_PROFILE" in message
    assert "\n" not in message


def test_everything_denied_is_exit_3(clients):
    def deny(model, **_):
        if model.name != "GetCallerIdentity":
            raise ClientError(
                {
                    "Error": {"Code": "AccessDenied", "Message": "no"},
                    "ResponseMetadata": {"HTTPStatusCode": 403},
                },
                model.name,
            )

    clients.session.events.register("provide-client-params", deny)
    with pytest.raises(CollectError, match="nothing could be collected"):
        collect(clients, ("us-east-1",))


def test_an_endpoint_that_refuses_connections_is_given_up_after_a_few_attempts():
    # The first call only asks whether anyone answers: a closed port must give exit 3 in seconds,
    # not after the whole retry budget (10 attempts with backoff took about a minute).
    import socket

    import boto3

    from auditor.collect.runner import IDENTIFY_ATTEMPTS, identify
    from auditor.collect.session import Clients
    from auditor.errors import CollectError

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    session = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
    )
    clients = Clients(session, endpoint_url=f"http://127.0.0.1:{port}")
    attempts: list[str] = []
    clients.get("sts", "us-east-1", max_attempts=IDENTIFY_ATTEMPTS).meta.events.register(
        "before-send", lambda request, **_: attempts.append(request.url)
    )
    with pytest.raises(CollectError, match="endpoint unreachable"):
        identify(clients, "us-east-1")
    assert len(attempts) == IDENTIFY_ATTEMPTS == 3
