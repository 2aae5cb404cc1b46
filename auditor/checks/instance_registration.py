"""instance-registration — container instances that never became, or will not stop being, ACTIVE.

Why: an EC2 instance that boots with the ECS agent registers itself with its cluster. When that
fails it runs, costs money and takes no task: the capacity provider believes it scaled out while
tasks stay PENDING. With ENI trunking on, registration waits for the trunk ENI; a trunk that
cannot be provisioned (no free address in the subnet, the Region's ENI quota, a shared subnet the
account does not own, resource-name DNS hostnames on the subnet) leaves the instance
`REGISTRATION_FAILED`, or `REGISTERING` for good. An instance `DEREGISTERING` while it still runs
tasks is being taken away under them. ECS says why in the instance's `statusReason`.

What, per container instance: `REGISTRATION_FAILED` → high; `REGISTERING` for longer than
`REGISTERING_GRACE_MINUTES` (15) before the audit → medium (low when the registration time is
not known); `DEREGISTERING` with running tasks → medium. `status_reason` is quoted as ECS gave it.

Fix: read the `statusReason`; for a trunk failure free addresses in the subnet (or use a larger
one), raise the ENI quota, use a subnet the account owns and IP-name hostnames, then terminate the
instance and let the Auto Scaling group replace it; drain (`DRAINING`) before deregistering.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from auditor.analysis.context import AnalysisContext
from auditor.checks.base import Check
from auditor.collect.specs import needs
from auditor.findings import Finding
from auditor.model import ContainerInstance

ID = "instance-registration"
REGISTERING_GRACE_MINUTES = 15
TRUNK_WORDS = ("trunk", "eni", "network interface")


def minutes_between(earlier: str | None, later: str) -> float | None:
    """Minutes from one ISO time to another; None when either cannot be read."""
    if not earlier:
        return None
    try:
        start = datetime.fromisoformat(earlier.replace("Z", "+00:00"))
        end = datetime.fromisoformat(later.replace("Z", "+00:00"))
    except ValueError:
        return None
    if start.tzinfo is None or end.tzinfo is None:
        return None
    return (end - start).total_seconds() / 60


def advice(ci: ContainerInstance) -> str:
    reason = (ci.status_reason or "").lower()
    if any(word in reason for word in TRUNK_WORDS):
        return (
            "The ENI trunk could not be provisioned: free addresses in the instance's subnet (or move it "
            "to a "
            "larger one), check the Region's network-interface quota, use a subnet this account owns with "
            "IP-name hostnames, then terminate the instance so its Auto Scaling group replaces it."
        )
    return (
        "Read the statusReason and the ECS agent log (/var/log/ecs/ecs-agent.log) on the instance, fix the "
        "cause (agent configuration, IAM role, network path to the ECS endpoints), then terminate the "
        "instance so its Auto Scaling group replaces it."
    )


def _verdict(ci: ContainerInstance, generated_at: str) -> tuple[str, str, float | None] | None:
    """(severity, what, minutes in the state) or None when the state is normal."""
    minutes = minutes_between(ci.registered_at, generated_at)
    if ci.status == "REGISTRATION_FAILED":
        return "high", "failed to register", minutes
    if ci.status == "REGISTERING":
        if minutes is None:
            return "low", "is registering (since an unknown time)", None
        if minutes > REGISTERING_GRACE_MINUTES:
            return "medium", f"has been registering for {minutes:.0f} minutes", minutes
        return None
    if ci.status == "DEREGISTERING" and ci.running_tasks > 0:
        return "medium", f"is deregistering with {ci.running_tasks} running tasks", minutes
    return None


def run(ctx: AnalysisContext) -> Iterator[Finding]:
    for ci in ctx.snapshot.container_instances:
        verdict = _verdict(ci, ctx.snapshot.generated_at)
        if verdict is None:
            continue
        severity, what, minutes = verdict
        name = ci.ec2_instance_id or ci.arn
        reason = f": {ci.status_reason}" if ci.status_reason else " (no statusReason given)"
        detail: dict[str, object] = {
            "status": ci.status,
            "status_reason": ci.status_reason,
            "registered_at": ci.registered_at,
            "minutes_in_state": round(minutes) if minutes is not None else None,
            "agent_connected": ci.agent_connected,
            "running_tasks": ci.running_tasks,
            "container_instance_arn": ci.arn,
        }
        recommendation = (
            advice(ci)
            if ci.status != "DEREGISTERING"
            else "Set the instance to DRAINING first (aws ecs update-container-instances-state "
            "--status DRAINING) so its service tasks move before it is deregistered."
        )
        yield CHECK.finding(
            ctx.at_container_instance(ci),
            severity,
            f"container instance {name} {what}{reason}",
            detail,
            recommendation,
        )


CHECK = Check(
    id=ID,
    title="Container instances stuck registering, failed, or deregistering with tasks",
    severity="high",
    resource_types=("container-instance",),
    run=run,
    doc=__doc__ or "",
    docs="https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs-agent-config.html",
    needs=needs("container_instances"),
)
