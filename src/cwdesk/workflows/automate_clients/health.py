"""How an estate of Automate clients is doing: the client report, one client's health, and computer listings.

- ``client_report(cwa)``: every client with contact, computer counts and location names, in three paged listings
  (clients, locations, computers) rather than one call per client.
- ``client_health(cwa, name_or_id)``: online / offline / percentage and the offline computers with last contact;
  a client without computers has no percentage (``None``), not a division by zero.
- ``list_computers(cwa, client=None, offline=False, os=None)``: each computer with its client, location, status,
  last contact and operating system; ``offline`` keeps the offline ones, ``os`` the ones whose operating system
  name contains the text (any case). Online means Automate's own ``Status`` is ``Online`` (``Computer.is_online``),
  the same rule as the health figures.

Not for: changing anything (``clients.py``, ``locations.py``, ``groups.py``).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cwdesk.automate.client import AutomateClient
from cwdesk.automate.models import Client, Computer
from cwdesk.conditions import C
from cwdesk.workflows.automate_clients.clients import ProgressCallback, resolve_client

__all__ = ["COMPUTER_COLUMNS", "ClientHealth", "client_health", "client_report", "last_contact", "list_computers"]

#: The keys of each row ``list_computers`` answers, in the order a table shows them.
COMPUTER_COLUMNS = ["id", "name", "client", "location", "status", "last_contact", "os", "type"]


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


def last_contact(computer: Computer) -> str:
    """When the agent last checked in, as ISO 8601 UTC (empty when Automate has no date)."""
    moment: datetime | None = computer.remote_agent_last_contact
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment else ""


def client_health(cwa: AutomateClient, name_or_id: str | int) -> ClientHealth:
    """How many of the client's computers are online, and which are offline since when."""
    client = resolve_client(cwa, name_or_id)
    computers: list[Computer] = cwa.computers.list(where=C("Client.Id") == (client.id or 0))
    online = [c for c in computers if c.is_online]
    offline = sorted((c for c in computers if not c.is_online), key=last_contact)
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
                "last_contact": last_contact(c),
            }
            for c in offline
        ],
    )


def _computer_row(computer: Computer) -> dict[str, Any]:
    return {
        "id": computer.id,
        "name": computer.computer_name or "",
        "client": computer.client.name if computer.client else "",
        "location": computer.location.name if computer.location else "",
        "status": "online" if computer.is_online else "offline",
        "last_contact": last_contact(computer),
        "os": computer.operating_system_name or "",
        "type": computer.type or "",
    }


def list_computers(
    cwa: AutomateClient, client: str | int | None = None, *, offline: bool = False, os: str | None = None
) -> list[dict[str, Any]]:
    """The computers of ``client`` (name or id), or of every client; filtered by ``offline`` and ``os``."""
    where = None
    if client is not None and str(client).strip():
        found: Client = resolve_client(cwa, client)
        where = C("Client.Id") == (found.id or 0)
    wanted_os = (os or "").strip().lower()
    rows = []
    for computer in cwa.computers.iter(where=where, order_by="ComputerName asc"):
        if offline and computer.is_online:
            continue
        if wanted_os and wanted_os not in (computer.operating_system_name or "").lower():
            continue
        rows.append(_computer_row(computer))
    return rows
