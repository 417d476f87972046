"""Automate clients one by one: find, resolve, create, update (a PATCH of the spec's fields) and safe delete.

- ``find_client(cwa, name)``: an exact match (any case), else the only client whose name contains it, else
  suggestions (name, id, city, computer count) from the names containing it or close to it.
  ``FindResult.as_dict()`` is ``{found, client, suggestions}``.
- ``resolve_client(cwa, name_or_id)``: one client for the commands that act on one; a ``ClientNotFound`` (exit 2)
  listing the suggestions otherwise. Digits only means an id.
- ``create_client(cwa, name, location="Main Office")``: refuses an existing name; the location takes the client's
  address.
- ``update_client(cwa, name_or_id, {"Phone": "555-0100"})``: the fields checked against ``LabTech.Models.Client``
  (``changes.check_changes``: did-you-mean, types) before any write; a dry run answers the before -> after diff;
  only the fields that change are sent, as one ``PATCH /Clients/{id}`` of PatchOperations
  (``Clients_PatchClient`` in automate-core.json); the answer is checked against what was asked.
- ``delete_client(cwa, name_or_id, move_computers_to="Client/Location")``: refuses (with the computer list) while
  computers remain, or moves them first (each move verified), then deletes and checks the client is gone.

Names typed by a user always go through the conditions builder (escaped), never into a condition string.
Not for: HTTP details (the SDK) or printing (the CLI).
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cwdesk.automate.client import AutomateClient
from cwdesk.automate.models import Client, Computer, Location
from cwdesk.conditions import C
from cwdesk.errors import NotFoundError
from cwdesk.workflows.automate_clients.changes import RecordUpdate, check_changes
from cwdesk.workflows.validation import InvalidInput, Problem, Problems

__all__ = [
    "CLIENT_KEYS",
    "DEFAULT_LOCATION",
    "ClientNotFound",
    "DeleteResult",
    "FindResult",
    "ProgressCallback",
    "client_body",
    "create_client",
    "delete_client",
    "find_client",
    "location_body",
    "resolve_client",
    "update_client",
]

DEFAULT_LOCATION = "Main Office"
ProgressCallback = Callable[[int, int], None]

#: The friendly keys of a client (the onboarding plan's and ``create``'s) and the Automate field each one sets.
CLIENT_KEYS: dict[str, str] = {
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
    # A command that acts on a client (delete, set-edf...) needs its whole name or id, never a part of it. The
    # exact match is one call; the suggestions (with their computer counts) are read only when it is not one client.
    exact: list[Client] = cwa.clients.list(where=C("Name") == text) if text else []
    if len(exact) == 1:
        return exact[0]
    result = find_client(cwa, text, part_of_name=False)
    if not result.found or result.client is None:
        raise ClientNotFound(text, result.suggestions)
    client: Client = cwa.clients.get(result.client["id"])
    return client


# --------------------------------------------------------------------------------------------------- create


def client_body(section: Mapping[str, Any]) -> dict[str, Any]:
    """Automate's client fields from friendly keys (``CLIENT_KEYS``; unknown keys are refused by the callers)."""
    return {CLIENT_KEYS[k]: str(v) for k, v in section.items() if k in CLIENT_KEYS and v is not None}


def location_body(client: Mapping[str, Any], section: Mapping[str, Any]) -> dict[str, Any]:
    """The location's fields: the client's address unless ``section`` (friendly keys) gives its own."""
    body = {k: client[k] for k in ("Address1", "Address2", "City", "State", "ZipCode", "Country") if k in client}
    if "PhoneNumber" in client:
        body["PhoneNumber"] = client["PhoneNumber"]
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
    unknown = sorted(set(details or {}) - set(CLIENT_KEYS))
    problems.add("details", f"unknown field(s) {', '.join(unknown)}" if unknown else None)
    problems.raise_if_any()
    existing: list[Client] = cwa.clients.list(where=C("Name") == clean)
    if existing:
        raise InvalidInput(
            [Problem("name", f"a client named {existing[0].name!r} already exists (id {existing[0].id})")],
            subject="the new client",
        )
    body = client_body({**(details or {}), "name": clean})
    first = location_body(body, {"name": location})
    if dry_run:
        return {"dry_run": True, "client": body, "location": first}
    client: Client = cwa.clients.create(body)
    created: Location = cwa.locations.create({**first, "Client": {"Id": client.id}})
    return {
        "dry_run": False,
        "client": {"id": client.id, "name": client.name},
        "location": {"id": created.id, "name": created.name},
    }


# --------------------------------------------------------------------------------------------------- update


def update_client(
    cwa: AutomateClient, name_or_id: str | int, values: Mapping[str, Any], *, dry_run: bool = False
) -> RecordUpdate:
    """Change a client's fields (``{"PhoneNumber": "555-0100"}``, friendly names allowed): checked before any
    write, one PATCH of only the fields that change, read back and compared."""
    client = resolve_client(cwa, name_or_id)
    client_id = int(client.id or 0)
    changes = check_changes("Client", client, values)
    wanted = {c.field: c.after for c in changes if c.changed}
    new_name = wanted.get("Name")
    if isinstance(new_name, str):
        taken = [c for c in cwa.clients.list(where=C("Name") == new_name) if c.id != client_id]
        if taken:
            raise InvalidInput(
                [Problem("Name", f"a client named {taken[0].name!r} already exists (id {taken[0].id})")],
                subject="the client update",
            )

    def result(written: bool, message: str, differing: list[str] | None = None) -> RecordUpdate:
        return RecordUpdate(
            "client", client_id, client.name or "", changes, dry_run, written, message, differing=differing or []
        )

    if not wanted:
        return result(False, f"{client.name!r} already has these values: nothing to change.")
    listed = ", ".join(wanted)
    if dry_run:
        return result(False, f"Would change {listed} of client {client.name!r} (id {client_id}).")
    after: Client = cwa.clients.update(client_id, wanted)
    kept = after.model_dump(by_alias=True)
    differing = [name for name, value in wanted.items() if kept.get(name) != value]
    if differing:
        return result(True, f"Automate answered other values for {', '.join(differing)} after the change.", differing)
    return result(True, f"Changed {listed} of client {after.name or client.name!r} (id {client_id}).")


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
