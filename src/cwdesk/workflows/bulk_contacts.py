"""W2 bulk contact update: one field (or a few) set on the contacts of many companies, as a durable job.

ConnectWise has no bulk endpoint (console seed): each contact is one ``PATCH /company/contacts/{id}``. Here:

- ``parse_assignments(cw, ["inactiveFlag=true", "type=Client"])`` checks the fields (``inactiveFlag``, ``type``,
  ``relationship``, ``department``, ``disablePortalLoginFlag``; the seed's ``type/name`` and ``relationship/name``
  are accepted too) and resolves reference values by name with "did you mean" suggestions;
- ``plan_bulk_contacts(cw, company_ids=... | where=..., contact_filter="all"|"primary"|"active", changes=...)``
  reads the companies and their contacts (reads only) and makes a plan with one step per contact, keyed
  ``contact:{id}``; contacts that already hold the values are planned as skipped, so nothing is patched needlessly;
- the job (kind ``bulk_contacts``) patches each contact, verifies the record the server returns, records the
  outcome before the next, and goes on after a failing record (the job ends ``partial``; resume retries only
  those). After a crash, a contact whose patch may have landed is read first and not patched again.
- rollback puts back the value each contact had when the job was planned (the "before" the preview showed),
  only where the contact still holds what the job wrote: a contact changed since by someone else is left alone
  and reported;
- ``bulk_report(detail)`` gives one row per contact (company, contact, before, after, result, message).

Calls go at the server's pace through the SDK's shared throttle (no fixed pauses).
Not for: choosing companies in a UI (the console and CLI do), primary-contact changes (``primary_contact.py``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import sqlalchemy as sa

from cwdesk.conditions import C, Condition, parse
from cwdesk.manage.client import ManageClient
from cwdesk.workflows import client_records as records
from cwdesk.workflows.jobs import (
    Action,
    ChangedSince,
    EventCallback,
    JobDetail,
    JobKind,
    JobSummary,
    Outcome,
    Plan,
    Step,
    StepContext,
    StepFailed,
    StepState,
    register_kind,
    run_job,
    start_job,
)
from cwdesk.workflows.validation import InvalidInput, Problem, Problems, record_dict

__all__ = [
    "FIELDS",
    "KIND",
    "BulkChange",
    "BulkResult",
    "ContactFilter",
    "bulk_report",
    "parse_assignments",
    "plan_bulk_contacts",
    "update_contacts",
]

KIND = "bulk_contacts"
# How many company ids go in one `company/id in (...)` condition: keeps URLs well under ConnectWise's limits.
_IDS_PER_QUERY = 100


class ContactFilter(StrEnum):
    """Which contacts of each company are targeted."""

    all = "all"
    primary = "primary"  # defaultFlag = true
    active = "active"  # inactiveFlag = false


# The fields a bulk update may set, with the names users type for them.
FIELDS = ("inactiveFlag", "type", "relationship", "department", "disablePortalLoginFlag")
_ALIASES = {
    "inactiveflag": "inactiveFlag",
    "inactive": "inactiveFlag",
    "type": "type",
    "type/name": "type",
    "types": "type",
    "relationship": "relationship",
    "relationship/name": "relationship",
    "department": "department",
    "department/name": "department",
    "disableportalloginflag": "disablePortalLoginFlag",
    "disableportallogin": "disablePortalLoginFlag",
}
_TRUE = {"true", "yes", "1", "on"}
_FALSE = {"false", "no", "0", "off"}


@dataclass(frozen=True)
class BulkChange:
    """One field to set: the name users know, the API field patched, and the API value."""

    field: str
    api_field: str
    value: Any
    shown: str

    def as_params(self) -> dict[str, Any]:
        return {"field": self.field, "api_field": self.api_field, "value": self.value, "shown": self.shown}


@dataclass(frozen=True)
class BulkResult:
    """What ``update_contacts`` did: the plan (always), the job id and summary (unless a dry run)."""

    plan: Plan
    job_id: int | None
    summary: JobSummary | None
    rows: Sequence[Mapping[str, Any]] = field(default_factory=tuple)


def _bool_value(text: str, name: str, problems: Problems) -> bool | None:
    lowered = text.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    problems.add(name, f"{text!r} is not true or false")
    return None


def parse_assignments(cw: ManageClient, assignments: Iterable[str]) -> list[BulkChange]:
    """``FIELD=VALUE`` texts -> checked changes; raises ``InvalidInput`` listing every problem (reads only)."""
    problems = Problems("the fields to set")
    changes: list[BulkChange] = []
    seen: set[str] = set()
    for text in assignments:
        name, sep, value = text.partition("=")
        name, value = name.strip(), value.strip()
        if not sep or not name:
            problems.add(text, "must be FIELD=VALUE, e.g. inactiveFlag=true")
            continue
        canonical = _ALIASES.get(name.lower())
        if canonical is None:
            problems.add(name, f"cannot be set in bulk; choose one of {', '.join(FIELDS)}")
            continue
        if canonical in seen:
            problems.add(name, "is given twice")
            continue
        seen.add(canonical)
        if canonical in ("inactiveFlag", "disablePortalLoginFlag"):
            flag = _bool_value(value, canonical, problems)
            if flag is not None:
                changes.append(BulkChange(canonical, canonical, flag, "true" if flag else "false"))
        elif not value:
            problems.add(canonical, "needs a value (a name as ConnectWise shows it)")
        else:
            # type, relationship, department: a contact's pick lists, looked up by name as the console's contact
            # editor does (client_records.CONTACT_PICK_LISTS); a contact's types are a list.
            picked = records.picked_references(cw, problems, {canonical: value})
            if canonical in picked:
                reference, name = picked[canonical]
                api = "types" if canonical == "type" else canonical
                changes.append(BulkChange(canonical, api, [reference] if canonical == "type" else reference, name))
    if not changes and not problems:
        problems.add("--set", "give at least one FIELD=VALUE")
    problems.raise_if_any()
    return changes


def _matches(current: Mapping[str, Any], change: Mapping[str, Any]) -> bool:
    """Whether the record already holds the change's value (references compared by id, else by name)."""
    api_field, wanted = change["api_field"], change["value"]
    have = current.get(api_field)
    if isinstance(wanted, bool):
        return bool(have) is wanted
    if isinstance(wanted, list):
        have_list = have if isinstance(have, list) else []
        return len(have_list) == len(wanted) and all(_same_ref(h, w) for h, w in zip(have_list, wanted, strict=True))
    return _same_ref(have, wanted)


def _same_ref(have: Any, wanted: Any) -> bool:
    if not isinstance(have, Mapping) or not isinstance(wanted, Mapping):
        return False
    if wanted.get("id") is not None:
        return bool(have.get("id") == wanted["id"])
    return str(have.get("name", "")).strip().lower() == str(wanted.get("name", "")).strip().lower()


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ", ".join(_shown(v) for v in value)
    if isinstance(value, Mapping):
        return str(value.get("name") or value.get("description") or value.get("id") or "")
    return "" if value is None else str(value)


def _chunks(ids: Sequence[int], size: int) -> Iterable[list[int]]:
    for start in range(0, len(ids), size):
        yield list(ids[start : start + size])


def _companies(
    cw: ManageClient, company_ids: Sequence[int] | None, where: Condition | str | None
) -> list[dict[str, Any]]:
    fields = ["id", "name", "identifier"]
    if company_ids is not None:
        found: dict[int, dict[str, Any]] = {}
        unique = sorted(set(company_ids))
        for chunk in _chunks(unique, _IDS_PER_QUERY):
            for item in cw.companies.list(where=C("id").in_(chunk), fields=fields):
                data = record_dict(item)
                found[int(data["id"])] = data
        missing = [i for i in unique if i not in found]
        if missing:
            raise InvalidInput(
                [Problem("--companies", f"no company has id {', '.join(map(str, missing))} in ConnectWise")],
                subject="the selection",
            )
        return [found[i] for i in unique]
    assert where is not None
    return [record_dict(item) for item in cw.companies.list(where=where, fields=fields)]


def plan_bulk_contacts(
    cw: ManageClient,
    *,
    changes: Sequence[BulkChange],
    company_ids: Sequence[int] | None = None,
    where: Condition | str | None = None,
    contact_filter: ContactFilter | str = ContactFilter.all,
) -> Plan:
    """Read the selected companies' contacts and plan one step per contact (reads only)."""
    problems = Problems("the selection")
    if (company_ids is None) == (where is None):
        problems.add("--companies/--where", "give exactly one: company ids, or a condition on companies")
    if company_ids is not None and not company_ids:
        problems.add("--companies", "lists no company id")
    try:
        chosen_filter = ContactFilter(contact_filter)
    except ValueError:
        problems.add("--filter", f"{contact_filter!r} is not all, primary or active")
        chosen_filter = ContactFilter.all
    problems.raise_if_any()
    if isinstance(where, str):
        parse(where)  # a syntax error is reported before any request (ConditionSyntaxError)
    companies = _companies(cw, company_ids, where)
    by_id = {int(c["id"]): c for c in companies}
    api_fields = sorted({c.api_field for c in changes})
    steps: list[Step] = []
    contact_fields = ["id", "firstName", "lastName", "company", "defaultFlag", "inactiveFlag", *api_fields]
    change_params = [c.as_params() for c in changes]
    for chunk in _chunks(sorted(by_id), _IDS_PER_QUERY):
        condition: Condition = C("company/id").in_(chunk)
        if chosen_filter is ContactFilter.primary:
            condition = condition & (C("defaultFlag") == True)  # noqa: E712  (a condition, not a comparison)
        elif chosen_filter is ContactFilter.active:
            condition = condition & (C("inactiveFlag") == False)  # noqa: E712
        for item in cw.contacts.list(where=condition, fields=sorted(set(contact_fields)), order_by="id asc"):
            contact = record_dict(item)
            contact_id = int(contact["id"])
            company = by_id.get(int((contact.get("company") or {}).get("id") or 0), {})
            name = f"{contact.get('firstName') or ''} {contact.get('lastName') or ''}".strip() or f"#{contact_id}"
            before = {c["api_field"]: _shown(contact.get(c["api_field"])) for c in change_params}
            # The raw values, for rollback (references trimmed to what identifies them).
            before_values = {c["api_field"]: _kept(contact.get(c["api_field"])) for c in change_params}
            already = all(_matches(contact, c) for c in change_params)
            steps.append(
                Step(
                    key=f"contact:{contact_id}",
                    action="update_contact",
                    params={
                        "contact_id": contact_id,
                        "contact": name,
                        "company": company.get("name") or "",
                        "company_id": company.get("id"),
                        "changes": change_params,
                        "before": before,
                        "before_values": before_values,
                        "already": already,
                    },
                    label=f"{name} ({company.get('name') or 'no company'}, contact {contact_id})",
                )
            )
    shown = ", ".join(f"{c.field}={c.shown}" for c in changes)
    return Plan(
        kind=KIND,
        title=f"Set {shown} on {len(steps)} contact(s) of {len(companies)} company(ies)",
        params={
            "changes": change_params,
            "filter": chosen_filter.value,
            "company_ids": sorted(by_id),
            "where": str(where) if isinstance(where, str) else None,
        },
        steps=steps,
    )


def _kept(value: Any) -> Any:
    """A field's value as a rollback sends it back: references as ``{"id", "name"}``, lists of them likewise."""
    if isinstance(value, Mapping):
        return {k: value[k] for k in ("id", "name") if value.get(k) is not None}
    if isinstance(value, list):
        return [_kept(v) for v in value]
    return value


def _holds(record: Mapping[str, Any], api_field: str, value: Any) -> bool:
    """Whether ``record`` holds ``value`` in ``api_field`` (an empty value matches a missing one)."""
    if value is None or value == []:
        return record.get(api_field) in (None, [], {})
    return _matches(record, {"api_field": api_field, "value": value})


def _patch(changes: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    return {c["api_field"]: c["value"] for c in changes}


def _update_contact(ctx: StepContext[ManageClient]) -> Outcome:
    params = ctx.params
    changes = params["changes"]
    shown = ", ".join(f"{c['field']}={c['shown']}" for c in changes)
    if params.get("already"):
        return Outcome.skipped(f"already {shown}")
    updated = records.update(ctx.client.contacts, int(params["contact_id"]), _patch(changes))
    # Verify after write: the record the server answers with must hold every new value.
    wrong = [c["field"] for c in changes if not _matches(updated, c)]
    if wrong:
        raise StepFailed(
            f"ConnectWise accepted the change but the record does not show it ({', '.join(wrong)}); "
            "check the field's rules in ConnectWise, then resume the job",
            data={"after": {c["api_field"]: _shown(updated.get(c["api_field"])) for c in changes}},
        )
    return Outcome.done(shown, after={c["api_field"]: _shown(updated.get(c["api_field"])) for c in changes})


def _find_contact_state(ctx: StepContext[ManageClient]) -> Outcome | None:
    """After an unknown outcome: read the contact; if it already holds the values, do not patch again."""
    current = records.get(ctx.client.contacts, int(ctx.params["contact_id"]))
    changes = ctx.params["changes"]
    if all(_matches(current, c) for c in changes):
        shown = ", ".join(f"{c['field']}={c['shown']}" for c in changes)
        after = {c["api_field"]: _shown(current.get(c["api_field"])) for c in changes}
        return Outcome.done(f"{shown} (found applied after an interrupted attempt)", after=after)
    return None


def _restore_contact(ctx: StepContext[ManageClient]) -> str:
    """Rollback: put back the planned "before" values, unless the contact no longer holds what the job wrote."""
    params = ctx.params
    contact_id = int(params["contact_id"])
    changes = params["changes"]
    before = params.get("before_values")
    if before is None:
        # Jobs planned before rollback could restore carry only the display text of the old value.
        raise StepFailed(f"contact {contact_id}: this job did not record the raw values it replaced; set them by hand")
    current = records.get(ctx.client.contacts, contact_id)
    moved = [c["field"] for c in changes if not _matches(current, c)]
    if moved:
        now = ", ".join(f"{c['field']}={_shown(current.get(c['api_field'])) or '(empty)'}" for c in changes)
        raise ChangedSince(f"contact {contact_id} was changed after the job (now {now})")
    put_back = {c["api_field"]: before[c["api_field"]] for c in changes}
    updated = records.update(ctx.client.contacts, contact_id, put_back)
    # Verify after write, as the job's own step does.
    wrong = [c["field"] for c in changes if not _holds(updated, c["api_field"], before[c["api_field"]])]
    if wrong:
        raise StepFailed(
            f"ConnectWise accepted the restore of contact {contact_id} but the record does not show it "
            f"({', '.join(wrong)})"
        )
    shown = ", ".join(f"{c['field']}={params['before'].get(c['api_field']) or '(empty)'}" for c in changes)
    return f"Put back {shown} on {params.get('contact') or contact_id}"


register_kind(
    JobKind(
        name=KIND,
        description="W2: set a field on the contacts of many companies",
        stop_on_error=False,
        actions={"update_contact": Action(run=_update_contact, find=_find_contact_state, restore=_restore_contact)},
    )
)


def bulk_report(detail: JobDetail) -> list[dict[str, Any]]:
    """One row per contact: company, contact, before, after, result and message (for ``--output``)."""
    rows = []
    for step in detail.steps:
        params = step.params
        changes = params.get("changes") or []
        after = (step.outcome or {}).get("after") or {}
        result = step.state.value
        if step.state in (StepState.pending, StepState.running):
            result = "pending"
        rows.append(
            {
                "contact_id": params.get("contact_id"),
                "contact": params.get("contact"),
                "company": params.get("company"),
                "field": ", ".join(c["field"] for c in changes),
                "before": ", ".join(str((params.get("before") or {}).get(c["api_field"], "")) for c in changes),
                "after": ", ".join(str(after.get(c["api_field"], "")) for c in changes)
                if after
                else ", ".join(c["shown"] for c in changes)
                if step.state is StepState.skipped
                else "",
                "result": result,
                "message": step.message or "",
            }
        )
    return rows


def update_contacts(
    engine: sa.Engine | None,
    cw: ManageClient,
    *,
    changes: Sequence[BulkChange],
    company_ids: Sequence[int] | None = None,
    where: Condition | str | None = None,
    contact_filter: ContactFilter | str = ContactFilter.all,
    dry_run: bool = False,
    on_event: EventCallback | None = None,
    created_by: str | None = None,
) -> BulkResult:
    """Plan the bulk update and, unless ``dry_run``, store it as a job and run it to its end in this thread."""
    plan = plan_bulk_contacts(cw, changes=changes, company_ids=company_ids, where=where, contact_filter=contact_filter)
    if dry_run:
        return BulkResult(plan=plan, job_id=None, summary=None)
    if engine is None:
        raise ValueError("update_contacts() needs the app's database engine unless dry_run=True")
    job_id = start_job(engine, plan, client=cw, created_by=created_by)
    summary = run_job(engine, job_id, client=cw, on_event=on_event)
    return BulkResult(plan=plan, job_id=job_id, summary=summary)
