"""The MCP server: cwdesk's tools, resources and prompts registered on the official SDK's ``MCPServer`` (mcp 2.x).

Read tools carry ``readOnlyHint: true``. Plan tools also write nothing (they read and keep a plan), so they are
read-only too, but they lead to writes and ``read_only=True`` (``cwdesk mcp --read-only``) leaves them out with
``execute_plan``, the one tool that changes ConnectWise (``destructiveHint: true``): it runs a confirmed plan as
a durable job. A tool's result is structured content plus one short line of text; an anticipated failure (bad
input, a refused plan, a ConnectWise error, all already free of secrets) comes back as a tool error with its
message, anything else as the SDK's bare "Error executing tool" (its traceback goes to the log on stderr).
Not for: what a tool does (``desk.py``) or the command line (``cwdesk.cli.mcp``).
"""

# No "from __future__ import annotations": the SDK reads the tools' annotations to build their JSON schemas.
import json
from collections.abc import Callable
from typing import Annotated, Any, Literal

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, TextContent, ToolAnnotations
from pydantic import Field

from cwdesk import __version__
from cwdesk.errors import CWDeskError
from cwdesk.mcp import reference
from cwdesk.mcp.desk import Caller, Desk, EditValue, Filter, RecordName
from cwdesk.mcp.plans import PlanRefused

#: The tools that lead to writes: hidden by ``--read-only``.
WRITE_TOOLS = (
    "plan_bulk_contact_update",
    "plan_onboarding",
    "plan_set_primary_contact",
    "plan_company_edit",
    "plan_contact_edit",
    "plan_job_rollback",
    "plan_job_cancel",
    "execute_plan",
)

INSTRUCTIONS = (
    "cwdesk manages MSP clients on ConnectWise Manage and Automate. Read tools only read. Changes are made in two "
    "steps: a plan_* tool returns a plan (every call, every problem) and a plan_id and writes nothing; after the "
    "person approves that plan, execute_plan(plan_id, confirm=true) runs it as a durable job (follow it with "
    "job_status). Never call execute_plan without the person's approval. Filters are structured "
    "(field, operator, value): read cwdesk://conditions and cwdesk://fields/companies first."
)

_FILTERS_DOC = "Filters joined with 'and' (see resource cwdesk://conditions); [] for none"
_EDIT_DOC = (
    "New values by API field name (see resource cwdesk://fields/{record}), e.g. {examples}; a reference such as "
    "status by name or id; null empties a field; only fields whose value differs are sent"
)
_COMPANY_EXAMPLES = '{"phoneNumber": "8135550100", "website": "https://acme.example", "status": "Active"}'
_CONTACT_EXAMPLES = '{"title": "Office Manager", "inactiveFlag": true, "relationship": "Owner"}'

_READ = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=True)
_PLAN = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=False, open_world_hint=True)
_EXECUTE = ToolAnnotations(read_only_hint=False, destructive_hint=True, idempotent_hint=False, open_world_hint=True)


def _result(work: Callable[[], dict[str, Any]], summary: Callable[[dict[str, Any]], str]) -> CallToolResult:
    """Run one tool's work: structured content and a short line, or a tool error with a message for the model."""
    try:
        data = work()
    except PlanRefused as refused:
        lines = [str(refused), *(f"- {d}" for d in refused.differences[:50])]
        raise ToolError("\n".join(lines)) from None
    except CWDeskError as error:  # bad input, unknown job, a ConnectWise refusal: redacted by the SDK already
        raise ToolError(str(error)) from None
    return CallToolResult(
        content=[TextContent(type="text", text=summary(data))],
        structured_content=json.loads(json.dumps(data, default=str)),
    )


def _declared_client(ctx: Context) -> str | None:
    """The name and version the MCP client gave for itself (self-declared, so audited beside --client-name)."""
    params = getattr(ctx.request_context.session, "client_params", None)
    info = getattr(params, "client_info", None)
    name = getattr(info, "name", None)
    return f"{name} {getattr(info, 'version', '') or ''}".strip()[:100] if name else None


#: Where ``cwdesk.mcp.http`` leaves the authenticated ``Caller`` in the HTTP request's ASGI scope.
CALLER_SCOPE_KEY = "cwdesk.mcp.caller"


def caller_of(ctx: Context) -> Caller | None:
    """The caller of this tool call over HTTP (set by ``cwdesk.mcp.http`` on the request); None on stdio."""
    request = getattr(ctx.request_context, "request", None)
    scope = getattr(request, "scope", None)
    found = scope.get(CALLER_SCOPE_KEY) if isinstance(scope, dict) else None
    return found if isinstance(found, Caller) else None


def _planned(data: dict[str, Any]) -> str:
    if not data.get("valid"):
        return f"Not planned ({len(data.get('problems') or [])} problem(s)); nothing was written: " + "; ".join(
            data.get("problems") or []
        )
    return f"Plan {data['plan_id']}: {data['title']}. Nothing was written; {data['next']}"


def build_server(desk: Desk, *, read_only: bool = False) -> MCPServer:
    """The MCP server over ``desk``; with ``read_only`` it has no tool that leads to a write."""
    server = MCPServer(
        name="cwdesk", title="cwdesk", version=__version__, instructions=INSTRUCTIONS, log_level="WARNING"
    )

    @server.tool(annotations=_READ)
    def find_client(
        name: Annotated[str, Field(description="Client name, or part of it (also a Manage company identifier)")],
    ) -> CallToolResult:
        """Find a client by name in Manage (companies) and Automate (clients); suggestions when ambiguous."""

        def said(d: dict[str, Any]) -> str:
            found = d["manage"]["company"]
            return (
                f"Manage: {found['name']} (id {found['id']})"
                if found
                else f"Manage: not one match, {len(d['manage']['suggestions'])} suggestion(s)"
            ) + (
                "; Automate: " + ("found" if d["automate"].get("found") else "not one match")
                if d["automate"]["configured"]
                else "; Automate not configured"
            )

        return _result(lambda: desk.find_client(name), said)

    @server.tool(annotations=_READ)
    def client_overview(
        company_id: Annotated[int, Field(description="Manage company id (from find_client)")],
    ) -> CallToolResult:
        """A client's overview: status, type, phone, location, employees, contacts, agreements, MRR; contacts
        with the primary first, sites and agreements."""
        return _result(
            lambda: desk.client_overview(company_id),
            lambda d: (
                f"{d['name']}: {len(d['contacts'])} contact(s), {len(d['sites'])} site(s), "
                f"{len(d['agreements'])} agreement(s)"
            ),
        )

    @server.tool(annotations=_READ)
    def search_records(
        record: Annotated[RecordName, Field(description="companies or contacts")],
        filters: Annotated[list[Filter], Field(description=_FILTERS_DOC)],
        limit: Annotated[int, Field(ge=1, le=100, description="At most this many records")] = 25,
    ) -> CallToolResult:
        """Search Manage companies or contacts with structured filters (values always escaped)."""
        return _result(
            lambda: desk.search(record, filters, limit), lambda d: f"{d['returned']} {record} where {d['condition']}"
        )

    @server.tool(annotations=_READ)
    def count_records(
        record: Annotated[RecordName, Field(description="companies or contacts")],
        filters: Annotated[list[Filter], Field(description=_FILTERS_DOC)],
    ) -> CallToolResult:
        """Count Manage companies or contacts matching structured filters."""
        return _result(lambda: desk.count(record, filters), lambda d: f"{d['count']} {record}")

    @server.tool(annotations=_READ)
    def automate_client_health(
        client: Annotated[str, Field(description="Automate client name or id")],
    ) -> CallToolResult:
        """An Automate client's health: computers online/offline, the percentage, offline computers."""
        return _result(
            lambda: desk.automate_client_health(client),
            lambda d: f"{d['client']}: {d['online']}/{d['total_computers']} online",
        )

    @server.tool(annotations=_READ)
    def automate_client_report(
        limit: Annotated[int, Field(ge=1, le=1000, description="At most this many clients")] = 100,
    ) -> CallToolResult:
        """Every Automate client with contact, computer counts (total/online/offline) and location names."""
        return _result(lambda: desk.automate_client_report(limit), lambda d: f"{d['total']} Automate client(s)")

    @server.tool(annotations=_READ)
    def list_jobs(
        state: Annotated[str | None, Field(description="Only jobs in this state (running, done, failed...)")] = None,
        limit: Annotated[int, Field(ge=1, le=200)] = 20,
    ) -> CallToolResult:
        """The durable jobs, newest first (the same list as `cwdesk jobs list` and the console)."""
        return _result(lambda: desk.list_jobs(state, limit), lambda d: f"{len(d['jobs'])} job(s)")

    @server.tool(annotations=_READ)
    def job_status(job_id: Annotated[int, Field(description="Job id")]) -> CallToolResult:
        """A job's state, step counts and steps."""
        return _result(lambda: desk.job_status(job_id), lambda d: f"Job {d['id']} is {d['state']}: {d['title']}")

    @server.tool(annotations=_READ)
    def job_journal(
        job_id: Annotated[int, Field(description="Job id")],
        after_id: Annotated[int, Field(ge=0, description="Only entries after this id (0: from the start)")] = 0,
        limit: Annotated[int, Field(ge=1, le=500)] = 100,
    ) -> CallToolResult:
        """A job's journal: what each step did, oldest first."""
        return _result(lambda: desk.job_journal(job_id, after_id, limit), lambda d: f"{len(d['events'])} event(s)")

    if not read_only:
        _add_write_tools(server, desk)
    _add_resources_and_prompts(server)
    return server


def _add_write_tools(server: MCPServer, desk: Desk) -> None:
    @server.tool(annotations=_PLAN)
    def plan_bulk_contact_update(
        changes: Annotated[
            list[str],
            Field(
                description="Assignments field=value: inactiveFlag, type, relationship, department, "
                "disablePortalLoginFlag (e.g. 'inactiveFlag=true', 'type=Client')"
            ),
        ],
        ctx: Context,
        company_ids: Annotated[list[int] | None, Field(description="The companies (or use company_filters)")] = None,
        company_filters: Annotated[
            list[Filter] | None, Field(description="Choose companies by filters instead of ids")
        ] = None,
        contacts: Annotated[
            Literal["all", "primary", "active"], Field(description="Which contacts of those companies")
        ] = "all",
    ) -> CallToolResult:
        """Plan a bulk contact update: each contact's before -> after and counts. Writes nothing."""
        return _result(
            lambda: desk.plan_bulk_contact_update(
                changes, company_ids, company_filters, contacts, caller=caller_of(ctx)
            ),
            _planned,
        )

    @server.tool(annotations=_PLAN)
    def plan_onboarding(
        onboarding: Annotated[
            dict[str, Any],
            Field(
                description="{company: {name, identifier, status, type, phone, website, address: {line1, city, "
                "state, zip, country}}, site?: {...}, contacts: [{first_name, last_name, title, email, phone}], "
                "agreement?: {name, type, start_date, bill_amount}, ticket?: {board, summary, priority}}"
            ),
        ],
        ctx: Context,
    ) -> CallToolResult:
        """Plan onboarding a new client in Manage: every call it would make and every problem. Writes nothing."""
        return _result(lambda: desk.plan_onboarding(onboarding, caller=caller_of(ctx)), _planned)

    @server.tool(annotations=_PLAN)
    def plan_set_primary_contact(
        contact_id: Annotated[int, Field(description="The contact to make its company's only primary")],
        ctx: Context,
    ) -> CallToolResult:
        """Plan making a contact its company's primary contact (clearing any other). Writes nothing."""
        return _result(lambda: desk.plan_set_primary_contact(contact_id, caller=caller_of(ctx)), _planned)

    @server.tool(annotations=_PLAN)
    def plan_company_edit(
        company_id: Annotated[int, Field(description="The Manage company id (from find_client)")],
        changes: Annotated[
            dict[str, EditValue], Field(description=_EDIT_DOC.format(record="companies", examples=_COMPANY_EXAMPLES))
        ],
        ctx: Context,
    ) -> CallToolResult:
        """Plan an edit of one company: the JSON Patch it would send, each field's before -> after. Writes nothing."""
        return _result(lambda: desk.plan_record_edit("companies", company_id, changes, caller=caller_of(ctx)), _planned)

    @server.tool(annotations=_PLAN)
    def plan_contact_edit(
        contact_id: Annotated[int, Field(description="The Manage contact id (from client_overview or search)")],
        changes: Annotated[
            dict[str, EditValue], Field(description=_EDIT_DOC.format(record="contacts", examples=_CONTACT_EXAMPLES))
        ],
        ctx: Context,
    ) -> CallToolResult:
        """Plan an edit of one contact: the JSON Patch it would send, each field's before -> after. Writes nothing.
        (To make a contact the primary one, use plan_set_primary_contact: it keeps one primary per company.)"""
        return _result(lambda: desk.plan_record_edit("contacts", contact_id, changes, caller=caller_of(ctx)), _planned)

    @server.tool(annotations=_PLAN)
    def plan_job_rollback(
        job_id: Annotated[int, Field(description="The job to roll back")], ctx: Context
    ) -> CallToolResult:
        """Plan rolling back a job: what it would delete, restore, and cannot undo. Writes nothing."""
        return _result(lambda: desk.plan_job_rollback(job_id, caller=caller_of(ctx)), _planned)

    @server.tool(annotations=_PLAN)
    def plan_job_cancel(job_id: Annotated[int, Field(description="The job to cancel")], ctx: Context) -> CallToolResult:
        """Plan cancelling a job (a running job stops before its next step). Writes nothing."""
        return _result(lambda: desk.plan_job_cancel(job_id, caller=caller_of(ctx)), _planned)

    @server.tool(annotations=_EXECUTE)
    def execute_plan(
        plan_id: Annotated[str, Field(description="A plan_id returned by a plan_* tool of this server")],
        ctx: Context,
        confirm: Annotated[bool, Field(description="true only after the person approved this plan")] = False,
    ) -> CallToolResult:
        """Run a plan this server made as a durable job, after the person approved it; returns the job id.
        Refused, with the differences, when ConnectWise changed since the plan was made."""
        return _result(
            lambda: desk.execute_plan(plan_id, confirm, declared_client=_declared_client(ctx), caller=caller_of(ctx)),
            lambda d: f"Started job {d['job_id']}: {d['title']}",
        )


def _add_resources_and_prompts(server: MCPServer) -> None:
    @server.resource(
        "cwdesk://conditions",
        name="conditions",
        mime_type="text/markdown",
        description="How to write filters (field, operator, value) for the search tools",
    )
    def conditions() -> str:
        return reference.CONDITIONS_GRAMMAR

    @server.resource(
        "cwdesk://fields/companies",
        name="company fields",
        mime_type="application/json",
        description="The API field names of a Manage company",
    )
    def company_fields() -> str:
        return reference.fields_text("companies")

    @server.resource(
        "cwdesk://fields/contacts",
        name="contact fields",
        mime_type="application/json",
        description="The API field names of a Manage contact",
    )
    def contact_fields() -> str:
        return reference.fields_text("contacts")

    @server.prompt(description="Onboard a client from an email: extract, check, plan, and run after approval")
    def onboard_client_from_email(email: str) -> str:
        return reference.ONBOARD_FROM_EMAIL.format(email=email)

    @server.prompt(description="Find a client's contacts that need cleaning up, and plan the fixes")
    def find_contacts_to_clean_up(company: str) -> str:
        return reference.CLEAN_UP_CONTACTS.format(company=company)
