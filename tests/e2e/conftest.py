"""A moto server on 127.0.0.1 in this process, holding the demo world built over HTTP."""

from __future__ import annotations

import base64
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import boto3
import pytest

from auditor.demo.realism import moto_like_aws
from auditor.demo.world import World, build_demo_world
from tests.e2e.faults import FaultProxy, started

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def base_env() -> dict[str, str]:
    """A clean environment: fake credentials, no profile, no metadata service lookups."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_SESSION_TOKEN="testing",
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        AWS_EC2_METADATA_DISABLED="true",
        PYTHONPATH=str(ROOT),
    )
    return env


READ_VERBS = ("Describe", "List", "Get")


def recorded_operation(entry: dict) -> str:
    """`service:Action` of one request moto's recorder logged, from its signature scope and target/action."""
    headers = {k.lower(): v for k, v in entry["headers"].items()}
    found = re.search(r"Credential=[^/]+/\d+/[^/]+/([^/]+)/aws4_request", headers.get("authorization", ""))
    service = found.group(1) if found else "unsigned"
    if "x-amz-target" in headers:
        return f"{service}:{headers['x-amz-target'].rsplit('.', 1)[-1]}"
    body = entry.get("body") or ""
    if entry.get("body_encoded"):
        body = base64.b64decode(body).decode("utf-8")
    params = parse_qs(body) or parse_qs(urlparse(entry["url"]).query)
    if "Action" not in params and service != "unsigned":  # a REST API (VPC Lattice): method and path
        return f"{service}:{rest_operation(service, entry['method'], urlparse(entry['url']).path)}"
    return f"{service}:{params.get('Action', ['?'])[0]}"


def rest_operation(signing_name: str, method: str, path: str) -> str:
    """The operation of a REST request, matched against the service model's request URIs."""
    import botocore.session

    session = botocore.session.get_session()
    for name in session.get_available_services():
        model = session.get_service_model(name)
        if model.signing_name != signing_name:
            continue
        for op_name in model.operation_names:
            http = model.operation_model(op_name).http
            pattern = re.sub(r"\{[^}]+\}", ".+", http["requestUri"].split("?")[0])  # a label may be an ARN
            if http["method"] == method and re.fullmatch(pattern, path):
                return op_name
    raise AssertionError(f"no {signing_name} operation for {method} {path}")


@dataclass
class Server:
    url: str
    world: World
    recording: Path

    def entries(self) -> list[dict]:
        """Every request the server received since the world was built (moto's recorder also logs
        in-process `mock_aws` requests of other tests: those never reached this server)."""
        entries = [json.loads(line) for line in self.recording.read_text().splitlines() if line.strip()]
        return [e for e in entries if e.get("url", "").startswith(self.url)]

    def run(
        self, *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "auditor", *args],
            capture_output=True,
            text=True,
            env=env or base_env(),
            cwd=cwd or ROOT,
            timeout=300,
        )


@pytest.fixture(scope="package")  # torn down with tests/e2e: its recorder and stand-ins stop there
def server() -> Iterator[Server]:
    from moto.server import ThreadedMotoServer

    env = pytest.MonkeyPatch()  # undone at teardown, whatever the test did meanwhile
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        env.setenv(key, "testing")

    from moto.moto_api import recorder

    recording = Path(tempfile.mkdtemp()) / "requests.jsonl"
    port = free_port()
    moto_server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    moto_server.start()
    url = f"http://127.0.0.1:{port}"
    like_aws = moto_like_aws()
    like_aws.__enter__()
    try:
        session = boto3.session.Session()
        world = build_demo_world(
            lambda s, r: session.client(s, region_name=r, endpoint_url=url), "123456789012"
        )
        recorder._location = str(recording)
        recorder.reset_recording()
        recorder.start_recording()  # from here on, only the tool under test talks to the server
        server = Server(url=url, world=world, recording=recording)
        yield server
        recorder.stop_recording()
        writes = sorted(
            {
                op
                for op in map(recorded_operation, server.entries())
                if op not in ("sts:GetCallerIdentity", "sts:AssumeRole")
                and not op.split(":", 1)[1].startswith(READ_VERBS)
            }
        )
        assert not writes, f"the end-to-end runs made non-read calls: {writes}"
    finally:
        like_aws.__exit__(None, None, None)
        moto_server.stop()
        env.undo()


@pytest.fixture
def organisation(server):
    """An organisation in the server (built while nothing records): the demo account manages it;
    member `prod` has a small ECS world, member `locked` a role the caller may not assume."""
    import boto3
    from moto.moto_api import recorder

    from auditor.collect.accounts import assume_role_session, role_arn
    from auditor.demo import refusals
    from tests.org.conftest import small_world

    recorder.stop_recording()
    base = boto3.session.Session(region_name="us-east-1")
    org = base.client("organizations", endpoint_url=server.url)
    if not _has_org(org):
        org.create_organization(FeatureSet="ALL")
    members = {a["Name"]: a["Id"] for a in org.list_accounts()["Accounts"]}
    for name in ("prod", "locked"):
        if name not in members:
            members[name] = org.create_account(AccountName=name, Email=f"{name}@example.com")[
                "CreateAccountStatus"
            ]["AccountId"]
            if name == "prod":
                session = assume_role_session(
                    base, members[name], "OrganizationAccountAccessRole", endpoint_url=server.url
                )
                small_world(_at(session, server.url), "us-east-1")
    refusals.refuse_assume_role("123456789012", role_arn(members["locked"], "ecs-net-audit"))
    yield members
    refusals.clear()


def _has_org(client) -> bool:
    try:
        client.describe_organization()
    except client.exceptions.AWSOrganizationsNotInUseException:
        return False
    return True


def _at(session, url):
    """`session`, its clients pointed at the server."""

    class Pointed:
        def client(self, service, region_name):
            return session.client(service, region_name=region_name, endpoint_url=url)

    return Pointed()


@pytest.fixture(scope="package")
def _fault_proxy(server: Server) -> Iterator[FaultProxy]:
    yield from started(server.url)


@pytest.fixture
def proxy(_fault_proxy: FaultProxy) -> Iterator[FaultProxy]:
    """The fault-injecting proxy in front of the session's moto_server, with no rules yet."""
    _fault_proxy.reset()
    yield _fault_proxy
    _fault_proxy.reset()
