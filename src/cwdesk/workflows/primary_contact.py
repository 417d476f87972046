"""W3 primary contact: move a company's primary contact safely, and repair companies with several primaries.

ConnectWise keeps the primary flag on each contact (``defaultFlag``; the console seed calls it
``defaultContactFlag``) and does not clear it on the others; the company also points at its ``defaultContact``
(docs/connectwise.md, "Contacts"). Setting a primary is therefore several calls, run as a job (kind
``primary_contact``) in an order
that can never leave two primaries behind unreported:

1. ``clear:{id}`` for each current primary other than the new one (``defaultFlag`` false) — first, so a failure
   leaves at most *no* primary, never two;
2. ``set:{id}`` the new contact's ``defaultFlag`` true;
3. ``company_default:{company}`` the company's ``defaultContact`` -> the new contact;
4. ``verify:{company}`` re-reads the company's primaries and fails loudly if anything but exactly the new one
   remains.

Each step reads the contact first (no needless or repeated patch) and is retried on transient failures; a step
that still fails says which state it left and how to repair it (``cwdesk jobs resume`` or ``set-primary`` again).
``find_several_primaries`` lists companies with more than one primary; ``plan_repair_primaries`` keeps the one the
company points at (else the most recently updated) and clears the rest, with the same steps.

Not for: other contact edits (``client_records.py``) or bulk changes (``bulk_contacts.py``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from cwdesk.conditions import C
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
from cwdesk.workflows.validation import InvalidInput, Problem, record_dict

__all__ = [
    "KIND",
    "PrimaryResult",
    "SeveralPrimaries",
    "find_several_primaries",
    "plan_repair_primaries",
    "plan_set_primary",
    "primaries_of",
    "repair_primaries",
    "set_primary_contact",
]

KIND = "primary_contact"
CALL_RETRIES = 3


@dataclass(frozen=True)
class SeveralPrimaries:
    """A company with more than one primary contact, and the one a repair keeps."""

    company_id: int
    company: str
    primaries: Sequence[Mapping[str, Any]]
    keep_id: int
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "company_id": self.company_id,
            "company": self.company,
            "primaries": ", ".join(f"{_name(c)} ({c['id']})" for c in self.primaries),
            "keep": self.keep_id,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class PrimaryResult:
    """What a set-primary or repair did: the plan, and the job and its summary unless a dry run."""

    plan: Plan
    job_id: int | None
    summary: JobSummary | None


def _name(contact: Mapping[str, Any]) -> str:
    return f"{contact.get('firstName') or ''} {contact.get('lastName') or ''}".strip() or f"contact {contact['id']}"


def primaries_of(cw: ManageClient, company_id: int) -> list[dict[str, Any]]:
    """The company's contacts flagged primary, by id."""
    where = (C("company/id") == company_id) & (C("defaultFlag") == True)  # noqa: E712  (a condition)
    return [record_dict(c) for c in cw.contacts.list(where=where, order_by="id asc")]


def _steps_for(
    company_id: int, company: str, keep: Mapping[str, Any], others: Sequence[Mapping[str, Any]]
) -> list[Step]:
    keep_id = int(keep["id"])
    common = {"company_id": company_id, "company": company, "primary_id": keep_id, "primary": _name(keep)}
    steps = [
        Step(
            f"clear:{other['id']}",
            "clear_primary",
            {**common, "contact_id": int(other["id"]), "contact": _name(other)},
            f"Clear primary flag of {_name(other)} ({other['id']}) at {company}",
        )
        for other in others
    ]
    steps.append(
        Step(
            f"set:{keep_id}",
            "set_primary",
            {**common, "contact_id": keep_id, "contact": _name(keep)},
            f"Make {_name(keep)} ({keep_id}) primary at {company}",
        )
    )
    steps.append(
        Step(
            f"company_default:{company_id}",
            "set_company_default",
            common,
            f"Point {company}'s default contact at {_name(keep)} ({keep_id})",
        )
    )
    steps.append(Step(f"verify:{company_id}", "verify_primary", common, f"Verify {company} has one primary"))
    return steps


def plan_set_primary(cw: ManageClient, contact_id: int) -> Plan:
    """Plan making ``contact_id`` its company's only primary (reads only)."""
    contact = records.get(cw.contacts, contact_id)
    company_ref = contact.get("company") or {}
    if not company_ref.get("id"):
        raise InvalidInput([Problem("contact", f"contact {contact_id} belongs to no company; it cannot be primary")])
    if contact.get("inactiveFlag"):
        raise InvalidInput(
            [Problem("contact", f"{_name(contact)} ({contact_id}) is inactive: activate the contact first")]
        )
    company_id = int(company_ref["id"])
    company = records.get(cw.companies, company_id)
    company_name = str(company.get("name") or company_ref.get("name") or company_id)
    others = [c for c in primaries_of(cw, company_id) if int(c["id"]) != contact_id]
    return Plan(
        kind=KIND,
        title=f"Make {_name(contact)} ({contact_id}) the primary contact of {company_name}",
        params={"mode": "set", "company_id": company_id, "contact_id": contact_id},
        steps=_steps_for(company_id, company_name, contact, others),
    )


def find_several_primaries(cw: ManageClient) -> list[SeveralPrimaries]:
    """Companies with more than one primary contact, and which one a repair keeps (reads only)."""
    by_company: dict[int, list[dict[str, Any]]] = {}
    for item in cw.contacts.list(where=C("defaultFlag") == True, order_by="id asc"):  # noqa: E712
        contact = record_dict(item)
        company_id = (contact.get("company") or {}).get("id")
        if company_id:
            by_company.setdefault(int(company_id), []).append(contact)
    found = []
    for company_id, contacts in sorted(by_company.items()):
        if len(contacts) < 2:
            continue
        company = records.get(cw.companies, company_id)
        pointed = (company.get("defaultContact") or {}).get("id")
        keep = next((c for c in contacts if c["id"] == pointed), None)
        if keep is not None:
            reason = "the company's default contact"
        else:
            # The most recent change is most likely the intended one (the old console set the new primary first).
            keep = max(contacts, key=lambda c: (str((c.get("_info") or {}).get("lastUpdated") or ""), int(c["id"])))
            reason = "the most recently updated"
        found.append(
            SeveralPrimaries(company_id, str(company.get("name") or company_id), contacts, int(keep["id"]), reason)
        )
    return found


def plan_repair_primaries(cases: Sequence[SeveralPrimaries]) -> Plan:
    """One job that leaves each listed company with exactly its kept primary."""
    steps: list[Step] = []
    for case in cases:
        keep = next(c for c in case.primaries if int(c["id"]) == case.keep_id)
        others = [c for c in case.primaries if int(c["id"]) != case.keep_id]
        steps.extend(_steps_for(case.company_id, case.company, keep, others))
    return Plan(
        kind=KIND,
        title=f"Repair primary contacts of {len(cases)} company(ies)",
        params={"mode": "repair", "company_ids": [c.company_id for c in cases]},
        steps=steps,
    )


# ---------------------------------------------------------------------------------------------------------------
# Actions.


def _flag_is(ctx: StepContext[ManageClient], wanted: bool) -> Outcome | None:
    current = records.get(ctx.client.contacts, int(ctx.params["contact_id"]))
    if bool(current.get("defaultFlag")) is wanted:
        return Outcome.skipped(f"{ctx.params['contact']} is already {'primary' if wanted else 'not primary'}")
    return None


def _set_flag(ctx: StepContext[ManageClient], wanted: bool) -> Outcome:
    updated = records.update(ctx.client.contacts, int(ctx.params["contact_id"]), {"defaultFlag": wanted})
    if bool(updated.get("defaultFlag")) is not wanted:
        raise StepFailed(f"ConnectWise did not keep defaultFlag={str(wanted).lower()} on {ctx.params['contact']}")
    return Outcome.done(f"{ctx.params['contact']} is {'now primary' if wanted else 'no longer primary'}")


def _state_left(ctx: StepContext[ManageClient]) -> str:
    """The company's primaries right now, read fresh (best effort: the failure may be the connection itself)."""
    try:
        current = primaries_of(ctx.client, int(ctx.params["company_id"]))
    except Exception:
        cleared = [k.split(":", 1)[1] for k in ctx.outcomes if k.startswith("clear:")]
        return f"could not read the company's contacts to check; cleared so far: {', '.join(cleared) or 'none'}"
    if not current:
        return f"{ctx.params['company']} has NO primary contact now"
    names = ", ".join(f"{_name(c)} ({c['id']})" for c in current)
    if len(current) > 1:
        return f"{ctx.params['company']} has {len(current)} primary contacts now: {names}"
    return f"{ctx.params['company']}'s primary contact is {names}"


def _explain(ctx: StepContext[ManageClient], exc: BaseException) -> str:
    reason = exc.message if isinstance(exc, StepFailed) else (str(exc).strip() or type(exc).__name__)
    return (
        f"{ctx.step.label} failed after retries: {reason}. State left: {_state_left(ctx)}. "
        f"Repair: `cwdesk jobs resume {ctx.job_id}` once ConnectWise answers again, "
        f"or `cwdesk contacts set-primary {ctx.params['primary_id']}`."
    )


def _is_primary(ctx: StepContext[ManageClient]) -> Outcome | None:
    return _flag_is(ctx, True)


def _is_not_primary(ctx: StepContext[ManageClient]) -> Outcome | None:
    return _flag_is(ctx, False)


def _clear_primary(ctx: StepContext[ManageClient]) -> Outcome:
    return _set_flag(ctx, False)


def _set_primary(ctx: StepContext[ManageClient]) -> Outcome:
    return _set_flag(ctx, True)


def _company_points_at(ctx: StepContext[ManageClient]) -> Outcome | None:
    company = records.get(ctx.client.companies, int(ctx.params["company_id"]))
    if (company.get("defaultContact") or {}).get("id") == int(ctx.params["primary_id"]):
        return Outcome.skipped(f"{ctx.params['company']} already points at {ctx.params['primary']}")
    return None


def _set_company_default(ctx: StepContext[ManageClient]) -> Outcome:
    primary_id = int(ctx.params["primary_id"])
    records.update(ctx.client.companies, int(ctx.params["company_id"]), {"defaultContact": {"id": primary_id}})
    return Outcome.done(f"{ctx.params['company']} default contact is {ctx.params['primary']}")


def _verify_primary(ctx: StepContext[ManageClient]) -> Outcome:
    current = primaries_of(ctx.client, int(ctx.params["company_id"]))
    ids = sorted(int(c["id"]) for c in current)
    company = records.get(ctx.client.companies, int(ctx.params["company_id"]))
    pointed = (company.get("defaultContact") or {}).get("id")
    wanted = int(ctx.params["primary_id"])
    if ids != [wanted] or pointed != wanted:
        raise StepFailed(
            f"expected only {ctx.params['primary']} ({wanted}) as primary and default contact, "
            f"found primaries {ids or 'none'} and default contact {pointed}",
            data={"primaries": ids, "default_contact": pointed},
        )
    return Outcome.done(f"{ctx.params['company']} has exactly one primary: {ctx.params['primary']}")


# What rollback says of a primary-contact change (the job keeps no copy of the flags it replaced).
_SET_AGAIN = "choose the previous primary again with `cwdesk contacts set-primary`"

register_kind(
    JobKind(
        name=KIND,
        description="W3: one primary contact per company, the company's default contact in step",
        stop_on_error=True,
        actions={
            "clear_primary": Action(
                _clear_primary,
                lambda ctx: _flag_is(ctx, False),
                find_first=True,
                retries=CALL_RETRIES,
                explain=_explain,
                not_undoable=_SET_AGAIN,
            ),
            "set_primary": Action(
                _set_primary,
                lambda ctx: _flag_is(ctx, True),
                find_first=True,
                retries=CALL_RETRIES,
                explain=_explain,
                not_undoable=_SET_AGAIN,
            ),
            "set_company_default": Action(
                _set_company_default,
                _company_points_at,
                find_first=True,
                retries=CALL_RETRIES,
                explain=_explain,
                not_undoable=_SET_AGAIN,
            ),
            "verify_primary": Action(_verify_primary, retries=CALL_RETRIES, explain=_explain, reads_only=True),
        },
    )
)


def _run(
    engine: sa.Engine, cw: ManageClient, plan: Plan, on_event: EventCallback | None, created_by: str | None
) -> PrimaryResult:
    job_id = start_job(engine, plan, client=cw, created_by=created_by)
    return PrimaryResult(plan=plan, job_id=job_id, summary=run_job(engine, job_id, client=cw, on_event=on_event))


def set_primary_contact(
    engine: sa.Engine | None,
    cw: ManageClient,
    contact_id: int,
    *,
    dry_run: bool = False,
    on_event: EventCallback | None = None,
    created_by: str | None = None,
) -> PrimaryResult:
    """Make ``contact_id`` the only primary of its company (a job; see the module docstring)."""
    plan = plan_set_primary(cw, contact_id)
    if dry_run or engine is None:
        if not dry_run:
            raise ValueError("set_primary_contact() needs the app's database engine unless dry_run=True")
        return PrimaryResult(plan=plan, job_id=None, summary=None)
    return _run(engine, cw, plan, on_event, created_by)


def repair_primaries(
    engine: sa.Engine | None,
    cw: ManageClient,
    *,
    dry_run: bool = False,
    on_event: EventCallback | None = None,
    created_by: str | None = None,
) -> tuple[list[SeveralPrimaries], PrimaryResult | None]:
    """Find companies with several primaries and (unless ``dry_run``) fix them in one job."""
    cases = find_several_primaries(cw)
    if not cases:
        return cases, None
    plan = plan_repair_primaries(cases)
    if dry_run:
        return cases, PrimaryResult(plan=plan, job_id=None, summary=None)
    if engine is None:
        raise ValueError("repair_primaries() needs the app's database engine unless dry_run=True")
    return cases, _run(engine, cw, plan, on_event, created_by)
