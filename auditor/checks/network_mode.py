"""network-mode — task definitions in use with `bridge` or `host` networking.

Why: awsvpc gives each task its own ENI, IP and security groups: traffic can be allowed per
service, flow logs name the task, and no host port is shared. In `bridge` mode tasks share the
instance's security groups and need wide dynamic port ranges opened to the load balancer; in
`host` mode containers bind directly on the instance's network, and a container running as root
there can reach every interface of the host (the concern behind Security Hub's ECS.1). Moving to
awsvpc has a cost on EC2: one ENI slot per task on the instance (unless trunking is on) and one
subnet IP per task — this check says how much that is here.

What, for task definitions that a service or a running task uses: `bridge` or `host` → low, with
what awsvpc would cost (ENI slots needed vs free in the cluster, subnet IPs); `host` with a
container that runs as root (no `user`, or `root`/`0`) → medium (low when the container is
declared `privileged`, a stated need such as a host agent — still worth review). `none` is
inventory only: no finding.

Fix: register a new revision with `networkMode: awsvpc` (and a target group of type `ip`), give
host-mode containers a non-root `user`, or drop capabilities they do not need.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

from auditor.analysis.context import AnalysisContext
from auditor.checks.base import ECS_INVENTORY, Check
from auditor.collect.specs import needs
from auditor.findings import Finding
from auditor.model import ContainerDefinition, Snapshot, TaskDefinition

ID = "network-mode"
ROOT_USERS = {"", "root", "0"}


def runs_as_root(container: ContainerDefinition) -> bool:
    """No `user`, or `root`/`0` (optionally with a group: `0:0`, `root:wheel`)."""
    user = (container.user or "").split(":", 1)[0].strip()
    return user in ROOT_USERS


@dataclass
class _Use:
    """Who uses a task definition: service names, clusters, running tasks."""

    services: set[str] = field(default_factory=set)
    clusters: set[str] = field(default_factory=set)
    tasks: int = 0


def _uses(snapshot: Snapshot) -> dict[str, _Use]:
    uses: dict[str, _Use] = defaultdict(_Use)
    for service in snapshot.services:
        if service.task_definition_arn:
            uses[service.task_definition_arn].services.add(service.name)
            uses[service.task_definition_arn].clusters.add(service.cluster_arn)
    for task in snapshot.tasks:
        uses[task.task_definition_arn].tasks += 1
        uses[task.task_definition_arn].clusters.add(task.cluster_arn)
    return uses


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _finding(ctx: AnalysisContext, td: TaskDefinition, use: _Use) -> Finding:
    clusters = sorted(use.clusters)
    tasks = use.tasks
    root = [c.name for c in td.containers if runs_as_root(c)]
    root_unprivileged = [c.name for c in td.containers if runs_as_root(c) and not c.privileged]
    free = sum(ctx.pool.cluster_free(c) for c in clusters)
    detail: dict[str, object] = {
        "network_mode": td.network_mode,
        "services": sorted(use.services),
        "runs_as_root": bool(root),
        "root_containers": root,
        "running_tasks": tasks,
        "eni_slots_needed": tasks,
        "cluster_eni_headroom": free,
        "subnet_ips_needed": tasks,
    }
    cost = (
        f"moving its {_plural(tasks, 'running task')} to awsvpc takes {_plural(tasks, 'ENI slot')} "
        f"({free} free in the cluster) and {_plural(tasks, 'subnet IP')}"
    )
    if td.network_mode == "host" and root:
        severity = "medium" if root_unprivileged else "low"
        title = (
            f"{td.family}:{td.revision} uses host networking with container(s) running as root "
            f"({', '.join(root)}): they share the instance's network stack"
        )
        recommendation = (
            f"Set a non-root `user` for {', '.join(root)} (or move to awsvpc mode: {cost}). "
            "Keep host mode only for agents that need it, with the fewest capabilities."
        )
    else:
        severity = "low"
        title = f"{td.family}:{td.revision} uses {td.network_mode} networking; awsvpc isolates each task"
        recommendation = (
            "Register a revision with networkMode awsvpc (target groups of type ip, per-task security "
            f"groups): {cost}."
        )
    return CHECK.finding(ctx.at_task_definition(td, clusters), severity, title, detail, recommendation)


def run(ctx: AnalysisContext) -> Iterator[Finding]:
    for arn, use in sorted(_uses(ctx.snapshot).items()):
        td = ctx.inventory.task_definitions.get(arn)
        if td is None or td.network_mode not in ("bridge", "host"):
            continue  # not collected: its mode is unknown, and other checks say so
        yield _finding(ctx, td, use)


CHECK = Check(
    id=ID,
    title="Task definitions in bridge or host network mode",
    severity="medium",
    resource_types=("task-definition",),
    run=run,
    doc=__doc__ or "",
    docs="https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-networking.html",
    needs=needs(*ECS_INVENTORY),
)
