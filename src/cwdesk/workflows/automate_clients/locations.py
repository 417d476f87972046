"""Locations of an Automate client: list them, create one, change one.

- ``list_locations(cwa, client)``: each location with its address, phone and computer count.
- ``create_location(cwa, client, "Branch Office", {"address1": ..., "city": ...})``: the fields are checked like
  an update (``changes.check_changes("Location", ...)``: spec names or friendly ones, did-you-mean) before the
  ``POST /Locations`` (``Locations_PostLocation``; the body names its client as ``Client: {Id}``). A location of
  that name at that client already is reported as ``exists`` and nothing is written, so running it twice is safe.
- ``update_location(cwa, client, location, {"Phone": ...})``: one ``PATCH /Locations/{id}`` of PatchOperations
  (``Locations_PatchLocation``) with only the fields that change; a dry run answers the before -> after diff.

Not for: a client's first location (``create_client`` makes it) or moving computers (``delete_client``).
"""

from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cwdesk.automate.client import AutomateClient
from cwdesk.automate.models import Client, Location
from cwdesk.conditions import C
from cwdesk.workflows.automate_clients.changes import RecordUpdate, check_changes
from cwdesk.workflows.automate_clients.clients import resolve_client
from cwdesk.workflows.validation import InvalidInput, Problem

__all__ = [
    "LOCATION_COLUMNS",
    "LocationCreate",
    "create_location",
    "list_locations",
    "resolve_location",
    "update_location",
]

#: The keys of each row ``list_locations`` answers, in the order a table shows them.
LOCATION_COLUMNS = ["id", "name", "address1", "city", "state", "zip", "phone", "computers"]


def _locations_of(cwa: AutomateClient, client: Client) -> list[Location]:
    found: list[Location] = cwa.locations.list(where=C("Client.Id") == (client.id or 0), order_by="Name asc")
    return found


def _row(location: Location, computers: int) -> dict[str, Any]:
    return {
        "id": location.id,
        "name": location.name or "",
        "address1": location.address1 or "",
        "city": location.city or "",
        "state": location.state or "",
        "zip": location.zip_code or "",
        "phone": location.phone_number or "",
        "computers": computers,
    }


def list_locations(cwa: AutomateClient, client: str | int) -> list[dict[str, Any]]:
    """The client's locations (by name), each with its address and how many computers it holds."""
    found = resolve_client(cwa, client)
    locations = _locations_of(cwa, found)
    counts: Counter[int] = Counter()
    for computer in cwa.computers.iter(where=C("Client.Id") == (found.id or 0), fields=["Id", "Location"]):
        if computer.location and computer.location.id is not None:
            counts[computer.location.id] += 1
    return [_row(location, counts[location.id or 0]) for location in locations]


def resolve_location(cwa: AutomateClient, client: Client, location: str | int) -> Location:
    """The client's location with that id or name (any case); ``InvalidInput`` naming its locations otherwise."""
    wanted = str(location).strip()
    locations = _locations_of(cwa, client)
    for candidate in locations:
        if str(candidate.id) == wanted or (candidate.name or "").strip().lower() == wanted.lower():
            return candidate
    names = [candidate.name or "" for candidate in locations]
    close = difflib.get_close_matches(wanted, names, n=3, cutoff=0.5)
    hint = f"did you mean {' or '.join(repr(n) for n in close)}? " if close else ""
    listed = ", ".join(repr(n) for n in names) or "none"
    raise InvalidInput(
        [Problem("location", f"{client.name!r} has no location {wanted!r}: {hint}(its locations: {listed})")],
        subject="the location",
    )


@dataclass(frozen=True)
class LocationCreate:
    """What ``create_location`` did: ``created``, ``would_create`` (dry run) or ``exists`` (nothing written)."""

    status: str
    client_id: int
    client: str
    location_id: int | None
    name: str
    body: dict[str, Any]
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "client_id": self.client_id,
            "client": self.client,
            "location_id": self.location_id,
            "name": self.name,
            "body": self.body,
            "message": self.message,
        }


def create_location(
    cwa: AutomateClient,
    client: str | int,
    name: str,
    details: Mapping[str, Any] | None = None,
    *,
    dry_run: bool = False,
) -> LocationCreate:
    """A new location of ``client`` called ``name`` with ``details`` (address1, city, state, zip, phone... or
    the spec's names); checked before the write; an existing name is ``exists``."""
    found = resolve_client(cwa, client)
    client_id = int(found.id or 0)
    changes = check_changes("Location", {}, {**(details or {}), "Name": name})
    body = {c.field: c.after for c in changes if c.after not in (None, "")}
    clean = str(body.get("Name", ""))

    def result(status: str, location_id: int | None, message: str) -> LocationCreate:
        return LocationCreate(status, client_id, found.name or "", location_id, clean, body, message)

    same_name = [loc for loc in _locations_of(cwa, found) if (loc.name or "").strip().lower() == clean.lower()]
    if same_name:
        existing = same_name[0]
        return result(
            "exists",
            existing.id,
            f"{found.name!r} already has a location {existing.name!r} (id {existing.id}): nothing was created "
            "(`cwdesk automate locations update` changes it).",
        )
    if dry_run:
        return result("would_create", None, f"Would create location {clean!r} of client {found.name!r}.")
    made: Location = cwa.locations.create({**body, "Client": {"Id": client_id}})
    return result("created", made.id, f"Created location {made.name!r} (id {made.id}) of client {found.name!r}.")


def update_location(
    cwa: AutomateClient,
    client: str | int,
    location: str | int,
    values: Mapping[str, Any],
    *,
    dry_run: bool = False,
) -> RecordUpdate:
    """Change a location's fields: checked before any write, one PATCH of only the fields that change."""
    found = resolve_client(cwa, client)
    target = resolve_location(cwa, found, location)
    location_id = int(target.id or 0)
    changes = check_changes("Location", target, values)
    wanted = {c.field: c.after for c in changes if c.changed}
    new_name = wanted.get("Name")
    if isinstance(new_name, str):
        others = [loc for loc in _locations_of(cwa, found) if loc.id != location_id]
        if any((loc.name or "").strip().lower() == new_name.lower() for loc in others):
            raise InvalidInput(
                [Problem("Name", f"{found.name!r} already has a location called {new_name!r}")],
                subject="the location update",
            )

    def result(written: bool, message: str, differing: list[str] | None = None) -> RecordUpdate:
        return RecordUpdate(
            "location",
            location_id,
            target.name or "",
            changes,
            dry_run,
            written,
            message,
            client=found.name or "",
            differing=differing or [],
        )

    if not wanted:
        return result(False, f"Location {target.name!r} already has these values: nothing to change.")
    listed = ", ".join(wanted)
    if dry_run:
        return result(False, f"Would change {listed} of location {target.name!r} of {found.name!r}.")
    after: Location = cwa.locations.update(location_id, wanted)
    kept = after.model_dump(by_alias=True)
    differing = [key for key, value in wanted.items() if kept.get(key) != value]
    if differing:
        return result(True, f"Automate answered other values for {', '.join(differing)} after the change.", differing)
    return result(True, f"Changed {listed} of location {after.name or target.name!r} of {found.name!r}.")
