"""W4 members (technicians): provision, deprovision, export; directory sync is ``sync.py``'s ``members`` kind.

- ``check_new_member(cw, NewMember(...))`` checks everything before any write and returns the ``POST
  /system/members`` body: identifier at most 15 characters, no spaces, and not taken (ConnectWise has no lookup by
  identifier, so a ``conditions=identifier="..."`` list does it); first and last name; an email address;
  ``licenseClass`` A, C, F or X (``full`` and ``api`` accepted for F and A); ``defaultEmail``/``defaultPhone``
  Office, Mobile or Home; the security role resolved *by name* with "did you mean" suggestions; hire date (today
  when not given). Every problem is reported at once (``InvalidInput``: the CLI exits 2).
- ``provision_member(engine, cw, member)`` runs it as a durable job (kind ``members.provision``): a crash after the
  POST is resumed by looking the member up by identifier, never by posting again. Rollback deletes the member it
  created, or deactivates it when ConnectWise refuses the delete.
- ``deprovision_member(engine, cw, "jsmith", delete=False)`` (kind ``members.deprovision``) sets ``inactiveFlag``
  and reads the member back to verify; with ``delete=True`` it then deletes, and a 409 (the member still owns
  tickets or time entries) stops the job with an explanation: the member stays inactive, history kept.
  (The spec's ``/system/members/{id}`` lists no DELETE; servers that refuse it get the same explanation.)
- ``export_members(cw)`` lists members as flat rows for CSV/JSON.

Every call goes through the SDK. Not for: the CLI (``cli/members.py``) or caching members locally (``sync.py``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa

from cwdesk.conditions import C
from cwdesk.errors import APIStatusError, ConflictError, NotFoundError
from cwdesk.manage.client import ManageClient
from cwdesk.workflows import client_records as records
from cwdesk.workflows.jobs import (
    Action,
    EventCallback,
    JobKind,
    JobSummary,
    Outcome,
    Plan,
    Step,
    StepContext,
    StepFailed,
    register_kind,
    run_job,
    start_job,
)
from cwdesk.workflows.validation import (
    InvalidInput,
    Lookup,
    Problem,
    Problems,
    email_problem,
    name_problem,
    phone_problem,
    record_dict,
    spec_max_length,
)

__all__ = [
    "EXPORT_COLUMNS",
    "IDENTIFIER_MAX",
    "LICENSE_CLASSES",
    "CheckedMember",
    "MemberJobResult",
    "NewMember",
    "check_new_member",
    "deprovision_member",
    "export_members",
    "find_member",
    "plan_deprovision",
    "plan_provision",
    "provision_member",
]

PROVISION = "members.provision"
DEPROVISION = "members.deprovision"

# "identifier ... Max 15 characters; used as login credential" (member-management guide); the spec agrees.
IDENTIFIER_MAX = spec_max_length("Member", "identifier")
MEMBER_NAME_MAX = spec_max_length("Member", "firstName")  # lastName has the same limit (manage-core.json)
_IDENTIFIER = re.compile(r"^[A-Za-z0-9._-]+$")
# Member.licenseClass enum{A|C|F|X} (spec). The guide names two of them: F = Full, A = API-only.
LICENSE_CLASSES = ("A", "C", "F", "X")
_LICENSE_NAMES = {"full": "F", "api": "A"}
# Member.defaultEmail / defaultPhone enum{Office|Mobile|Home} (spec).
CONTACT_SLOTS = ("Office", "Mobile", "Home")

EXPORT_COLUMNS = (
    "id",
    "identifier",
    "firstName",
    "lastName",
    "title",
    "officeEmail",
    "officePhone",
    "licenseClass",
    "securityRole",
    "inactiveFlag",
    "hireDate",
    "lastUpdated",
)


@dataclass(frozen=True)
class NewMember:
    """What the user asks for; names as typed (security role by name)."""

    identifier: str
    first_name: str
    last_name: str
    email: str
    security_role: str
    license_class: str = "F"
    hire_date: date | str | None = None  # a date, or text as typed (YYYY-MM-DD)
    phone: str | None = None
    title: str | None = None
    default_email: str = "Office"
    default_phone: str = "Office"


@dataclass(frozen=True)
class CheckedMember:
    """A new member that passed every check: the exact body to POST and what was filled in for the user."""

    identifier: str
    body: Mapping[str, Any]
    notes: tuple[str, ...] = ()


def _identifier_problem(value: str) -> str | None:
    if not value:
        return "is required (the member's login name, e.g. jsmith)"
    if len(value) > IDENTIFIER_MAX:
        return f"{value!r} is {len(value)} characters long; ConnectWise allows at most {IDENTIFIER_MAX}"
    if not _IDENTIFIER.match(value):
        return f"{value!r} is invalid: use letters, digits, '.', '_' or '-' (no spaces)"
    return None


def _license_class(value: str) -> str | None:
    text = value.strip()
    if text.upper() in LICENSE_CLASSES:
        return text.upper()
    return _LICENSE_NAMES.get(text.lower())


def _slot(value: str) -> str | None:
    for slot in CONTACT_SLOTS:
        if value.strip().lower() == slot.lower():
            return slot
    return None


def _hire_date(value: date | str | None) -> tuple[date | None, str | None]:
    if value is None or isinstance(value, date):
        return value, None
    text = value.strip()
    if not text:
        return None, None
    try:
        return datetime.strptime(text, "%Y-%m-%d").date(), None
    except ValueError:
        return None, f"{value!r} is not a date: use YYYY-MM-DD, e.g. 2026-03-01"


def find_member(cw: ManageClient, identifier_or_id: str | int) -> dict[str, Any] | None:
    """The member with this identifier (any case ConnectWise matches) or numeric id, or ``None``."""
    text = str(identifier_or_id).strip()
    if text.isdigit():
        try:
            return records.get(cw.members, int(text))
        except NotFoundError:
            pass
    return records.first(cw.members, C("identifier") == text)


def check_new_member(cw: ManageClient, member: NewMember, *, today: date | None = None) -> CheckedMember:
    """Check ``member`` (shapes first, then against ConnectWise) and build the body; raises ``InvalidInput``."""
    problems = Problems(f"the new member {member.identifier!r}")
    identifier = member.identifier.strip()
    problems.add("identifier", _identifier_problem(identifier))
    problems.add("first_name", name_problem(member.first_name, MEMBER_NAME_MAX))
    problems.add("last_name", name_problem(member.last_name, MEMBER_NAME_MAX))
    problems.add("email", email_problem(member.email))
    if member.phone:
        problems.add("phone", phone_problem(member.phone))
    license_class = _license_class(member.license_class)
    if license_class is None:
        problems.add("license_class", f"{member.license_class!r} is not a license class: use F (full), A (API), C or X")
    default_email = _slot(member.default_email)
    default_phone = _slot(member.default_phone)
    if default_email is None:
        problems.add("default_email", f"{member.default_email!r} must be Office, Mobile or Home")
    if default_phone is None:
        problems.add("default_phone", f"{member.default_phone!r} must be Office, Mobile or Home")
    hire, hire_problem = _hire_date(member.hire_date)
    problems.add("hire_date", hire_problem)
    if not member.security_role.strip():
        problems.add("security_role", "is required (a security role name, e.g. Technician)")
    # Shape problems first: asking ConnectWise about a malformed identifier or an empty role helps no one.
    problems.raise_if_any()

    roles = Lookup.from_resource("security role", cw.security_roles)
    problems.add("security_role", roles.problem(member.security_role))
    taken = find_member(cw, identifier) if not identifier.isdigit() else None
    if taken is not None:
        who = " ".join(str(taken.get(k) or "") for k in ("firstName", "lastName")).strip()
        problems.add(
            "identifier",
            f"{identifier!r} is already used by member {taken.get('id')} ({who or 'no name'}); choose another",
        )
    problems.raise_if_any()

    role = roles.resolve(member.security_role)
    notes = []
    if hire is None:
        hire = today or datetime.now(UTC).date()
        notes.append(f"hire date set to today ({hire.isoformat()})")
    slot_email = default_email or "Office"
    body: dict[str, Any] = {
        "identifier": identifier,
        "firstName": member.first_name.strip(),
        "lastName": member.last_name.strip(),
        "licenseClass": license_class,
        "hireDate": f"{hire.isoformat()}T00:00:00Z",
        "securityRole": role.reference(),
        "defaultEmail": slot_email,
        "defaultPhone": default_phone or "Office",
        f"{slot_email.lower()}Email": member.email.strip(),
    }
    if member.phone:
        body[f"{(default_phone or 'Office').lower()}Phone"] = member.phone.strip()
    if member.title:
        body["title"] = member.title.strip()
    return CheckedMember(identifier=identifier, body=body, notes=tuple(notes))


# ---------------------------------------------------------------------------------------------------------------
# Job kinds


def _member_key(identifier: str) -> str:
    return f"member:{identifier.lower()}"


def _find_created(ctx: StepContext[ManageClient]) -> Outcome | None:
    found = find_member(ctx.client, ctx.params["identifier"])
    if found is None:
        return None
    return Outcome.skipped(f"member {found['identifier']} already exists (id {found['id']})", id=int(found["id"]))


def _create_member(ctx: StepContext[ManageClient]) -> Outcome:
    created = records.create(ctx.client.members, ctx.params["body"])
    return Outcome.made(f"created member {created.get('identifier')} (id {created['id']})", id=int(created["id"]))


def _delete_member(cw: ManageClient, member_id: int) -> None:
    # The spec lists no DELETE on /system/members/{id} (so the SDK resource refuses it), but ConnectWise servers
    # answer it (the member-management guide: 204, or 409 when the member has history). Send it through the SDK's
    # request core, so auth, throttle, retries and the error mapping still apply.
    cw.request("DELETE", f"/system/members/{int(member_id)}")


def _undo_member(ctx: StepContext[ManageClient]) -> str:
    member_id = int((ctx.step.outcome or {})["id"])
    try:
        _delete_member(ctx.client, member_id)
    except NotFoundError:
        return f"member {member_id} was already gone"
    except APIStatusError as error:
        # The server refuses deleting members (or the member already has history): deactivate instead.
        records.update(ctx.client.members, member_id, {"inactiveFlag": True})
        return f"member {member_id} could not be deleted ({error.status_code}); it was deactivated instead"
    return f"deleted member {member_id}"


def _member_of(ctx: StepContext[ManageClient]) -> dict[str, Any]:
    try:
        return records.get(ctx.client.members, int(ctx.params["id"]))
    except NotFoundError:
        raise StepFailed(f"Member {ctx.params['identifier']} (id {ctx.params['id']}) no longer exists.") from None


def _find_inactive(ctx: StepContext[ManageClient]) -> Outcome | None:
    member = _member_of(ctx)
    if member.get("inactiveFlag") is True:
        return Outcome.skipped(f"member {member.get('identifier')} is already inactive", id=int(member["id"]))
    return None


def _deactivate(ctx: StepContext[ManageClient]) -> Outcome:
    member_id = int(ctx.params["id"])
    records.update(ctx.client.members, member_id, {"inactiveFlag": True})
    # Verify after write: read the member back rather than trusting the PATCH answer.
    if records.get(ctx.client.members, member_id).get("inactiveFlag") is not True:
        raise StepFailed(f"Member {ctx.params['identifier']} still shows as active after the update; check it.")
    return Outcome.done(f"member {ctx.params['identifier']} is now inactive", id=member_id)


def _find_deleted(ctx: StepContext[ManageClient]) -> Outcome | None:
    try:
        records.get(ctx.client.members, int(ctx.params["id"]))
    except NotFoundError:
        return Outcome.done(f"member {ctx.params['identifier']} is deleted", id=int(ctx.params["id"]))
    return None


def _delete(ctx: StepContext[ManageClient]) -> Outcome:
    member_id = int(ctx.params["id"])
    identifier = ctx.params["identifier"]
    try:
        _delete_member(ctx.client, member_id)
    except ConflictError as error:
        raise StepFailed(
            f"ConnectWise refused to delete member {identifier} (409 Conflict: {error.message or 'in use'}). "
            "A member who owns tickets, time entries or other records cannot be deleted. The member is "
            "inactive, which keeps that history and frees the license; reassign the records first if you "
            "really need the delete, then run `cwdesk jobs resume` on this job.",
            data={"id": member_id, "inactive": True},
        ) from None
    except NotFoundError:
        return Outcome.done(f"member {identifier} was already deleted", id=member_id)
    except APIStatusError as error:
        if error.status_code in (403, 405, 501):
            raise StepFailed(
                f"This ConnectWise does not allow deleting members through the API ({error.status_code}). "
                f"Member {identifier} is inactive, which is what ConnectWise recommends.",
                data={"id": member_id, "inactive": True},
            ) from None
        raise
    return Outcome.done(f"deleted member {identifier}", id=member_id)


register_kind(
    JobKind(
        name=PROVISION,
        description="W4: create a member (technician)",
        stop_on_error=True,
        actions={
            "create_member": Action(_create_member, _find_created, _undo_member, find_first=True, creates=True),
        },
    )
)
register_kind(
    JobKind(
        name=DEPROVISION,
        description="W4: deactivate (and on request delete) a member",
        stop_on_error=True,
        actions={
            "deactivate_member": Action(
                _deactivate,
                _find_inactive,
                find_first=True,
                not_undoable="re-activate the member in ConnectWise if this was a mistake",
            ),
            "delete_member": Action(_delete, _find_deleted, not_undoable="a deleted member cannot be brought back"),
        },
    )
)


@dataclass(frozen=True)
class MemberJobResult:
    """A provision or deprovision: the job (None on a dry run), its summary, and the calls it makes."""

    job_id: int | None
    summary: JobSummary | None
    calls: tuple[str, ...]
    notes: tuple[str, ...] = field(default_factory=tuple)


def plan_provision(checked: CheckedMember) -> Plan:
    """The one-step job plan that creates ``checked``."""
    return Plan(
        kind=PROVISION,
        title=f"Provision member {checked.identifier}",
        params={"identifier": checked.identifier},
        steps=[
            Step(
                key=_member_key(checked.identifier),
                action="create_member",
                params={"identifier": checked.identifier, "body": dict(checked.body)},
                label=f"POST /system/members ({checked.identifier})",
            )
        ],
    )


def plan_deprovision(member: Mapping[str, Any], *, delete: bool = False) -> Plan:
    """The job plan that deactivates ``member`` and, with ``delete``, then deletes it."""
    identifier = str(member.get("identifier") or member["id"])
    params = {"id": int(member["id"]), "identifier": identifier}
    steps = [
        Step(
            key=f"{_member_key(identifier)}:inactive",
            action="deactivate_member",
            params=params,
            label=f"PATCH /system/members/{params['id']} inactiveFlag=true",
        )
    ]
    if delete:
        steps.append(
            Step(
                key=f"{_member_key(identifier)}:delete",
                action="delete_member",
                params=params,
                label=f"DELETE /system/members/{params['id']}",
            )
        )
    return Plan(
        kind=DEPROVISION,
        title=f"Deprovision member {identifier}" + (" (delete)" if delete else ""),
        params={**params, "delete": delete},
        steps=steps,
    )


def _calls(plan: Plan) -> tuple[str, ...]:
    return tuple(step.label for step in plan.steps)


def provision_member(
    engine: sa.Engine | None,
    cw: ManageClient,
    member: NewMember,
    *,
    dry_run: bool = False,
    on_event: EventCallback | None = None,
    created_by: str | None = None,
    today: date | None = None,
) -> MemberJobResult:
    """Check, then (unless ``dry_run``) create the member as a durable job; raises ``InvalidInput`` first."""
    checked = check_new_member(cw, member, today=today)
    plan = plan_provision(checked)
    if dry_run:
        return MemberJobResult(None, None, _calls(plan), checked.notes)
    if engine is None:
        raise ValueError("provision_member() needs the app's database engine unless dry_run=True")
    job_id = start_job(engine, plan, client=cw, created_by=created_by)
    summary = run_job(engine, job_id, client=cw, on_event=on_event)
    return MemberJobResult(job_id, summary, _calls(plan), checked.notes)


def deprovision_member(
    engine: sa.Engine | None,
    cw: ManageClient,
    identifier_or_id: str | int,
    *,
    delete: bool = False,
    dry_run: bool = False,
    on_event: EventCallback | None = None,
    created_by: str | None = None,
) -> MemberJobResult:
    """Deactivate (and with ``delete`` delete) a member as a durable job; an unknown member raises first."""
    member = find_member(cw, identifier_or_id)
    if member is None:
        raise InvalidInput(
            [Problem("member", f"{identifier_or_id!r} is not a member identifier or id in ConnectWise")],
            subject="the deprovision request",
        )
    plan = plan_deprovision(member, delete=delete)
    if dry_run:
        return MemberJobResult(None, None, _calls(plan))
    if engine is None:
        raise ValueError("deprovision_member() needs the app's database engine unless dry_run=True")
    job_id = start_job(engine, plan, client=cw, created_by=created_by)
    summary = run_job(engine, job_id, client=cw, on_event=on_event)
    return MemberJobResult(job_id, summary, _calls(plan))


def _flat(member: Mapping[str, Any]) -> dict[str, Any]:
    role = member.get("securityRole")
    info = member.get("_info")
    row = {column: member.get(column) for column in EXPORT_COLUMNS}
    row["securityRole"] = role.get("name") if isinstance(role, Mapping) else role
    row["lastUpdated"] = info.get("lastUpdated") if isinstance(info, Mapping) else None
    return row


def export_members(cw: ManageClient, *, include_inactive: bool = False) -> Iterator[dict[str, Any]]:
    """Members as flat rows (``EXPORT_COLUMNS``), ordered by identifier; active ones only unless asked."""
    where = None if include_inactive else C("inactiveFlag") == False  # noqa: E712  (builds a condition)
    for item in cw.members.list(where=where, order_by="identifier asc", page_size=1000):
        yield _flat(record_dict(item))
