"""The Automate view (C6): clients, a client's locations, and its computers' health (online / offline).

Reads only, through the Automate SDK (``AutomateClient``); the client, its locations and its computers are read
in parallel. The online / offline figure is Automate's own ``Status`` of each computer, counted.
Not for: changing Automate (``cwdesk.workflows.automate_clients`` and the CLI do that).
"""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from cwdesk.conditions import C
from cwdesk.console.pages import connections_of, render
from cwdesk.console.security import Principal, require
from cwdesk.errors import CWDeskError, NotFoundError

router = APIRouter()
_pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="cwdesk-automate")


def _not_configured(request: Request, principal: Principal) -> Response:
    return render(
        request,
        "automate.html",
        principal,
        clients=[],
        error="ConnectWise Automate is not configured: set the CWA_* variables or use a profile with Automate.",
    )


@router.get("/automate", response_class=HTMLResponse)
def automate_clients(request: Request, principal: Annotated[Principal, Depends(require("viewer"))]) -> Response:
    automate = connections_of(request).automate
    if automate is None:
        return _not_configured(request, principal)
    try:
        clients = automate.clients.list(order_by="Name asc", fields=["Id", "Name", "City", "State"])
    except CWDeskError as error:
        return render(request, "automate.html", principal, clients=[], error=f"Automate could not be read: {error}")
    return render(request, "automate.html", principal, clients=clients, error="")


def _status(computer: Any) -> str:
    return str(getattr(computer, "status", None) or "Unknown")


@router.get("/automate/clients/{client_id}", response_class=HTMLResponse)
def automate_client(
    request: Request, client_id: int, principal: Annotated[Principal, Depends(require("viewer"))]
) -> Response:
    automate = connections_of(request).automate
    if automate is None:
        return _not_configured(request, principal)
    by_client = C("Client.Id") == client_id
    try:
        client_call = _pool.submit(automate.clients.get, client_id)
        locations_call = _pool.submit(automate.locations.list, where=by_client, order_by="Name asc")
        computers_call = _pool.submit(automate.computers.list, where=by_client, order_by="ComputerName asc")
        client = client_call.result()
        locations, computers = locations_call.result(), computers_call.result()
    except NotFoundError:
        message = f"Automate has no client {client_id}."
        return render(request, "error.html", principal, status_code=404, message=message)
    except CWDeskError as error:
        return render(request, "error.html", principal, status_code=502, message=f"Automate could not be read: {error}")
    tally = Counter(_status(computer).lower() for computer in computers)
    return render(
        request,
        "automate_client.html",
        principal,
        client=client,
        locations=locations,
        computers=computers,
        online=tally.get("online", 0),
        offline=tally.get("offline", 0),
        other=len(computers) - tally.get("online", 0) - tally.get("offline", 0),
    )
