"""Edits of one company or one contact by API field name: the checks, and the edit as a plan and a durable job.

``check_assignments(cw, model, ["phoneNumber=813 555 0100", "status=Active"], noun)`` is the one rule for such
edits (``cwdesk companies update ID --set ...`` and the MCP plan tools use it): the field must exist on the record
and be settable, the value must fit its type (``true``/``false``, a number), a phone, email or identifier must pass
``validation.py``, and a status or relationship named must exist (digits are an id, otherwise a name). Every
problem is listed at once (``InvalidInput``) before anything is sent. An empty value empties the field.

``plan_record_edit(cw, "companies" | "contacts", id, assignments)`` reads the record (reads only) and makes a
plan of one step, keyed ``company:{id}`` / ``contact:{id}``, holding the JSON Patch the SDK will send
(``manage.patch.patch_from_diff``, ConnectWise's flavour: only the fields whose value differs) with each field's
value before and after. The job (kind ``record_edit``) sends that patch with the SDK's ``update_from_diff`` and
checks the record the server answers with; after an interrupted attempt the record is read first, and not
patched again if it already holds the values. Rollback puts the "before" values back, only if the record still
holds what the job wrote (someone's later change is left alone and reported).
Not for: the console's form edits (``client_records.update_company``/``update_contact``), bulk changes
(``bulk_contacts.py``), or the primary contact (``primary_contact.py``, which keeps one primary per company).
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

from cwdesk.errors import NotFoundError
from cwdesk.manage.client import ManageClient
from cwdesk.manage.models.base import CWModel, api_name, reference_fields, to_api_payload
from cwdesk.manage.models.company import Company
from cwdesk.manage.models.contact import Contact
from cwdesk.manage.patch import patch_from_diff
from cwdesk.manage.resources.collection import Collection
from cwdesk.workflows import client_records, validation
from cwdesk.workflows.jobs import (
    Action,
    ChangedSince,
    JobKind,
    Outcome,
    Plan,
    Step,
    StepContext,
    StepFailed,
    register_kind,
)
from cwdesk.workflows.validation import InvalidInput, Problem, Problems, record_dict, suggestions

__all__ = ["KIND", "RecordName", "check_assignments", "plan_record_edit"]

KIND = "record_edit"
RecordName = Literal["companies", "contacts"]

# The record kinds an edit plan may change: model, noun, and the SDK collection.
_RECORDS: Mapping[str, tuple[type[CWModel], str, Callable[[ManageClient], Collection[Any]]]] = {
    "companies": (Company, "company", lambda cw: cw.companies),
    "contacts": (Contact, "contact", lambda cw: cw.contacts),
}

# ------------------------------------------------------------------------------------------------- the checks

# The checks of ``validation.py`` for the fields they are about (by name; see ``_field_check``).
_FIELD_CHECKS: dict[str, str] = {
    "phoneNumber": "phone_problem",
    "faxNumber": "phone_problem",
    "defaultPhoneNbr": "phone_problem",
    "identifier": "identifier_problem",
    "invoiceToEmailAddress": "email_problem",
}


def _field_check(field: str) -> Callable[[str], str | None] | None:
    """The check of ``validation.py`` for ``field`` (a problem text, or None when fine), if it has one."""
    name = _FIELD_CHECKS.get(field) or ("email_problem" if field.lower().endswith("email") else None)
    check: Callable[[str], str | None] | None = getattr(validation, name) if name else None
    return check


# Reference fields whose names are checked against the list ConnectWise keeps (what, resource, name field).
_REFERENCE_LOOKUPS: dict[str, tuple[str, Callable[[ManageClient], Collection[Any]]]] = {
    "status": ("company status", lambda cw: cw.company_statuses),
    "relationship": ("contact relationship", lambda cw: cw.contact_relationships),
}
# Read-only for a client: the server owns them (``manage/patch.py``).
_NOT_SETTABLE = {"id": "is the record's id", "_info": "is kept by ConnectWise"}
# Fields a record cannot be without: the spec's ``required`` list of the create (NOTES section 7).
_REQUIRED = {"company": frozenset({"identifier", "name"})}
_TRUE, _FALSE = {"true", "yes", "1", "on"}, {"false", "no", "0", "off"}


def _kind_of(annotation: Any) -> str:
    """``bool``, ``int``, ``float``, ``reference``, ``list`` or ``text`` for a model field's annotation."""
    from cwdesk.manage.models.base import Reference

    options = set(typing.get_args(annotation)) if isinstance(annotation, types.UnionType) else {annotation}
    options.discard(type(None))
    if typing.get_origin(annotation) is typing.Annotated:
        return _kind_of(typing.get_args(annotation)[0])
    if Reference in options:
        return "reference"
    for option in options:
        if typing.get_origin(option) is list or option is list:
            return "list"
        if typing.get_origin(option) is typing.Annotated:
            return _kind_of(typing.get_args(option)[0])
    for kind, python_type in (("bool", bool), ("int", int), ("float", float)):
        if python_type in options:
            return kind
    return "text"


def check_assignments(
    cw: Any, model: type[CWModel], texts: Sequence[str], noun: str, *, what: str = "the --set values"
) -> dict[str, Any]:
    """``["phoneNumber=813 555 0100", "status=Active"]`` -> the API-named changes; ``InvalidInput`` (exit 2) listing
    every problem, before anything is sent. An empty value (``title=``) removes the field's value. ``what`` names
    the input in the problems' heading ("the --set values" on the command line)."""
    problems = Problems(f"{what} for the {noun}")
    changes: dict[str, Any] = {}
    references = reference_fields(model)
    fields = {info.alias or attr: info for attr, info in model.model_fields.items()}
    for text in texts:
        name, sep, value = text.partition("=")
        name = name.strip()
        if not sep or not name:
            problems.add(text, "must be FIELD=VALUE, e.g. phoneNumber=8135550100")
            continue
        field = api_name(model, name)
        if field is None or field not in fields:
            problems.add(name, f"is not a field of a {noun}{suggestions(name, list(fields))}")
            continue
        if field in _NOT_SETTABLE:
            problems.add(field, f"cannot be set: it {_NOT_SETTABLE[field]}")
            continue
        if field in changes:
            problems.add(field, "is given twice")
            continue
        kind = "reference" if field in references else _kind_of(fields[field].annotation)
        if kind == "list":
            problems.add(field, "is a list, which --set cannot change (the console or `cwdesk mutate` can)")
            continue
        value = value.strip()
        if not value and field in _REQUIRED.get(noun, frozenset()):
            problems.add(field, f"cannot be emptied: every {noun} has one")
        elif not value:
            changes[field] = None
        elif kind == "bool":
            if value.lower() not in _TRUE | _FALSE:
                problems.add(field, f"{value!r} is not true or false")
            changes[field] = value.lower() in _TRUE
        elif kind in ("int", "float"):
            try:
                changes[field] = int(value) if kind == "int" else float(value)
            except ValueError:
                problems.add(field, f"{value!r} is not {'a whole number' if kind == 'int' else 'a number'}")
        elif kind == "reference":
            changes[field] = _reference(cw, field, value, problems)
        else:
            check = _field_check(field)
            problems.add(field, check(value) if check else None)
            changes[field] = value
    if not texts:
        problems.add("--set", "give at least one FIELD=VALUE")
    problems.raise_if_any()
    return changes


def _reference(cw: Any, field: str, value: str, problems: Problems) -> dict[str, Any]:
    """A reference as the patch sends it: digits are an id; a name is checked against its list where one is known."""
    if value.isdigit():
        return {"id": int(value)}
    known = _REFERENCE_LOOKUPS.get(field)
    names = client_records.lookup(known[0], known[1](cw)) if known else None
    if names is None:
        return {"name": value}
    found = names.find(value)
    if found is None:
        problems.add(field, names.problem(value))
        return {"name": value}
    return {"id": found.id, "name": found.name}


# ------------------------------------------------------------------------------------------------- the plan


def _kept(value: Any) -> Any:
    """A value as the plan keeps it: a reference as its id and name only (what a patch sends, what a person reads)."""
    if isinstance(value, Mapping):
        return {k: value[k] for k in ("id", "name", "identifier") if value.get(k) is not None}
    return value


def _shown(value: Any) -> str:
    if isinstance(value, Mapping):
        return str(value.get("name") or value.get("identifier") or value.get("id") or "")
    return "(empty)" if value in (None, "") else str(value).lower() if isinstance(value, bool) else str(value)


def _record_name(noun: str, record: Mapping[str, Any]) -> str:
    if noun == "contact":
        return f"{record.get('firstName') or ''} {record.get('lastName') or ''}".strip() or f"contact {record['id']}"
    return str(record.get("name") or record.get("identifier") or f"company {record['id']}")


def plan_record_edit(cw: ManageClient, record: RecordName, record_id: int, assignments: Sequence[str]) -> Plan:
    """The plan of one edit (reads only): the JSON Patch, each field's before and after. ``InvalidInput`` lists
    every problem, or says when the record already holds every value (nothing to do)."""
    if record not in _RECORDS:
        raise InvalidInput([Problem("record", f"{record!r} cannot be edited here: use companies or contacts")])
    model, noun, collection = _RECORDS[record]
    changes = check_assignments(cw, model, assignments, noun, what="the changes")
    try:
        current = record_dict(collection(cw).get(record_id))
    except NotFoundError:
        raise InvalidInput([Problem(f"{noun}_id", f"there is no {noun} {record_id} in ConnectWise")]) from None
    before = {field: _kept(current.get(field)) for field in changes}
    patch = patch_from_diff(
        to_api_payload(model, before), to_api_payload(model, changes), reference_fields=reference_fields(model)
    )
    name = _record_name(noun, current)
    if not patch:
        raise InvalidInput([Problem("changes", f"{noun} {record_id} ({name}) already has these values: nothing to do")])
    changed = [op["path"] for op in patch]
    rows = [{"field": f, "before": _shown(before.get(f)), "after": _shown(changes.get(f))} for f in changed]
    shown = ", ".join(f"{r['field']}: {r['before']} -> {r['after']}" for r in rows)
    step = Step(
        f"{noun}:{record_id}",
        "patch_record",
        {
            "record": record,
            "record_id": record_id,
            "name": name,
            "before": {f: before.get(f) for f in changed},
            "after": {f: changes[f] for f in changed},
            "patch": [dict(op) for op in patch],
            "rows": rows,
        },
        f"Edit {noun} {name}: {shown}",
    )
    return Plan(
        kind=KIND,
        title=f"Edit {noun} {record_id} ({name}): {', '.join(changed)}",
        params={"record": record, "record_id": record_id, "assignments": list(assignments)},
        steps=(step,),
    )


# ------------------------------------------------------------------------------------------------- the job


def _holds(current: Mapping[str, Any], field: str, wanted: Any) -> bool:
    """Whether the record holds ``wanted`` in ``field``: a reference by id (else by name), empty as missing."""
    value = current.get(field)
    if wanted in (None, ""):
        return value in (None, "", [], {})
    if isinstance(wanted, Mapping):
        if not isinstance(value, Mapping):
            return False
        if wanted.get("id") is not None:
            return bool(value.get("id") == wanted["id"])
        return str(value.get("name") or "").lower() == str(wanted.get("name") or "").lower()
    return bool(value == wanted)


def _collection(ctx: StepContext[ManageClient]) -> Collection[Any]:
    return _RECORDS[str(ctx.params["record"])][2](ctx.client)


def _patch_record(ctx: StepContext[ManageClient]) -> Outcome:
    params = ctx.params
    record_id = int(params["record_id"])
    updated = record_dict(_collection(ctx).update_from_diff(record_id, params["before"], params["after"]))
    # Verify after write: the record the server answers with must hold every new value.
    wrong = [f for f, v in params["after"].items() if not _holds(updated, f, v)]
    if wrong:
        raise StepFailed(
            f"ConnectWise accepted the change but {params['name']} does not show it ({', '.join(wrong)}); check the "
            "field's rules in ConnectWise, then resume the job"
        )
    return Outcome.done(", ".join(f"{r['field']}={r['after']}" for r in params["rows"]))


def _find_applied(ctx: StepContext[ManageClient]) -> Outcome | None:
    """After an unknown outcome: read the record; if it already holds the values, do not patch again."""
    current = record_dict(_collection(ctx).get(int(ctx.params["record_id"])))
    if all(_holds(current, f, v) for f, v in ctx.params["after"].items()):
        return Outcome.done("found applied after an interrupted attempt")
    return None


def _restore_record(ctx: StepContext[ManageClient]) -> str:
    """Rollback: put the "before" values back, unless the record no longer holds what the job wrote."""
    params = ctx.params
    record_id = int(params["record_id"])
    collection = _collection(ctx)
    current = record_dict(collection.get(record_id))
    moved = [f for f, v in params["after"].items() if not _holds(current, f, v)]
    if moved:
        now = ", ".join(f"{f}={_shown(current.get(f))}" for f in moved)
        raise ChangedSince(f"{params['name']} was changed after the job (now {now})")
    updated = record_dict(collection.update_from_diff(record_id, params["after"], params["before"]))
    wrong = [f for f, v in params["before"].items() if not _holds(updated, f, v)]
    if wrong:
        raise StepFailed(f"ConnectWise accepted the restore of {params['name']} but it does not show it ({wrong})")
    put_back = ", ".join(f"{row['field']}={row['before']}" for row in params["rows"])
    return f"Put back {put_back} on {params['name']}"


register_kind(
    JobKind(
        name=KIND,
        description="An edit of one company or contact (planned through MCP): one JSON Patch",
        actions={"patch_record": Action(run=_patch_record, find=_find_applied, restore=_restore_record)},
    )
)
