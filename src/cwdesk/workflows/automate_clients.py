"""W5 Automate client workflows: find, report, health, EDF update, create, onboarding (a durable job), safe delete.

Each is a plain function over an ``AutomateClient`` (``cwa``); the CLI (``cwdesk automate clients ...``) and the
console call the same functions. Names typed by a user always go through the conditions builder (escaped), never
into a condition string.

- ``find_client(cwa, name)``: an exact match (any case), else the only client whose name contains it, else
  suggestions (name, id, city, computer count) from the names containing it or close to it.
  ``FindResult.as_dict()`` is ``{found, client, suggestions}``.
- ``resolve_client(cwa, name_or_id)``: one client for the commands that act on one; a ``ClientNotFound`` (exit 2)
  listing the suggestions otherwise. Digits only means an id.
- ``client_report(cwa)``: every client with contact, computer counts and location names, in three paged listings
  (clients, locations, computers) rather than one call per client.
- ``client_health(cwa, name_or_id)``: online / offline / percentage and the offline computers with last contact;
  a client without computers has no percentage (``None``), not a division by zero.
- ``set_client_extra_fields(cwa, name_or_id, {"SLA Level": "Gold"})``: by EDF title; each field reports
  ``updated``, ``unchanged``, ``not_found`` or ``invalid`` (a dropdown value that is not an option, checked before
  any write); the value is read back after the write.
- ``create_client(cwa, name, location="Main Office")``: refuses an existing name; the location takes the client's
  address.
- ``onboard_client(engine, cwa, plan)``: client, location, client and location EDFs, groups — a durable job
  (kind ``automate_clients.onboard``) on ``cwdesk.workflows.jobs``: checked before the first write, resumable,
  rolled back newest first, and running the same plan twice creates nothing new. Groups in Automate hold
  computers, not clients: a ``groups`` entry makes sure the group exists (under its parent) and puts the client's
  computers, if any, into it.
- ``delete_client(cwa, name_or_id, move_computers_to="Client/Location")``: refuses (with the computer list) while
  computers remain, or moves them first (each move verified), then deletes and checks the client is gone.

Moving a computer and writing a client EDF use two paths the bundled spec lacks (see ``automate/resources.py``).
Not for: HTTP details (the SDK) or printing (the CLI).
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import sqlalchemy as sa
import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator

from cwdesk.automate.client import AutomateClient
from cwdesk.automate.models import Client, Computer, ExtraField, Group, Location
from cwdesk.conditions import C
from cwdesk.errors import NotFoundError
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
from cwdesk.workflows.validation import InvalidInput, Problem, Problems, add_validation_problems, plan_problem

__all__ = [
    "ONBOARD_KIND",
    "AutomateClientPlan",
    "AutomateLocationPlan",
    "AutomateOnboardingPlan",
    "ClientHealth",
    "ClientNotFound",
    "DeleteResult",
    "FieldUpdate",
    "FindResult",
    "OnboardResult",
    "check_onboard_plan",
    "client_health",
    "client_report",
    "create_client",
    "delete_client",
    "find_client",
    "onboard_client",
    "plan_onboard",
    "read_onboard_plan",
    "resolve_client",
    "set_client_extra_fields",
]

ONBOARD_KIND = "automate_clients.onboard"
DEFAULT_LOCATION = "Main Office"
ProgressCallback = Callable[[int, int], None]


class ClientNotFound(InvalidInput):
    """No single client matches what the user typed; ``suggestions`` are the closest ones."""

    def __init__(self, wanted: str, suggestions: Sequence[Mapping[str, Any]]) -> None:
        self.wanted = wanted
        self.suggestions = list(suggestions)
        if suggestions:
            shown = "; ".join(f"{s['name']} (id {s['id']}, {s.get('city') or 'no city'})" for s in suggestions)
            message = f"{wanted!r} is not one client: did you mean {shown}? Give the exact name or the id."
        else:
            message = f"no Automate client is called {wanted!r} (`cwdesk automate clients report` lists them)"
        super().__init__([Problem("client", message)], subject="the client name")


# ----------------------------------------------------------------------------------------------------- find


@dataclass(frozen=True)
class FindResult:
    """``found`` and the ``client`` when exactly one matched, else ``suggestions``."""

    found: bool
    client: dict[str, Any] | None
    suggestions: list[dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        return {"found": self.found, "client": self.client, "suggestions": self.suggestions}


def _client_summary(client: Client, computers: int) -> dict[str, Any]:
    return {"name": client.name, "id": client.id, "city": client.city or "", "computers": computers}


def _computer_counts(cwa: AutomateClient, client_ids: Sequence[int]) -> Counter[int]:
    counts: Counter[int] = Counter()
    if not client_ids:
        return counts
    for computer in cwa.computers.iter(where=C("Client.Id").in_(sorted(set(client_ids))), fields=["Id", "Client"]):
        if computer.client and computer.client.id is not None:
            counts[computer.client.id] += 1
    return counts


def find_client(cwa: AutomateClient, name: str, *, limit: int = 10, part_of_name: bool = True) -> FindResult:
    """The client called ``name`` (any case); else, with ``part_of_name``, the only client whose name contains it
    ("Cedar" finds "Cedar & Finch Law" when no other name has "Cedar"); else suggestions."""
    wanted = (name or "").strip()
    if not wanted:
        raise InvalidInput([Problem("name", "is empty: give a client name (or part of one)")], subject="the search")
    exact: list[Client] = cwa.clients.list(where=C("Name") == wanted)
    containing: list[Client] = [] if exact else cwa.clients.list(where=C("Name").contains(wanted))
    single = exact if len(exact) == 1 else containing if part_of_name and len(containing) == 1 else []
    if single:
        client = single[0]
        counts = _computer_counts(cwa, [client.id] if client.id is not None else [])
        return FindResult(True, {**_client_summary(client, counts[client.id or 0]), **_contact(client)}, [])
    candidates: list[Client] = exact or containing
    if not candidates:
        everyone: list[Client] = cwa.clients.list(fields=["Id", "Name", "City"])
        by_name = {(c.name or "").lower(): c for c in everyone}
        close = difflib.get_close_matches(wanted.lower(), list(by_name), n=limit, cutoff=0.6)
        candidates = [by_name[n] for n in close]
    candidates = candidates[:limit]
    counts = _computer_counts(cwa, [c.id for c in candidates if c.id is not None])
    return FindResult(False, None, [_client_summary(c, counts[c.id or 0]) for c in candidates])


def _contact(client: Client) -> dict[str, Any]:
    return {"contact": client.contact_name, "phone": client.phone_number or ""}


def resolve_client(cwa: AutomateClient, name_or_id: str | int) -> Client:
    """One client by id (digits) or exact name; ``ClientNotFound`` with suggestions otherwise."""
    text = str(name_or_id).strip()
    if re.fullmatch(r"\d+", text):
        try:
            found: Client = cwa.clients.get(int(text))
            return found
        except NotFoundError:
            raise ClientNotFound(text, []) from None
    # A command that acts on a client (delete, set-edf...) needs its whole name or id, never a part of it.
    result = find_client(cwa, text, part_of_name=False)
    if not result.found or result.client is None:
        raise ClientNotFound(text, result.suggestions)
    client: Client = cwa.clients.get(result.client["id"])
    return client


# --------------------------------------------------------------------------------------------------- report


def client_report(cwa: AutomateClient, *, on_progress: ProgressCallback | None = None) -> list[dict[str, Any]]:
    """Every client: id, name, contact, email, phone, city, computers (total/online/offline), location names."""
    total_steps = 3
    clients: list[Client] = cwa.clients.list(order_by="Name asc")
    if on_progress:
        on_progress(1, total_steps)
    locations: dict[int, list[str]] = {}
    for location in cwa.locations.iter(fields=["Id", "Name", "Client"]):
        if location.client and location.client.id is not None:
            locations.setdefault(location.client.id, []).append(location.name or "")
    if on_progress:
        on_progress(2, total_steps)
    totals: Counter[int] = Counter()
    online: Counter[int] = Counter()
    for computer in cwa.computers.iter(fields=["Id", "Client", "Status"]):
        if computer.client and computer.client.id is not None:
            totals[computer.client.id] += 1
            if computer.is_online:
                online[computer.client.id] += 1
    if on_progress:
        on_progress(3, total_steps)
    rows = []
    for client in clients:
        cid = client.id or 0
        rows.append(
            {
                "id": client.id,
                "name": client.name,
                "contact": client.contact_name,
                "email": client.new_ticket_notification_email or "",
                "phone": client.phone_number or "",
                "city": client.city or "",
                "computers": totals[cid],
                "online": online[cid],
                "offline": totals[cid] - online[cid],
                "locations": sorted(locations.get(cid, [])),
            }
        )
    return rows


# --------------------------------------------------------------------------------------------------- health


@dataclass(frozen=True)
class ClientHealth:
    """Online/offline computers of one client; ``percentage`` is None when it has no computers."""

    client_id: int
    client: str
    total: int
    online: int
    offline: int
    percentage: float | None
    offline_computers: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "client_id": self.client_id,
            "client": self.client,
            "total_computers": self.total,
            "online": self.online,
            "offline": self.offline,
            "health_percentage": self.percentage,
            "offline_computers": self.offline_computers,
        }


def _last_contact(computer: Computer) -> str:
    moment: datetime | None = computer.remote_agent_last_contact
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment else ""


def client_health(cwa: AutomateClient, name_or_id: str | int) -> ClientHealth:
    """How many of the client's computers are online, and which are offline since when."""
    client = resolve_client(cwa, name_or_id)
    computers: list[Computer] = cwa.computers.list(where=C("Client.Id") == (client.id or 0))
    online = [c for c in computers if c.is_online]
    offline = sorted((c for c in computers if not c.is_online), key=_last_contact)
    percentage = round(100.0 * len(online) / len(computers), 1) if computers else None
    return ClientHealth(
        client_id=client.id or 0,
        client=client.name or "",
        total=len(computers),
        online=len(online),
        offline=len(offline),
        percentage=percentage,
        offline_computers=[
            {
                "id": c.id,
                "name": c.computer_name,
                "location": c.location.name if c.location else "",
                "last_contact": _last_contact(c),
            }
            for c in offline
        ],
    )


# ------------------------------------------------------------------------------------------ extra fields


@dataclass(frozen=True)
class FieldUpdate:
    """What happened to one ``FIELD=VALUE``."""

    field: str
    status: str  # updated | unchanged | not_found | invalid | would_update
    value: Any = None
    message: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"field": self.field, "status": self.status, "value": self.value, "message": self.message}


def _edf_value(edf: ExtraField, raw: Any) -> tuple[Any, str | None]:
    """The value to send for ``raw`` on this EDF, or a reason it is not acceptable."""
    if edf.is_read_only:
        return None, f"{edf.title!r} is read-only in Automate"
    kind = edf.kind
    if kind == "Checkbox":
        if isinstance(raw, bool):
            return raw, None
        text = str(raw).strip().lower()
        if text in ("true", "yes", "1", "on"):
            return True, None
        if text in ("false", "no", "0", "off"):
            return False, None
        return None, f"{edf.title!r} is a checkbox: give true or false, not {raw!r}"
    text = "" if raw is None else str(raw)
    if kind == "Dropdown" and edf.options:
        match = next((o for o in edf.options if o.lower() == text.lower()), None)
        if match is None:
            return None, f"{text!r} is not an option of {edf.title!r}: choose one of {', '.join(edf.options)}"
        return match, None
    return text, None


def _same(current: Any, wanted: Any) -> bool:
    if isinstance(wanted, bool):
        return bool(current) == wanted
    return str(current or "") == str(wanted)


def _apply_extra_fields(
    fields: Sequence[ExtraField],
    values: Mapping[str, Any],
    write: Callable[[int, Any], ExtraField],
    *,
    dry_run: bool,
) -> list[FieldUpdate]:
    by_title = {(f.title or "").strip().lower(): f for f in fields}
    planned: list[tuple[str, ExtraField, Any]] = []
    results: dict[str, FieldUpdate] = {}
    for title, raw in values.items():
        edf = by_title.get(title.strip().lower())
        if edf is None:
            close = difflib.get_close_matches(title.lower(), list(by_title), n=3, cutoff=0.5)
            hint = f" (did you mean {', '.join(repr(by_title[c].title) for c in close)}?)" if close else ""
            results[title] = FieldUpdate(title, "not_found", raw, f"no extra field is titled {title!r}{hint}")
            continue
        value, problem = _edf_value(edf, raw)
        if problem:
            results[title] = FieldUpdate(title, "invalid", raw, problem)
        elif _same(edf.value, value):
            results[title] = FieldUpdate(title, "unchanged", value, "already set")
        else:
            planned.append((title, edf, value))
    for title, edf, value in planned:
        if dry_run:
            results[title] = FieldUpdate(title, "would_update", value, f"was {edf.value!r}")
            continue
        written = write(int(edf.extra_field_definition_id or 0), value)
        if not _same(written.value, value):
            results[title] = FieldUpdate(title, "invalid", value, f"Automate kept {written.value!r} after the write")
        else:
            results[title] = FieldUpdate(title, "updated", value, f"was {edf.value!r}")
    return [results[title] for title in values]


def set_client_extra_fields(
    cwa: AutomateClient, name_or_id: str | int, values: Mapping[str, Any], *, dry_run: bool = False
) -> list[FieldUpdate]:
    """Set the client's EDFs by title; one ``FieldUpdate`` per field, in the order given."""
    if not values:
        raise InvalidInput([Problem("fields", "give at least one FIELD=VALUE")], subject="the EDF update")
    client = resolve_client(cwa, name_or_id)
    client_id = int(client.id or 0)
    fields: list[ExtraField] = cwa.clients.extra_fields(client_id)
    return _apply_extra_fields(
        fields,
        values,
        lambda definition, value: cwa.clients.set_extra_field(client_id, definition, value),
        dry_run=dry_run,
    )


# --------------------------------------------------------------------------------------------------- create


def _client_body(section: Mapping[str, Any]) -> dict[str, Any]:
    """Automate's client fields from the plan's friendly keys (unknown keys are refused by the checker)."""
    mapping = {
        "name": "Name",
        "address1": "Address1",
        "address2": "Address2",
        "city": "City",
        "state": "State",
        "zip": "ZipCode",
        "country": "Country",
        "phone": "PhoneNumber",
        "fax": "FaxNumber",
        "first_name": "FirstName",
        "last_name": "LastName",
        "email": "NewTicketNotificationEmail",
        "external_id": "ExternalId",
        "comment": "Comment",
        "company": "Company",
    }
    return {mapping[k]: str(v) for k, v in section.items() if k in mapping and v is not None}


class _PlanPart(BaseModel):
    # Unknown keys are refused (a typo must not be dropped silently); text is trimmed; a YAML ZIP of 89501 is text.
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, coerce_numbers_to_str=True, frozen=True)


class AutomateClientPlan(_PlanPart):
    """A client as the plan gives it, in friendly keys (``_client_body`` maps them to Automate's fields)."""

    name: str = Field("", validate_default=True)
    address1: str | None = None
    address2: str | None = None
    city: str | None = None
    state: str | None = None
    zip: str | None = None
    country: str | None = None
    phone: str | None = None
    fax: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    external_id: str | None = None
    comment: str | None = None
    company: str | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not value:
            raise plan_problem("is required")
        return value


class AutomateLocationPlan(_PlanPart):
    """The first location; its address is the client's unless given."""

    name: str | None = None
    address1: str | None = None
    address2: str | None = None
    city: str | None = None
    state: str | None = None
    zip: str | None = None
    country: str | None = None
    phone: str | None = None
    fax: str | None = None
    comments: str | None = None


def _group_names(value: Any) -> Any:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(g, str) and g.strip() for g in value):
        raise plan_problem("must be a list of group names (a subgroup as 'Parent.Child')")
    return value


class AutomateOnboardingPlan(_PlanPart):
    """The plan of one Automate onboarding, as typed (``check_onboard_plan`` adds Automate's lookups)."""

    client: AutomateClientPlan = Field(description="a mapping with at least the client's name")
    location: AutomateLocationPlan = AutomateLocationPlan()
    extra_fields: dict[str, Any] = {}
    location_extra_fields: dict[str, Any] = {}
    groups: Annotated[list[str], BeforeValidator(_group_names)] = []


_CLIENT_KEYS = frozenset(AutomateClientPlan.model_fields)


def _location_body(client_body: Mapping[str, Any], section: Mapping[str, Any]) -> dict[str, Any]:
    """The location's fields: the client's address unless the plan gives its own."""
    body = {
        k: client_body[k] for k in ("Address1", "Address2", "City", "State", "ZipCode", "Country") if k in client_body
    }
    if "PhoneNumber" in client_body:
        body["PhoneNumber"] = client_body["PhoneNumber"]
    keys = {"address1": "Address1", "address2": "Address2", "city": "City", "state": "State", "zip": "ZipCode"}
    keys.update({"country": "Country", "phone": "PhoneNumber", "fax": "FaxNumber", "comments": "Comments"})
    body.update({keys[k]: str(v) for k, v in section.items() if k in keys and v is not None})
    body["Name"] = str(section.get("name") or DEFAULT_LOCATION).strip()
    return body


def create_client(
    cwa: AutomateClient,
    name: str,
    *,
    location: str = DEFAULT_LOCATION,
    details: Mapping[str, Any] | None = None,
    dry_run: bool = False,
) -> dict[str, Any]:
    """A new client with its first location; refuses a name already in use (nothing is written then)."""
    problems = Problems("the new client")
    clean = (name or "").strip()
    problems.add("name", None if clean else "is required")
    problems.add("location", None if (location or "").strip() else "is required (e.g. Main Office)")
    unknown = sorted(set(details or {}) - _CLIENT_KEYS)
    problems.add("details", f"unknown field(s) {', '.join(unknown)}" if unknown else None)
    problems.raise_if_any()
    existing: list[Client] = cwa.clients.list(where=C("Name") == clean)
    if existing:
        raise InvalidInput(
            [Problem("name", f"a client named {existing[0].name!r} already exists (id {existing[0].id})")],
            subject="the new client",
        )
    body = _client_body({**(details or {}), "name": clean})
    location_body = _location_body(body, {"name": location})
    if dry_run:
        return {"dry_run": True, "client": body, "location": location_body}
    client: Client = cwa.clients.create(body)
    created: Location = cwa.locations.create({**location_body, "Client": {"Id": client.id}})
    return {
        "dry_run": False,
        "client": {"id": client.id, "name": client.name},
        "location": {"id": created.id, "name": created.name},
    }


# -------------------------------------------------------------------------------------------------- onboard


@dataclass(frozen=True)
class OnboardResult:
    """The job (None on a dry run), its summary, and the steps it runs."""

    job_id: int | None
    summary: JobSummary | None
    steps: list[dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        return {
            "job_id": self.job_id,
            "state": self.summary.state.value if self.summary else "dry_run",
            "message": self.summary.message if self.summary else "",
            "steps": self.steps,
        }


def read_onboard_plan(path: str | Path) -> dict[str, Any]:
    """The onboarding plan in a YAML or JSON file; ``InvalidInput`` when it cannot be read."""
    source = Path(path)
    try:
        data = yaml.safe_load(source.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InvalidInput([Problem("plan", f"cannot read {source}: {exc.strerror}")], subject="the plan") from None
    except yaml.YAMLError as exc:
        raise InvalidInput([Problem("plan", f"{source} is not YAML/JSON: {exc}")], subject="the plan") from None
    if not isinstance(data, dict):
        raise InvalidInput(
            [Problem("plan", f"{source} must hold a mapping with a 'client' section")], subject="the plan"
        )
    return data


def check_onboard_plan(cwa: AutomateClient, plan: Mapping[str, Any]) -> dict[str, Any]:
    """Validate a plan (``AutomateOnboardingPlan``) before any write; the normalised plan (Automate field names,
    resolved groups)."""
    problems = Problems("the Automate onboarding plan")
    try:
        checked = AutomateOnboardingPlan.model_validate(plan)
    except ValidationError as error:
        add_validation_problems(problems, error, AutomateOnboardingPlan, "plan")
        problems.raise_if_any()
        raise
    name = checked.client.name
    client_section = checked.client.model_dump(exclude_none=True)
    location_section = checked.location.model_dump(exclude_none=True)
    client_edfs, location_edfs = checked.extra_fields, checked.location_extra_fields
    groups_raw = checked.groups

    client_body = _client_body({**client_section, "name": name})
    location_body = _location_body(client_body, location_section)

    # EDF titles and values are checked against the definitions Automate holds (read from any client/location).
    sample_client = next(iter(cwa.clients.list(page_size=1, fields=["Id"])), None)
    if client_edfs and sample_client is not None and sample_client.id is not None:
        _check_edfs(cwa.clients.extra_fields(sample_client.id), client_edfs, "extra_fields", problems)
    sample_location = next(iter(cwa.locations.list(page_size=1, fields=["Id"])), None)
    if location_edfs and sample_location is not None and sample_location.id is not None:
        _check_edfs(cwa.locations.extra_fields(sample_location.id), location_edfs, "location_extra_fields", problems)

    existing_groups: list[Group] = cwa.groups.list()
    by_full = {(g.full_name or g.name or "").lower(): g for g in existing_groups}
    groups: list[dict[str, Any]] = []
    for index, full in enumerate(groups_raw):
        text = full.strip()
        parent, _, leaf = text.rpartition(".")
        if parent and parent.lower() not in by_full and parent.lower() not in {g["full"].lower() for g in groups}:
            problems.add(f"groups[{index}]", f"parent group {parent!r} does not exist in Automate")
            continue
        groups.append({"full": text, "name": leaf, "parent": parent})
    problems.raise_if_any()
    return {
        "name": name,
        "client": client_body,
        "location": location_body,
        "extra_fields": dict(client_edfs),
        "location_extra_fields": dict(location_edfs),
        "groups": groups,
    }


def _check_edfs(fields: Sequence[ExtraField], values: Mapping[str, Any], where: str, problems: Problems) -> None:
    by_title = {(f.title or "").strip().lower(): f for f in fields}
    for title, raw in values.items():
        edf = by_title.get(str(title).strip().lower())
        if edf is None:
            close = difflib.get_close_matches(str(title).lower(), list(by_title), n=3, cutoff=0.5)
            hint = f" (did you mean {', '.join(repr(by_title[c].title) for c in close)}?)" if close else ""
            problems.add(f"{where}.{title}", f"no extra field is titled {title!r}{hint}")
            continue
        problems.add(f"{where}.{title}", _edf_value(edf, raw)[1])


def plan_onboard(checked: Mapping[str, Any]) -> Plan:
    """The job plan: each step keyed by the record it touches."""
    name = checked["name"]
    location = checked["location"]["Name"]
    steps = [
        Step(f"client:{name}", "create_client", {"body": checked["client"]}, f"Create client {name}"),
        Step(
            f"location:{name}/{location}",
            "create_location",
            {"client_key": f"client:{name}", "body": checked["location"]},
            f"Create location {location}",
        ),
    ]
    for title, value in checked["extra_fields"].items():
        steps.append(
            Step(
                f"edf:{name}:{title}",
                "set_client_edf",
                {"client_key": f"client:{name}", "title": title, "value": value},
                f"Set client EDF {title}",
            )
        )
    for title, value in checked["location_extra_fields"].items():
        steps.append(
            Step(
                f"location_edf:{name}/{location}:{title}",
                "set_location_edf",
                {"location_key": f"location:{name}/{location}", "title": title, "value": value},
                f"Set location EDF {title}",
            )
        )
    for group in checked["groups"]:
        steps.append(
            Step(
                f"group:{group['full']}",
                "ensure_group",
                {"client_key": f"client:{name}", **group},
                f"Group {group['full']} (with the client's computers)",
            )
        )
    return Plan(kind=ONBOARD_KIND, title=f"Automate onboarding — {name}", params={"client": name}, steps=steps)


def _find_client_step(ctx: StepContext[AutomateClient]) -> Outcome | None:
    name = ctx.params["body"]["Name"]
    found: list[Client] = ctx.client.clients.list(where=C("Name") == name)
    return Outcome.skipped(f"client {name!r} already exists", id=found[0].id) if found else None


def _create_client_step(ctx: StepContext[AutomateClient]) -> Outcome:
    client: Client = ctx.client.clients.create(ctx.params["body"])
    return Outcome.made(f"created client {client.name!r}", id=client.id)


def _undo_client_step(ctx: StepContext[AutomateClient]) -> str:
    client_id = (ctx.step.outcome or {})["id"]
    ctx.client.clients.delete(client_id)
    return f"deleted client {client_id}"


def _find_location_step(ctx: StepContext[AutomateClient]) -> Outcome | None:
    client_id = ctx.outcome_of(ctx.params["client_key"])["id"]
    name = ctx.params["body"]["Name"]
    found: list[Location] = ctx.client.locations.list(where=(C("Client.Id") == client_id) & (C("Name") == name))
    return Outcome.skipped(f"location {name!r} already exists", id=found[0].id) if found else None


def _create_location_step(ctx: StepContext[AutomateClient]) -> Outcome:
    client_id = ctx.outcome_of(ctx.params["client_key"])["id"]
    location: Location = ctx.client.locations.create({**ctx.params["body"], "Client": {"Id": client_id}})
    return Outcome.made(f"created location {location.name!r}", id=location.id)


def _undo_location_step(ctx: StepContext[AutomateClient]) -> str:
    location_id = (ctx.step.outcome or {})["id"]
    ctx.client.locations.delete(location_id)
    return f"deleted location {location_id}"


def _set_edf(ctx: StepContext[AutomateClient], resource: Any, target_id: int) -> Outcome:
    fields: list[ExtraField] = resource.extra_fields(target_id)
    title, raw = ctx.params["title"], ctx.params["value"]

    def write(definition: int, value: Any) -> ExtraField:
        result: ExtraField = resource.set_extra_field(target_id, definition, value)
        return result

    (update,) = _apply_extra_fields(fields, {title: raw}, write, dry_run=False)
    if update.status == "updated":
        return Outcome.done(f"{title} = {update.value!r}", value=update.value)
    if update.status == "unchanged":
        return Outcome.skipped(f"{title} already {update.value!r}", value=update.value)
    raise StepFailed(update.message)


def _set_client_edf_step(ctx: StepContext[AutomateClient]) -> Outcome:
    return _set_edf(ctx, ctx.client.clients, int(ctx.outcome_of(ctx.params["client_key"])["id"]))


def _set_location_edf_step(ctx: StepContext[AutomateClient]) -> Outcome:
    return _set_edf(ctx, ctx.client.locations, int(ctx.outcome_of(ctx.params["location_key"])["id"]))


def _group_by_full_name(cwa: AutomateClient, full: str) -> Group | None:
    leaf = full.rpartition(".")[2]
    for group in cwa.groups.list(where=C("Name") == leaf):
        if (group.full_name or group.name or "").lower() == full.lower():
            return group
    return None


def _ensure_group_step(ctx: StepContext[AutomateClient]) -> Outcome:
    cwa = ctx.client
    group = _group_by_full_name(cwa, ctx.params["full"])
    made = False
    if group is None:
        parent_id = 0
        if ctx.params["parent"]:
            parent = _group_by_full_name(cwa, ctx.params["parent"])
            if parent is None:
                raise StepFailed(f"parent group {ctx.params['parent']!r} no longer exists")
            parent_id = int(parent.id or 0)
        group = cwa.groups.create({"Name": ctx.params["name"], "ParentId": str(parent_id)})
        made = True
    assert group is not None and group.id is not None
    client_id = ctx.outcome_of(ctx.params["client_key"])["id"]
    members = {m.computer_id for m in cwa.group_computers.list(where=C("GroupId") == group.id)}
    added = 0
    for computer in cwa.computers.iter(where=C("Client.Id") == client_id, fields=["Id"]):
        if computer.id is not None and computer.id not in members:
            cwa.group_computers.add(group.id, computer.id)
            added += 1
    message = f"{'created' if made else 'found'} group {ctx.params['full']!r}; added {added} computer(s)"
    if made:
        return Outcome.made(message, id=group.id, added=added)
    return Outcome.done(message, id=group.id, added=added) if added else Outcome.skipped(message, id=group.id)


def _undo_group_step(ctx: StepContext[AutomateClient]) -> str:
    group_id = (ctx.step.outcome or {})["id"]
    ctx.client.groups.delete(group_id)
    return f"deleted group {group_id}"


register_kind(
    JobKind(
        name=ONBOARD_KIND,
        description="W5: Automate client, location, extra fields and groups",
        stop_on_error=True,
        product="automate",
        actions={
            "create_client": Action(
                _create_client_step, _find_client_step, _undo_client_step, find_first=True, creates=True
            ),
            "create_location": Action(
                _create_location_step, _find_location_step, _undo_location_step, find_first=True, creates=True
            ),
            "set_client_edf": Action(
                _set_client_edf_step,
                covered_by="client_key",
                not_undoable="the client existed before the job and its old value was not recorded",
            ),
            "set_location_edf": Action(
                _set_location_edf_step,
                covered_by="location_key",
                not_undoable="the location existed before the job and its old value was not recorded",
            ),
            "ensure_group": Action(
                _ensure_group_step,
                undo=_undo_group_step,
                creates=True,
                not_undoable="the group existed before the job: remove the client's computers from it in Automate",
            ),
        },
    )
)


def onboard_client(
    engine: sa.Engine | None,
    cwa: AutomateClient,
    plan: Mapping[str, Any],
    *,
    dry_run: bool = False,
    on_event: EventCallback | None = None,
    created_by: str | None = None,
) -> OnboardResult:
    """Check the plan, then (unless ``dry_run``) run it as a durable job; ``InvalidInput`` before any write."""
    checked = check_onboard_plan(cwa, plan)
    job_plan = plan_onboard(checked)
    steps = [{"key": s.key, "action": s.action, "label": s.label} for s in job_plan.steps]
    if dry_run:
        return OnboardResult(None, None, steps)
    if engine is None:
        raise ValueError("onboard_client() needs the app's database engine unless dry_run=True")
    job_id = start_job(engine, job_plan, client=cwa, created_by=created_by)
    summary = run_job(engine, job_id, client=cwa, on_event=on_event)
    return OnboardResult(job_id, summary, steps)


# --------------------------------------------------------------------------------------------------- delete


@dataclass(frozen=True)
class DeleteResult:
    """What ``delete_client`` did or would do."""

    client_id: int
    client: str
    deleted: bool
    refused: bool
    dry_run: bool
    computers: list[dict[str, Any]]
    moved: list[dict[str, Any]]
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "client_id": self.client_id,
            "client": self.client,
            "deleted": self.deleted,
            "refused": self.refused,
            "dry_run": self.dry_run,
            "computers": self.computers,
            "moved": self.moved,
            "message": self.message,
        }


def _resolve_target(cwa: AutomateClient, target: str, source: Client) -> Location:
    client_part, slash, location_part = target.rpartition("/")
    if not slash or not client_part.strip() or not location_part.strip():
        raise InvalidInput(
            [Problem("move_computers_to", f"{target!r} must be CLIENT/LOCATION, e.g. 'Acme Corp/Main Office'")],
            subject="the move target",
        )
    client = resolve_client(cwa, client_part)
    if client.id == source.id:
        raise InvalidInput(
            [Problem("move_computers_to", "is the client being deleted: pick another client")],
            subject="the move target",
        )
    locations: list[Location] = cwa.locations.list(where=C("Client.Id") == (client.id or 0))
    wanted = location_part.strip()
    for location in locations:
        if str(location.id) == wanted or (location.name or "").lower() == wanted.lower():
            return location
    names = ", ".join(repr(loc.name) for loc in locations) or "none"
    raise InvalidInput(
        [Problem("move_computers_to", f"{client.name!r} has no location {wanted!r} (its locations: {names})")],
        subject="the move target",
    )


def delete_client(
    cwa: AutomateClient,
    name_or_id: str | int,
    *,
    move_computers_to: str | None = None,
    dry_run: bool = False,
    on_progress: ProgressCallback | None = None,
) -> DeleteResult:
    """Delete a client safely: refuse while it has computers, or move them to ``CLIENT/LOCATION`` first."""
    client = resolve_client(cwa, name_or_id)
    client_id = int(client.id or 0)
    target = _resolve_target(cwa, move_computers_to, client) if move_computers_to else None
    computers: list[Computer] = cwa.computers.list(where=C("Client.Id") == client_id)
    listing = [{"id": c.id, "name": c.computer_name, "status": c.status or ""} for c in computers]

    def result(**values: Any) -> DeleteResult:
        base: dict[str, Any] = {
            "client_id": client_id,
            "client": client.name or "",
            "deleted": False,
            "refused": False,
            "dry_run": dry_run,
            "computers": listing,
            "moved": [],
            "message": "",
        }
        base.update(values)
        return DeleteResult(**base)

    if computers and target is None:
        return result(
            refused=True,
            message=(
                f"{client.name!r} still has {len(computers)} computer(s): nothing was deleted. Move them with "
                "--move-computers-to CLIENT/LOCATION, or retire them in Automate first."
            ),
        )
    where = f"{target.client.name if target and target.client else ''}/{target.name if target else ''}"
    if dry_run:
        moving = f"move {len(computers)} computer(s) to {where}, then " if computers else ""
        return result(message=f"Would {moving}delete client {client.name!r} (id {client_id}).")
    moved: list[dict[str, Any]] = []
    for index, computer in enumerate(computers, start=1):
        assert target is not None and computer.id is not None
        after: Computer = cwa.computers.move(computer.id, int(target.id or 0))
        if not after.location or after.location.id != target.id:
            return result(moved=moved, message=f"Automate did not move {computer.computer_name!r}: nothing deleted.")
        moved.append({"id": computer.id, "name": computer.computer_name, "to": where})
        if on_progress:
            on_progress(index, len(computers))
    remaining = cwa.computers.list(where=C("Client.Id") == client_id, fields=["Id"])
    if remaining:
        return result(moved=moved, message=f"{len(remaining)} computer(s) appeared meanwhile: nothing deleted.")
    cwa.clients.delete(client_id)
    try:
        cwa.clients.get(client_id)
    except NotFoundError:
        moving = f"moved {len(moved)} computer(s) to {where}, " if moved else ""
        return result(deleted=True, moved=moved, message=f"{moving}deleted client {client.name!r} (id {client_id}).")
    return result(moved=moved, message=f"Automate still answers client {client_id} after the delete.")
