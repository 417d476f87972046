"""The Automate emulator's state: clients, locations, computers, groups, extra fields and tokens on SQLite.

Tables are prefixed ``cwa_`` in the connection the Manage backend uses. Records come out in the shape of the
bundled ``automate-core.json`` (``LabTech.Models.*``, PascalCase); a list is filtered with a condition evaluated in
Python (``cwdesk.conditions.matches``) over the rendered records (Automate data sets are small), ordered and paged
here. Every rule about records
(writable fields and their types, unique names, what a delete refuses) lives here and raises ``AutomateError``.
Three answers are emulated by analogy, as no source shows a real server giving them (docs/automate.md): PATCH of a
client's extra field (the spec has the Locations form only), ``PATCH /Computers/{id}`` with a ``Location/Id``
operation (moving a computer), and ``GET /Computers/{id}`` (the list's record).
Not for: HTTP (routes, auth headers, query parameters, ``{"Message": ...}`` bodies: ``sandbox/automate_api.py``),
seeding (``sandbox/seed_automate.py``), parsing and evaluating conditions (``cwdesk.conditions.matches``, in the
automate dialect).
"""

from __future__ import annotations

import json
import re
import sqlite3
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from cwdesk.conditions import AllOf, AnyOf, Comparison, Condition, field_paths, matches, value_at
from cwdesk.sandbox.backend.spec import spec_path

__all__ = [
    "CLIENT_FIELDS",
    "DEFAULT_PAGE_SIZE",
    "LOCATION_FIELDS",
    "MAX_PAGE_SIZE",
    "AutomateBackend",
    "AutomateError",
    "ListQuery",
    "PatchOperation",
    "default_of",
    "iso",
]

MAX_PAGE_SIZE = 1000
# No source states the server's default page size; 50 is a guess, and every well-behaved client sends pagesize.
DEFAULT_PAGE_SIZE = 50

_SCHEMA = """
CREATE TABLE IF NOT EXISTS cwa_clients (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS cwa_locations (
    id INTEGER PRIMARY KEY AUTOINCREMENT, client_id INTEGER NOT NULL, name TEXT NOT NULL, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS cwa_locations_client ON cwa_locations (client_id);
CREATE TABLE IF NOT EXISTS cwa_computers (
    id INTEGER PRIMARY KEY AUTOINCREMENT, client_id INTEGER NOT NULL, location_id INTEGER NOT NULL,
    online INTEGER NOT NULL, last_contact TEXT, contact_offset_s INTEGER NOT NULL DEFAULT 0, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS cwa_computers_client ON cwa_computers (client_id);
CREATE INDEX IF NOT EXISTS cwa_computers_location ON cwa_computers (location_id);
CREATE TABLE IF NOT EXISTS cwa_groups (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS cwa_group_computers (
    id INTEGER PRIMARY KEY AUTOINCREMENT, group_id INTEGER NOT NULL, computer_id INTEGER NOT NULL,
    UNIQUE (group_id, computer_id));
CREATE TABLE IF NOT EXISTS cwa_extra_field_definitions (
    id INTEGER PRIMARY KEY AUTOINCREMENT, target TEXT NOT NULL, title TEXT NOT NULL, display_format TEXT NOT NULL,
    section TEXT NOT NULL, default_value TEXT NOT NULL, options TEXT NOT NULL, guid TEXT NOT NULL,
    UNIQUE (target, title));
CREATE TABLE IF NOT EXISTS cwa_extra_field_values (
    definition_id INTEGER NOT NULL, target_id INTEGER NOT NULL, value TEXT NOT NULL,
    PRIMARY KEY (definition_id, target_id));
CREATE TABLE IF NOT EXISTS cwa_tokens (
    token TEXT PRIMARY KEY, username TEXT NOT NULL, expires TEXT NOT NULL, absolute_expires TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS cwa_feature_flags (
    id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL UNIQUE, enabled INTEGER NOT NULL);
"""

_TABLES = (
    "cwa_clients",
    "cwa_locations",
    "cwa_computers",
    "cwa_groups",
    "cwa_group_computers",
    "cwa_extra_field_definitions",
    "cwa_extra_field_values",
    "cwa_tokens",
    "cwa_feature_flags",
)

# Writable properties of each resource and their JSON types (automate-core.json, LabTech.Models.*).
CLIENT_FIELDS: dict[str, type] = {
    "Name": str,
    "Company": str,
    "FirstName": str,
    "LastName": str,
    "Address1": str,
    "Address2": str,
    "City": str,
    "State": str,
    "ZipCode": str,
    "PhoneNumber": str,
    "FaxNumber": str,
    "Comment": str,
    "Country": str,
    "ExternalId": str,
    "UsesInHouseSupportStaff": bool,
    "NewTicketNotificationEmail": str,
    "IsHiddenFromAllInclusiveGroup": bool,
}
LOCATION_FIELDS: dict[str, type] = {
    "Name": str,
    "Address1": str,
    "Address2": str,
    "City": str,
    "State": str,
    "ZipCode": str,
    "Country": str,
    "PhoneNumber": str,
    "FaxNumber": str,
    "Comments": str,
    "RouterPort": int,
    "ScriptDrive": str,
    "ScriptRouterAddress": str,
    "ScriptExtra1": str,
    "ScriptExtra2": str,
    "ProbeId": int,
    "ExternalId": int,
}
_GROUP_FIELDS: dict[str, type] = {
    "Name": str,
    "ParentId": str,
    "TypeId": int,
    "TypeName": str,
    "TemplatePriority": int,
    "Comments": str,
    "ComputersLimitToSearch": bool,
    "ContactsLimitToSearch": bool,
    "NetworkDevicesLimitToSearch": bool,
    "ContactsJoinComputers": bool,
}

# The version numbers ``GET /PatchInformation`` reports (LabTech.Models.PatchInformation in automate-openapi.json:
# six version strings and LastPatchedDate). The values are the sandbox's own; RemoteAgentPatchVersion matches the
# RemoteAgentVersion of the seeded computers.
_PATCH_INFORMATION = {
    "WebServerPatchVersion": "2023.11.0.2",
    "DBAgentServerPatchVersion": "2023.11.0.2",
    "ControlCenterPatchVersion": "2023.11.0.2",
    "RemoteAgentPatchVersion": "2023.11.0.2",
    "LinuxAgentPatchVersion": "2023.11.0.2",
    "MacAgentPatchVersion": "2023.11.0.2",
}
_PATCHED_AGO = timedelta(days=12)


class AutomateError(Exception):
    """A request the Automate rules refuse; the HTTP layer answers ``status`` with ``{"Message": message}``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class ListQuery:
    """The list parameters of a GET, already parsed by the HTTP layer."""

    condition: Condition | None = None
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE
    ids: frozenset[str] | None = None
    order_by: tuple[tuple[str, bool], ...] = ()
    """(field, descending) pairs, the first one the main key."""
    include_fields: frozenset[str] | None = None
    """Lower-cased top-level property names."""
    exclude_fields: frozenset[str] | None = None


@dataclass(frozen=True)
class PatchOperation:
    """One ``{"Op", "Path", "Value"}`` item of a PATCH body (op lower-cased, path without slashes at its ends)."""

    op: str
    path: str
    value: Any


def iso(moment: datetime) -> str:
    """A timestamp as Automate writes it (UTC, whole seconds, ``Z``)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_iso(text: str) -> datetime:
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


# ------------------------------------------------------------------------------------ spec properties


@cache
def _spec_schemas() -> dict[str, Any]:
    with spec_path("automate-core.json").open(encoding="utf-8") as handle:
        schemas: dict[str, Any] = json.load(handle)["components"]["schemas"]
    return schemas


def _spec_properties(schema: str) -> dict[str, Any]:
    properties: dict[str, Any] = _spec_schemas()[schema].get("properties", {})
    return properties


@cache
def _condition_fields() -> dict[str, frozenset[str]]:
    """The top-level properties a condition or orderby may name, per resource (lower-cased).

    Every property of the spec's model (gavsto/AutomateAPI ``Public/Get-AutomateComputer.ps1`` builds conditions
    on ``OpenPortsTCP``, ``WindowsUpdateDate``, ``VirusScanner.Name``, ``LoggedInUsers.LoggedInUserName``,
    ``UserIdleTime`` ...), and ``Location`` on clients (``Public/Get-AutomateClient.ps1`` sends
    ``Location.Name like ...`` and ``Location.Id = ...`` to ``/clients``).
    """
    names: dict[str, set[str]] = {
        "Clients": {*_spec_properties("LabTech.Models.Client"), *CLIENT_FIELDS, "Id", "Locations", "Location"},
        "Locations": {
            *_spec_properties("LabTech.Models.Location"),
            *_spec_properties("Automate.Api.Domain.Contracts.Clients.Location"),
            *LOCATION_FIELDS,
            "Id",
            "LocationId",
            "Client",
        },
        "Computers": {*_spec_properties("LabTech.Models.Computer"), "Id", "Client", "Location"},
        "Groups": {*_spec_properties("LabTech.Models.Group"), *_GROUP_FIELDS, "Id", "FullName", "Depth", "GUID"},
        "GroupComputers": {*_spec_properties("LabTech.Models.GroupComputer"), "Id", "GroupId", "ComputerId"},
        "ExtraFields": {
            *_spec_properties("Automate.Api.Domain.Contracts.ExtraFields.ExtraField"),
            "TargetId",
            "ExtraFieldDefinitionId",
            "Title",
            "Section",
            "IsReadOnly",
            "IsEncrypted",
        },
        # LabTech.Models.FeatureFlag in automate-openapi.json (not in the bundled core subset).
        "FeatureFlags": {"Id", "Name", "IsEnabled"},
    }
    return {resource: frozenset(n.lower() for n in fields) for resource, fields in names.items()}


# References and expandable lists a computer record leaves out (the list endpoint's ``options.expands``).
_COMPUTER_NOT_RENDERED = {"Id", "Client", "Location", "Contact", "CommentPriority", "Tickets", "Groups"}


@cache
def _computer_defaults() -> dict[str, Any]:
    """A value of the spec's type for every scalar and list property of LabTech.Models.Computer.

    Dates are left out unless the computer has one (a real agent that never reported one has none), and so are
    references other than ``VirusScanner``.
    """
    defaults: dict[str, Any] = {}
    for name, node in _spec_properties("LabTech.Models.Computer").items():
        if name in _COMPUTER_NOT_RENDERED or node.get("format") == "date-time":
            continue
        kind = node.get("type")
        if kind == "array":
            defaults[name] = []
        elif kind == "boolean":
            defaults[name] = False
        elif kind == "integer":
            defaults[name] = 0
        elif kind == "number":
            defaults[name] = 0.0
        elif kind == "string":
            defaults[name] = ""
        elif name == "VirusScanner":
            defaults[name] = {"Id": "0", "Name": ""}
    return defaults


def default_of(kind: type) -> Any:
    """The value a writable field of this JSON type has when the body leaves it out."""
    return False if kind is bool else (0 if kind is int else "")


class AutomateBackend:
    """All Automate records in the shared SQLite connection."""

    def __init__(self, db: sqlite3.Connection, clock: Callable[[], datetime]) -> None:
        self.db = db
        self.clock = clock
        self.db.executescript(_SCHEMA)

    def reset(self) -> None:
        """Empty every Automate table."""
        with self.db:
            for table in _TABLES:
                self.db.execute(f"DELETE FROM {table}")  # table names are constants
            self.db.execute(
                "DELETE FROM sqlite_sequence WHERE name IN ({})".format(",".join("?" * len(_TABLES))), _TABLES
            )

    # ------------------------------------------------------------------------------------------- tokens

    def store_token(self, token: str, username: str, expires: datetime, absolute: datetime) -> None:
        self.db.execute(
            "INSERT INTO cwa_tokens (token, username, expires, absolute_expires) VALUES (?, ?, ?, ?)",
            (token, username, expires.isoformat(), absolute.isoformat()),
        )

    def token_is_live(self, token: str) -> bool:
        row = self.db.execute("SELECT expires FROM cwa_tokens WHERE token = ?", (token,)).fetchone()
        return row is not None and _parse_iso(row[0]) > self.clock()

    def take_token(self, token: str) -> str | None:
        """Retire a token that can still be refreshed (before its absolute expiry); returns its user, or None."""
        row = self.db.execute("SELECT username, absolute_expires FROM cwa_tokens WHERE token = ?", (token,)).fetchone()
        if row is None or _parse_iso(row[1]) <= self.clock():
            return None
        self.db.execute("DELETE FROM cwa_tokens WHERE token = ?", (token,))
        return str(row[0])

    # ---------------------------------------------------------------------------------------- rendering

    def _client_record(self, row: sqlite3.Row | tuple[Any, ...]) -> dict[str, Any]:
        record: dict[str, Any] = {"Id": str(row[0]), "Name": row[1]}
        record.update(json.loads(row[2]))
        record["Name"] = row[1]
        return record

    def _names(self, table: str, ids: Iterable[int]) -> dict[int, str]:
        wanted = sorted(set(ids))
        names: dict[int, str] = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ",".join("?" * len(chunk))
            # ``table`` is one of two constants (cwa_clients, cwa_locations).
            for rid, name in self.db.execute(f"SELECT id, name FROM {table} WHERE id IN ({marks})", chunk):
                names[rid] = name
        return names

    def _location_records(self, rows: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
        names = self._names("cwa_clients", (r[1] for r in rows))
        out = []
        for lid, cid, name, data in rows:
            record: dict[str, Any] = {"Id": lid, "LocationId": lid, "Name": name}
            record.update(json.loads(data))
            record["Name"] = name
            record["Client"] = {"Id": str(cid), "Name": names.get(cid, "")}
            out.append(record)
        return out

    def _computer_records(self, rows: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
        names = self._names("cwa_clients", (r[1] for r in rows))
        location_names = self._names("cwa_locations", (r[2] for r in rows))
        now = self.clock()
        defaults = _computer_defaults()
        out = []
        for cid_, client_id, location_id, online, last_contact, offset, data in rows:
            record: dict[str, Any] = {"Id": str(cid_), **defaults}
            record.update(json.loads(data))
            # An online agent checks in all the time: its last contact follows the clock, an offline one is frozen.
            contact = now - timedelta(seconds=offset) if online else _parse_iso(last_contact)
            record["Status"] = "Online" if online else "Offline"
            record["RemoteAgentLastContact"] = iso(contact)
            record["LastHeartbeat"] = iso(contact)
            record["Client"] = {"Id": str(client_id), "Name": names.get(client_id, "")}
            record["Location"] = {"Id": location_id, "Name": location_names.get(location_id, "")}
            out.append(record)
        return out

    def _group_record(self, row: tuple[Any, ...]) -> dict[str, Any]:
        record: dict[str, Any] = {"Id": str(row[0])}
        record.update(json.loads(row[2]))
        record["Name"] = row[1]
        return record

    @staticmethod
    def _group_computer_record(row: tuple[Any, ...]) -> dict[str, Any]:
        return {"Id": str(row[0]), "GroupId": str(row[1]), "ComputerId": str(row[2])}

    # --------------------------------------------------------------------------------------------- lists

    def _list(
        self,
        query: ListQuery,
        resource: str,
        records: Callable[[str, list[Any]], list[dict[str, Any]]],
        *,
        pushdown: dict[str, str] | None = None,
        matching_view: Callable[[list[dict[str, Any]], Condition], list[dict[str, Any]]] | None = None,
    ) -> list[dict[str, Any]]:
        """Filter, order and page ``records`` as every Automate list endpoint does.

        ``pushdown`` maps lower-cased condition fields to SQL columns of the resource's table (speed on large
        seeds); ``matching_view`` adds what a condition may name but the record does not show (clients' locations).
        """
        cond = query.condition
        if cond is not None:
            self._check_condition_fields(cond, resource)
        for field, _ in query.order_by:
            self._check_field(field, resource)
        where, params = _pushdown(cond, pushdown or {})
        rows = records(where, params)
        if query.ids is not None:
            rows = [r for r in rows if str(r.get("Id")) in query.ids]
        if cond is not None:
            views = matching_view(rows, cond) if matching_view is not None else rows
            rows = [row for row, view in zip(rows, views, strict=True) if matches(cond, view, "automate")]
        rows = _order(rows, query.order_by)
        start = (query.page - 1) * query.page_size
        return [_pick_fields(query, r) for r in rows[start : start + query.page_size]]

    def _check_condition_fields(self, cond: Condition, resource: str) -> None:
        if isinstance(cond, Comparison):
            self._check_field(cond.field, resource)
        elif isinstance(cond, AllOf | AnyOf):
            for part in cond.parts:
                self._check_condition_fields(part, resource)

    @staticmethod
    def _check_field(field: str, resource: str) -> None:
        head = re.split(r"[./]", field, maxsplit=1)[0].lower()
        if head not in _condition_fields()[resource]:
            raise AutomateError(400, f"'{field}' is not a valid field for {resource}.")

    # --------------------------------------------------------------------------------------- field rules

    @staticmethod
    def _clean_fields(body: dict[str, Any], allowed: dict[str, type], resource: str) -> dict[str, Any]:
        """The writable fields of ``body`` under their canonical names, type-checked; unknown keys are ignored."""
        canonical = {name.lower(): name for name in allowed}
        out: dict[str, Any] = {}
        for key, value in body.items():
            name = canonical.get(str(key).lower())
            if name is None:
                continue
            expected = allowed[name]
            if value is not None and not _has_type(value, expected):
                raise AutomateError(400, f"{resource} field '{name}' must be {expected.__name__}, got {value!r}.")
            out[name] = value
        return out

    def _apply_patch(
        self, current: dict[str, Any], ops: list[PatchOperation], allowed: dict[str, type], resource: str
    ) -> dict[str, Any]:
        updated = dict(current)
        for operation in ops:
            changes = self._clean_fields({operation.path: operation.value}, allowed, resource)
            if not changes:
                raise AutomateError(400, f"'{operation.path}' is not a property of {resource} that can be changed.")
            name = next(iter(changes))
            updated[name] = None if operation.op == "remove" else changes[name]
        return updated

    # ------------------------------------------------------------------------------------------- clients

    def _client_row(self, client_id: str) -> tuple[Any, ...]:
        row = self.db.execute("SELECT id, name, data FROM cwa_clients WHERE id = ?", (_int_id(client_id),)).fetchone()
        if row is None:
            raise AutomateError(404, f"Client {client_id} was not found.")
        return tuple(row)

    def list_clients(self, query: ListQuery) -> list[dict[str, Any]]:
        def records(where: str, params: list[Any]) -> list[dict[str, Any]]:
            sql = "SELECT id, name, data FROM cwa_clients" + (f" WHERE {where}" if where else "")
            return [self._client_record(r) for r in self.db.execute(sql, params)]

        return self._list(
            query,
            "Clients",
            records,
            pushdown={"id": "id", "name": "name"},
            matching_view=self._clients_with_locations,
        )

    def _clients_with_locations(self, clients: list[dict[str, Any]], cond: Condition) -> list[dict[str, Any]]:
        """Clients as a condition sees them: with their locations under ``Location`` and ``Locations``.

        gavsto/AutomateAPI ``Public/Get-AutomateClient.ps1`` filters clients on ``Location.Name`` and
        ``Location.Id``; a client matches when one of its locations does (the spec's Client has ``Locations``).
        """
        heads = {re.split(r"[./]", path, maxsplit=1)[0].lower() for path in field_paths(cond)}
        if not heads & {"location", "locations"}:
            return clients
        by_client: dict[str, list[dict[str, Any]]] = {}
        rows = [tuple(r) for r in self.db.execute("SELECT id, client_id, name, data FROM cwa_locations ORDER BY id")]
        for location in self._location_records(rows):
            by_client.setdefault(location["Client"]["Id"], []).append(location)
        views = []
        for client in clients:
            locations = by_client.get(str(client["Id"]), [])
            views.append({**client, "Location": locations, "Locations": locations})
        return views

    def get_client(self, client_id: str) -> dict[str, Any]:
        return self._client_record(self._client_row(client_id))

    def client_id(self, client_id: str) -> int:
        """The id of an existing client (404 otherwise)."""
        return int(self._client_row(client_id)[0])

    def _check_client_name(self, name: Any, *, except_id: int | None = None) -> str:
        if not isinstance(name, str) or not name.strip():
            raise AutomateError(400, "Name is required.")
        clash = self.db.execute(
            "SELECT id FROM cwa_clients WHERE lower(name) = lower(?) AND id != ?", (name.strip(), except_id or -1)
        ).fetchone()
        if clash is not None:
            raise AutomateError(400, f"A client named '{name.strip()}' already exists (Id {clash[0]}).")
        return name.strip()

    def create_client(self, body: dict[str, Any]) -> dict[str, Any]:
        fields = self._clean_fields(body, CLIENT_FIELDS, "Client")
        name = self._check_client_name(fields.pop("Name", None))
        data = {key: fields.get(key, default_of(kind)) for key, kind in CLIENT_FIELDS.items() if key != "Name"}
        cursor = self.db.execute("INSERT INTO cwa_clients (name, data) VALUES (?, ?)", (name, json.dumps(data)))
        return self.get_client(str(cursor.lastrowid))

    def _save_client(self, client_id: int, fields: dict[str, Any]) -> dict[str, Any]:
        name = self._check_client_name(fields.pop("Name", None), except_id=client_id)
        self.db.execute("UPDATE cwa_clients SET name = ?, data = ? WHERE id = ?", (name, json.dumps(fields), client_id))
        return self.get_client(str(client_id))

    def replace_client(self, client_id: str, body: dict[str, Any]) -> dict[str, Any]:
        row = self._client_row(client_id)
        fields = self._clean_fields(body, CLIENT_FIELDS, "Client")
        return self._save_client(
            row[0], {key: fields.get(key, default_of(kind)) for key, kind in CLIENT_FIELDS.items()}
        )

    def patch_client(self, client_id: str, ops: list[PatchOperation]) -> dict[str, Any]:
        row = self._client_row(client_id)
        current = {"Name": row[1], **json.loads(row[2])}
        return self._save_client(row[0], self._apply_patch(current, ops, CLIENT_FIELDS, "Client"))

    def delete_client(self, client_id: str) -> None:
        row = self._client_row(client_id)
        count = self.db.execute("SELECT count(*) FROM cwa_computers WHERE client_id = ?", (row[0],)).fetchone()[0]
        if count:
            raise AutomateError(
                400, f"Cannot delete client {row[0]} with assigned computers ({count}): move or remove them first."
            )
        location_ids = [r[0] for r in self.db.execute("SELECT id FROM cwa_locations WHERE client_id = ?", (row[0],))]
        for lid in location_ids:
            self._delete_extra_field_values("Location", lid)
        self.db.execute("DELETE FROM cwa_locations WHERE client_id = ?", (row[0],))
        self._delete_extra_field_values("Client", row[0])
        self.db.execute("DELETE FROM cwa_clients WHERE id = ?", (row[0],))

    # ----------------------------------------------------------------------------------------- locations

    def _location_row(self, location_id: str) -> tuple[Any, ...]:
        row = self.db.execute(
            "SELECT id, client_id, name, data FROM cwa_locations WHERE id = ?", (_int_id(location_id),)
        ).fetchone()
        if row is None:
            raise AutomateError(404, f"Location {location_id} was not found.")
        return tuple(row)

    def list_locations(self, query: ListQuery) -> list[dict[str, Any]]:
        def records(where: str, params: list[Any]) -> list[dict[str, Any]]:
            sql = "SELECT id, client_id, name, data FROM cwa_locations" + (f" WHERE {where}" if where else "")
            return self._location_records([tuple(r) for r in self.db.execute(sql, params)])

        return self._list(query, "Locations", records, pushdown={"client.id": "client_id", "id": "id", "name": "name"})

    def get_location(self, location_id: str) -> dict[str, Any]:
        return self._location_records([self._location_row(location_id)])[0]

    def location_id(self, location_id: str) -> int:
        """The id of an existing location (404 otherwise)."""
        return int(self._location_row(location_id)[0])

    def _location_client(self, body: dict[str, Any]) -> int:
        lowered = {str(k).lower(): v for k, v in body.items()}
        client = lowered.get("client")
        raw: Any = None
        if isinstance(client, dict):
            raw = {str(k).lower(): v for k, v in client.items()}.get("id")
        if raw is None:
            raw = lowered.get("clientid")
        if raw is None:
            raise AutomateError(400, 'Client is required: give "Client": {"Id": ...}.')
        return self.client_id(str(raw))

    def _check_location_name(self, client_id: int, name: Any, *, except_id: int | None = None) -> str:
        if not isinstance(name, str) or not name.strip():
            raise AutomateError(400, "Name is required.")
        clash = self.db.execute(
            "SELECT id FROM cwa_locations WHERE client_id = ? AND lower(name) = lower(?) AND id != ?",
            (client_id, name.strip(), except_id or -1),
        ).fetchone()
        if clash is not None:
            raise AutomateError(
                400, f"Client {client_id} already has a location named '{name.strip()}' (Id {clash[0]})."
            )
        return name.strip()

    def create_location(self, body: dict[str, Any]) -> dict[str, Any]:
        client_id = self._location_client(body)
        fields = self._clean_fields(body, LOCATION_FIELDS, "Location")
        name = self._check_location_name(client_id, fields.pop("Name", None))
        data = {key: fields.get(key, default_of(kind)) for key, kind in LOCATION_FIELDS.items() if key != "Name"}
        cursor = self.db.execute(
            "INSERT INTO cwa_locations (client_id, name, data) VALUES (?, ?, ?)", (client_id, name, json.dumps(data))
        )
        return self.get_location(str(cursor.lastrowid))

    def _save_location(self, row: tuple[Any, ...], fields: dict[str, Any]) -> dict[str, Any]:
        name = self._check_location_name(row[1], fields.pop("Name", None), except_id=row[0])
        self.db.execute("UPDATE cwa_locations SET name = ?, data = ? WHERE id = ?", (name, json.dumps(fields), row[0]))
        return self.get_location(str(row[0]))

    def replace_location(self, location_id: str, body: dict[str, Any]) -> dict[str, Any]:
        row = self._location_row(location_id)
        fields = self._clean_fields(body, LOCATION_FIELDS, "Location")
        return self._save_location(
            row, {key: fields.get(key, default_of(kind)) for key, kind in LOCATION_FIELDS.items()}
        )

    def patch_location(self, location_id: str, ops: list[PatchOperation]) -> dict[str, Any]:
        row = self._location_row(location_id)
        current = {"Name": row[2], **json.loads(row[3])}
        return self._save_location(row, self._apply_patch(current, ops, LOCATION_FIELDS, "Location"))

    def delete_location(self, location_id: str) -> None:
        row = self._location_row(location_id)
        count = self.db.execute("SELECT count(*) FROM cwa_computers WHERE location_id = ?", (row[0],)).fetchone()[0]
        if count:
            raise AutomateError(400, f"Cannot delete location {row[0]} with assigned computers ({count}).")
        self._delete_extra_field_values("Location", row[0])
        self.db.execute("DELETE FROM cwa_locations WHERE id = ?", (row[0],))

    # ----------------------------------------------------------------------------------------- computers

    _COMPUTER_COLUMNS = "id, client_id, location_id, online, last_contact, contact_offset_s, data"

    def list_computers(self, query: ListQuery) -> list[dict[str, Any]]:
        def records(where: str, params: list[Any]) -> list[dict[str, Any]]:
            sql = f"SELECT {self._COMPUTER_COLUMNS} FROM cwa_computers" + (f" WHERE {where}" if where else "")
            return self._computer_records([tuple(r) for r in self.db.execute(sql, params)])

        return self._list(
            query,
            "Computers",
            records,
            pushdown={"client.id": "client_id", "location.id": "location_id", "id": "id", "status": "online"},
        )

    def _computer_row(self, computer_id: str) -> tuple[Any, ...]:
        row = self.db.execute(
            f"SELECT {self._COMPUTER_COLUMNS} FROM cwa_computers WHERE id = ?", (_int_id(computer_id),)
        ).fetchone()
        if row is None:
            raise AutomateError(404, f"Computer {computer_id} was not found.")
        return tuple(row)

    def get_computer(self, computer_id: str) -> dict[str, Any]:
        return self._computer_records([self._computer_row(computer_id)])[0]

    def move_computer(self, computer_id: str, ops: list[PatchOperation]) -> dict[str, Any]:
        """Move a computer to another location (an emulator extension: see docs/automate.md)."""
        row = self._computer_row(computer_id)
        target: int | None = None
        for operation in ops:
            key = operation.path.replace(".", "/").lower()
            if operation.op == "remove" or key not in ("location/id", "locationid"):
                raise AutomateError(
                    400, f"Only Location/Id can be changed on a computer (got {operation.op} {operation.path})."
                )
            target = _int_id(str(operation.value))
        if target is None:
            raise AutomateError(400, "Give a Location/Id operation.")
        location = self._location_row(str(target))
        self.db.execute(
            "UPDATE cwa_computers SET location_id = ?, client_id = ? WHERE id = ?", (location[0], location[1], row[0])
        )
        return self.get_computer(str(row[0]))

    # -------------------------------------------------------------------------------------------- groups

    def _group_row(self, group_id: str) -> tuple[Any, ...]:
        row = self.db.execute("SELECT id, name, data FROM cwa_groups WHERE id = ?", (_int_id(group_id),)).fetchone()
        if row is None:
            raise AutomateError(404, f"Group {group_id} was not found.")
        return tuple(row)

    def list_groups(self, query: ListQuery) -> list[dict[str, Any]]:
        def records(where: str, params: list[Any]) -> list[dict[str, Any]]:
            sql = "SELECT id, name, data FROM cwa_groups" + (f" WHERE {where}" if where else "")
            return [self._group_record(tuple(r)) for r in self.db.execute(sql, params)]

        return self._list(query, "Groups", records, pushdown={"id": "id", "name": "name"})

    def get_group(self, group_id: str) -> dict[str, Any]:
        return self._group_record(self._group_row(group_id))

    def _group_data(self, fields: dict[str, Any], group_id: int | None) -> tuple[str, dict[str, Any]]:
        name = fields.pop("Name", None)
        if not isinstance(name, str) or not name.strip():
            raise AutomateError(400, "Name is required.")
        parent = str(fields.get("ParentId") or "0")
        depth = 0
        full = name.strip()
        if parent != "0":
            parent_row = self._group_row(parent)
            parent_data = json.loads(parent_row[2])
            depth = int(parent_data.get("Depth", 0)) + 1
            full = f"{parent_data.get('FullName', parent_row[1])}.{full}"
        data = {key: fields.get(key, default_of(kind)) for key, kind in _GROUP_FIELDS.items() if key != "Name"}
        data.update({"ParentId": parent, "Depth": depth, "FullName": full})
        if group_id is None:
            data["GUID"] = str(uuid.uuid4())
        return name.strip(), data

    def create_group(self, body: dict[str, Any]) -> dict[str, Any]:
        name, data = self._group_data(self._clean_fields(body, _GROUP_FIELDS, "Group"), None)
        cursor = self.db.execute("INSERT INTO cwa_groups (name, data) VALUES (?, ?)", (name, json.dumps(data)))
        return self.get_group(str(cursor.lastrowid))

    def _save_group(self, row: tuple[Any, ...], fields: dict[str, Any]) -> dict[str, Any]:
        name, data = self._group_data(fields, row[0])
        kept = json.loads(row[2])
        data["GUID"] = kept.get("GUID", "")
        # Which client a group is kept in step with is not one of the fields a PUT or PATCH sets here: it stays.
        if "ClientToSync" in kept:
            data["ClientToSync"] = kept["ClientToSync"]
        self.db.execute("UPDATE cwa_groups SET name = ?, data = ? WHERE id = ?", (name, json.dumps(data), row[0]))
        return self.get_group(str(row[0]))

    def replace_group(self, group_id: str, body: dict[str, Any]) -> dict[str, Any]:
        row = self._group_row(group_id)
        return self._save_group(row, self._clean_fields(body, _GROUP_FIELDS, "Group"))

    def patch_group(self, group_id: str, ops: list[PatchOperation]) -> dict[str, Any]:
        row = self._group_row(group_id)
        current = {"Name": row[1], **json.loads(row[2])}
        current = {k: v for k, v in current.items() if k in _GROUP_FIELDS}
        return self._save_group(row, self._apply_patch(current, ops, _GROUP_FIELDS, "Group"))

    def delete_group(self, group_id: str) -> None:
        row = self._group_row(group_id)
        children = self.db.execute("SELECT name, data FROM cwa_groups").fetchall()
        if any(json.loads(data).get("ParentId") == str(row[0]) for _, data in children):
            raise AutomateError(400, f"Group {row[0]} has subgroups: delete them first.")
        self.db.execute("DELETE FROM cwa_group_computers WHERE group_id = ?", (row[0],))
        self.db.execute("DELETE FROM cwa_groups WHERE id = ?", (row[0],))

    # ----------------------------------------------------------------------------------- group computers

    def _group_computer_row(self, entity_id: str) -> tuple[Any, ...]:
        row = self.db.execute(
            "SELECT id, group_id, computer_id FROM cwa_group_computers WHERE id = ?", (_int_id(entity_id),)
        ).fetchone()
        if row is None:
            raise AutomateError(404, f"GroupComputer {entity_id} was not found.")
        return tuple(row)

    def list_group_computers(self, query: ListQuery) -> list[dict[str, Any]]:
        def records(where: str, params: list[Any]) -> list[dict[str, Any]]:
            sql = "SELECT id, group_id, computer_id FROM cwa_group_computers"
            return [self._group_computer_record(tuple(r)) for r in self.db.execute(sql)]

        return self._list(query, "GroupComputers", records)

    def get_group_computer(self, entity_id: str) -> dict[str, Any]:
        return self._group_computer_record(self._group_computer_row(entity_id))

    def _group_computer_pair(self, fields: dict[str, Any], except_id: int | None = None) -> tuple[int, int]:
        lowered = {str(k).lower(): v for k, v in fields.items()}
        group_id = self._group_row(str(lowered.get("groupid") or ""))[0]
        computer = _int_id(str(lowered.get("computerid") or ""))
        if self.db.execute("SELECT 1 FROM cwa_computers WHERE id = ?", (computer,)).fetchone() is None:
            raise AutomateError(404, f"Computer {computer} was not found.")
        clash = self.db.execute(
            "SELECT id FROM cwa_group_computers WHERE group_id = ? AND computer_id = ? AND id != ?",
            (group_id, computer, except_id or -1),
        ).fetchone()
        if clash is not None:
            raise AutomateError(400, f"Computer {computer} is already in group {group_id}.")
        return group_id, computer

    def create_group_computer(self, body: dict[str, Any]) -> dict[str, Any]:
        group_id, computer = self._group_computer_pair(body)
        cursor = self.db.execute(
            "INSERT INTO cwa_group_computers (group_id, computer_id) VALUES (?, ?)", (group_id, computer)
        )
        return self.get_group_computer(str(cursor.lastrowid))

    def _save_group_computer(self, row_id: int, fields: dict[str, Any]) -> dict[str, Any]:
        group_id, computer = self._group_computer_pair(fields, row_id)
        self.db.execute(
            "UPDATE cwa_group_computers SET group_id = ?, computer_id = ? WHERE id = ?", (group_id, computer, row_id)
        )
        return self.get_group_computer(str(row_id))

    def replace_group_computer(self, entity_id: str, body: dict[str, Any]) -> dict[str, Any]:
        return self._save_group_computer(self._group_computer_row(entity_id)[0], body)

    def patch_group_computer(self, entity_id: str, ops: list[PatchOperation]) -> dict[str, Any]:
        row = self._group_computer_row(entity_id)
        fields: dict[str, Any] = {"GroupId": str(row[1]), "ComputerId": str(row[2])}
        for operation in ops:
            key = {"groupid": "GroupId", "computerid": "ComputerId"}.get(operation.path.lower())
            if key is None or operation.op == "remove":
                raise AutomateError(
                    400, f"Only GroupId and ComputerId can be replaced (got {operation.op} {operation.path})."
                )
            fields[key] = str(operation.value)
        return self._save_group_computer(row[0], fields)

    def delete_group_computer(self, entity_id: str) -> None:
        row = self._group_computer_row(entity_id)
        self.db.execute("DELETE FROM cwa_group_computers WHERE id = ?", (row[0],))

    # -------------------------------------------------------------------------------------- extra fields

    def _target_id(self, target: str, target_id: str) -> int:
        return self.client_id(target_id) if target == "Client" else self.location_id(target_id)

    def list_extra_fields(self, target: str, target_id: str, query: ListQuery) -> list[dict[str, Any]]:
        """The extra fields of one client or location (``target`` is ``Client`` or ``Location``)."""
        owner = self._target_id(target, target_id)
        rows = self.db.execute(
            "SELECT d.id, d.title, d.display_format, d.section, d.default_value, d.options, d.guid, v.value "
            "FROM cwa_extra_field_definitions d LEFT JOIN cwa_extra_field_values v "
            "ON v.definition_id = d.id AND v.target_id = ? WHERE d.target = ? ORDER BY d.id",
            (owner, target),
        ).fetchall()
        records = [_extra_field_record(target, owner, tuple(r)) for r in rows]
        return self._list(query, "ExtraFields", lambda where, params: records)

    def _definition(self, target: str, definition: str) -> tuple[Any, ...]:
        row = self.db.execute(
            "SELECT id, title, display_format, section, default_value, options, guid "
            "FROM cwa_extra_field_definitions WHERE id = ? AND target = ?",
            (_int_id(definition, status=400), target),
        ).fetchone()
        if row is None:
            raise AutomateError(400, f"Extra field definition {definition} does not exist for {target.lower()}s.")
        return tuple(row)

    def patch_extra_field(
        self, target: str, target_id: str, definition: str, ops: list[PatchOperation]
    ) -> dict[str, Any]:
        owner = self._target_id(target, target_id)
        row = self._definition(target, definition)
        display_format, options = row[2], json.loads(row[5])
        new_value: str | None = None
        for operation in ops:
            key = operation.path.replace(".", "/").lower().rsplit("/", 1)[-1]
            if key not in ("value", "ischecked", "selectedvalue"):
                raise AutomateError(400, f"'{operation.path}' cannot be changed on an extra field: patch its Value.")
            new_value = (
                None
                if operation.op == "remove"
                else _extra_field_text(display_format, operation.value, options, row[1])
            )
        if new_value is None:
            self.db.execute(
                "DELETE FROM cwa_extra_field_values WHERE definition_id = ? AND target_id = ?", (row[0], owner)
            )
        else:
            self.db.execute(
                "INSERT INTO cwa_extra_field_values (definition_id, target_id, value) VALUES (?, ?, ?) "
                "ON CONFLICT (definition_id, target_id) DO UPDATE SET value = excluded.value",
                (row[0], owner, new_value),
            )
        return self._one_extra_field(target, owner, row)

    def reset_extra_field(self, target: str, target_id: str, definition: str) -> dict[str, Any]:
        owner = self._target_id(target, target_id)
        row = self._definition(target, definition)
        self.db.execute("DELETE FROM cwa_extra_field_values WHERE definition_id = ? AND target_id = ?", (row[0], owner))
        return self._one_extra_field(target, owner, row)

    def _one_extra_field(self, target: str, target_id: int, definition: tuple[Any, ...]) -> dict[str, Any]:
        value = self.db.execute(
            "SELECT value FROM cwa_extra_field_values WHERE definition_id = ? AND target_id = ?",
            (definition[0], target_id),
        ).fetchone()
        return _extra_field_record(target, target_id, (*definition, value[0] if value else None))

    def _delete_extra_field_values(self, target: str, target_id: int) -> None:
        self.db.execute(
            "DELETE FROM cwa_extra_field_values WHERE target_id = ? AND definition_id IN "
            "(SELECT id FROM cwa_extra_field_definitions WHERE target = ?)",
            (target_id, target),
        )

    # ---------------------------------------------------------------------------- server information

    def patch_information(self) -> dict[str, Any]:
        """``LabTech.Models.PatchInformation``: the server's component versions and when it was last patched."""
        return {**_PATCH_INFORMATION, "LastPatchedDate": iso(self.clock() - _PATCHED_AGO)}

    def list_feature_flags(self, query: ListQuery) -> list[dict[str, Any]]:
        """``LabTech.Models.FeatureFlag`` records (``Id``, ``Name``, ``IsEnabled``)."""

        def records(where: str, params: list[Any]) -> list[dict[str, Any]]:
            sql = "SELECT id, name, enabled FROM cwa_feature_flags" + (f" WHERE {where}" if where else "")
            return [
                {"Id": fid, "Name": name, "IsEnabled": bool(enabled)}
                for fid, name, enabled in self.db.execute(sql, params)
            ]

        return self._list(query, "FeatureFlags", records, pushdown={"id": "id", "name": "name"})

    def add_feature_flag(self, body: dict[str, Any]) -> dict[str, Any]:
        """Create or update a flag by name (``POST /FeatureFlags`` answers the ``FeatureFlag``)."""
        fields = self._clean_fields(body, {"Name": str, "IsEnabled": bool}, "FeatureFlag")
        name = fields.get("Name")
        if not isinstance(name, str) or not name.strip():
            raise AutomateError(400, "Name is required.")
        enabled = bool(fields.get("IsEnabled") or False)
        self.db.execute(
            "INSERT INTO cwa_feature_flags (name, enabled) VALUES (?, ?) "
            "ON CONFLICT (name) DO UPDATE SET enabled = excluded.enabled",
            (name.strip(), 1 if enabled else 0),
        )
        row = self.db.execute("SELECT id FROM cwa_feature_flags WHERE name = ?", (name.strip(),)).fetchone()
        return {"Id": row[0], "Name": name.strip(), "IsEnabled": enabled}


# ------------------------------------------------------------------------------------- module helpers


def _int_id(text: str, *, status: int = 404) -> int:
    try:
        return int(str(text).strip())
    except ValueError:
        raise AutomateError(status, f"'{text}' is not a valid id: ids are whole numbers.") from None


def _has_type(value: Any, expected: type) -> bool:
    if expected is bool:
        return isinstance(value, bool)
    if expected is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, expected)


def _extra_field_text(display_format: str, value: Any, options: list[str], title: str) -> str:
    """The stored text of an extra-field value, checked against its display format."""
    if display_format == "Checkbox":
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, str) and value.lower() in ("true", "false", "1", "0", "yes", "no"):
            return "true" if value.lower() in ("true", "1", "yes") else "false"
        raise AutomateError(400, f"'{title}' is a checkbox: give true or false, not {value!r}.")
    if value is None:
        return ""
    text = value if isinstance(value, str) else json.dumps(value)
    if display_format == "Dropdown" and options and text not in options:
        raise AutomateError(400, f"'{text}' is not an option of '{title}': choose one of {', '.join(options)}.")
    return text


def _extra_field_record(target: str, target_id: int, row: tuple[Any, ...]) -> dict[str, Any]:
    definition_id, title, display_format, section, default_value, options_text, guid, value = row
    options: list[str] = json.loads(options_text)
    current = default_value if value is None else value
    format_ids = {"Text": 1, "Checkbox": 2, "Dropdown": 3}
    record: dict[str, Any] = {
        "TargetId": target_id,
        "ExtraFieldDefinitionId": definition_id,
        "Title": title,
        "DisplayFormat": {"ExtraFieldDisplayFormatId": format_ids.get(display_format, 1), "Name": display_format},
        "Location": {"ExtraFieldLocationId": 1 if target == "Client" else 2, "Name": target},
        "TitleFormat": {"ExtraFieldTitleFormatId": 1, "Name": "Normal"},
        "Section": section,
        "Tooltip": "",
        "IsReadOnly": False,
        "IsEncrypted": False,
        "IsDefaultValue": value is None,
        "LtGuid": guid,
    }
    if display_format == "Checkbox":
        record["CheckboxSettings"] = {"IsChecked": current == "true", "DefaultValue": default_value == "true"}
    elif display_format == "Dropdown":
        record["DropdownSettings"] = {
            "AvailableOptions": {option: option for option in options},
            "SelectedValue": current,
            "DefaultValue": default_value,
            "IsSqlDefined": False,
            "DynamicSqlQuery": "",
        }
    else:
        record["TextFieldSettings"] = {"IsMasked": False, "Value": current, "DefaultValue": default_value}
    return record


def _pick_fields(query: ListQuery, record: dict[str, Any]) -> dict[str, Any]:
    if query.include_fields is not None:
        record = {k: v for k, v in record.items() if k.lower() in query.include_fields}
    if query.exclude_fields is not None:
        record = {k: v for k, v in record.items() if k.lower() not in query.exclude_fields}
    return record


def _order(rows: list[dict[str, Any]], keys: tuple[tuple[str, bool], ...]) -> list[dict[str, Any]]:
    if not keys:
        return sorted(rows, key=lambda r: _sort_key(r.get("Id")))
    ordered = list(rows)
    for field, descending in reversed(keys):
        ordered.sort(
            key=lambda r, f=field: _sort_key(value_at(r, f, "automate")),  # type: ignore[misc]
            reverse=descending,
        )
    return ordered


# ---------------------------------------------------------------------------------- condition evaluation


def _pushdown(cond: Condition | None, columns: dict[str, str]) -> tuple[str, list[Any]]:
    """The ``=`` comparisons of a top-level AND that SQL can pre-filter (Python re-checks every row anyway)."""
    if cond is None or not columns:
        return "", []
    parts = cond.parts if isinstance(cond, AllOf) else (cond,)
    clauses: list[str] = []
    params: list[Any] = []
    for part in parts:
        if not isinstance(part, Comparison) or part.op != "=":
            continue
        field = part.field.replace("/", ".").lower()
        column = columns.get(field)
        value = part.value
        if column is None:
            continue
        if column == "online":
            if isinstance(value, str) and value.lower() in ("online", "offline"):
                clauses.append("online = ?")
                params.append(1 if value.lower() == "online" else 0)
            continue
        if column == "name":
            if isinstance(value, str) and value.isascii():
                # SQLite's NOCASE folds ASCII only, hence the isascii guard.
                clauses.append("name = ? COLLATE NOCASE")
                params.append(value)
            continue
        if isinstance(value, bool) or not isinstance(value, int | str):
            continue
        try:
            number = int(value)
        except ValueError:
            continue
        clauses.append(f"{column} = ?")
        params.append(number)
    return " AND ".join(clauses), params


def _sort_key(value: Any) -> tuple[int, Any]:
    if value is None:
        return (0, "")
    if isinstance(value, bool):
        return (1, int(value))
    if isinstance(value, int | float):
        return (1, value)
    if isinstance(value, str):
        try:
            return (1, int(value))
        except ValueError:
            return (2, value.lower())
    return (3, str(value))
