"""Every change the SCIM bridge makes, as a durable job (W4's jobs where they exist, one small kind where not).

- create: ``members.provision_member`` (kind ``members.provision``: role by name, 15-character identifier, all
  the W4 checks), then, when the identity provider sent more than W4 takes (a second email, ``active: false``),
  the same update as below.
- deactivate (``active: false``) and DELETE: ``members.deprovision_member`` (kind ``members.deprovision``),
  with ``delete=True`` only when the bridge is configured to delete (``ScimSettings.hard_delete``).
- any other change (names, emails, phones, title, re-activation, security role): kind ``scim``, action
  ``update_member``: one step that sends only the fields that change as one PATCH, reads the member back to
  verify, and on rollback puts back the values it replaced unless someone changed the member since.
- a group made or deleted: kind ``scim``, actions ``create_role`` (found by name on resume; rollback deletes it)
  and ``delete_role`` (ConnectWise's 409 stops the job with an explanation).

Every job is created by ``scim:<token name>`` (the journal and ``cwdesk jobs list`` show it), and each change is
written to the audit log under that name, never the token's secret. The calls go through the SDK client the
bridge was given, so the shared ConnectWise throttle paces them.
Not for: the SCIM protocol or mapping (``storage.py``, ``mapping.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import sqlalchemy as sa

from cwdesk.conditions import C
from cwdesk.errors import ConflictError, NotFoundError
from cwdesk.manage.client import ManageClient
from cwdesk.workflows import client_records as records
from cwdesk.workflows.jobs import (
    Action,
    ChangedSince,
    JobKind,
    JobState,
    JobSummary,
    Outcome,
    Plan,
    Step,
    StepContext,
    StepFailed,
    get_job,
    register_kind,
    run_job,
    start_job,
)

__all__ = ["KIND", "ChangeFailed", "audit", "create_role", "delete_role", "update_member"]

KIND = "scim"


class ChangeFailed(Exception):
    """A job of the bridge did not succeed; ``message`` is its own explanation, ``job_id`` where to look."""

    def __init__(self, job_id: int, message: str, summary: JobSummary | None = None) -> None:
        super().__init__(message)
        self.job_id = job_id
        self.message = message
        self.summary = summary


def _same(current: object, wanted: object) -> bool:
    if isinstance(wanted, Mapping) and "id" in wanted:
        return isinstance(current, Mapping) and current.get("id") == wanted.get("id")
    if isinstance(wanted, bool):
        return bool(current) == wanted
    return (current or "") == (wanted or "")


def _member(ctx: StepContext[ManageClient]) -> dict[str, Any]:
    try:
        return records.get(ctx.client.members, int(ctx.params["id"]))
    except NotFoundError:
        raise StepFailed(f"Member {ctx.params['identifier']} (id {ctx.params['id']}) no longer exists.") from None


def _unchanged(member: Mapping[str, Any], changes: Mapping[str, Any]) -> list[str]:
    return [field for field, value in changes.items() if not _same(member.get(field), value)]


def _find_updated(ctx: StepContext[ManageClient]) -> Outcome | None:
    if _unchanged(_member(ctx), ctx.params["changes"]):
        return None
    return Outcome.skipped(f"member {ctx.params['identifier']} already has these values", id=int(ctx.params["id"]))


def _update(ctx: StepContext[ManageClient]) -> Outcome:
    member_id = int(ctx.params["id"])
    records.update(ctx.client.members, member_id, ctx.params["changes"])
    # Verify after write: read the member back rather than trusting the PATCH answer.
    missing = _unchanged(_member(ctx), ctx.params["changes"])
    if missing:
        raise StepFailed(
            f"Member {ctx.params['identifier']} does not show the new {', '.join(missing)} after the update; "
            "check it in ConnectWise."
        )
    return Outcome.done(
        f"updated {', '.join(ctx.params['changes'])} of member {ctx.params['identifier']}", id=member_id
    )


def _restore(ctx: StepContext[ManageClient]) -> str:
    member = _member(ctx)
    if _unchanged(member, ctx.params["changes"]):
        raise ChangedSince(f"member {ctx.params['identifier']} was changed since; left as it is")
    records.update(ctx.client.members, int(ctx.params["id"]), ctx.params["before"])
    return f"put back {', '.join(ctx.params['before'])} of member {ctx.params['identifier']}"


def _role_named(ctx: StepContext[ManageClient]) -> dict[str, Any] | None:
    return records.first(ctx.client.security_roles, C("name") == ctx.params["name"])


def _find_role(ctx: StepContext[ManageClient]) -> Outcome | None:
    found = _role_named(ctx)
    if found is None:
        return None
    return Outcome.skipped(f"security role {ctx.params['name']} already exists (id {found['id']})", id=int(found["id"]))


def _create_role(ctx: StepContext[ManageClient]) -> Outcome:
    made = records.create(ctx.client.security_roles, {"name": ctx.params["name"], "roleType": "Corporate"})
    return Outcome.made(f"created security role {ctx.params['name']} (id {made['id']})", id=int(made["id"]))


def _undo_role(ctx: StepContext[ManageClient]) -> str:
    return records.delete(ctx.client.security_roles, int((ctx.step.outcome or {})["id"]), "security role")


def _find_role_gone(ctx: StepContext[ManageClient]) -> Outcome | None:
    try:
        records.get(ctx.client.security_roles, int(ctx.params["id"]))
    except NotFoundError:
        return Outcome.done(f"security role {ctx.params['name']} is deleted", id=int(ctx.params["id"]))
    return None


def _delete_role(ctx: StepContext[ManageClient]) -> Outcome:
    try:
        ctx.client.security_roles.delete(int(ctx.params["id"]))
    except ConflictError as error:
        raise StepFailed(
            f"ConnectWise refused to delete security role {ctx.params['name']} (409 Conflict: "
            f"{error.message or 'in use'}); move its members to another role first."
        ) from None
    return Outcome.done(f"deleted security role {ctx.params['name']}", id=int(ctx.params["id"]))


# One kind for every change the bridge makes that W4 has no job for (`BUILTIN_KINDS` names this module, so
# `cwdesk jobs resume` finds it in a fresh process).
register_kind(
    JobKind(
        name=KIND,
        description="X3: a change an identity provider asked for through SCIM",
        stop_on_error=True,
        actions={
            "update_member": Action(_update, _find_updated, find_first=True, restore=_restore),
            "create_role": Action(_create_role, _find_role, _undo_role, find_first=True, creates=True),
            "delete_role": Action(
                _delete_role, _find_role_gone, not_undoable="a deleted security role cannot be brought back"
            ),
        },
    )
)


def run_plan(engine: sa.Engine, cw: ManageClient, plan: Plan, actor: str) -> JobSummary:
    """Run ``plan`` as a job made by ``actor``; a job that does not succeed raises ``ChangeFailed``."""
    job_id = start_job(engine, plan, client=cw, created_by=actor)
    summary = run_job(engine, job_id, client=cw)
    return checked(summary)


def checked(summary: JobSummary | None) -> JobSummary:
    if summary is None:
        raise ValueError("a job summary is needed")
    if summary.state is not JobState.succeeded:
        raise ChangeFailed(summary.id, summary.message or f"job {summary.id} ended {summary.state.value}", summary)
    return summary


def update_member(
    engine: sa.Engine, cw: ManageClient, member: Mapping[str, Any], changes: Mapping[str, Any], actor: str
) -> JobSummary | None:
    """Apply ``changes`` (API field names) to ``member`` as a ``scim`` job; None when nothing changes."""
    wanted = {field: value for field, value in changes.items() if not _same(member.get(field), value)}
    if not wanted:
        return None
    identifier = str(member.get("identifier") or member["id"])
    before = {field: member.get(field) for field in wanted}
    for field, value in before.items():
        if isinstance(value, Mapping) and "id" in value:
            before[field] = {"id": value["id"]}
    plan = Plan(
        kind=KIND,
        title=f"SCIM: update member {identifier}",
        params={"id": int(member["id"]), "identifier": identifier},
        steps=[
            Step(
                key=f"member:{identifier.lower()}:scim",
                action="update_member",
                params={"id": int(member["id"]), "identifier": identifier, "changes": dict(wanted), "before": before},
                label=f"PATCH /system/members/{int(member['id'])} {', '.join(wanted)}",
            )
        ],
    )
    return run_plan(engine, cw, plan, actor)


def create_role(engine: sa.Engine, cw: ManageClient, name: str, actor: str) -> int:
    """Create the security role ``name`` as a ``scim`` job; its id."""
    plan = Plan(
        kind=KIND,
        title=f"SCIM: create security role {name}",
        params={"name": name},
        steps=[Step(key=f"role:{name.lower()}", action="create_role", params={"name": name},
                    label=f"POST /system/securityroles ({name})")],
    )  # fmt: skip
    summary = run_plan(engine, cw, plan, actor)
    outcome = get_job(engine, summary.id).steps[0].outcome or {}
    return int(outcome["id"])


def delete_role(engine: sa.Engine, cw: ManageClient, role: Mapping[str, Any], actor: str) -> JobSummary:
    """Delete the security role ``role`` as a ``scim`` job (ConnectWise's 409 stops it with an explanation)."""
    name = str(role.get("name") or role["id"])
    params = {"id": int(role["id"]), "name": name}
    plan = Plan(
        kind=KIND,
        title=f"SCIM: delete security role {name}",
        params=params,
        steps=[Step(key=f"role:{name.lower()}:delete", action="delete_role", params=params,
                    label=f"DELETE /system/securityroles/{int(role['id'])}")],
    )  # fmt: skip
    return run_plan(engine, cw, plan, actor)


def audit(
    engine: sa.Engine,
    actor: str,
    action: str,
    target: str,
    *,
    result: Literal["ok", "error", "refused"],
    message: str = "",
    job_id: int | None = None,
) -> None:
    """One audit entry for a SCIM change, under ``actor`` (``scim:<token name>``)."""
    from cwdesk.console.security import Accounts

    Accounts(engine).record(
        username=actor,
        role="scim",
        action=f"SCIM {action}",
        target=target,
        detail={"job_id": job_id, "channel": "scim"},
        result=result,
        message=message[:500],
    )
