"""Onboarding an Automate client as a durable job: client, location, client and location EDFs, groups.

``onboard_client(engine, cwa, plan)`` runs a job of kind ``automate_clients.onboard`` on ``cwdesk.workflows.jobs``:
the plan (``AutomateOnboardingPlan``, from YAML/JSON by ``read_onboard_plan``) is checked before the first write
(``check_onboard_plan``: EDF titles and values against Automate's definitions, parent groups exist), the job is
resumable, rolled back newest first, and running the same plan twice creates nothing new. Groups in Automate hold
computers, not clients: a ``groups`` entry makes sure the group exists (under its parent) and puts the client's
computers, if any, into it.

Not for: one-off changes of an existing client (``clients.py``, ``locations.py``, ``groups.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import sqlalchemy as sa
import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator

from cwdesk.automate.client import AutomateClient
from cwdesk.automate.models import Client, ExtraField, Group, Location
from cwdesk.conditions import C
from cwdesk.workflows.automate_clients.clients import client_body, location_body
from cwdesk.workflows.automate_clients.extra_fields import apply_extra_fields, check_extra_fields
from cwdesk.workflows.automate_clients.groups import group_by_full_name
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
    "OnboardResult",
    "check_onboard_plan",
    "onboard_client",
    "plan_onboard",
    "read_onboard_plan",
]

ONBOARD_KIND = "automate_clients.onboard"


class _PlanPart(BaseModel):
    # Unknown keys are refused (a typo must not be dropped silently); text is trimmed; a YAML ZIP of 89501 is text.
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, coerce_numbers_to_str=True, frozen=True)


class AutomateClientPlan(_PlanPart):
    """A client as the plan gives it, in friendly keys (``client_body`` maps them to Automate's fields)."""

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

    client_fields = client_body({**client_section, "name": name})
    location_fields = location_body(client_fields, location_section)

    # EDF titles and values are checked against the definitions Automate holds (read from any client/location).
    sample_client = next(iter(cwa.clients.list(page_size=1, fields=["Id"])), None)
    if client_edfs and sample_client is not None and sample_client.id is not None:
        check_extra_fields(cwa.clients.extra_fields(sample_client.id), client_edfs, "extra_fields", problems)
    sample_location = next(iter(cwa.locations.list(page_size=1, fields=["Id"])), None)
    if location_edfs and sample_location is not None and sample_location.id is not None:
        check_extra_fields(
            cwa.locations.extra_fields(sample_location.id), location_edfs, "location_extra_fields", problems
        )

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
        "client": client_fields,
        "location": location_fields,
        "extra_fields": dict(client_edfs),
        "location_extra_fields": dict(location_edfs),
        "groups": groups,
    }


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

    (update,) = apply_extra_fields(fields, {title: raw}, write, dry_run=False)
    if update.status == "updated":
        return Outcome.done(f"{title} = {update.value!r}", value=update.value)
    if update.status == "unchanged":
        return Outcome.skipped(f"{title} already {update.value!r}", value=update.value)
    raise StepFailed(update.message)


def _set_client_edf_step(ctx: StepContext[AutomateClient]) -> Outcome:
    return _set_edf(ctx, ctx.client.clients, int(ctx.outcome_of(ctx.params["client_key"])["id"]))


def _set_location_edf_step(ctx: StepContext[AutomateClient]) -> Outcome:
    return _set_edf(ctx, ctx.client.locations, int(ctx.outcome_of(ctx.params["location_key"])["id"]))


def _ensure_group_step(ctx: StepContext[AutomateClient]) -> Outcome:
    cwa = ctx.client
    group = group_by_full_name(cwa, ctx.params["full"])
    made = False
    if group is None:
        parent_id = 0
        if ctx.params["parent"]:
            parent = group_by_full_name(cwa, ctx.params["parent"])
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
