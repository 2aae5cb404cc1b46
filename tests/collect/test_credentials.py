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
