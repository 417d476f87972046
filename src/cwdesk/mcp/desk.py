"""What each MCP tool does, as plain functions over one ``Desk`` (the clients, the app's database, the plans made).

Reads go through the SDK and the workflows the CLI and the console use (``find_client``, ``client_health``,
``load_client_detail``, ``list_jobs``...). Filters arrive as structured ``Filter`` items (field, operator, value)
and become conditions with ``cwdesk.conditions`` (``Comparison``), so every value is escaped and no text an
assistant sends is ever pasted into a condition; field names are checked against the record's fields first.
Records are trimmed to the fields that matter. Write tools only plan (``plans.py``); ``execute_plan`` starts the
durable job with ``start_job`` + ``start_in_background`` and audits it in the console's audit log as made through
MCP. Over HTTP (``http.py``) each call comes with its ``Caller`` (an API token or a console user, with a role):
plans belong to their caller, a viewer can neither plan nor run, and jobs and audit entries name the caller.
Nothing here returns credentials: results carry records, plans and job summaries only.
Not for: the MCP protocol (``server.py``) or business rules (``cwdesk.workflows``).
"""

from __future__ import annotations

import getpass
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field

from cwdesk.automate.client import AutomateClient
from cwdesk.conditions import OPERATORS, C, Comparison, Condition, all_of, any_of, render
from cwdesk.console.client_detail import load_client_detail
from cwdesk.console.client_list import LIVE_COMPANIES
from cwdesk.console.security import Accounts, Role
from cwdesk.errors import ConfigurationError
from cwdesk.manage.client import ManageClient
from cwdesk.manage.models.company import Company
from cwdesk.manage.models.contact import Contact
from cwdesk.mcp.plans import MadePlan, PlanBook, PlanRefused, Snapshot, snapshot_of
from cwdesk.workflows import automate_clients, bulk_contacts, jobs, onboarding, primary_contact, record_edits
from cwdesk.workflows.validation import InvalidInput, record_dict, suggestions

Operator = Literal["=", "!=", "<", "<=", ">", ">=", "like", "not like", "contains", "not contains", "in", "not in"]
# The one list of operators is the conditions grammar's; this Literal only spells it for the tools' JSON schema.
assert set(get_args(Operator)) == set(OPERATORS), "cwdesk.mcp.desk.Operator must list conditions.OPERATORS"

FilterValue = str | int | float | bool | None | list[str | int | float | bool]
#: A new value in a record edit: text, a number, true/false, or null to empty the field.
EditValue = str | int | float | bool | None
RecordName = Literal["companies", "contacts"]

#: The core records' models, whose API field names filters may use (resource cwdesk://fields/{record}).
RECORD_MODELS: Mapping[str, type[BaseModel]] = {"companies": Company, "contacts": Contact}

#: The fields read for a search result, per record: enough to tell records apart, no more.
TRIMMED_FIELDS: Mapping[str, list[str]] = {
    "companies": ["id", "identifier", "name", "status", "types", "phoneNumber", "city", "state", "website"],
    "contacts": [
        "id",
        "firstName",
        "lastName",
        "title",
        "company",
        "inactiveFlag",
        "defaultFlag",
        "communicationItems",
    ],
}

SEARCH_LIMIT_MAX = 100


class Filter(BaseModel):
    """One test on one field: ``{"field": "status/name", "operator": "=", "value": "Active"}``."""

    model_config = ConfigDict(extra="forbid")

    field: str = Field(description="API field path, e.g. name, identifier, status/name, company/id, inactiveFlag")
    operator: Operator = Field("=", description="How to compare; like takes % wildcards; in/not in take a list")
    value: FilterValue = Field(description="The value (always sent as a value, escaped; never as condition text)")


def field_names(record: str) -> list[str]:
    """The API field names of a core record (what a filter's first path segment may be)."""
    model = RECORD_MODELS[record]
    return sorted(info.alias or name for name, info in model.model_fields.items())


def condition_of(record: str, filters: Sequence[Filter]) -> Condition | None:
    """The filters joined with ``and``, each checked: a known field, a known operator, a value of the right kind."""
    known = set(field_names(record))
    parts: list[Condition] = []
    for number, item in enumerate(filters, start=1):
        head = item.field.split("/", 1)[0]
        if head not in known:
            raise ConfigurationError(
                f"filter {number}: {item.field!r} is not a field of {record}{suggestions(head, known)}; the fields "
                f"are listed in the resource cwdesk://fields/{record}."
            )
        try:
            value = tuple(item.value) if isinstance(item.value, list) else item.value
            parts.append(Comparison(item.field, item.operator, value))  # validates and normalises the value
        except ConfigurationError as error:
            raise ConfigurationError(f"filter {number} ({item.field} {item.operator}): {error}") from error
    return all_of(*parts) if parts else None


def _email_and_phone(contact: Mapping[str, Any]) -> dict[str, str]:
    found: dict[str, str] = {}
    for item in contact.get("communicationItems") or []:
        kind_of = item.get("communicationType") or item.get("type") or ""
        kind = str(kind_of.get("name") or "" if isinstance(kind_of, Mapping) else kind_of).lower()
        slot = "email" if kind == "email" else "phone" if kind in {"phone", "direct", "mobile", "cell"} else None
        if slot and (slot not in found or item.get("defaultFlag")):
            found[slot] = str(item.get("value") or "")
    return found


def trimmed(record: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """A record cut to what an assistant needs (references to their name)."""
    if record == "companies":
        return {
            "id": data.get("id"),
            "identifier": data.get("identifier"),
            "name": data.get("name"),
            "status": (data.get("status") or {}).get("name"),
            "types": [t.get("name") for t in data.get("types") or [] if t.get("name")],
            "phone": data.get("phoneNumber"),
            "city": data.get("city"),
            "state": data.get("state"),
            "website": data.get("website"),
        }
    company = data.get("company") or {}
    return {
        "id": data.get("id"),
        "name": f"{data.get('firstName') or ''} {data.get('lastName') or ''}".strip(),
        "title": data.get("title"),
        "company": {"id": company.get("id"), "name": company.get("name")} if company else None,
        "primary": bool(data.get("defaultFlag")),
        "inactive": bool(data.get("inactiveFlag")),
        **_email_and_phone(data),
    }


def _who() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name (a container without a passwd entry)
        return "unknown"


@dataclass(frozen=True)
class Caller:
    """Who makes an MCP call over HTTP: an API token (``via="token"``) or a signed-in console user."""

    key: str  # "token:<id>" or "user:<id>": what plans and sessions are bound to
    name: str  # the token's name or the user name
    role: Role
    via: Literal["token", "session"]

    @property
    def shown(self) -> str:
        """How jobs and audit entries name the caller: ``token:claude-desktop`` or the user name."""
        return f"token:{self.name}" if self.via == "token" else self.name

    @property
    def may_change(self) -> bool:
        """Operators and admins plan and run changes; a viewer only reads (the console's rule)."""
        return self.role != "viewer"


def _assigned(value: EditValue) -> str:
    """A tool's value as the text of an assignment (``FIELD=VALUE``): true/false, numbers, and "" for null."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _next(plan_id: str) -> str:
    return f"Show this plan to the person; run it with execute_plan(plan_id={plan_id!r}, confirm=true)."


@dataclass
class Desk:
    """One MCP server's connections and state. ``client_name`` names the assistant in jobs and the audit log."""

    manage: ManageClient
    automate: AutomateClient | None
    engine: sa.Engine
    client_name: str = "mcp"
    plans: PlanBook = field(default_factory=PlanBook)
    # Job threads started by execute_plan (tests join them; the process waits for them before it exits).
    started: list[Any] = field(default_factory=list)

    @property
    def made_by(self) -> str:
        """Who a job made through MCP is recorded as: ``mcp:<assistant>:<login name>``."""
        return self.made_by_for(None)

    def made_by_for(self, caller: Caller | None) -> str:
        """``mcp:<assistant>:<login name>`` on stdio; over HTTP ``mcp:<client name>:<token:name | user name>``."""
        return f"mcp:{self.client_name}:{caller.shown if caller else _who()}"

    @staticmethod
    def _check_may_change(caller: Caller | None) -> None:
        if caller is not None and not caller.may_change:
            raise PlanRefused(
                f"Your role ({caller.role}) only reads: planning and running changes needs operator. Ask an admin "
                "for an operator token (cwdesk tokens create --role operator)."
            )

    def _automate(self) -> AutomateClient:
        if self.automate is None:
            raise ConfigurationError(
                "Automate is not configured for this server: set CWA_SERVER, CWA_USERNAME, CWA_PASSWORD and "
                "CWA_CLIENTID (or use a profile with Automate), then restart `cwdesk mcp`."
            )
        return self.automate

    # ------------------------------------------------------------------------------------------------ reads

    def find_client(self, name: str) -> dict[str, Any]:
        """The client called ``name`` in Manage (companies) and Automate (clients), else suggestions."""
        wanted = name.strip()
        if not wanted:
            raise ConfigurationError("name is empty: give a client name, or part of one.")
        fields = TRIMMED_FIELDS["companies"]
        # The exact name or identifier first (a name that many others contain is still found), then part of a name.
        # A deleted company still answers with deletedFlag (docs/connectwise.md, "Companies"): left out, as the
        # console's client list leaves it out (one rule: console.client_list.LIVE_COMPANIES).
        exact_where = any_of(C("name") == wanted, C("identifier") == wanted) & LIVE_COMPANIES
        exact = [record_dict(c) for c in self.manage.companies.list(where=exact_where, fields=fields, limit=2)]
        containing = (
            exact
            if len(exact) == 1
            else [
                record_dict(c)
                for c in self.manage.companies.list(
                    where=C("name").contains(wanted) & LIVE_COMPANIES, fields=fields, limit=26
                )
            ]
        )
        single = exact if len(exact) == 1 else containing if len(containing) == 1 else []
        manage: dict[str, Any] = {
            "found": bool(single),
            "company": trimmed("companies", single[0]) if single else None,
            "suggestions": [] if single else [trimmed("companies", c) for c in containing[:10]],
        }
        if not single and len(containing) > 10:
            manage["more"] = "more than 10 companies match: give more of the name"
        automate: dict[str, Any] = {"configured": self.automate is not None}
        if self.automate is not None:
            automate.update(automate_clients.find_client(self.automate, wanted).as_dict())
        return {"name": wanted, "manage": manage, "automate": automate}

    def client_overview(self, company_id: int) -> dict[str, Any]:
        """The console's client detail: the hero's 8 figures, contacts (primary first), sites and agreements."""
        detail = load_client_detail(self.manage, company_id)
        return {
            "id": detail.id,
            "name": detail.name,
            "identifier": detail.identifier,
            "website": detail.website,
            "figures": {field.label: field.value for field in detail.hero},
            "contacts": [
                {
                    "id": c.id,
                    "name": c.name,
                    "title": c.title,
                    "email": c.email,
                    "phone": c.phone,
                    "primary": c.primary,
                    "inactive": c.inactive,
                }
                for c in detail.contacts
            ],
            "sites": detail.sites,
            "agreements": detail.agreements,
        }

    def search(self, record: RecordName, filters: Sequence[Filter], limit: int = 25) -> dict[str, Any]:
        """Companies or contacts matching every filter, trimmed, at most ``limit`` (1-100)."""
        if not 1 <= limit <= SEARCH_LIMIT_MAX:
            raise ConfigurationError(f"limit {limit} is out of range: give 1 to {SEARCH_LIMIT_MAX}.")
        where = condition_of(record, filters)
        resource = self.manage.companies if record == "companies" else self.manage.contacts
        found = [
            trimmed(record, record_dict(r))
            for r in resource.list(where=where, fields=TRIMMED_FIELDS[record], order_by="id asc", limit=limit)
        ]
        return {
            "record": record,
            "condition": render(where) if where is not None else "",
            "records": found,
            "returned": len(found),
        }

    def count(self, record: RecordName, filters: Sequence[Filter]) -> dict[str, Any]:
        """How many companies or contacts match every filter."""
        where = condition_of(record, filters)
        resource = self.manage.companies if record == "companies" else self.manage.contacts
        return {
            "record": record,
            "condition": render(where) if where is not None else "",
            "count": resource.count(where=where),
        }

    def automate_client_health(self, client: str) -> dict[str, Any]:
        """Online/offline computers of one Automate client (by name or id)."""
        return automate_clients.client_health(self._automate(), client).as_dict()

    def automate_client_report(self, limit: int = 100) -> dict[str, Any]:
        """Every Automate client with contact, computer counts and locations (the first ``limit`` rows)."""
        rows = automate_clients.client_report(self._automate())
        return {"clients": rows[: max(1, limit)], "total": len(rows)}

    def list_jobs(self, state: str | None = None, limit: int = 20) -> dict[str, Any]:
        """Jobs newest first, as ``cwdesk jobs list`` shows them."""
        try:
            found = jobs.list_jobs(self.engine, state=state or None, limit=max(1, min(limit, 200)))
        except ValueError as error:
            states = ", ".join(s.value for s in jobs.JobState)
            raise ConfigurationError(f"state {state!r} is not a job state: use one of {states}.") from error
        return {"jobs": [job.as_dict() for job in found]}

    def job_status(self, job_id: int) -> dict[str, Any]:
        """A job's state, counts and steps (at most the first 50 steps; the journal has every event)."""
        detail = jobs.get_job(self.engine, job_id).as_dict()
        steps = detail.pop("steps")
        detail.pop("params", None)
        detail["steps"] = [{k: s.get(k) for k in ("key", "label", "state", "message", "attempts")} for s in steps[:50]]
        detail["steps_total"] = len(steps)
        return detail

    def job_journal(self, job_id: int, after_id: int = 0, limit: int = 100) -> dict[str, Any]:
        """A job's journal entries after ``after_id`` (follow from the last id seen)."""
        jobs.get_job(self.engine, job_id)  # a clear "no job N" rather than an empty list
        events = jobs.read_events(self.engine, job_id, after_id=after_id, limit=max(1, min(limit, 500)))
        return {
            "job_id": job_id,
            "events": [{k: e.as_dict()[k] for k in ("id", "at", "type", "step_key", "message")} for e in events],
        }

    # ------------------------------------------------------------------------------------------------ plans

    def _file_job_plan(
        self,
        build: Callable[[], jobs.Plan],
        extra: Callable[[jobs.Plan], dict[str, Any]],
        caller: Caller | None = None,
    ) -> dict[str, Any]:
        """Build a job plan (reads only), keep it, and show it; validation problems come back instead of a plan."""
        self._check_may_change(caller)
        try:
            plan = build()
        except InvalidInput as problems:
            return {
                "valid": False,
                "plan_id": None,
                "problems": [str(p) for p in problems.problems],
                "wrote": "nothing",
            }

        def launch() -> int:
            return self._start(plan, caller)

        made = self.plans.add(
            kind=plan.kind,
            title=plan.title,
            snapshot=snapshot_of(plan),
            rebuild=lambda: snapshot_of(build()),
            launch=launch,
            owner=caller.key if caller else None,
        )
        return {
            "valid": True,
            "plan_id": made.id,
            "kind": plan.kind,
            "title": plan.title,
            "steps": [{"key": s.key, "action": s.action, "label": s.label} for s in plan.steps[:200]],
            "step_count": len(plan.steps),
            "problems": [],
            **extra(plan),
            "wrote": "nothing",
            "next": _next(made.id),
        }

    def _start(self, plan: jobs.Plan, caller: Caller | None = None) -> int:
        job_id = jobs.start_job(self.engine, plan, client=self.manage, created_by=self.made_by_for(caller))
        self._keep(jobs.start_in_background(self.engine, job_id, client=self.manage))
        return job_id

    def _keep(self, thread: Any) -> None:
        self.started[:] = [t for t in self.started if t.is_alive()]  # finished ones need no joining
        self.started.append(thread)

    def plan_bulk_contact_update(
        self,
        changes: Sequence[str],
        company_ids: Sequence[int] | None = None,
        company_filters: Sequence[Filter] | None = None,
        contacts: Literal["all", "primary", "active"] = "all",
        *,
        caller: Caller | None = None,
    ) -> dict[str, Any]:
        """Plan setting fields (``inactiveFlag=true``) on the contacts of the chosen companies, before -> after."""
        self._check_may_change(caller)
        if (company_ids is None) == (company_filters is None):
            raise ConfigurationError("give exactly one of company_ids or company_filters to choose the companies.")
        where = condition_of("companies", company_filters) if company_filters is not None else None
        if company_filters is not None and where is None:
            raise ConfigurationError("company_filters is empty: give at least one filter (or company_ids).")

        def build() -> jobs.Plan:
            parsed = bulk_contacts.parse_assignments(self.manage, changes)
            return bulk_contacts.plan_bulk_contacts(
                self.manage,
                changes=parsed,
                company_ids=list(company_ids) if company_ids is not None else None,
                where=where,
                contact_filter=contacts,
            )

        def extra(plan: jobs.Plan) -> dict[str, Any]:
            rows = [
                {
                    "contact": s.params["contact"],
                    "company": s.params["company"],
                    "before": s.params["before"],
                    "after": {c["api_field"]: c["shown"] for c in s.params["changes"]},
                    "already": s.params["already"],
                }
                for s in plan.steps
            ]
            already = sum(1 for r in rows if r["already"])
            return {
                "changes": rows[:200],
                "counts": {"contacts": len(rows), "to_change": len(rows) - already, "already_set": already},
            }

        return self._file_job_plan(build, extra, caller)

    def plan_onboarding(self, onboarding_plan: Mapping[str, Any], *, caller: Caller | None = None) -> dict[str, Any]:
        """Plan onboarding a company (company, site, contacts, agreement, ticket): every call, every problem."""
        notes: list[str] = []

        def build() -> jobs.Plan:
            checked = onboarding.check_onboarding(self.manage, onboarding_plan)
            notes[:] = list(checked.notes)
            return onboarding.plan_onboarding(checked)

        return self._file_job_plan(
            build,
            lambda plan: {"calls": [str(c) for c in onboarding.planned_calls(plan)], "notes": list(notes)},
            caller,
        )

    def plan_set_primary_contact(self, contact_id: int, *, caller: Caller | None = None) -> dict[str, Any]:
        """Plan making a contact its company's only primary contact."""
        return self._file_job_plan(
            lambda: primary_contact.plan_set_primary(self.manage, contact_id), lambda _: {}, caller
        )

    def plan_record_edit(
        self,
        record: RecordName,
        record_id: int,
        changes: Mapping[str, EditValue],
        *,
        caller: Caller | None = None,
    ) -> dict[str, Any]:
        """Plan an edit of one company or contact by API field name: the JSON Patch, each field's before -> after.

        The values are checked by the rule of ``cwdesk companies update --set`` (``record_edits.check_assignments``):
        a reference (``status``) by name or id, true/false, numbers, phones and emails."""
        if not changes:
            raise ConfigurationError("changes is empty: give at least one field and its new value.")
        assignments = [f"{name}={_assigned(value)}" for name, value in changes.items()]

        def build() -> jobs.Plan:
            return record_edits.plan_record_edit(self.manage, record, record_id, assignments)

        def extra(plan: jobs.Plan) -> dict[str, Any]:
            step = plan.steps[0]
            return {
                "record": record,
                "record_id": record_id,
                "name": step.params["name"],
                "changes": step.params["rows"],
                "patch": step.params["patch"],
            }

        return self._file_job_plan(build, extra, caller)

    def _client_for_kind(self, kind: str) -> Any:
        return self._automate() if jobs.get_kind(kind).product == "automate" else self.manage

    def plan_job_rollback(self, job_id: int, *, caller: Caller | None = None) -> dict[str, Any]:
        """Plan rolling a job back: what it would delete, restore, and cannot undo."""
        self._check_may_change(caller)

        def rollback_snapshot() -> Snapshot:
            detail = jobs.get_job(self.engine, job_id)
            rollback = jobs.plan_rollback(detail)
            return {
                "title": f"Roll back job {job_id}",
                "state": detail.summary.state.value,
                "rollback": rollback.as_dict(),
            }

        detail = jobs.get_job(self.engine, job_id)
        rollback = jobs.plan_rollback(detail)
        if not rollback.undoable:
            return {"valid": False, "plan_id": None, "problems": [rollback.refusal()], "wrote": "nothing"}
        snapshot = rollback_snapshot()
        client = self._client_for_kind(detail.summary.kind)
        jobs.check_target(detail.summary, client)

        def launch() -> int:
            self._keep(jobs.rollback_in_background(self.engine, job_id, client=client))
            return job_id

        made = self.plans.add(
            kind="rollback",
            title=snapshot["title"],
            snapshot=snapshot,
            rebuild=rollback_snapshot,
            launch=launch,
            owner=caller.key if caller else None,
        )
        return {
            "valid": True,
            "plan_id": made.id,
            "kind": "rollback",
            "title": made.title,
            **snapshot["rollback"],
            "problems": [],
            "wrote": "nothing",
            "next": _next(made.id),
        }

    def plan_job_cancel(self, job_id: int, *, caller: Caller | None = None) -> dict[str, Any]:
        """Plan cancelling a job (a running job stops before its next step)."""
        self._check_may_change(caller)

        def cancel_snapshot() -> Snapshot:
            summary = jobs.get_job(self.engine, job_id).summary
            return {"title": f"Cancel job {job_id} ({summary.title})", "state": summary.state.value}

        snapshot = cancel_snapshot()
        if snapshot["state"] not in {
            s.value for s in (jobs.JobState.planned, jobs.JobState.running, jobs.JobState.failed, jobs.JobState.partial)
        }:
            return {
                "valid": False,
                "plan_id": None,
                "wrote": "nothing",
                "problems": [f"Job {job_id} is {snapshot['state']}: there is nothing to cancel."],
            }

        def launch() -> int:
            jobs.cancel_job(self.engine, job_id)
            return job_id

        made = self.plans.add(
            kind="cancel",
            title=snapshot["title"],
            snapshot=snapshot,
            rebuild=cancel_snapshot,
            launch=launch,
            owner=caller.key if caller else None,
        )
        return {
            "valid": True,
            "plan_id": made.id,
            "kind": "cancel",
            "title": made.title,
            "problems": [],
            "wrote": "nothing",
            "next": _next(made.id),
        }

    def execute_plan(
        self, plan_id: str, confirm: bool, *, declared_client: str | None = None, caller: Caller | None = None
    ) -> dict[str, Any]:
        """Run a plan this server made (for this caller), once, if confirmed and unchanged since; audited as made
        through MCP.

        ``declared_client`` is the name the MCP client gave for itself in the handshake (kept in the audit entry).
        """
        audit = Accounts(self.engine)
        made: MadePlan | None = None
        owner = caller.key if caller else None
        try:
            self._check_may_change(caller)
            made = self.plans.get(plan_id, owner=owner)
            self.plans.execute(plan_id, confirm=confirm, owner=owner)
        except InvalidInput as problems:  # rebuilding found problems (an identifier taken since...)
            self._audit(audit, made, "refused", "; ".join(str(p) for p in problems.problems), declared_client, caller)
            raise PlanRefused(
                f"Plan {plan_id} was not run: it is no longer valid. Make a new plan.",
                differences=[str(p) for p in problems.problems],
            ) from problems
        except PlanRefused as refused:
            if made is not None or caller is not None:
                self._audit(audit, made, "refused", str(refused), declared_client, caller)
            raise
        self._audit(audit, made, "ok", f"job {made.job_id}", declared_client, caller)
        return {
            "plan_id": plan_id,
            "job_id": made.job_id,
            "kind": made.kind,
            "title": made.title,
            "next": f"Follow it with job_status(job_id={made.job_id}) and job_journal(job_id={made.job_id}).",
        }

    def _audit(
        self,
        audit: Accounts,
        made: MadePlan | None,
        result: Literal["ok", "error", "refused"],
        message: str,
        declared_client: str | None,
        caller: Caller | None = None,
    ) -> None:
        audit.record(
            username=self.made_by_for(caller),
            role=caller.role if caller else "mcp",
            action=f"execute plan via MCP ({made.kind if made else 'unknown'})",
            target=made.title if made else "",
            detail={
                "plan_id": made.id if made else None,
                "job_id": made.job_id if made else None,
                "client": self.client_name,
                "declared_client": declared_client,
                "channel": "mcp-http" if caller else "mcp",
                **({"via": caller.via, "caller": caller.shown} if caller else {}),
            },
            result=result,
            message=message[:500],
        )
