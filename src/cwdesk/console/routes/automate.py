"""The Automate view (C6, issue 18 item 2): search the clients; one client's health, locations, EDFs and groups;
and its edits (the client's fields, a new location, EDFs by title, group membership).

Reads and writes go through the W5 workflows (``cwdesk.workflows.automate_clients``), the functions the CLI's
``cwdesk automate ...`` commands call, so every rule (field names, EDF types, what "a client in a group" means)
lives there once; a client's records are read in parallel. The online figure is Automate's own ``Status`` of each
computer (``Computer.is_online``), counted. Search is by client name, on the server: the text goes into a
``cwdesk.conditions`` condition (escaped), never into a condition string.

Every edit is two requests to the same route, as the rollback preview is (``routes/jobs.py``): without
``confirm=yes`` the workflow runs as a dry run and the answer is the preview (before -> after, nothing written);
the page shows it and asks; with ``confirm=yes`` the workflow writes, the change is audited (who, what, before ->
after, result) and the answer says what was saved. Only operators may edit (``require("operator")``: a viewer's
POST is refused and audited); the CSRF token is checked there too.

A Manage company and an Automate client match when they have the same name (any case, surrounding spaces
ignored): the demo seed makes each Automate client as the twin of a Manage company of that name
(``sandbox/seed_automate.py``), and ``cwdesk mcp``'s ``find_client`` looks a name up in both the same way. The
match is made in one place (``matching_companies`` / ``matching_automate_clients``); each side links to the other.
Not for: the rules of a change (``cwdesk.workflows.automate_clients``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from cwdesk.conditions import C
from cwdesk.console.answers import failure, ok, refused
from cwdesk.console.client_list import LIVE_COMPANIES
from cwdesk.console.pages import RecordId, connections_of, render
from cwdesk.console.security import Principal, RequestRefused, audit, check_sizes, require
from cwdesk.errors import CWDeskError, NotFoundError
from cwdesk.workflows import automate_clients as workflows

if TYPE_CHECKING:
    from cwdesk.automate.client import AutomateClient
    from cwdesk.automate.models import Client
    from cwdesk.manage.client import ManageClient

router = APIRouter()
# One thread per part of a client page (six), so a page's reads all run at once.
_pool = ThreadPoolExecutor(max_workers=6, thread_name_prefix="cwdesk-automate")

#: The longest search text accepted (a client name in Automate is at most 50 characters in the spec's model; a
#: longer text can match nothing, and is refused with this bound named rather than sent).
MAX_SEARCH_CHARS = 100
#: How many names one Manage lookup carries (a condition's ``in (...)`` list travels in the query string).
NAMES_PER_LOOKUP = 50
IDS_PER_CONDITION = 200
NOT_CONFIGURED = "ConnectWise Automate is not configured: set the CWA_* variables or use a profile with Automate."


@dataclass(frozen=True)
class ClientRow:
    """One line of the client list: the client, its computers and the matching Manage company (if any)."""

    id: int
    name: str
    city: str
    state: str
    computers: int
    online: int
    company_id: int | None

    @property
    def percentage(self) -> float | None:
        return online_percentage(self.online, self.computers)


def online_percentage(online: int, total: int) -> float | None:
    """The share of computers online, as ``client_health`` gives it (one decimal; none without computers)."""
    return round(100.0 * online / total, 1) if total else None


def _same_name(name: str | None) -> str:
    return (name or "").strip().lower()


def matching_companies(manage: ManageClient, names: Iterable[str]) -> dict[str, int]:
    """The Manage company id for each of ``names`` (by lowered name) that one live company has."""
    wanted = sorted({name.strip() for name in names if name and name.strip()})
    found: dict[str, list[int]] = {}
    for start in range(0, len(wanted), NAMES_PER_LOOKUP):
        chunk = wanted[start : start + NAMES_PER_LOOKUP]
        where = C("name").in_(chunk) & LIVE_COMPANIES
        for company in manage.companies.list(where=where, fields=["id", "name"]):
            if company.id is not None:
                found.setdefault(_same_name(company.name), []).append(int(company.id))
    # Two live companies of one name are no match: the link would pick one at random.
    return {name: ids[0] for name, ids in found.items() if len(ids) == 1}


def matching_automate_clients(cwa: AutomateClient, name: str) -> list[Client]:
    """The Automate clients named ``name`` (Automate's ``=`` ignores case; the name is trimmed)."""
    clients: list[Client] = cwa.clients.list(where=C("Name") == name.strip(), fields=["Id", "Name"])
    return [client for client in clients if _same_name(client.name) == _same_name(name)]


def _search_text(q: str) -> str:
    return " ".join(q.split())


def client_rows(cwa: AutomateClient, manage: ManageClient, q: str) -> list[ClientRow]:
    """The clients whose name contains ``q`` (all when empty), with computer counts and the Manage match."""
    where = C("Name").contains(q) if q else None
    clients: list[Client] = cwa.clients.list(where=where, order_by="Name asc", fields=["Id", "Name", "City", "State"])
    ids = [client.id for client in clients if client.id is not None]
    totals: Counter[int] = Counter()
    online: Counter[int] = Counter()
    if ids:
        # One paged listing for every shown client, not one call per client; the condition names the clients only
        # when they are a few (an ``in (...)`` list travels in the query string), else every computer is read.
        by_client = C("Client.Id").in_(ids) if q and len(ids) <= IDS_PER_CONDITION else None
        for computer in cwa.computers.iter(where=by_client, fields=["Id", "Client", "Status"]):
            if computer.client and computer.client.id is not None:
                totals[computer.client.id] += 1
                online[computer.client.id] += computer.is_online
    companies = matching_companies(manage, [client.name or "" for client in clients])
    return [
        ClientRow(
            id=int(client.id or 0),
            name=client.name or "",
            city=client.city or "",
            state=client.state or "",
            computers=totals[client.id or 0],
            online=online[client.id or 0],
            company_id=companies.get(_same_name(client.name)),
        )
        for client in clients
    ]


def _list_context(request: Request, q: str) -> dict[str, Any]:
    automate = connections_of(request).automate
    text = _search_text(q)
    if automate is None:
        return {"rows": [], "q": text, "error": NOT_CONFIGURED}
    if len(text) > MAX_SEARCH_CHARS:
        error = f"The search is {len(text)} characters long; a client name has at most {MAX_SEARCH_CHARS}: shorten it."
        return {"rows": [], "q": text[:MAX_SEARCH_CHARS], "error": error, "status_code": 400}
    try:
        rows = client_rows(automate, connections_of(request).manage, text)
    except CWDeskError as error:
        return {"rows": [], "q": text, "error": f"Automate could not be read: {error}", "status_code": 502}
    return {"rows": rows, "q": text, "error": ""}


SearchText = Annotated[str, Query(max_length=2_000)]


@router.get("/automate", response_class=HTMLResponse)
def automate_clients_page(
    request: Request, principal: Annotated[Principal, Depends(require("viewer"))], q: SearchText = ""
) -> Response:
    context = _list_context(request, q)
    status = context.pop("status_code", 200)
    return render(request, "automate.html", principal, status_code=status, **context)


@router.get("/automate/rows", response_class=HTMLResponse)
def automate_client_rows(
    request: Request, principal: Annotated[Principal, Depends(require("viewer"))], q: SearchText = ""
) -> Response:
    """The list's rows alone (the page swaps them in as the user types), rendered and escaped here."""
    context = _list_context(request, q)
    status = context.pop("status_code", 200)
    return render(request, "automate_rows.html", principal, status_code=status, **context)


@router.get("/automate/companies/{company_id}")
def automate_client_of_company(
    request: Request, company_id: RecordId, principal: Annotated[Principal, Depends(require("viewer"))]
) -> Response:
    """From a Manage company to the Automate client of the same name (303), or a page saying there is none."""
    connections = connections_of(request)
    if connections.automate is None:
        return render(request, "error.html", principal, status_code=404, message=NOT_CONFIGURED)
    try:
        company = connections.manage.companies.get(company_id)
        clients = matching_automate_clients(connections.automate, company.name or "")
    except NotFoundError:
        message = f"Manage has no company {company_id}."
        return render(request, "error.html", principal, status_code=404, message=message)
    except CWDeskError as error:
        message = f"ConnectWise could not be read: {error}"
        return render(request, "error.html", principal, status_code=502, message=message)
    if len(clients) == 1 and clients[0].id is not None:
        return RedirectResponse(f"/automate/clients/{clients[0].id}", status_code=303)
    if clients:
        message = f"{len(clients)} Automate clients are called {company.name!r}: search for it in the Automate view."
    else:
        message = f"No Automate client is called {company.name!r} (the Manage company {company_id} has no agents)."
    return render(request, "error.html", principal, status_code=404, message=message)


# ------------------------------------------------------------------------------------------------ one client

#: The client fields the edit form offers (the spec's property names, as ``update_client`` takes them).
CLIENT_FORM_FIELDS = (
    ("Name", "Name", "name"),
    ("PhoneNumber", "Phone", "phone_number"),
    ("NewTicketNotificationEmail", "Ticket e-mail", "new_ticket_notification_email"),
    ("FirstName", "Contact first name", "first_name"),
    ("LastName", "Contact last name", "last_name"),
    ("Address1", "Address", "address1"),
    ("City", "City", "city"),
    ("State", "State", "state"),
    ("ZipCode", "ZIP code", "zip_code"),
)
#: The fields of a new location (``create_location``'s names; the name is required).
LOCATION_FORM_FIELDS = (
    ("Name", "Name"),
    ("Address1", "Address"),
    ("City", "City"),
    ("State", "State"),
    ("ZipCode", "ZIP code"),
    ("PhoneNumber", "Phone"),
)
#: An EDF's form field is ``edf:`` and its title (titles may hold any character; the prefix keeps them apart
#: from the CSRF token and ``confirm``).
EDF_PREFIX = "edf:"
#: How ``client_extra_fields`` shows an encrypted EDF's value (it never shows the secret itself).
MASKED_VALUE = "********"


def editable_extra_field(row: dict[str, Any]) -> bool:
    """Whether the page offers an input for this EDF: not read-only, and not encrypted (its value is shown masked,
    and sending the mask back would overwrite the secret with it)."""
    encrypted = row.get("encrypted", row.get("value") == MASKED_VALUE)
    return not row.get("read_only") and not encrypted


def _read_client_page(cwa: AutomateClient, manage: ManageClient, client_id: int) -> dict[str, Any]:
    """Everything the client page shows, each part from the workflow the CLI prints it with, read in parallel."""
    calls: dict[str, Future[Any]] = {
        "client": _pool.submit(cwa.clients.get, client_id),
        "health": _pool.submit(workflows.client_health, cwa, client_id),
        "locations": _pool.submit(workflows.list_locations, cwa, client_id),
        "computers": _pool.submit(workflows.list_computers, cwa, client_id),
        "extra_fields": _pool.submit(workflows.client_extra_fields, cwa, client_id),
        "groups": _pool.submit(workflows.list_groups, cwa, client_id),
    }
    page = {name: call.result() for name, call in calls.items()}
    client: Client = page["client"]
    page["company_id"] = matching_companies(manage, [client.name or ""]).get(_same_name(client.name))
    return page


@router.get("/automate/clients/{client_id}", response_class=HTMLResponse)
def automate_client(
    request: Request, client_id: RecordId, principal: Annotated[Principal, Depends(require("viewer"))]
) -> Response:
    connections = connections_of(request)
    automate = connections.automate
    if automate is None:
        return render(request, "automate.html", principal, rows=[], q="", error=NOT_CONFIGURED)
    try:
        page = _read_client_page(automate, connections.manage, client_id)
    except (NotFoundError, workflows.ClientNotFound):
        message = f"Automate has no client {client_id}."
        return render(request, "error.html", principal, status_code=404, message=message)
    except CWDeskError as error:
        return render(request, "error.html", principal, status_code=502, message=f"Automate could not be read: {error}")
    return render(
        request,
        "automate_client.html",
        principal,
        client_fields=CLIENT_FORM_FIELDS,
        location_fields=LOCATION_FORM_FIELDS,
        edf_prefix=EDF_PREFIX,
        editable_extra_field=editable_extra_field,
        **page,
    )


# ----------------------------------------------------------------------------------------------------- edits


@dataclass(frozen=True)
class Edit:
    """What one edit would do (a preview) or did: the workflow's message, each change, and what was refused."""

    message: str
    changes: list[dict[str, Any]] = field(default_factory=list)  # {"what", "before", "after"}
    errors: dict[str, str] = field(default_factory=dict)  # form field -> why it is refused (nothing written)
    nothing_to_do: bool = False
    failed: bool = False  # written, but Automate did not keep it
    detail: dict[str, Any] = field(default_factory=dict)  # the workflow's own record of it, for the audit log


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "(empty)" if value in (None, "") else str(value)


def _change(what: str, before: Any, after: Any) -> dict[str, Any]:
    return {"what": what, "before": _shown(before), "after": _shown(after)}


async def _form_values(request: Request) -> tuple[dict[str, str], bool]:
    """The submitted fields (the last value of a repeated name: a checkbox follows its hidden ``false``) and
    whether the change is confirmed."""
    form = await request.form()
    values: dict[str, str] = {}
    for key in form:
        if key == "csrf_token":
            continue
        last = form.getlist(key)[-1]
        if isinstance(last, str):
            values[key] = last
    confirmed = values.pop("confirm", "").lower() == "yes"
    check_sizes(values)
    return values, confirmed


def _automate(request: Request) -> AutomateClient | None:
    return connections_of(request).automate


async def _run_edit(
    request: Request,
    principal: Principal,
    *,
    action: str,
    target: str,
    run: Callable[[AutomateClient, dict[str, str], bool], Edit],
    danger: bool = False,
) -> Response:
    """Preview (no ``confirm=yes``: the workflow's dry run) or make the change (audited), answered as JSON."""
    cwa = _automate(request)
    if cwa is None:
        return refused(NOT_CONFIGURED, status_code=409)
    try:
        values, confirmed = await _form_values(request)
    except RequestRefused as problem:
        return refused(str(problem), status_code=problem.status, errors={problem.field: str(problem)})
    try:
        edit = await run_in_threadpool(run, cwa, values, not confirmed)
    except CWDeskError as error:
        if confirmed:
            audit(request, principal, action, target=target, detail=values, result="error", message=str(error)[:500])
        return failure(error)
    if edit.errors:
        if confirmed:
            audit(request, principal, action, target=target, detail=values, result="refused", message=edit.message)
        count = len(edit.errors)
        return refused(
            f"{edit.message} {count} problem{'s' if count != 1 else ''} to fix; nothing was changed.",
            errors=edit.errors,
        )
    if not confirmed:
        return ok(edit.message, preview=True, changes=edit.changes, nothing_to_do=edit.nothing_to_do, danger=danger)
    audit(
        request,
        principal,
        action,
        target=target,
        detail=_audit_detail(edit),
        result="error" if edit.failed else "ok",
        message=edit.message,
    )
    if edit.failed:
        return refused(edit.message, status_code=502)
    return ok(edit.message, saved=not edit.nothing_to_do, changes=edit.changes)


def _audit_detail(edit: Edit) -> dict[str, Any]:
    """The audit row's detail: the workflow's record of the change, with ``changes`` as ``{what: [before, after]}``
    (the shape the Audit log page shows as before -> after)."""
    record = {key: value for key, value in edit.detail.items() if key != "changes"}
    return {**record, "changes": {change["what"]: [change["before"], change["after"]] for change in edit.changes}}


def _target(client_id: int) -> str:
    return f"automate client {client_id}"


def _update_client(client_id: int) -> Callable[[AutomateClient, dict[str, str], bool], Edit]:
    def run(cwa: AutomateClient, values: dict[str, str], dry_run: bool) -> Edit:
        update = workflows.update_client(cwa, client_id, values, dry_run=dry_run)
        labels = {name: label for name, label, _attribute in CLIENT_FORM_FIELDS}
        changes = [_change(labels.get(c.field, c.field), c.before, c.after) for c in update.changed]
        # Written, but Automate answered other values for some fields: the answer says which, as an error.
        failed = update.written and not update.ok
        return Edit(update.message, changes, nothing_to_do=not changes, failed=failed, detail=update.as_dict())

    return run


@router.post("/automate/clients/{client_id}")
async def edit_client(
    request: Request, client_id: RecordId, principal: Annotated[Principal, Depends(require("operator"))]
) -> Response:
    """Edit the client's fields (``workflows.update_client``: names checked against the spec, one PATCH)."""
    return await _run_edit(
        request, principal, action="automate update client", target=_target(client_id), run=_update_client(client_id)
    )


def _add_location(client_id: int) -> Callable[[AutomateClient, dict[str, str], bool], Edit]:
    def run(cwa: AutomateClient, values: dict[str, str], dry_run: bool) -> Edit:
        details = {key: value for key, value in values.items() if key != "Name"}
        made = workflows.create_location(cwa, client_id, values.get("Name", ""), details, dry_run=dry_run)
        if made.status == "exists":
            return Edit(made.message, errors={"Name": made.message}, detail=made.as_dict())
        labels = dict(LOCATION_FORM_FIELDS)
        changes = [_change(labels.get(key, key), None, value) for key, value in made.body.items()]
        return Edit(made.message, changes, detail=made.as_dict())

    return run


@router.post("/automate/clients/{client_id}/locations")
async def add_location(
    request: Request, client_id: RecordId, principal: Annotated[Principal, Depends(require("operator"))]
) -> Response:
    """Add a location (``workflows.create_location``; a name the client already has is refused)."""
    return await _run_edit(
        request, principal, action="automate add location", target=_target(client_id), run=_add_location(client_id)
    )


def _set_extra_fields(client_id: int) -> Callable[[AutomateClient, dict[str, str], bool], Edit]:
    def run(cwa: AutomateClient, values: dict[str, str], dry_run: bool) -> Edit:
        wanted = {key[len(EDF_PREFIX) :]: value for key, value in values.items() if key.startswith(EDF_PREFIX)}
        rows = {row["title"].strip().lower(): row for row in workflows.client_extra_fields(cwa, client_id)}
        locked = {
            EDF_PREFIX + title: f"{title!r} is encrypted or read-only: change it in Automate itself"
            for title in wanted
            if title.strip().lower() in rows and not editable_extra_field(rows[title.strip().lower()])
        }
        if locked:
            return Edit("Some extra fields cannot be changed here.", errors=locked)
        before = {title: rows[title.strip().lower()]["value"] for title in wanted if title.strip().lower() in rows}
        # Every value is checked first (a dry run): a refused one means nothing is written, not the others only.
        planned = workflows.set_client_extra_fields(cwa, client_id, wanted, dry_run=True)
        errors = {EDF_PREFIX + u.field: u.message for u in planned if u.status in ("not_found", "invalid")}
        if errors:
            return Edit("Some extra fields cannot take these values.", errors=errors)
        results = planned if dry_run else workflows.set_client_extra_fields(cwa, client_id, wanted, dry_run=False)
        changes = [_change(u.field, before.get(u.field), u.value) for u in results if u.status != "unchanged"]
        failed = [u for u in results if u.status not in ("updated", "would_update", "unchanged")]
        if failed:
            message = "; ".join(f"{u.field}: {u.message}" for u in failed)
            return Edit(message, changes, failed=True, detail={"fields": [u.as_dict() for u in results]})
        if not changes:
            return Edit("These extra fields already have these values: nothing to change.", nothing_to_do=True)
        verb = "Would set" if dry_run else "Set"
        message = f"{verb} {', '.join(c['what'] for c in changes)}."
        return Edit(message, changes, detail={"fields": [u.as_dict() for u in results]})

    return run


@router.post("/automate/clients/{client_id}/extra-fields")
async def set_extra_fields(
    request: Request, client_id: RecordId, principal: Annotated[Principal, Depends(require("operator"))]
) -> Response:
    """Set EDFs by title (``workflows.set_client_extra_fields``: dropdown options and checkbox values checked)."""
    return await _run_edit(
        request,
        principal,
        action="automate set extra fields",
        target=_target(client_id),
        run=_set_extra_fields(client_id),
    )


def _membership(client_id: int, *, add: bool) -> Callable[[AutomateClient, dict[str, str], bool], Edit]:
    change = workflows.add_client_to_group if add else workflows.remove_client_from_group

    def run(cwa: AutomateClient, values: dict[str, str], dry_run: bool) -> Edit:
        membership = change(cwa, values.get("group", ""), client_id, dry_run=dry_run)
        if membership.status == "failed":
            return Edit(membership.message, failed=True, detail=membership.as_dict())
        inside, outside = f"in {membership.group}", f"not in {membership.group}"
        changes = [
            _change(
                str(computer.get("name") or computer.get("id")), outside if add else inside, inside if add else outside
            )
            for computer in membership.computers
        ]
        nothing = membership.status in ("already_member", "not_a_member", "no_computers")
        return Edit(membership.message, [] if nothing else changes, nothing_to_do=nothing, detail=membership.as_dict())

    return run


@router.post("/automate/clients/{client_id}/groups/add")
async def add_to_group(
    request: Request, client_id: RecordId, principal: Annotated[Principal, Depends(require("operator"))]
) -> Response:
    """Put the client's computers into a group (``workflows.add_client_to_group``)."""
    return await _run_edit(
        request,
        principal,
        action="automate add client to group",
        target=_target(client_id),
        run=_membership(client_id, add=True),
    )


@router.post("/automate/clients/{client_id}/groups/remove")
async def remove_from_group(
    request: Request, client_id: RecordId, principal: Annotated[Principal, Depends(require("operator"))]
) -> Response:
    """Take the client's computers out of a group (``workflows.remove_client_from_group``), once confirmed."""
    return await _run_edit(
        request,
        principal,
        action="automate remove client from group",
        target=_target(client_id),
        run=_membership(client_id, add=False),
        danger=True,
    )
