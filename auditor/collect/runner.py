"""The collection run: turn an account's API answers into one Snapshot, driven by the
collector table in `specs.py`.

Regions run in parallel; inside a region the order follows the data's dependencies (clusters →
their instances, services and tasks → the task definitions, EC2 instances, types and roles they
name). Region-wide inventories (ENIs, subnets, VPCs, security groups, route tables, endpoints,
target groups, load balancers) are asked for once per region. When an API fails, what depends on
it is recorded as `skipped`; nothing is silently dropped.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, TypeVar

import botocore.exceptions

from auditor import __version__
from auditor.collect import quotas
from auditor.collect.session import REGION_WORKERS, ApiFailure, Clients, Progress, Recorder, classify
from auditor.collect.specs import BY_FIELD, PERMISSIONS, REGION_WIDE, SPECS, dependents
from auditor.errors import CollectError
from auditor.model import (
    CapacityProvider,
    Cluster,
    Coverage,
    Ec2Instance,
    InstanceProfile,
    MissingCluster,
    PlannedAccount,
    Quota,
    Snapshot,
    Subnet,
    Vpc,
)

__all__ = ["PERMISSIONS", "collect", "collect_region", "enabled_regions", "identify"]

T = TypeVar("T")


@dataclass
class RegionResult:
    """What one region gave: lists of model records by Snapshot field name, and the coverage."""

    region: str
    records: dict[str, list[Any]] = field(default_factory=dict)
    coverage: tuple[Coverage, ...] = ()

    def add(self, name: str, items: Iterable[Any]) -> None:
        self.records.setdefault(name, []).extend(items)


# The API whose reply each collector turns into records (the last of its spec's APIs: the describe
# call). An unexpected exception in a collector (a reply missing `taskArn`, `desiredCount: "lots"`)
# or a record the screening below refuses is recorded on that API's row.
FIELD_API = {spec.field: spec.apis[-1] for spec in SPECS}
COLLECTOR_API = {spec.fn: spec.apis[-1] for spec in SPECS}


def not_understood(rec: Recorder, fn: Callable[..., Any], exc: Exception) -> ApiFailure:
    """Record an exception nobody foresaw, from collector `fn`, on the API it was reading."""
    api = COLLECTOR_API.get(fn, f"collect:{getattr(fn, '__name__', 'unknown')}")
    first = str(exc).splitlines()[0][:200] if str(exc) else ""
    return rec.record_error(api, "error", f"reply not understood: {type(exc).__name__}: {first}", calls=0)


def _attempt(fn: Callable[..., T], rec: Recorder, *args: Any, default: T) -> T:
    try:
        return fn(rec, *args)
    except ApiFailure:
        return default
    except Exception as exc:  # caught at its API: an error row, never a crash or an all-clear
        not_understood(rec, fn, exc)
        return default


def _required(fn: Callable[..., T], rec: Recorder, *args: Any) -> T:
    """`fn` whose failure stops what depends on it: ApiFailure (recorded) for any exception."""
    try:
        return fn(rec, *args)
    except ApiFailure:
        raise
    except Exception as exc:
        raise not_understood(rec, fn, exc) from exc


def collect_region(
    clients: Clients,
    account: str,
    region: str,
    cluster_names: Sequence[str] = (),
    progress: Progress | None = None,
) -> RegionResult:
    """Everything the checks need from one region, independent calls in parallel."""
    rec = Recorder(clients, account, region, progress)
    out = RegionResult(region=region)
    try:
        with ThreadPoolExecutor(max_workers=REGION_WORKERS, thread_name_prefix=f"collect-{region}") as pool:
            # Inventories that depend on nothing but the region: asked for at once, beside the ECS chain.
            inventories: list[tuple[str, Future[list[Any]]]] = [
                (spec.field, pool.submit(_attempt, spec.fn, rec, default=[]))
                for spec in REGION_WIDE
                if spec.field != "quotas"
            ]
            quota_future: Future[Quota | None] = pool.submit(
                _attempt, BY_FIELD["quotas"].fn, rec, default=None
            )
            _collect_ecs(rec, out, cluster_names, pool)
            _collect_hosts(rec, out)
            services = out.records.get("services", [])
            if services:
                out.add("scalable_targets", _attempt(BY_FIELD["scalable_targets"].fn, rec, default=[]))
            _collect_capacity_sources(rec, out)
            for name, future in inventories:
                out.add(name, future.result())
            _collect_vpc_dns(rec, out)
            quota = quota_future.result()
    finally:
        rec.close()
    if quota is None:
        service_code, quota_code = quotas.ENI_QUOTA
        quota = Quota(
            account=account,
            region=region,
            service_code=service_code,
            quota_code=quota_code,
            value=quotas.ENI_QUOTA_DEFAULT,
            source="default",
        )
    out.add("quotas", [quota])
    _screen(rec, out)
    out.coverage = rec.coverage()
    return out


def _screen(rec: Recorder, out: RegionResult) -> None:
    """Keep the snapshot one that `report` reads back: a record AWS returned twice (two pages, a
    name and its ARN) is kept once; a record with a number no API returns (negative, `1e400`) or a
    CIDR that is not one is dropped, and its API's row says so."""
    from auditor.snapshot import record_key, record_problem

    for name, records in out.records.items():
        kept: dict[Any, Any] = {}
        for record in records:
            problem = record_problem(name, record)
            if problem:
                api = FIELD_API.get(name, f"collect:{name}")
                rec.record_error(api, "error", f"reply not usable: {problem}", calls=0)
                continue
            kept.setdefault(record_key(name, record), record)
        out.records[name] = list(kept.values())


def _collect_ecs(
    rec: Recorder, out: RegionResult, cluster_names: Sequence[str], pool: ThreadPoolExecutor
) -> None:
    """Clusters, then each cluster's instances, services and tasks in parallel, then the task
    definitions they reference (each once, in parallel)."""
    clusters: list[Cluster] = []
    try:
        clusters = _required(BY_FIELD["clusters"].fn, rec, cluster_names)
    except ApiFailure as exc:
        for api in dependents("clusters"):
            rec.skip(api, f"clusters unknown ({exc.status})")
    if cluster_names:
        found = {c.name for c in clusters} | {c.arn for c in clusters}
        missing = [n for n in cluster_names if n not in found]
        if missing:
            out.add("missing_clusters", [MissingCluster(rec.account, rec.region, name) for name in missing])
    out.add("clusters", clusters)
    per_cluster = [
        (
            pool.submit(_attempt, BY_FIELD["container_instances"].fn, rec, cluster, default=[]),
            pool.submit(_attempt, BY_FIELD["services"].fn, rec, cluster, default=[]),
            pool.submit(_attempt, BY_FIELD["tasks"].fn, rec, cluster, default=[]),
        )
        for cluster in clusters
    ]
    for instances_f, services_f, tasks_f in per_cluster:  # in cluster order: a deterministic snapshot
        out.add("container_instances", instances_f.result())
        out.add("services", services_f.result())
        out.add("tasks", tasks_f.result())
    services = out.records.get("services", [])
    tasks = out.records.get("tasks", [])
    td_arns = {s.task_definition_arn for s in services if s.task_definition_arn}
    td_arns |= {d.task_definition_arn for s in services for d in s.deployments if d.task_definition_arn}
    td_arns |= {t.task_definition_arn for s in services for t in s.task_sets if t.task_definition_arn}
    td_arns |= {t.task_definition_arn for t in tasks if t.task_definition_arn}
    if td_arns:
        out.add("task_definitions", _attempt(BY_FIELD["task_definitions"].fn, rec, td_arns, default=[]))


def _collect_hosts(rec: Recorder, out: RegionResult) -> None:
    """The EC2 instances behind container instances, their types and roles, and the trunking
    setting for each role."""
    instance_ids = {
        ci.ec2_instance_id for ci in out.records.get("container_instances", []) if ci.ec2_instance_id
    }
    ec2_instances: list[Ec2Instance] = []
    if instance_ids:
        try:
            ec2_instances = _required(BY_FIELD["ec2_instances"].fn, rec, instance_ids)
        except ApiFailure as exc:
            for api in dependents("ec2_instances"):
                rec.skip(api, f"EC2 instances unknown ({exc.status})")
    out.add("ec2_instances", ec2_instances)
    types = {i.instance_type for i in ec2_instances if i.instance_type}
    if types:
        out.add("instance_types", _attempt(BY_FIELD["instance_types"].fn, rec, types, default=[]))
    profiles = {i.instance_profile_arn for i in ec2_instances if i.instance_profile_arn}
    instance_profiles: list[InstanceProfile] = []
    if profiles:
        instance_profiles = _attempt(BY_FIELD["instance_profiles"].fn, rec, profiles, default=[])
    out.add("instance_profiles", instance_profiles)
    roles = {r for p in instance_profiles for r in p.role_arns}
    out.add("account_settings", _attempt(BY_FIELD["account_settings"].fn, rec, roles, default=[]))


def _collect_capacity_sources(rec: Recorder, out: RegionResult) -> None:
    """What decides capacity beyond the instances: the capacity providers the clusters, services
    and instances name (ECS Managed Instances' network among them), the Auto Scaling groups behind
    providers and instances (how many instances they can still add), and the VPC Lattice target
    groups services register in."""
    clusters = out.records.get("clusters", [])
    services = out.records.get("services", [])
    instances = out.records.get("container_instances", [])
    names = {p for c in clusters for p in c.capacity_providers}
    names |= {p for s in services for p in s.capacity_providers}
    names |= {ci.capacity_provider for ci in instances if ci.capacity_provider}
    providers: list[CapacityProvider] = _attempt(BY_FIELD["capacity_providers"].fn, rec, names, default=[])
    out.add("capacity_providers", providers)
    groups = {p.auto_scaling_group_name for p in providers if p.auto_scaling_group_name}
    groups |= {i.auto_scaling_group for i in out.records.get("ec2_instances", []) if i.auto_scaling_group}
    if groups:
        fn = BY_FIELD["auto_scaling_groups"].fn
        out.add("auto_scaling_groups", _attempt(fn, rec, {g for g in groups if g}, default=[]))
    lattice_groups = {c.target_group_arn for s in services for c in s.vpc_lattice}
    if lattice_groups:
        fn = BY_FIELD["lattice_target_groups"].fn
        out.add("lattice_target_groups", _attempt(fn, rec, lattice_groups, default=[]))


def _collect_vpc_dns(rec: Recorder, out: RegionResult) -> None:
    """`enableDnsSupport` and `enableDnsHostnames` of the VPCs ECS uses (two calls per VPC), set on
    their Vpc records; a VPC whose attributes could not be read keeps None (unknown)."""
    subnets: dict[str, Subnet] = {s.subnet_id: s for s in out.records.get("subnets", [])}
    used = {sid for t in out.records.get("tasks", []) for sid in t.subnet_ids}
    used |= {sid for s in out.records.get("services", []) for sid in s.subnets}
    used |= {sid for p in out.records.get("capacity_providers", []) for sid in p.subnets}
    used |= {i.subnet_id for i in out.records.get("ec2_instances", []) if i.subnet_id}
    vpc_ids = {subnets[sid].vpc_id for sid in used if sid in subnets}
    if not vpc_ids:
        return
    fn = BY_FIELD["vpc_dns_attributes"].fn
    attributes: dict[str, dict[str, bool]] = _attempt(fn, rec, vpc_ids, default={})
    vpcs: list[Vpc] = out.records.get("vpcs", [])
    out.records["vpcs"] = [
        replace(
            v,
            enable_dns_support=attributes[v.vpc_id].get("enableDnsSupport"),
            enable_dns_hostnames=attributes[v.vpc_id].get("enableDnsHostnames"),
        )
        if v.vpc_id in attributes
        else v
        for v in vpcs
    ]


def _report_unknown_clusters(results: list[RegionResult], cluster_names: Sequence[str]) -> None:
    """A `--cluster` found in none of the regions audited is a misspelling, not an empty cluster:
    each region's `ecs:DescribeClusters` row becomes `error`, detail `not found: NAME`."""
    if not cluster_names:
        return
    found: set[str] = set()
    for r in results:
        for cluster in r.records.get("clusters", []):
            found |= {cluster.name, cluster.arn}
    unknown = [name for name in cluster_names if name not in found]
    if not unknown:
        return
    detail = "not found: " + ", ".join(unknown)
    for r in results:
        rows = list(r.coverage)
        for i, row in enumerate(rows):
            if row.api == "ecs:DescribeClusters" and row.status == "ok":
                rows[i] = replace(row, status="error", detail=detail[:300])
        r.coverage = tuple(rows)


# The run's first call asks whether the endpoint and the credentials answer at all: an endpoint
# that refuses connections should give exit 3 in seconds, not after the full retry budget.
IDENTIFY_ATTEMPTS = 3


def identify(clients: Clients, region: str) -> str:
    """The account id behind the credentials; CollectError (exit 3) with what to do if none."""
    client = clients.get("sts", region, max_attempts=IDENTIFY_ATTEMPTS)
    try:
        return str(client.get_caller_identity()["Account"])
    except botocore.exceptions.NoCredentialsError:
        raise CollectError(no_credentials_hint(clients)) from None
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
        status, detail = classify(exc)
        raise CollectError(f"cannot identify the account ({detail}); {credential_sources(clients)}") from None


ENABLED = ("opt-in-not-required", "opted-in")  # DescribeRegions' OptInStatus of a region in use


def enabled_regions(rec: Recorder, partition_regions: set[str] | None = None) -> tuple[str, ...]:
    """The regions enabled in the account (`--all-regions`), from ec2:DescribeRegions (the call
    recorded on `rec`'s coverage). `partition_regions`: keep only these (AWS answers with the
    partition's regions only; emulators may not). CollectError (exit 3) with what to do when the
    account cannot be asked."""
    try:
        answer = rec.call("ec2", "describe_regions")
    except botocore.exceptions.NoCredentialsError:
        hint = no_credentials_hint(rec.clients)
        rec.record_error("ec2:DescribeRegions", "error", hint)  # not a silent gap in an account's rows
        raise CollectError(hint) from None
    except ApiFailure as failure:  # recorded
        raise CollectError(f"cannot list the account's regions: {failure.detail}") from None
    regions = {
        r["RegionName"]
        for r in answer.get("Regions", [])
        if r.get("OptInStatus", "opt-in-not-required") in ENABLED
    }
    if partition_regions is not None:
        regions &= partition_regions
    return tuple(sorted(regions))


def credential_sources(clients: Clients) -> str:
    profile = clients.session.profile_name
    env = [
        v
        for v in ("AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL")
        if os.environ.get(v)
    ]
    looked = f"profile {profile!r}" if profile and profile != "default" else "the default profile"
    where = f" and {', '.join(env)}" if env else ""
    endpoint = f" at endpoint {clients.endpoint_url}" if clients.endpoint_url else ""
    return f"looked at {looked}{where}{endpoint}"


def no_credentials_hint(clients: Clients) -> str:
    return (
        "no AWS credentials found (" + credential_sources(clients) + "): set AWS_PROFILE or "
        "pass --profile, run `aws sso login`, or export AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY"
    )


def collect(
    clients: Clients,
    regions: Sequence[str],
    cluster_names: Sequence[str] = (),
    now: datetime | None = None,
    progress: Progress | None = None,
) -> Snapshot:
    """A Snapshot of every region, collected in parallel."""
    regions = tuple(dict.fromkeys(regions))  # a region named twice is audited once
    cluster_names = tuple(dict.fromkeys(cluster_names))
    if not regions:
        raise CollectError("no region: pass --region or set AWS_DEFAULT_REGION / a profile region")
    account = identify(clients, regions[0])
    with ThreadPoolExecutor(max_workers=min(8, len(regions))) as pool:
        results = list(
            pool.map(lambda r: collect_region(clients, account, r, cluster_names, progress), regions)
        )
    _report_unknown_clusters(results, cluster_names)
    coverage = tuple(c for r in results for c in r.coverage)
    if coverage and all(c.status != "ok" for c in coverage):
        first = next(c for c in coverage if c.status != "ok")
        raise CollectError(f"nothing could be collected: {first.api} in {first.region}: {first.detail}")
    return assemble_snapshot(account, regions, results, cluster_names, now)


def assemble_snapshot(
    account: str,
    regions: Sequence[str],
    results: Sequence[RegionResult],
    clusters: Sequence[str],
    now: datetime | None = None,
    rows: Sequence[Coverage] = (),
    planned: tuple[PlannedAccount, ...] = (),
) -> Snapshot:
    """One account's Snapshot: the regions' records gathered into its fields, and its coverage:
    `rows` (the account's own, such as sts:AssumeRole) then each region's. `planned`: the
    accounts a many-account run attempted."""
    fields: dict[str, list[Any]] = {}
    for r in results:
        for name, items in r.records.items():
            fields.setdefault(name, []).extend(items)
    stamp = (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return Snapshot(
        generated_at=stamp,
        tool_version=__version__,
        accounts=(account,),
        regions=tuple(regions),
        cluster_filter=tuple(clusters),
        coverage=(*rows, *(c for r in results for c in r.coverage)),
        planned_accounts=planned,
        **{name: tuple(items) for name, items in fields.items()},
    )
