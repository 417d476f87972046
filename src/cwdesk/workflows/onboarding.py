"""W1 onboarding: company (with its site) -> site details -> contacts -> agreement -> ticket, as one durable job.

The plan is a mapping (a YAML/JSON file for ``cwdesk onboard``, the wizard's form for the console)::

    company:   {name, identifier, status, type, phone, website,
                address: {line1, line2, city, state, zip, country}}
    site:      {name, time_zone, phone}                       # optional; filled from the company address
    contacts:  [{first_name, last_name, title, email, phone}]  # the first is the primary contact
    agreement: {name, type, start_date, end_date, bill_amount} # optional; starts today unless given
    ticket:    {board, summary, priority, description}         # optional; summary "Onboarding — {name}"

The plan is read as a pydantic model, ``OnboardingPlan`` (unknown keys refused; every rule that needs no lookup:
names, identifier letters and digits, email / phone / state / ZIP / website shapes, dates, distinct contacts), its
validation errors turned into the plan's ``Problems``. ``check_onboarding(cw, plan)`` adds ConnectWise's lookups
(identifier free; status, type, board, agreement type, priority and time zone resolved by name with "did you
mean" suggestions) and raises ``InvalidInput`` listing every problem before the first write; it only reads.
``plan_onboarding`` turns the checked input into a job plan whose steps are keyed by natural keys
(``company:AcmeCorp``, ``contact:AcmeCorp:Jane Doe``...), and ``planned_calls`` lists the calls a dry run prints.
A real server refuses a company without a site and makes the site named in ``site: {"name": ...}`` itself
(docs/connectwise.md, "Companies"), so the company is created with its site in one call and the site's address,
phone and time zone are then set with a PATCH of that same site: no plan leaves a company with two sites.
Every create step looks its record up first, so the same plan run twice creates nothing new and says so; a failed
job resumes with ``cwdesk jobs resume`` and rolls back (newest first) with ``cwdesk jobs rollback``.

Not for: the CLI or the console forms (they call ``onboard`` / ``plan_onboarding``), the job machinery
(``jobs/``), or editing existing records (``client_records.py``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any

import sqlalchemy as sa
import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)

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
    add_validation_problems,
    communication_item,
    email_problem,
    identifier_problem,
    name_problem,
    phone_problem,
    plan_problem,
    state_problem,
    website_problem,
    zip_problem,
)

__all__ = [
    "KIND",
    "AddressPlan",
    "AgreementPlan",
    "CheckedOnboarding",
    "CompanyPlan",
    "ContactPlan",
    "OnboardingPlan",
    "OnboardingResult",
    "PlannedCall",
    "SitePlan",
    "TicketPlan",
    "check_onboarding",
    "onboard",
    "plan_onboarding",
    "planned_calls",
    "read_plan",
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


def _blank_to_none(value: Any) -> Any:
    return None if value == "" else value


def _day(value: Any) -> Any:
    """A date from YAML (a ``date``), JSON (``"2026-12-01"``) or a datetime; blank means not given."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    return value.strip() if isinstance(value, str) else value


Text = Annotated[str, BeforeValidator(lambda value: "" if value is None else value)]
"""Text the user typed: missing or null reads as ``""``; numbers (a YAML ZIP of 60601) read as their digits."""
Day = Annotated[date | None, BeforeValidator(_day)]


def _problem(message: str | None, info: ValidationInfo) -> None:
    """Refuse the value with ``message`` (validating with ``context={"lenient": True}`` lets it pass: the second
    reading of a plan whose only problems are shape problems, so that its names are still looked up)."""
    if message and not (info.context or {}).get("lenient"):
        raise plan_problem(message)


def _checked_by(rule: Callable[[str], str | None]) -> AfterValidator:
    """A field refused with ``rule``'s message when it is given and breaks it (one rule, every plan part)."""

    def check(value: str, info: ValidationInfo) -> str:
        if value:
            _problem(rule(value), info)
        return value

    return AfterValidator(check)


Phone = Annotated[Text, _checked_by(phone_problem)]
Email = Annotated[Text, _checked_by(email_problem)]
Website = Annotated[Text, _checked_by(website_problem)]


class _PlanPart(BaseModel):
    # Unknown keys are refused (a typo must not be dropped silently); text is trimmed.
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, coerce_numbers_to_str=True, frozen=True)


class AddressPlan(_PlanPart):
    line1: Text = ""
    line2: Text = ""
    city: Text = ""
    country: Text = ""
    state: Text = ""
    zip: Text = ""

    @field_validator("state")
    @classmethod
    def _state(cls, value: str, info: ValidationInfo) -> str:
        if value:
            _problem(state_problem(value, info.data.get("country") or "United States"), info)
        return value

    @field_validator("zip")
    @classmethod
    def _zip(cls, value: str, info: ValidationInfo) -> str:
        if value:
            _problem(zip_problem(value, info.data.get("country") or "United States"), info)
        return value


class CompanyPlan(_PlanPart):
    name: Text = Field("", validate_default=True)
    identifier: Text = Field("", validate_default=True)
    status: Text = ""
    type: Text = ""
    phone: Phone = ""
    website: Website = ""
    address: AddressPlan = AddressPlan()

    @field_validator("name")
    @classmethod
    def _name(cls, value: str, info: ValidationInfo) -> str:
        _problem(name_problem(value, COMPANY_NAME_MAX), info)
        return value

    @field_validator("identifier")
    @classmethod
    def _identifier(cls, value: str, info: ValidationInfo) -> str:
        _problem(identifier_problem(value), info)
        return value


class SitePlan(_PlanPart):
    name: Text = ""
    time_zone: Text = ""
    phone: Phone = ""


class ContactPlan(_PlanPart):
    first_name: Text = Field("", validate_default=True)
    last_name: Text = Field("", validate_default=True)
    title: Text = ""
    email: Email = ""
    phone: Phone = ""

    @field_validator("first_name", "last_name")
    @classmethod
    def _names(cls, value: str, info: ValidationInfo) -> str:
        _problem(name_problem(value, CONTACT_NAME_MAX), info)
        return value


class AgreementPlan(_PlanPart):
    name: Text = ""
    type: Text = Field("", validate_default=True)
    start_date: Day = None
    end_date: Day = None
    bill_amount: Annotated[float | None, BeforeValidator(_blank_to_none)] = None

    @field_validator("type")
    @classmethod
    def _type(cls, value: str, info: ValidationInfo) -> str:
        if not value:
            _problem("is required (an agreement type of ConnectWise, e.g. Managed Service)", info)
        return value

    @field_validator("bill_amount")
    @classmethod
    def _amount(cls, value: float | None, info: ValidationInfo) -> float | None:
        if value is not None and value < 0:
            _problem("cannot be negative", info)
        return value


class TicketPlan(_PlanPart):
    board: Text = ""
    summary: Text = ""
    priority: Text = ""
    description: Text = ""

    @field_validator("summary")
    @classmethod
    def _summary(cls, value: str, info: ValidationInfo) -> str:
        if len(value) > TICKET_SUMMARY_MAX:
            _problem(f"is {len(value)} characters long; at most {TICKET_SUMMARY_MAX}", info)
        return value


class OnboardingPlan(_PlanPart):
    """The plan of one onboarding, as typed: every rule that needs no ConnectWise lookup is checked here."""

    company: CompanyPlan = Field(description="name, identifier, address...")
    site: SitePlan = SitePlan()
    contacts: Annotated[list[ContactPlan], BeforeValidator(lambda value: [] if value is None else value)] = Field(
        [], description="contacts"
    )
    agreement: AgreementPlan | None = None
    ticket: TicketPlan | None = None

    def problems(self, today: date) -> list[tuple[str, str]]:
        """The rules across fields: an address, distinct contact names, the agreement's dates and contact."""
        found: list[tuple[str, str]] = []
        address = self.company.address
        if not any((address.line1, address.line2, address.city, address.state, address.zip)):
            # Company.addressLine1..zip: "at least one address field is required" (manage-core.json).
            found.append(
                ("company.address", "is required: ConnectWise needs at least one of line1, line2, city, state, zip")
            )
        seen: set[str] = set()
        for index, contact in enumerate(self.contacts):
            full = f"{contact.first_name} {contact.last_name}".strip()
            if full.lower() in seen:
                found.append(
                    (f"contacts[{index}]", f"{full!r} is listed twice; each contact of a company needs a distinct name")
                )
            seen.add(full.lower())
        agreement = self.agreement
        if agreement is not None:
            start, end = agreement.start_date or today, agreement.end_date
            if end is not None and end < start:
                found.append(("agreement.end_date", f"{end} is before the start date {start}"))
            if not self.contacts:
                # Agreement.contact is required by the spec (manage-core.json): the primary contact fills it.
                found.append(("agreement", "needs a contact: list at least one contact (the first becomes primary)"))
        return found


def read_plan(plan: Mapping[str, Any], problems: Problems, *, today: date) -> OnboardingPlan:
    """The plan as a model, every problem of its shape added to ``problems``.

    A plan whose shape is wrong (an unknown key, a section that is not a mapping) is refused at once; one with
    only wrong values (a bad email, an identifier with spaces) is read again leniently so that its names can still
    be looked up and every problem reported together."""
    try:
        model = OnboardingPlan.model_validate(plan)
    except ValidationError as error:
        add_validation_problems(problems, error, OnboardingPlan, "plan")
        if any(item["type"] != "plan_problem" for item in error.errors()):
            problems.raise_if_any()
        model = OnboardingPlan.model_validate(plan, context={"lenient": True})
    for where, message in model.problems(today):
        problems.add(where, message)
    return model


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
    """Validate ``plan`` (``OnboardingPlan``) and resolve its names in ConnectWise; raise ``InvalidInput`` listing
    every problem. Reads only (lookups and the identifier check); never writes.
    """
    problems = Problems("the onboarding plan")
    lookups = _Lookups()
    today = today or datetime.now(UTC).date()
    checked = read_plan(plan, problems, today=today)
    company, address, site = checked.company, checked.company.address, checked.site
    name, identifier = company.name, company.identifier
    country = address.country or "United States"

    company_body: dict[str, Any] = {"name": name, "identifier": identifier}
    if company.status:
        ref = lookups.check("company status", cw.company_statuses, company.status, "company.status", problems)
        if ref:
            company_body["status"] = ref
    if company.type:
        ref = lookups.check("company type", cw.company_types, company.type, "company.type", problems)
        if ref:
            company_body["types"] = [ref]  # the spec's Company has `types`, a list (the seed's `type` is not a field)
    if company.phone:
        company_body["phoneNumber"] = company.phone
    if company.website:
        company_body["website"] = company.website
    for value, api in ((address.line1, "addressLine1"), (address.line2, "addressLine2"), (address.city, "city")):
        if value:
            company_body[api] = value
    if address.state:
        company_body["state"] = address.state.upper() if len(address.state) == 2 else address.state
    if address.zip:
        company_body["zip"] = address.zip
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
    site_body: dict[str, Any] = {"name": site.name or DEFAULT_SITE_NAME}
    # The company is created with its site (a real server requires it, docs/connectwise.md "Companies").
    company_body["site"] = {"name": site_body["name"]}
    for api in ("addressLine1", "addressLine2", "city", "zip"):
        if api in company_body:
            site_body[api] = company_body[api]
    if company_body.get("state"):
        site_body["stateReference"] = {"identifier": company_body["state"]}
    site_body["country"] = {"name": country}
    site_phone = site.phone or company.phone
    if site_phone:
        site_body["phoneNumber"] = site_phone
    if site.time_zone:
        ref = lookups.check("time zone", cw.time_zones, site.time_zone, "site.time_zone", problems)
        if ref:
            site_body["timeZone"] = ref

    # Contacts: the first is primary.
    contact_bodies: list[dict[str, Any]] = []
    for index, contact in enumerate(checked.contacts):
        body: dict[str, Any] = {"firstName": contact.first_name, "lastName": contact.last_name}
        body["defaultFlag"] = index == 0
        if contact.title:
            body["title"] = contact.title
        items = []
        if contact.email:
            items.append(communication_item("Email", contact.email))
        if contact.phone:
            items.append(communication_item("Phone", contact.phone))
        if items:
            body["communicationItems"] = items
        contact_bodies.append(body)

    agreement_body: dict[str, Any] | None = None
    agreement = checked.agreement
    if agreement is not None:
        agreement_body = {"name": agreement.name or f"{name} Managed Services"}
        if agreement.type:
            ref = lookups.check("agreement type", cw.agreement_types, agreement.type, "agreement.type", problems)
            if ref:
                agreement_body["type"] = ref
        agreement_body["startDate"] = _cw_datetime(agreement.start_date or today)
        if agreement.end_date is not None:
            agreement_body["endDate"] = _cw_datetime(agreement.end_date)
        else:
            agreement_body["noEndingDateFlag"] = True
        if agreement.bill_amount is not None:
            agreement_body["billAmount"] = agreement.bill_amount

    ticket_body: dict[str, Any] | None = None
    ticket = checked.ticket
    if ticket is not None:
        ticket_body = {"summary": ticket.summary or f"Onboarding — {name}"}
        board = ticket.board or DEFAULT_BOARD
        ref = lookups.check("service board", cw.boards, board, "ticket.board", problems)
        if ref:
            ticket_body["board"] = ref
        if ticket.priority:
            ref = lookups.check("priority", cw.priorities, ticket.priority, "ticket.priority", problems)
            if ref:
                ticket_body["priority"] = ref
        if ticket.description:
            ticket_body["initialDescription"] = ticket.description

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
