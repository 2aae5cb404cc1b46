"""Drive the real collectors from the corpus of AWS-shaped responses in tests/fixtures/aws/.

Each scenario file holds one account's answers. `CorpusStubber` is a botocore `Stubber` on every
client the collectors use: each answer passes the Stubber's shape validation against the service
model (and botocore validates each request's parameters as always). Unlike a plain Stubber it
answers by operation and parameters, not in a fixed order, because the collectors call
independent APIs in parallel. The answers follow AWS's semantics where the collectors rely on
them: List calls list what the Describe documents hold for that cluster, Describe calls return
what was asked for, and `DescribeInstances` rejects a whole request naming an `mi-…` id
(`InvalidInstanceID.Malformed`) or an instance EC2 does not know (`InvalidInstanceID.NotFound`).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import botocore.session
from botocore.awsrequest import AWSResponse
from botocore.stub import Stubber

from auditor.analysis.capacity import InstanceCapacity, SubnetCapacity
from auditor.collect.runner import collect
from auditor.collect.session import Clients
from auditor.config import Config
from auditor.findings import Finding
from auditor.model import Snapshot
from auditor.pipeline import analyse

FIXTURES = Path(__file__).parent / "fixtures" / "aws"
REGION = "us-east-1"
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # the audit's time: the corpus's timestamps are before it
_MODELS = botocore.session.get_session()  # one loader: service models are read once per test run


def _session() -> boto3.session.Session:
    return boto3.session.Session(
        aws_access_key_id="AKIDCORPUS",
        aws_secret_access_key="corpus",
        region_name=REGION,
        botocore_session=_MODELS,
    )


def scenario_names() -> list[str]:
    return sorted(p.stem for p in FIXTURES.glob("*.json"))


def load(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.json").read_text())


def _error(code: str, message: str, status: int = 400) -> tuple[AWSResponse, dict[str, Any]]:
    return AWSResponse(None, status, {}, None), {
        "ResponseMetadata": {"HTTPStatusCode": status},
        "Error": {"Code": code, "Message": message},
    }


def _cluster_of(arn: str) -> str:
    """`prod` of `arn:aws:ecs:…:task/prod/…` (and of container-instance and service ARNs)."""
    return arn.split(":", 5)[-1].split("/")[1]


class CorpusStubber(Stubber):
    """A Stubber that answers each call from one scenario's documents, validating every answer."""

    def __init__(self, client: Any, documents: dict[str, Any], calls: list[tuple[str, dict[str, Any]]]):
        super().__init__(client)
        self.documents = documents
        self.calls = calls
        self._lock = threading.Lock()
        self._asked = threading.local()  # the call's parameters, between the two events

    def _assert_expected_params(self, model: Any, params: Any, context: Any, **kwargs: Any) -> None:
        self._asked.params = dict(params)  # answers are chosen by parameters, not queued in order

    def _get_response_handler(self, model: Any, params: Any, context: Any, **kwargs: Any) -> Any:
        asked = self._asked.params
        with self._lock:
            self.calls.append((model.name, asked))
        answer = self.answer(model.name, asked)
        if "Error" in answer[1]:
            return answer
        self._validate_operation_response(model.name, answer[1])
        return answer

    # ------------------------------------------------------------ AWS's semantics, per operation

    def answer(self, operation: str, params: dict[str, Any]) -> tuple[AWSResponse, dict[str, Any]]:
        ok = AWSResponse(None, 200, {}, None)
        docs = self.documents
        handler = getattr(self, f"_{operation}", None)
        if handler is not None:
            result = handler(params)
            return result if isinstance(result, tuple) else (ok, result)
        if operation not in docs:
            return _error("UnsupportedOperation", f"{operation} is not in this scenario's documents", 400)
        return ok, docs[operation]

    def _filtered(self, operation: str, key: str, arn_key: str, wanted: list[str]) -> dict[str, Any]:
        items = [
            i
            for i in self.documents[operation][key]
            if i[arn_key] in wanted or i.get("serviceName") in wanted
        ]
        return {key: items, "failures": []}

    def _ListClusters(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"clusterArns": [c["clusterArn"] for c in self.documents["DescribeClusters"]["clusters"]]}

    def _DescribeClusters(self, params: dict[str, Any]) -> dict[str, Any]:
        wanted = params["clusters"]
        clusters = [
            c
            for c in self.documents["DescribeClusters"]["clusters"]
            if c["clusterArn"] in wanted or c["clusterName"] in wanted
        ]
        return {"clusters": clusters, "failures": []}

    def _in_cluster(self, operation: str, key: str, arn_key: str, cluster: str) -> list[dict[str, Any]]:
        name = _cluster_of(cluster) if cluster.startswith("arn:") else cluster
        return [i for i in self.documents[operation][key] if _cluster_of(i[arn_key]) == name]

    def _ListContainerInstances(self, params: dict[str, Any]) -> dict[str, Any]:
        items = self._in_cluster(
            "DescribeContainerInstances", "containerInstances", "containerInstanceArn", params["cluster"]
        )
        return {"containerInstanceArns": [i["containerInstanceArn"] for i in items]}

    def _DescribeContainerInstances(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._filtered(
            "DescribeContainerInstances",
            "containerInstances",
            "containerInstanceArn",
            params["containerInstances"],
        )

    def _ListServices(self, params: dict[str, Any]) -> dict[str, Any]:
        items = self._in_cluster("DescribeServices", "services", "serviceArn", params["cluster"])
        return {"serviceArns": [i["serviceArn"] for i in items]}

    def _DescribeServices(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._filtered("DescribeServices", "services", "serviceArn", params["services"])

    def _ListTasks(self, params: dict[str, Any]) -> dict[str, Any]:
        items = self._in_cluster("DescribeTasks", "tasks", "taskArn", params["cluster"])
        return {"taskArns": [i["taskArn"] for i in items if i["desiredStatus"] == "RUNNING"]}

    def _DescribeTasks(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._filtered("DescribeTasks", "tasks", "taskArn", params["tasks"])

    def _DescribeTaskDefinition(self, params: dict[str, Any]) -> Any:
        for doc in self.documents["DescribeTaskDefinition"]:
            if doc["taskDefinition"]["taskDefinitionArn"] == params["taskDefinition"]:
                return doc
        return _error("ClientException", "Unable to describe task definition.")

    def _ListAccountSettings(self, params: dict[str, Any]) -> dict[str, Any]:
        settings = self.documents["ListAccountSettings"]["settings"]
        principal = params.get("principalArn")
        chosen = [s for s in settings if s.get("principalArn") == principal] if principal else []
        return {"settings": chosen or [s for s in settings if s.get("principalArn", "").endswith(":root")]}

    def _DescribeVpcAttribute(self, params: dict[str, Any]) -> dict[str, Any]:
        """A scenario's own answer when it has one; else on, as AWS requires of a VPC with
        private-DNS interface endpoints (CreateVpcEndpoint refuses them otherwise)."""
        attribute = params["Attribute"]
        key = attribute[0].upper() + attribute[1:]
        for doc in self.documents.get("DescribeVpcAttribute", []):
            if doc["VpcId"] == params["VpcId"] and key in doc:
                return doc
        return {"VpcId": params["VpcId"], key: {"Value": True}}

    def _GetInstanceProfile(self, params: dict[str, Any]) -> Any:
        for doc in self.documents["GetInstanceProfile"]:
            if doc["InstanceProfile"]["InstanceProfileName"] == params["InstanceProfileName"]:
                return doc
        return _error(
            "NoSuchEntity", f"Instance Profile {params['InstanceProfileName']} cannot be found.", 404
        )

    def _DescribeInstances(self, params: dict[str, Any]) -> Any:
        """As EC2 does: one malformed id rejects the request, then one unknown id does too."""
        wanted = params.get("InstanceIds", [])
        malformed = [i for i in wanted if not i.startswith("i-")]
        if malformed:
            return _error("InvalidInstanceID.Malformed", f'Invalid id: "{malformed[0]}"')
        instances = {
            i["InstanceId"]: (r, i)
            for r in self.documents["DescribeInstances"]["Reservations"]
            for i in r["Instances"]
        }
        unknown = [i for i in wanted if i not in instances]
        if unknown:
            if len(unknown) == 1:
                return _error("InvalidInstanceID.NotFound", f"The instance ID '{unknown[0]}' does not exist")
            return _error(
                "InvalidInstanceID.NotFound", f"The instance IDs '{', '.join(unknown)}' do not exist"
            )
        reservations = (
            [dict(r, Instances=[i]) for r, i in (instances[w] for w in wanted)]
            if wanted
            else self.documents["DescribeInstances"]["Reservations"]
        )
        return {"Reservations": reservations}

    def _DescribeInstanceTypes(self, params: dict[str, Any]) -> Any:
        wanted = params.get("InstanceTypes", [])
        types = [
            t for t in self.documents["DescribeInstanceTypes"]["InstanceTypes"] if t["InstanceType"] in wanted
        ]
        return {"InstanceTypes": types}


class CorpusClients(Clients):
    """Clients whose every botocore client carries a CorpusStubber over one scenario."""

    def __init__(self, documents: dict[str, dict[str, Any]]):
        super().__init__(_session())
        self.documents = documents
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.stubbers: list[CorpusStubber] = []

    def get(self, service: str, region: str, max_attempts: int | None = None) -> Any:  # one stub per client
        key = (service, region)
        with self._lock:
            if key not in self._clients:
                client = self.session.client(service, region_name=region, config=self._config)
                stubber = CorpusStubber(client, self.documents.get(service, {}), self.calls)
                stubber.activate()
                self.stubbers.append(stubber)
                self._clients[key] = client
            return self._clients[key]


@dataclass
class Audit:
    """What the real pipeline made of one scenario."""

    snapshot: Snapshot
    findings: tuple[Finding, ...]
    instances: tuple[InstanceCapacity, ...]
    subnets: tuple[SubnetCapacity, ...]
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def of(self, check: str, resource_id: str | None = None) -> list[Finding]:
        return [
            f
            for f in self.findings
            if f.check == check and (resource_id is None or f.resource_id == resource_id)
        ]

    def coverage(self, api: str) -> Any:
        return next(c for c in self.snapshot.coverage if c.api == api)


@contextmanager
def corpus_clients(name: str) -> Iterator[CorpusClients]:
    clients = CorpusClients(load(name)["responses"])
    try:
        yield clients
    finally:
        for stubber in clients.stubbers:
            stubber.deactivate()


def audit(name: str, config: Config | None = None) -> Audit:
    """Collect the scenario through the real collectors and run every check on it."""
    with corpus_clients(name) as clients:
        snapshot = collect(clients, [REGION], now=NOW)
        result = analyse(snapshot, config or Config())
        return Audit(snapshot, result.findings, result.instances, result.subnets, list(clients.calls))


def validate_documents(name: str) -> int:
    """Pass every document of a scenario through Stubber's shape validation; the count checked."""
    responses = load(name)["responses"]
    checked = 0
    for service, operations in responses.items():
        client = _session().client(service)
        stubber = Stubber(client)
        for operation, doc in operations.items():
            method = next(m for m, o in client.meta.method_to_api_mapping.items() if o == operation)
            for one in doc if isinstance(doc, list) else [doc]:
                stubber.add_response(method, one)  # raises ParamValidationError when not AWS-shaped
                checked += 1
    return checked
