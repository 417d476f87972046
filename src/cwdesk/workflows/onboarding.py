"""W1 onboarding: company (with its site) -> site details -> contacts -> agreement -> ticket, as one durable job.

The plan is a mapping (a YAML/JSON file for ``cwdesk onboard``, the wizard's form for the console)::

    company:   {name, identifier, status, type, phone, website,
                address: {line1, line2, city, state, zip, country}}
    site:      {name, time_zone, phone}                       # optional; filled from the company address
    contacts:  [{first_name, last_name, title, email, phone}]  # the first is the primary contact
    agreement: {name, type, start_date, end_date, bill_amount} # optional; starts today unless given
    ticket:    {board, summary, priority, description}         # optional; summary "Onboarding — {name}"

``check_onboarding(cw, plan)`` validates everything before the first write (identifier letters and digits and
free, email / phone / state / ZIP shapes, status, type, board, agreement type, priority and time zone resolved by
name with "did you mean" suggestions) and raises ``InvalidInput`` listing every problem; it only reads.
``plan_onboarding`` turns the checked input into a job plan whose steps are keyed by natural keys
(``company:AcmeCorp``, ``contact:AcmeCorp:Jane Doe``...), and ``planned_calls`` lists the calls a dry run prints.
A real server refuses a company without a site and makes the site named in ``site: {"name": ...}`` itself
(docs/connectwise.md, "Companies"), so the company is created with its site in one call and the site's address,
phone and time zone are then set with a PATCH of that same site: no plan leaves a company with two sites.
Every create step looks its record up first, so the same plan run twice creates nothing new and says so; a failed
job resumes with ``cwdesk jobs resume`` and rolls back (newest first) with ``cwdesk jobs rollback``.

Not for: the CLI or the console forms (they call ``onboard`` / ``plan_onboarding``), the job machinery
(``jobs.py``), or editing existing records (``client_records.py``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml

from cwdesk.conditions import C
from cwdesk.manage.client import ManageClient
from cwdesk.manage.resources.collection import Collection
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
    register_kind,
    run_job,
    start_job,
)
from cwdesk.workflows.validation import (
    COMPANY_NAME_MAX,
    CONTACT_NAME_MAX,
    InvalidInput,
    Lookup,
    Problem,
    Problems,
    communication_item,
    email_problem,
    identifier_problem,
    name_problem,
    phone_problem,
    state_problem,
    website_problem,
    zip_problem,
)

__all__ = [
    "KIND",
    "CheckedOnboarding",
    "OnboardingResult",
    "PlannedCall",
    "check_onboarding",
    "onboard",
    "plan_onboarding",
    "planned_calls",
    "read_plan_file",
]

KIND = "onboarding"
DEFAULT_SITE_NAME = "Main Office"
DEFAULT_BOARD = "Service Desk"
TICKET_SUMMARY_MAX = 100  # Ticket.summary "max 100" (docs/connectwise.md, "Required fields on create")


@dataclass(frozen=True)
class PlannedCall:
    """One call the job would make: what ``--dry-run`` prints."""

    step_key: str
    method: str
    path: str
    body: Mapping[str, Any]

    def __str__(self) -> str:
        return f"{self.method} {self.path} {json.dumps(dict(self.body), ensure_ascii=False, sort_keys=True)}"


@dataclass(frozen=True)
class CheckedOnboarding:
    """A validated plan, with ConnectWise references resolved and defaults filled in."""

    name: str
    identifier: str
    company_body: Mapping[str, Any]
    site_body: Mapping[str, Any]
    contact_bodies: Sequence[Mapping[str, Any]]
    agreement_body: Mapping[str, Any] | None
    ticket_body: Mapping[str, Any] | None
    existing_company_id: int | None = None
    notes: Sequence[str] = field(default_factory=tuple)


@dataclass(frozen=True)
class OnboardingResult:
    """What ``onboard`` did: the job (None on a dry run), the calls, and whether anything new was created."""

    job_id: int | None
    summary: JobSummary | None
    calls: Sequence[PlannedCall]
    notes: Sequence[str]

    @property
    def nothing_new(self) -> bool:
        """True when the job found every record already there (the same plan ran before)."""
        s = self.summary
        return s is not None and s.counts.ok == 0 and s.counts.error == 0 and s.counts.skipped == s.counts.total


def read_plan_file(path: str | Path) -> dict[str, Any]:
    """The plan in a YAML or JSON file; a clear ``InvalidInput`` when it cannot be read."""
    source = Path(path)
    try:
        text = source.read_text(encoding="utf-8")
    except OSError as error:
        raise InvalidInput([Problem(str(source), f"cannot be read: {error.strerror or error}")]) from error
    try:
        data = json.loads(text) if source.suffix.lower() == ".json" else yaml.safe_load(text)
    except (yaml.YAMLError, json.JSONDecodeError) as error:
        raise InvalidInput([Problem(str(source), f"is not valid YAML/JSON: {error}")]) from error
    if not isinstance(data, dict):
        raise InvalidInput([Problem(str(source), "must hold a mapping with company, contacts, ... at the top")])
    return data


# ---------------------------------------------------------------------------------------------------------------
# Reading the plan.


def _text(section: Mapping[str, Any], key: str) -> str:
    value = section.get(key)
    if value is None:
        return ""
    return str(value).strip()


def _section(plan: Mapping[str, Any], key: str, problems: Problems) -> Mapping[str, Any] | None:
    value = plan.get(key)
    if value is None:
        return None
    if not isinstance(value, Mapping):
        problems.add(key, "must be a mapping of fields (e.g. name: ...)")
        return None
    return value


def _unknown_keys(section: Mapping[str, Any], allowed: set[str], where: str, problems: Problems) -> None:
    for key in section:
        if key not in allowed:
            problems.add(f"{where}.{key}", f"is not a known field (known: {', '.join(sorted(allowed))})")


def _date(value: Any, where: str, problems: Problems) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        problems.add(where, f"{value!r} is not a date (use YYYY-MM-DD)")
        return None


def _cw_datetime(day: date) -> str:
    # Bodies carry ISO-8601 UTC datetimes, yyyy-MM-ddTHH:mm:ssZ (docs/connectwise.md, "Value binding").
    return datetime(day.year, day.month, day.day, tzinfo=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class _Lookups:
    """Lookups read from ConnectWise once per check, only for the names the plan uses."""

    def __init__(self) -> None:
        self._cache: dict[str, Lookup | None] = {}
        self.notes: list[str] = []

    def get(self, what: str, resource: Collection[Any], *, name_field: str = "name") -> Lookup | None:
        if what not in self._cache:
            self._cache[what] = records.lookup(what, resource, name_field=name_field)
            if self._cache[what] is None:
                self.notes.append(f"{what} names are not checked: this ConnectWise offers no list of them")
        return self._cache[what]

    def check(
        self, what: str, resource: Collection[Any], name: str, where: str, problems: Problems
    ) -> dict[str, Any] | None:
        """A reference for ``name`` (``{"id", "name"}``, or ``{"name"}`` when the list is not available)."""
        lookup = self.get(what, resource)
        if lookup is None:
            return {"name": name}
        found = lookup.find(name)
        if found is None:
            problems.add(where, lookup.problem(name))
            return None
        return found.reference()


def check_onboarding(cw: ManageClient, plan: Mapping[str, Any], *, today: date | None = None) -> CheckedOnboarding:
    """Validate ``plan`` against its rules and ConnectWise's lookups; raise ``InvalidInput`` listing every problem.

    Reads only (lookups and the identifier check); never writes.
    """
    problems = Problems("the onboarding plan")
    lookups = _Lookups()
    today = today or datetime.now(UTC).date()
    _unknown_keys(plan, {"company", "site", "contacts", "agreement", "ticket"}, "plan", problems)

    company = _section(plan, "company", problems)
    if company is None:
        problems.add("company", "is required (name, identifier, address...)")
        problems.raise_if_any()
        raise AssertionError("unreachable")
    _unknown_keys(company, {"name", "identifier", "status", "type", "phone", "website", "address"}, "company", problems)
    name = _text(company, "name")
    problems.add("company.name", name_problem(name, COMPANY_NAME_MAX))
    identifier = _text(company, "identifier")
    problems.add("company.identifier", identifier_problem(identifier))

    company_body: dict[str, Any] = {"name": name, "identifier": identifier}
    if _text(company, "status"):
        ref = lookups.check("company status", cw.company_statuses, _text(company, "status"), "company.status", problems)
        if ref:
            company_body["status"] = ref
    if _text(company, "type"):
        ref = lookups.check("company type", cw.company_types, _text(company, "type"), "company.type", problems)
        if ref:
            company_body["types"] = [ref]  # the spec's Company has `types`, a list (the seed's `type` is not a field)
    if _text(company, "phone"):
        problems.add("company.phone", phone_problem(_text(company, "phone")))
        company_body["phoneNumber"] = _text(company, "phone")
    if _text(company, "website"):
        website = _text(company, "website")
        problems.add("company.website", website_problem(website))
        company_body["website"] = website

    address = _section(company, "address", problems) or {}
    _unknown_keys(address, {"line1", "line2", "city", "state", "zip", "country"}, "company.address", problems)
    country = _text(address, "country") or "United States"
    for key, api in (("line1", "addressLine1"), ("line2", "addressLine2"), ("city", "city")):
        if _text(address, key):
            company_body[api] = _text(address, key)
    if _text(address, "state"):
        problems.add("company.address.state", state_problem(_text(address, "state"), country))
        company_body["state"] = _text(address, "state").upper() if len(_text(address, "state")) == 2 else None
        if company_body["state"] is None:
            company_body["state"] = _text(address, "state")
    if _text(address, "zip"):
        problems.add("company.address.zip", zip_problem(_text(address, "zip"), country))
        company_body["zip"] = _text(address, "zip")
    if not any(_text(address, k) for k in ("line1", "line2", "city", "state", "zip")):
        # Company.addressLine1..zip: "at least one address field is required" (manage-core.json).
        problems.add("company.address", "is required: ConnectWise needs at least one of line1, line2, city, state, zip")
    company_body["country"] = {"name": country}

    existing_id = None
    if identifier and identifier_problem(identifier) is None:
        existing = records.company_by_identifier(cw, identifier)
        if existing is not None:
            if str(existing.get("name", "")).strip().lower() == name.lower():
                existing_id = int(existing["id"])
            else:
                problems.add(
                    "company.identifier",
                    f"{identifier!r} is already used by company {existing.get('name')!r} (id {existing.get('id')}); "
                    "choose another identifier",
                )

    # Site: filled from the company address unless given.
    site = _section(plan, "site", problems) or {}
    _unknown_keys(site, {"name", "time_zone", "phone"}, "site", problems)
    site_body: dict[str, Any] = {"name": _text(site, "name") or DEFAULT_SITE_NAME}
    # The company is created with its site (a real server requires it, docs/connectwise.md "Companies").
    company_body["site"] = {"name": site_body["name"]}
    for api in ("addressLine1", "addressLine2", "city", "zip"):
        if api in company_body:
            site_body[api] = company_body[api]
    if company_body.get("state"):
        site_body["stateReference"] = {"identifier": company_body["state"]}
    site_body["country"] = {"name": country}
    site_phone = _text(site, "phone") or _text(company, "phone")
    if _text(site, "phone"):
        problems.add("site.phone", phone_problem(_text(site, "phone")))
    if site_phone:
        site_body["phoneNumber"] = site_phone
    if _text(site, "time_zone"):
        ref = lookups.check("time zone", cw.time_zones, _text(site, "time_zone"), "site.time_zone", problems)
        if ref:
            site_body["timeZone"] = ref

    # Contacts: the first is primary.
    contacts_value = plan.get("contacts") or []
    contact_bodies: list[dict[str, Any]] = []
    if not isinstance(contacts_value, list):
        problems.add("contacts", "must be a list of contacts")
        contacts_value = []
    seen_names: set[str] = set()
    for index, contact in enumerate(contacts_value):
        where = f"contacts[{index}]"
        if not isinstance(contact, Mapping):
            problems.add(where, "must be a mapping (first_name, last_name, email...)")
            continue
        _unknown_keys(contact, {"first_name", "last_name", "title", "email", "phone"}, where, problems)
        first, last = _text(contact, "first_name"), _text(contact, "last_name")
        problems.add(f"{where}.first_name", name_problem(first, CONTACT_NAME_MAX))
        problems.add(f"{where}.last_name", name_problem(last, CONTACT_NAME_MAX))
        full = f"{first} {last}".strip()
        if full.lower() in seen_names:
            problems.add(where, f"{full!r} is listed twice; each contact of a company needs a distinct name")
        seen_names.add(full.lower())
        body: dict[str, Any] = {"firstName": first, "lastName": last, "defaultFlag": index == 0}
        if _text(contact, "title"):
            body["title"] = _text(contact, "title")
        items = []
        if _text(contact, "email"):
            problems.add(f"{where}.email", email_problem(_text(contact, "email")))
            items.append(communication_item("Email", _text(contact, "email")))
        if _text(contact, "phone"):
            problems.add(f"{where}.phone", phone_problem(_text(contact, "phone")))
            items.append(communication_item("Phone", _text(contact, "phone")))
        if items:
            body["communicationItems"] = items
        contact_bodies.append(body)

    agreement_body: dict[str, Any] | None = None
    agreement = _section(plan, "agreement", problems)
    if agreement is not None:
        _unknown_keys(agreement, {"name", "type", "start_date", "end_date", "bill_amount"}, "agreement", problems)
        agreement_body = {"name": _text(agreement, "name") or f"{name} Managed Services"}
        if not _text(agreement, "type"):
            problems.add("agreement.type", "is required (an agreement type of ConnectWise, e.g. Managed Service)")
        else:
            ref = lookups.check(
                "agreement type", cw.agreement_types, _text(agreement, "type"), "agreement.type", problems
            )
            if ref:
                agreement_body["type"] = ref
        start = _date(agreement.get("start_date"), "agreement.start_date", problems) or today
        agreement_body["startDate"] = _cw_datetime(start)
        end = _date(agreement.get("end_date"), "agreement.end_date", problems)
        if end is not None:
            if end < start:
                problems.add("agreement.end_date", f"{end} is before the start date {start}")
            agreement_body["endDate"] = _cw_datetime(end)
        else:
            agreement_body["noEndingDateFlag"] = True
        if agreement.get("bill_amount") is not None:
            try:
                amount = float(agreement["bill_amount"])
            except (TypeError, ValueError):
                problems.add("agreement.bill_amount", f"{agreement['bill_amount']!r} is not a number")
            else:
                if amount < 0:
                    problems.add("agreement.bill_amount", "cannot be negative")
                agreement_body["billAmount"] = amount
        if not contact_bodies:
            # Agreement.contact is required by the spec (manage-core.json): the primary contact fills it.
            problems.add("agreement", "needs a contact: list at least one contact (the first becomes primary)")

    ticket_body: dict[str, Any] | None = None
    ticket = _section(plan, "ticket", problems)
    if ticket is not None:
        _unknown_keys(ticket, {"board", "summary", "priority", "description"}, "ticket", problems)
        summary = _text(ticket, "summary") or f"Onboarding — {name}"
        if len(summary) > TICKET_SUMMARY_MAX:
            problems.add("ticket.summary", f"is {len(summary)} characters long; at most {TICKET_SUMMARY_MAX}")
        ticket_body = {"summary": summary}
        board = _text(ticket, "board") or DEFAULT_BOARD
        ref = lookups.check("service board", cw.boards, board, "ticket.board", problems)
        if ref:
            ticket_body["board"] = ref
        if _text(ticket, "priority"):
            ref = lookups.check("priority", cw.priorities, _text(ticket, "priority"), "ticket.priority", problems)
            if ref:
                ticket_body["priority"] = ref
        if _text(ticket, "description"):
            ticket_body["initialDescription"] = _text(ticket, "description")

    problems.raise_if_any()
    notes = list(lookups.notes)
    if existing_id is not None:
        notes.append(
            f"Company {identifier} already exists (id {existing_id}): existing records are kept, not duplicated"
        )
    return CheckedOnboarding(
        name=name,
        identifier=identifier,
        company_body=company_body,
        site_body=site_body,
        contact_bodies=contact_bodies,
        agreement_body=agreement_body,
        ticket_body=ticket_body,
        existing_company_id=existing_id,
        notes=tuple(notes),
    )


# ---------------------------------------------------------------------------------------------------------------
# The plan and its steps.


def _contact_key(identifier: str, body: Mapping[str, Any]) -> str:
    return f"contact:{identifier}:{body['firstName']} {body['lastName']}"


def plan_onboarding(checked: CheckedOnboarding) -> Plan:
    """The job plan of a checked onboarding: one step per record, keyed by natural keys."""
    ident = checked.identifier
    company_key = f"company:{ident}"
    site_key = f"site:{ident}:{checked.site_body['name']}"
    steps = [
        Step(company_key, "create_company", {"body": dict(checked.company_body)}, f"Company {checked.name} ({ident})"),
        Step(
            site_key,
            "update_site",
            {"company": company_key, "body": dict(checked.site_body)},
            f"Site {checked.site_body['name']} (address, phone, time zone)",
        ),
    ]
    primary_key = None
    for body in checked.contact_bodies:
        key = _contact_key(ident, body)
        primary_key = primary_key or key
        label = f"Contact {body['firstName']} {body['lastName']}" + (" (primary)" if body.get("defaultFlag") else "")
        steps.append(Step(key, "create_contact", {"company": company_key, "site": site_key, "body": dict(body)}, label))
    if primary_key is not None:
        steps.append(
            Step(
                f"default_contact:{ident}",
                "set_default_contact",
                {"company": company_key, "contact": primary_key},
                "Company's default contact",
            )
        )
    if checked.agreement_body is not None:
        steps.append(
            Step(
                f"agreement:{ident}:{checked.agreement_body['name']}",
                "create_agreement",
                {"company": company_key, "contact": primary_key, "body": dict(checked.agreement_body)},
                f"Agreement {checked.agreement_body['name']}",
            )
        )
    if checked.ticket_body is not None:
        steps.append(
            Step(
                f"ticket:{ident}:{checked.ticket_body['summary']}",
                "create_ticket",
                {"company": company_key, "contact": primary_key, "body": dict(checked.ticket_body)},
                f"Ticket {checked.ticket_body['summary']}",
            )
        )
    return Plan(
        kind=KIND,
        title=f"Onboard {checked.name} ({ident})",
        params={"identifier": ident, "name": checked.name},
        steps=steps,
    )


def planned_calls(plan: Plan) -> list[PlannedCall]:
    """The calls the plan's job would make, in order (ids of records not yet created shown as placeholders)."""
    calls = []
    for step in plan.steps:
        params = step.params
        company = f"{{id of {params.get('company')}}}"
        contact = f"{{id of {params.get('contact')}}}"
        body = dict(params.get("body") or {})
        if step.action == "create_company":
            calls.append(PlannedCall(step.key, "POST", "/company/companies", body))
        elif step.action == "update_site":
            site = f"{{id of {step.key}}}"
            patch = [{"op": "replace", "path": k, "value": v} for k, v in body.items() if k != "name"]
            calls.append(PlannedCall(step.key, "PATCH", f"/company/companies/{company}/sites/{site}", {"patch": patch}))
        elif step.action == "create_contact":
            body["company"] = {"id": company}
            body["site"] = {"id": f"{{id of {params.get('site')}}}"}
            calls.append(PlannedCall(step.key, "POST", "/company/contacts", body))
        elif step.action == "set_default_contact":
            patch = [{"op": "replace", "path": "defaultContact", "value": {"id": contact}}]
            calls.append(PlannedCall(step.key, "PATCH", f"/company/companies/{company}", {"patch": patch}))
        elif step.action == "create_agreement":
            body.update(company={"id": company}, contact={"id": contact})
            calls.append(PlannedCall(step.key, "POST", "/finance/agreements", body))
        elif step.action == "create_ticket":
            body["company"] = {"id": company}
            if params.get("contact"):
                body["contact"] = {"id": contact}
            calls.append(PlannedCall(step.key, "POST", "/service/tickets", body))
    return calls


# Actions: each create looks its record up by natural key first (find_first), so nothing is ever made twice.


def _id_of(ctx: StepContext[ManageClient], key_param: str) -> int:
    return int(ctx.outcome_of(str(ctx.params[key_param]))["id"])


def _found(record: Mapping[str, Any] | None, what: str) -> Outcome | None:
    if record is None:
        return None
    return Outcome.skipped(f"{what} already exists (id {record['id']})", id=int(record["id"]))


def _find_company(ctx: StepContext[ManageClient]) -> Outcome | None:
    return _found(records.company_by_identifier(ctx.client, ctx.params["body"]["identifier"]), "company")


def _create_company(ctx: StepContext[ManageClient]) -> Outcome:
    created = records.create(ctx.client.companies, ctx.params["body"])
    # ``new``: the site step then sets every detail of the plan on the site made with the company.
    return Outcome.made(f"created company id {created['id']}", id=int(created["id"]), new=True)


def _undo_company(ctx: StepContext[ManageClient]) -> str:
    return records.delete(ctx.client.companies, int((ctx.step.outcome or {})["id"]), "company")


def _company_site(ctx: StepContext[ManageClient], company_id: int) -> dict[str, Any] | None:
    """The site the company was created with: the one of the plan's name, else the one the company points at."""
    found = records.site_by_name(ctx.client, company_id, ctx.params["body"]["name"])
    if found is not None:
        return found
    site_ref = records.get(ctx.client.companies, company_id).get("site") or {}
    if isinstance(site_ref.get("id"), int):
        return records.get_site(ctx.client, company_id, int(site_ref["id"]))
    return None


def _site_changes(site: Mapping[str, Any], wanted: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of ``wanted`` (all but the name) that ``site`` does not have yet; references compare by the keys
    the plan gives (``{"name": "US Pacific"}`` matches a reference with that name, whatever its id)."""
    changes: dict[str, Any] = {}
    for key, value in wanted.items():
        if key == "name":
            continue
        current = site.get(key)
        if isinstance(value, Mapping):
            same = isinstance(current, Mapping) and all(
                str(current.get(k, "")).lower() == str(v).lower() for k, v in value.items()
            )
        else:
            same = current == value
        if not same:
            changes[key] = value
    return changes


def _find_site(ctx: StepContext[ManageClient]) -> Outcome | None:
    if ctx.outcome_of(str(ctx.params["company"])).get("new"):
        return None  # a site this job just made with its company: its details are set, not compared
    company_id = _id_of(ctx, "company")
    site = _company_site(ctx, company_id)
    if site is None or _site_changes(site, ctx.params["body"]):
        return None
    return Outcome.skipped(f"site {site['id']} already has the plan's details", id=int(site["id"]))


def _update_site(ctx: StepContext[ManageClient]) -> Outcome:
    company_id = _id_of(ctx, "company")
    site = _company_site(ctx, company_id)
    if site is None:
        # Only a company made before sites were required can lack one; it gets the plan's site (still one site).
        created = records.create_site(ctx.client, company_id, ctx.params["body"])
        return Outcome.made(f"created site id {created['id']}", id=int(created["id"]), company_id=company_id)
    body = ctx.params["body"]
    new = bool(ctx.outcome_of(str(ctx.params["company"])).get("new"))
    changes = {k: v for k, v in body.items() if k != "name"} if new else _site_changes(site, body)
    if changes:
        records.update_site(ctx.client, company_id, int(site["id"]), changes)
    return Outcome.done(
        f"site {site['id']}: set {', '.join(sorted(changes)) or 'nothing'}", id=int(site["id"]), company_id=company_id
    )


def _undo_site(ctx: StepContext[ManageClient]) -> str:
    # The site goes with its company (a company's site cannot be left out), so only a site this job had to add
    # to an existing company is removed here; an updated site keeps the plan's details.
    outcome = ctx.step.outcome or {}
    return records.delete_site(ctx.client, int(outcome["company_id"]), int(outcome["id"]))


def _find_contact(ctx: StepContext[ManageClient]) -> Outcome | None:
    body = ctx.params["body"]
    found = records.contact_by_name(ctx.client, _id_of(ctx, "company"), body["firstName"], body["lastName"])
    return _found(found, "contact")


def _create_contact(ctx: StepContext[ManageClient]) -> Outcome:
    body = dict(ctx.params["body"])
    body["company"] = {"id": _id_of(ctx, "company")}
    site = ctx.outcomes.get(str(ctx.params.get("site")))
    if site and site.get("id"):
        body["site"] = {"id": int(site["id"])}
    created = records.create(ctx.client.contacts, body)
    return Outcome.made(f"created contact id {created['id']}", id=int(created["id"]))


def _undo_contact(ctx: StepContext[ManageClient]) -> str:
    return records.delete(ctx.client.contacts, int((ctx.step.outcome or {})["id"]), "contact")


def _find_default_contact(ctx: StepContext[ManageClient]) -> Outcome | None:
    company = records.get(ctx.client.companies, _id_of(ctx, "company"))
    contact_id = _id_of(ctx, "contact")
    if ((company.get("defaultContact") or {}).get("id")) == contact_id:
        return Outcome.skipped(f"contact {contact_id} is already the company's default contact", id=contact_id)
    return None


def _set_default_contact(ctx: StepContext[ManageClient]) -> Outcome:
    company_id, contact_id = _id_of(ctx, "company"), _id_of(ctx, "contact")
    records.update(ctx.client.companies, company_id, {"defaultContact": {"id": contact_id}})
    return Outcome.done(f"company {company_id} default contact is now {contact_id}", id=contact_id)


def _find_agreement(ctx: StepContext[ManageClient]) -> Outcome | None:
    found = records.agreement_by_name(ctx.client, _id_of(ctx, "company"), ctx.params["body"]["name"])
    return _found(found, "agreement")


def _create_agreement(ctx: StepContext[ManageClient]) -> Outcome:
    body = dict(ctx.params["body"])
    body["company"] = {"id": _id_of(ctx, "company")}
    body["contact"] = {"id": _id_of(ctx, "contact")}
    created = records.create(ctx.client.agreements, body)
    return Outcome.made(f"created agreement id {created['id']}", id=int(created["id"]))


def _undo_agreement(ctx: StepContext[ManageClient]) -> str:
    return records.delete(ctx.client.agreements, int((ctx.step.outcome or {})["id"]), "agreement")


def _find_ticket(ctx: StepContext[ManageClient]) -> Outcome | None:
    found = records.first(
        ctx.client.tickets,
        (C("company/id") == _id_of(ctx, "company")) & (C("summary") == ctx.params["body"]["summary"]),
    )
    return _found(found, "ticket")


def _create_ticket(ctx: StepContext[ManageClient]) -> Outcome:
    body = dict(ctx.params["body"])
    body["company"] = {"id": _id_of(ctx, "company")}
    if ctx.params.get("contact"):
        body["contact"] = {"id": _id_of(ctx, "contact")}
    created = records.create(ctx.client.tickets, body)
    return Outcome.made(f"created ticket id {created['id']}", id=int(created["id"]))


def _undo_ticket(ctx: StepContext[ManageClient]) -> str:
    return records.delete(ctx.client.tickets, int((ctx.step.outcome or {})["id"]), "ticket")


register_kind(
    JobKind(
        name=KIND,
        description="W1: company, site, contacts, agreement and ticket for a new client",
        stop_on_error=True,
        actions={
            "create_company": Action(_create_company, _find_company, _undo_company, find_first=True, creates=True),
            "update_site": Action(
                _update_site,
                _find_site,
                _undo_site,
                find_first=True,
                covered_by="company",
                not_undoable="the company existed before the job: its site keeps the plan's details",
            ),
            "create_contact": Action(_create_contact, _find_contact, _undo_contact, find_first=True, creates=True),
            "set_default_contact": Action(
                _set_default_contact,
                _find_default_contact,
                find_first=True,
                covered_by="company",
                not_undoable="the company existed before the job: set its default contact back in ConnectWise",
            ),
            "create_agreement": Action(
                _create_agreement, _find_agreement, _undo_agreement, find_first=True, creates=True
            ),
            "create_ticket": Action(_create_ticket, _find_ticket, _undo_ticket, find_first=True, creates=True),
        },
    )
)


def onboard(
    engine: sa.Engine | None,
    cw: ManageClient,
    plan: Mapping[str, Any],
    *,
    dry_run: bool = False,
    on_event: EventCallback | None = None,
    created_by: str | None = None,
    today: date | None = None,
) -> OnboardingResult:
    """Check the plan, then (unless ``dry_run``) store it as a job and run it; see the module docstring.

    Raises ``InvalidInput`` before any write when the plan has problems. A failing step does not raise: the
    result's summary says ``failed`` and which step stopped it.
    """
    checked = check_onboarding(cw, plan, today=today)
    job_plan = plan_onboarding(checked)
    calls = planned_calls(job_plan)
    if dry_run:
        return OnboardingResult(job_id=None, summary=None, calls=calls, notes=checked.notes)
    if engine is None:
        raise ValueError("onboard() needs the app's database engine unless dry_run=True")
    job_id = start_job(engine, job_plan, client=cw, created_by=created_by)
    summary = run_job(engine, job_id, client=cw, on_event=on_event)
    return OnboardingResult(job_id=job_id, summary=summary, calls=calls, notes=checked.notes)
