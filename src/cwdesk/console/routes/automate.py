"""The Automate view (C6, issue 18 item 2): search the clients, one client's health, locations, EDFs and groups.

Reads go through the Automate SDK (``AutomateClient``) and the W5 workflows; a client's records are read in
parallel. The online figure is Automate's own ``Status`` of each computer (``Computer.is_online``), counted; the
health of one client is ``automate_clients.client_health``, the function ``cwdesk automate clients health`` prints.
Search is by client name, on the server: the text goes into a ``cwdesk.conditions`` condition (escaped), never
into a condition string.

A Manage company and an Automate client match when they have the same name (any case, surrounding spaces
ignored): the demo seed makes each Automate client as the twin of a Manage company of that name
(``sandbox/seed_automate.py``), and ``cwdesk mcp``'s ``find_client`` looks a name up in both the same way. The
match is made in one place (``matching_companies`` / ``matching_automate_clients``); each side links to the other.
Not for: the rules of a change (``cwdesk.workflows.automate_clients``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from cwdesk.conditions import C
from cwdesk.console.client_list import LIVE_COMPANIES
from cwdesk.console.pages import RecordId, connections_of, render
from cwdesk.console.security import Principal, require
from cwdesk.errors import CWDeskError, NotFoundError
from cwdesk.workflows import automate_clients

if TYPE_CHECKING:
    from cwdesk.automate.client import AutomateClient
    from cwdesk.automate.models import Client, Computer
    from cwdesk.manage.client import ManageClient

router = APIRouter()
_pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="cwdesk-automate")

#: The longest search text accepted (a client name in Automate is at most 50 characters in the spec's model; a
#: longer text can match nothing, and is refused with this bound named rather than sent).
MAX_SEARCH_CHARS = 100
#: How many names one Manage lookup carries (a condition's ``in (...)`` list travels in the query string).
NAMES_PER_LOOKUP = 50
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
        # One paged listing for every shown client, not one call per client.
        for computer in cwa.computers.iter(where=C("Client.Id").in_(ids), fields=["Id", "Client", "Status"]):
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


def _computer_sort_key(computer: Computer) -> str:
    return (computer.computer_name or computer.friendly_name or "").lower()


def _groups_of(cwa: AutomateClient, computers: Sequence[Computer]) -> list[dict[str, Any]]:
    """The groups holding any of the client's computers, with how many of them each holds."""
    ids = sorted({computer.id for computer in computers if computer.id is not None})
    if not ids:
        return []
    held: Counter[int] = Counter()
    for membership in cwa.group_computers.iter(where=C("ComputerId").in_(ids)):
        if membership.group_id is not None:
            held[membership.group_id] += 1
    if not held:
        return []
    groups = cwa.groups.list(where=C("Id").in_(sorted(held)), order_by="Name asc")
    return [
        {"id": group.id, "name": group.full_name or group.name or "", "computers": held[group.id or 0]}
        for group in groups
    ]


@router.get("/automate/clients/{client_id}", response_class=HTMLResponse)
def automate_client(
    request: Request, client_id: RecordId, principal: Annotated[Principal, Depends(require("viewer"))]
) -> Response:
    connections = connections_of(request)
    automate = connections.automate
    if automate is None:
        return render(request, "automate.html", principal, rows=[], q="", error=NOT_CONFIGURED)
    by_client = C("Client.Id") == client_id
    try:
        client_call = _pool.submit(automate.clients.get, client_id)
        health_call = _pool.submit(automate_clients.client_health, automate, client_id)
        locations_call = _pool.submit(automate.locations.list, where=by_client, order_by="Name asc")
        computers_call = _pool.submit(automate.computers.list, where=by_client)
        fields_call = _pool.submit(automate.clients.extra_fields, client_id)
        client = client_call.result()
        health, locations = health_call.result(), locations_call.result()
        computers = sorted(computers_call.result(), key=_computer_sort_key)
        extra_fields = fields_call.result()
        groups = _groups_of(automate, computers)
        company_id = matching_companies(connections.manage, [client.name or ""]).get(_same_name(client.name))
    except (NotFoundError, automate_clients.ClientNotFound):
        message = f"Automate has no client {client_id}."
        return render(request, "error.html", principal, status_code=404, message=message)
    except CWDeskError as error:
        return render(request, "error.html", principal, status_code=502, message=f"Automate could not be read: {error}")
    return render(
        request,
        "automate_client.html",
        principal,
        client=client,
        health=health,
        locations=locations,
        computers=computers,
        extra_fields=extra_fields,
        groups=groups,
        company_id=company_id,
    )
