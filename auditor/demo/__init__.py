"""`ecs-net-audit demo`: build the sample account in an in-process AWS emulator (moto) and
collect it with exactly the `scan` pipeline. No credentials, no network."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import boto3

from auditor.collect.session import Clients
from auditor.errors import ConfigError
from auditor.model import Snapshot

DEMO_ACCOUNT = "123456789012"  # moto's default account
_FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "demo",
    "AWS_SECRET_ACCESS_KEY": "demo",
    "AWS_SESSION_TOKEN": "demo",
}
_CLEARED = ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_DEFAULT_PROFILE")


@contextmanager
def _demo_environment() -> Iterator[None]:
    """Fake credentials and no profile or endpoint, restored afterwards."""
    saved = {k: os.environ.get(k) for k in (*_FAKE_CREDENTIALS, *_CLEARED)}
    os.environ.update(_FAKE_CREDENTIALS)
    for key in _CLEARED:
        os.environ.pop(key, None)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def demo_snapshot() -> Snapshot:
    """Build the demo world in moto and collect it as `scan` would."""
    try:
        from moto import mock_aws
    except ImportError:
        raise ConfigError("the demo needs moto: pip install 'ecs-net-audit[demo]'") from None
    from auditor.collect import collect
    from auditor.demo.realism import moto_like_aws
    from auditor.demo.world import build_demo_world

    with _demo_environment(), mock_aws(), moto_like_aws():
        builder = boto3.session.Session(region_name="us-east-1")
        build_demo_world(lambda service, region: builder.client(service, region_name=region), DEMO_ACCOUNT)
        world_regions = ("us-east-1", "eu-west-1")
        clients = Clients(
            boto3.session.Session(region_name="us-east-1"), retry_mode="standard", max_attempts=3
        )
        return collect(clients, world_regions)
