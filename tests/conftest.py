"""Shared fixtures: an in-process moto account with fake credentials and frozen task lifecycle."""

from __future__ import annotations

import os
from collections.abc import Iterator

import boto3
import pytest

from auditor.collect.session import Clients

_FAKE = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fake credentials, no profile, no endpoint: nothing can reach a real account."""
    for key, value in _FAKE.items():
        monkeypatch.setenv(key, value)
    for key in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    yield


@pytest.fixture
def moto(aws_env: None) -> Iterator[None]:
    from moto import mock_aws

    from auditor.demo.realism import moto_like_aws

    with mock_aws(), moto_like_aws():
        yield


@pytest.fixture
def clients(moto: None) -> Clients:
    return Clients(boto3.session.Session(region_name="us-east-1"), retry_mode="standard", max_attempts=2)
