"""The sandbox's ConnectWise Automate emulator: state on SQLite and the ``/cwa/api/v1`` routes.

What it emulates (``../shared/spec/automate-core.json`` and NOTES.md §9):

- ``POST /apitoken`` (``TokenCredentials`` -> ``TokenResult``), including a user that needs a two-factor passcode
  (the first call answers ``IsTwoFactorRequired: true`` without a token), ``GET /apitoken`` and
  ``POST /apitoken/refresh`` (the body is the current token as a JSON string).
- Every other call needs ``Authorization: Bearer {AccessToken}`` and a ``ClientId`` header (a GUID); the token
  call needs the ``ClientId`` too. Otherwise 401 with ASP.NET Web API's ``{"Message": ...}`` body.
- Clients, Locations, Computers (status online/offline, last contact), Groups, GroupComputers, and the extra fields
  (EDFs) of clients and locations, with the list parameters ``condition``, ``orderby``, ``page``, ``pagesize``
  (at most 1000), ``ids``, ``includefields``, ``excludefields`` in their flat form and their ``options.*`` form.
  Paths and parameter names are matched case-insensitively, as ASP.NET routing does. A page past the end is
  ``[]`` and there is no ``Link`` header: clients page until an empty page.
- The condition dialect is parsed by ``cwdesk.conditions.parse(..., dialect="automate")`` and evaluated in Python
  over the rendered records (Automate data sets are small); string comparisons ignore case, as MySQL's default
  collation does on a real Automate server.

Two write paths are NOT in the bundled spec and are emulated by analogy, because the W5 workflows need them and no
source describes how a real server does it: ``PATCH /Clients/{id}/ExtraFields/{extraFieldDefinitionId}`` (the
spec has this form for Locations only) and ``PATCH /Computers/{id}`` with a ``Location/Id`` operation (moving a
computer to another location). They answer like their documented siblings.

Not for: faults, rate limits, the request log, reset/seed orchestration and serving (the sandbox's ``server``,
``faults`` and ``control`` modules call ``AutomateAPI.handle`` and ``AutomateAPI.seed_clients``).
"""

from __future__ import annotations

import json
import random
import re
import secrets
import sqlite3
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cwdesk.conditions import AllOf, AnyOf, Comparison, Condition, ConditionSyntaxError, Raw, parse
from cwdesk.sandbox.http import SandboxRequest, SandboxResponse

__all__ = [
    "AUTOMATE_PREFIX",
    "SANDBOX_2FA_USER",
    "SANDBOX_PASSWORD",
    "SANDBOX_TWO_FACTOR_CODE",
    "SANDBOX_USER",
    "AutomateAPI",
]

AUTOMATE_PREFIX = "/cwa/api/v1"
SANDBOX_USER = "sandbox"
SANDBOX_2FA_USER = "sandbox-2fa"
SANDBOX_PASSWORD = "sandbox-password"
# The fixed passcode the two-factor user accepts (documented in docs/automate.md and by `cwdesk sandbox serve`).
SANDBOX_TWO_FACTOR_CODE = "424242"

_USERS: dict[str, tuple[str, bool]] = {
    SANDBOX_USER: (SANDBOX_PASSWORD, False),
    SANDBOX_2FA_USER: (SANDBOX_PASSWORD, True),
}

# ConnectWise Automate's REST API is ASP.NET Web API: its errors are {"Message": ...} with these standard texts.
_DENIED = "Authorization has been denied for this request."
_MAX_PAGE_SIZE = 1000
# No source states the server's default page size; 50 is a guess, and every well-behaved client sends pagesize.
_DEFAULT_PAGE_SIZE = 50

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
)

# Writable properties of each resource and their JSON types (automate-core.json, LabTech.Models.*).
_CLIENT_FIELDS: dict[str, type] = {
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
_LOCATION_FIELDS: dict[str, type] = {
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
# The properties a condition may name, per resource (top-level names; nested ones like Client.Name are allowed
# under a reference property).
_CONDITION_FIELDS: dict[str, set[str]] = {
    "Clients": {"Id", *_CLIENT_FIELDS, "Locations"},
    "Locations": {"Id", "LocationId", "Client", *_LOCATION_FIELDS},
    "Computers": {
        "Id",
        "Client",
        "Location",
        "ComputerName",
        "FriendlyName",
        "Type",
        "Status",
        "RemoteAgentLastContact",
        "LastHeartbeat",
        "OperatingSystemName",
        "OperatingSystemVersion",
        "DomainName",
        "LocalIPAddress",
        "GatewayIPAddress",
        "MACAddress",
        "SerialNumber",
        "LastUserName",
        "DateAdded",
        "IsVirtualMachine",
        "RemoteAgentVersion",
        "TotalMemory",
        "Comment",
        "IsMaster",
        "IsRebootNeeded",
    },
    "Groups": {"Id", "FullName", "Depth", "GUID", *_GROUP_FIELDS},
    "GroupComputers": {"Id", "GroupId", "ComputerId"},
    "ExtraFields": {"TargetId", "ExtraFieldDefinitionId", "Title", "Section", "IsReadOnly", "IsEncrypted"},
}


class _ApiError(Exception):
    """An answer other than success; turned into ``{"Message": ...}`` with ``status`` by ``handle``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_iso(text: str) -> datetime:
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@dataclass(frozen=True)
class _Route:
    pattern: re.Pattern[str]
    methods: dict[str, str]  # HTTP method -> name of the handler method


def _route(path: str, **methods: str) -> _Route:
    regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", path)
    return _Route(re.compile(f"^{regex}/?$", re.IGNORECASE), {m.upper(): h for m, h in methods.items()})


_ROUTES: tuple[_Route, ...] = (
    _route("/apitoken", get="_auth_information", post="_token"),
    _route("/apitoken/refresh", post="_refresh"),
    _route("/clients", get="_list_clients", post="_create_client"),
    _route("/clients/{id}", get="_get_client", put="_put_client", patch="_patch_client", delete="_delete_client"),
    _route("/clients/{id}/extrafields", get="_client_extra_fields"),
    _route(
        "/clients/{id}/extrafields/{definition}",
        patch="_patch_client_extra_field",
        delete="_reset_client_extra_field",
    ),
    _route("/locations", get="_list_locations", post="_create_location"),
    _route(
        "/locations/{id}",
        get="_get_location",
        put="_put_location",
        patch="_patch_location",
        delete="_delete_location",
    ),
    _route("/locations/{id}/extrafields", get="_location_extra_fields"),
    _route(
        "/locations/{id}/extrafields/{definition}",
        patch="_patch_location_extra_field",
        delete="_reset_location_extra_field",
    ),
    _route("/computers", get="_list_computers"),
    _route("/computers/{id}", patch="_patch_computer"),
    _route("/groups", get="_list_groups", post="_create_group"),
    _route("/groups/{id}", get="_get_group", put="_put_group", patch="_patch_group", delete="_delete_group"),
    _route("/groupcomputers", get="_list_group_computers", post="_create_group_computer"),
    _route(
        "/groupcomputers/{id}",
        get="_get_group_computer",
        put="_put_group_computer",
        patch="_patch_group_computer",
        delete="_delete_group_computer",
    ),
)

_UNAUTHENTICATED = {"_auth_information", "_token", "_refresh"}


class AutomateAPI:
    """The Automate half of the sandbox: tables prefixed ``cwa_`` in the shared connection, and its routes.

    ``token_lifetime`` is how long an access token lives (ConnectWise: about an hour); tests shorten it or move
    the clock to see tokens expire.
    """

    def __init__(
        self,
        db: sqlite3.Connection,
        clock: Callable[[], datetime],
        *,
        token_lifetime: timedelta = timedelta(hours=1),
    ) -> None:
        self.db = db
        self.clock = clock
        self.token_lifetime = token_lifetime
        self.db.executescript(_SCHEMA)

    # ------------------------------------------------------------------------------------------- entry points

    def handle(self, request: SandboxRequest) -> SandboxResponse:
        """Answer one request whose path starts with ``/cwa/api/v1``."""
        path = request.path
        if not path.lower().startswith(AUTOMATE_PREFIX):
            return self._message(404, f"No HTTP resource was found that matches the request URI '{path}'.")
        tail = path[len(AUTOMATE_PREFIX) :] or "/"
        for route in _ROUTES:
            match = route.pattern.match(tail)
            if match is None:
                continue
            handler_name = route.methods.get(request.method.upper())
            if handler_name is None:
                return self._message(405, f"The requested resource does not support http method '{request.method}'.")
            try:
                self._check_client_id(request)
                if handler_name not in _UNAUTHENTICATED:
                    self._check_bearer(request)
                handler: Callable[..., SandboxResponse] = getattr(self, handler_name)
                with self.db:
                    return handler(request, **match.groupdict())
            except _ApiError as exc:
                return self._message(exc.status, exc.message)
        return self._message(404, f"No HTTP resource was found that matches the request URI '{path}'.")

    def reset(self) -> None:
        """Empty every Automate table (the sandbox's reset calls this before seeding again)."""
        with self.db:
            for table in _TABLES:
                self.db.execute(f"DELETE FROM {table}")  # table names are constants
            self.db.execute(
                "DELETE FROM sqlite_sequence WHERE name IN ({})".format(",".join("?" * len(_TABLES))), _TABLES
            )

    def seed_clients(self, rows: list[dict[str, Any]], rng: random.Random) -> None:
        """One Automate client per row (keys: name, city, state, zip, phone, address1), deterministic for ``rng``.

        Each client gets 1–2 locations ("Main Office" first), 0–12 computers (mostly online, some offline for
        minutes to weeks), extra-field values; the global groups and extra-field definitions are created once.
        """
        now = self.clock()
        with self.db:
            groups = self._seed_groups(rng)
            client_defs, location_defs = self._seed_extra_field_definitions(rng)
            for row in rows:
                self._seed_one_client(row, rng, now, groups, client_defs, location_defs)

    # ---------------------------------------------------------------------------------------------- auth

    def _check_client_id(self, request: SandboxRequest) -> None:
        value = request.header("clientid")
        if not value:
            raise _ApiError(401, "The ClientId header is missing: send the integration's ClientId (a GUID).")
        try:
            uuid.UUID(value.strip())
        except ValueError:
            raise _ApiError(401, "The ClientId header is not a GUID: send the integration's ClientId.") from None

    def _check_bearer(self, request: SandboxRequest) -> None:
        header = request.header("authorization") or ""
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise _ApiError(401, _DENIED)
        row = self.db.execute("SELECT expires FROM cwa_tokens WHERE token = ?", (token.strip(),)).fetchone()
        if row is None or _parse_iso(row[0]) <= self.clock():
            raise _ApiError(401, _DENIED)

    def _auth_information(self, request: SandboxRequest) -> SandboxResponse:
        return SandboxResponse.json(
            200,
            {"AllowDirect": True, "AllowServiceRegistration": False, "AutomateRedirectUri": "", "Services": []},
        )

    def _token(self, request: SandboxRequest) -> SandboxResponse:
        body = self._body_object(request)
        lowered = {str(k).lower(): v for k, v in body.items()}
        username = str(lowered.get("username") or "")
        password = str(lowered.get("password") or "")
        passcode = str(lowered.get("twofactorpasscode") or "")
        user = _USERS.get(username.lower())
        if user is None or not secrets.compare_digest(user[0], password):
            raise _ApiError(401, "Username or password is incorrect.")
        if user[1]:
            if not passcode:
                # Automate answers 200 with no token and the flag; the client asks for the passcode and posts again.
                return SandboxResponse.json(200, self._token_result(None, username, two_factor_required=True))
            if not secrets.compare_digest(passcode, SANDBOX_TWO_FACTOR_CODE):
                raise _ApiError(401, "The two-factor passcode is incorrect.")
        return SandboxResponse.json(200, self._issue_token(username))

    def _refresh(self, request: SandboxRequest) -> SandboxResponse:
        try:
            body = request.json()
        except ValueError as exc:
            raise _ApiError(400, str(exc)) from None
        if not isinstance(body, str) or not body:
            raise _ApiError(400, "The body must be the current access token as a JSON string.")
        row = self.db.execute("SELECT username, absolute_expires FROM cwa_tokens WHERE token = ?", (body,)).fetchone()
        if row is None or _parse_iso(row[1]) <= self.clock():
            raise _ApiError(401, _DENIED)
        self.db.execute("DELETE FROM cwa_tokens WHERE token = ?", (body,))
        return SandboxResponse.json(200, self._issue_token(row[0]))

    def _issue_token(self, username: str) -> dict[str, Any]:
        token = secrets.token_urlsafe(32)
        now = self.clock()
        expires = now + self.token_lifetime
        absolute = now + max(self.token_lifetime, timedelta(hours=24))
        self.db.execute(
            "INSERT INTO cwa_tokens (token, username, expires, absolute_expires) VALUES (?, ?, ?, ?)",
            (token, username, expires.isoformat(), absolute.isoformat()),
        )
        return self._token_result(token, username, expires=expires, absolute=absolute)

    def _token_result(
        self,
        token: str | None,
        username: str,
        *,
        two_factor_required: bool = False,
        expires: datetime | None = None,
        absolute: datetime | None = None,
    ) -> dict[str, Any]:
        result = {
            "AccessToken": token,
            "TokenType": "Bearer" if token else None,
            "ExpirationDate": _iso(expires) if expires else None,
            "AbsoluteExpirationDate": _iso(absolute) if absolute else None,
            "UserId": "1" if username == SANDBOX_USER else "2",
            "InternalUserName": username,
            "IsTwoFactorRequired": two_factor_required,
            "IsInternalTwoFactorRequired": False,
            "SSOAccessToken": None,
        }
        # Absent rather than null: the spec types these as strings (a real server's nulls would not validate).
        return {key: value for key, value in result.items() if value is not None}

    # ------------------------------------------------------------------------------------------ rendering

    def _client_record(self, row: sqlite3.Row | tuple[Any, ...]) -> dict[str, Any]:
        record: dict[str, Any] = {"Id": str(row[0]), "Name": row[1]}
        record.update(json.loads(row[2]))
        record["Name"] = row[1]
        return record

    def _client_names(self, ids: Iterable[int]) -> dict[int, str]:
        wanted = sorted(set(ids))
        names: dict[int, str] = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for cid, name in self.db.execute(f"SELECT id, name FROM cwa_clients WHERE id IN ({marks})", chunk):
                names[cid] = name
        return names

    def _location_records(self, rows: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
        names = self._client_names(r[1] for r in rows)
        out = []
        for lid, cid, name, data in rows:
            record: dict[str, Any] = {"Id": lid, "LocationId": lid, "Name": name}
            record.update(json.loads(data))
            record["Name"] = name
            record["Client"] = {"Id": str(cid), "Name": names.get(cid, "")}
            out.append(record)
        return out

    def _computer_records(self, rows: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
        names = self._client_names(r[1] for r in rows)
        location_ids = sorted({r[2] for r in rows})
        location_names: dict[int, str] = {}
        for start in range(0, len(location_ids), 500):
            chunk = location_ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for lid, name in self.db.execute(f"SELECT id, name FROM cwa_locations WHERE id IN ({marks})", chunk):
                location_names[lid] = name
        now = self.clock()
        out = []
        for cid_, client_id, location_id, online, last_contact, offset, data in rows:
            record: dict[str, Any] = {"Id": str(cid_)}
            record.update(json.loads(data))
            # An online agent checks in all the time: its last contact follows the clock, an offline one is frozen.
            contact = now - timedelta(seconds=offset) if online else _parse_iso(last_contact)
            record["Status"] = "Online" if online else "Offline"
            record["RemoteAgentLastContact"] = _iso(contact)
            record["LastHeartbeat"] = _iso(contact)
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
        self, request: SandboxRequest, resource: str, records: Callable[[str, list[Any]], list[dict[str, Any]]]
    ) -> SandboxResponse:
        """Filter, order and page ``records`` as every Automate list endpoint does."""
        condition = self._option(request, "condition")
        cond: Condition | None = None
        if condition and condition.strip():
            try:
                cond = parse(condition, dialect="automate")
            except ConditionSyntaxError as exc:
                raise _ApiError(400, f"The condition is not valid: {exc}") from None
            self._check_condition_fields(cond, resource)
        page = self._int_option(request, "page", 1)
        page_size = self._int_option(request, "pagesize", _DEFAULT_PAGE_SIZE)
        if page < 1:
            raise _ApiError(400, "page must be 1 or more.")
        if not 1 <= page_size <= _MAX_PAGE_SIZE:
            raise _ApiError(400, f"pagesize must be between 1 and {_MAX_PAGE_SIZE}.")
        where, params = _pushdown(cond)
        rows = records(where, params)
        ids = self._option(request, "ids")
        if ids:
            wanted = {part.strip() for part in ids.split(",") if part.strip()}
            rows = [r for r in rows if str(r.get("Id")) in wanted]
        if cond is not None:
            rows = [r for r in rows if _matches(cond, r)]
        rows = self._order(request, rows, resource)
        start = (page - 1) * page_size
        chosen = [self._pick_fields(request, r) for r in rows[start : start + page_size]]
        return SandboxResponse.json(200, chosen)

    def _option(self, request: SandboxRequest, name: str) -> str | None:
        aliases = {
            "condition": ("condition", "options.condition"),
            "page": ("page", "options.page"),
            "pagesize": ("pagesize", "options.pageSize"),
            "ids": ("ids", "options.ids"),
            "includefields": ("includefields", "options.includedFields"),
            "excludefields": ("excludefields", "options.excludedFields"),
        }[name]
        for alias in aliases:
            values = [v for k, v in request.query if k.lower() == alias.lower()]
            if values:
                return ",".join(values) if name in ("ids", "includefields", "excludefields") else values[0]
        return None

    def _int_option(self, request: SandboxRequest, name: str, default: int) -> int:
        text = self._option(request, name)
        if text is None or text == "":
            return default
        try:
            return int(text)
        except ValueError:
            raise _ApiError(400, f"The value '{text}' is not valid for {name}: give a whole number.") from None

    def _order(self, request: SandboxRequest, rows: list[dict[str, Any]], resource: str) -> list[dict[str, Any]]:
        text = request.param("orderby")
        keys: list[tuple[str, bool]] = []
        if text:
            for part in text.split(","):
                words = part.split()
                if not words:
                    continue
                descending = len(words) > 1 and words[1].lower() in ("desc", "descending")
                keys.append((words[0], descending))
        elif request.param("options.orderBy.name"):
            kind = (request.param("options.orderBy.type") or "").lower()
            keys.append((request.param("options.orderBy.name") or "", kind == "descending"))
        if not keys:
            return sorted(rows, key=lambda r: _sort_key(r.get("Id")))
        for field, _ in keys:
            self._check_field(field, resource)
        ordered = list(rows)
        for field, descending in reversed(keys):
            ordered.sort(key=lambda r, f=field: _sort_key(_lookup(r, f)), reverse=descending)  # type: ignore[misc]
        return ordered

    def _pick_fields(self, request: SandboxRequest, record: dict[str, Any]) -> dict[str, Any]:
        include = self._option(request, "includefields")
        exclude = self._option(request, "excludefields")
        if include:
            wanted = {p.strip().lower() for p in include.split(",") if p.strip()}
            record = {k: v for k, v in record.items() if k.lower() in wanted}
        if exclude:
            unwanted = {p.strip().lower() for p in exclude.split(",") if p.strip()}
            record = {k: v for k, v in record.items() if k.lower() not in unwanted}
        return record

    def _check_condition_fields(self, cond: Condition, resource: str) -> None:
        if isinstance(cond, Comparison):
            self._check_field(cond.field, resource)
        elif isinstance(cond, AllOf | AnyOf):
            for part in cond.parts:
                self._check_condition_fields(part, resource)

    @staticmethod
    def _check_field(field: str, resource: str) -> None:
        head = re.split(r"[./]", field, maxsplit=1)[0].lower()
        if head not in {name.lower() for name in _CONDITION_FIELDS[resource]}:
            raise _ApiError(400, f"'{field}' is not a valid field for {resource}.")

    # ------------------------------------------------------------------------------------------- bodies

    @staticmethod
    def _body_object(request: SandboxRequest) -> dict[str, Any]:
        try:
            body = request.json()
        except ValueError as exc:
            raise _ApiError(400, str(exc)) from None
        if not isinstance(body, dict):
            raise _ApiError(400, "The request body must be a JSON object.")
        return body

    @staticmethod
    def _patch_operations(request: SandboxRequest) -> list[tuple[str, str, Any]]:
        try:
            body = request.json()
        except ValueError as exc:
            raise _ApiError(400, str(exc)) from None
        if not isinstance(body, list):
            raise _ApiError(400, 'A PATCH body is an array of operations: [{"Op": "replace", "Path": ..., ...}].')
        ops = []
        for item in body:
            if not isinstance(item, dict):
                raise _ApiError(400, "Each PATCH operation must be an object with Op, Path and Value.")
            lowered = {str(k).lower(): v for k, v in item.items()}
            op = str(lowered.get("op") or "").lower()
            path = str(lowered.get("path") or "").strip("/")
            if op not in ("add", "replace", "remove"):
                raise _ApiError(400, f"The PATCH operation '{op}' is not supported: use add, replace or remove.")
            if not path:
                raise _ApiError(400, "A PATCH operation needs a Path.")
            ops.append((op, path, lowered.get("value")))
        return ops

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
                raise _ApiError(400, f"{resource} field '{name}' must be {expected.__name__}, got {value!r}.")
            out[name] = value
        return out

    def _apply_patch(
        self, current: dict[str, Any], ops: list[tuple[str, str, Any]], allowed: dict[str, type], resource: str
    ) -> dict[str, Any]:
        updated = dict(current)
        for op, path, value in ops:
            changes = self._clean_fields({path: value}, allowed, resource)
            if not changes:
                raise _ApiError(400, f"'{path}' is not a property of {resource} that can be changed.")
            name = next(iter(changes))
            updated[name] = None if op == "remove" else changes[name]
        return updated

    # ------------------------------------------------------------------------------------------- clients

    def _client_row(self, client_id: str) -> tuple[Any, ...]:
        row = self.db.execute("SELECT id, name, data FROM cwa_clients WHERE id = ?", (_int_id(client_id),)).fetchone()
        if row is None:
            raise _ApiError(404, f"Client {client_id} was not found.")
        return tuple(row)

    def _list_clients(self, request: SandboxRequest) -> SandboxResponse:
        def records(where: str, params: list[Any]) -> list[dict[str, Any]]:
            sql = "SELECT id, name, data FROM cwa_clients" + (f" WHERE {where}" if where else "")
            return [self._client_record(r) for r in self.db.execute(sql, params)]

        return self._list(request, "Clients", records)

    def _get_client(self, request: SandboxRequest, id: str) -> SandboxResponse:
        return SandboxResponse.json(200, self._client_record(self._client_row(id)))

    def _check_client_name(self, name: Any, *, except_id: int | None = None) -> str:
        if not isinstance(name, str) or not name.strip():
            raise _ApiError(400, "Name is required.")
        clash = self.db.execute(
            "SELECT id FROM cwa_clients WHERE lower(name) = lower(?) AND id != ?", (name.strip(), except_id or -1)
        ).fetchone()
        if clash is not None:
            raise _ApiError(400, f"A client named '{name.strip()}' already exists (Id {clash[0]}).")
        return name.strip()

    def _create_client(self, request: SandboxRequest) -> SandboxResponse:
        fields = self._clean_fields(self._body_object(request), _CLIENT_FIELDS, "Client")
        name = self._check_client_name(fields.pop("Name", None))
        data = {key: fields.get(key, _default(kind)) for key, kind in _CLIENT_FIELDS.items() if key != "Name"}
        cursor = self.db.execute("INSERT INTO cwa_clients (name, data) VALUES (?, ?)", (name, json.dumps(data)))
        return SandboxResponse.json(200, self._client_record(self._client_row(str(cursor.lastrowid))))

    def _save_client(self, client_id: int, fields: dict[str, Any]) -> SandboxResponse:
        name = self._check_client_name(fields.pop("Name", None), except_id=client_id)
        self.db.execute("UPDATE cwa_clients SET name = ?, data = ? WHERE id = ?", (name, json.dumps(fields), client_id))
        return SandboxResponse.json(200, self._client_record(self._client_row(str(client_id))))

    def _put_client(self, request: SandboxRequest, id: str) -> SandboxResponse:
        row = self._client_row(id)
        fields = self._clean_fields(self._body_object(request), _CLIENT_FIELDS, "Client")
        data = {key: fields.get(key, _default(kind)) for key, kind in _CLIENT_FIELDS.items()}
        return self._save_client(row[0], data)

    def _patch_client(self, request: SandboxRequest, id: str) -> SandboxResponse:
        row = self._client_row(id)
        current = {"Name": row[1], **json.loads(row[2])}
        updated = self._apply_patch(current, self._patch_operations(request), _CLIENT_FIELDS, "Client")
        return self._save_client(row[0], updated)

    def _delete_client(self, request: SandboxRequest, id: str) -> SandboxResponse:
        row = self._client_row(id)
        count = self.db.execute("SELECT count(*) FROM cwa_computers WHERE client_id = ?", (row[0],)).fetchone()[0]
        if count:
            raise _ApiError(
                400, f"Cannot delete client {row[0]} with assigned computers ({count}): move or remove them first."
            )
        location_ids = [r[0] for r in self.db.execute("SELECT id FROM cwa_locations WHERE client_id = ?", (row[0],))]
        for lid in location_ids:
            self._delete_extra_field_values("Location", lid)
        self.db.execute("DELETE FROM cwa_locations WHERE client_id = ?", (row[0],))
        self._delete_extra_field_values("Client", row[0])
        self.db.execute("DELETE FROM cwa_clients WHERE id = ?", (row[0],))
        return SandboxResponse.empty(204)

    # ----------------------------------------------------------------------------------------- locations

    def _location_row(self, location_id: str) -> tuple[Any, ...]:
        row = self.db.execute(
            "SELECT id, client_id, name, data FROM cwa_locations WHERE id = ?", (_int_id(location_id),)
        ).fetchone()
        if row is None:
            raise _ApiError(404, f"Location {location_id} was not found.")
        return tuple(row)

    def _list_locations(self, request: SandboxRequest) -> SandboxResponse:
        def records(where: str, params: list[Any]) -> list[dict[str, Any]]:
            sql = "SELECT id, client_id, name, data FROM cwa_locations" + (f" WHERE {where}" if where else "")
            return self._location_records([tuple(r) for r in self.db.execute(sql, params)])

        return self._list(request, "Locations", records)

    def _get_location(self, request: SandboxRequest, id: str) -> SandboxResponse:
        return SandboxResponse.json(200, self._location_records([self._location_row(id)])[0])

    def _location_client(self, body: dict[str, Any]) -> int:
        lowered = {str(k).lower(): v for k, v in body.items()}
        client = lowered.get("client")
        raw: Any = None
        if isinstance(client, dict):
            raw = {str(k).lower(): v for k, v in client.items()}.get("id")
        if raw is None:
            raw = lowered.get("clientid")
        if raw is None:
            raise _ApiError(400, 'Client is required: give "Client": {"Id": ...}.')
        return self._client_row(str(raw))[0]  # type: ignore[no-any-return]

    def _check_location_name(self, client_id: int, name: Any, *, except_id: int | None = None) -> str:
        if not isinstance(name, str) or not name.strip():
            raise _ApiError(400, "Name is required.")
        clash = self.db.execute(
            "SELECT id FROM cwa_locations WHERE client_id = ? AND lower(name) = lower(?) AND id != ?",
            (client_id, name.strip(), except_id or -1),
        ).fetchone()
        if clash is not None:
            raise _ApiError(400, f"Client {client_id} already has a location named '{name.strip()}' (Id {clash[0]}).")
        return name.strip()

    def _create_location(self, request: SandboxRequest) -> SandboxResponse:
        body = self._body_object(request)
        client_id = self._location_client(body)
        fields = self._clean_fields(body, _LOCATION_FIELDS, "Location")
        name = self._check_location_name(client_id, fields.pop("Name", None))
        data = {key: fields.get(key, _default(kind)) for key, kind in _LOCATION_FIELDS.items() if key != "Name"}
        cursor = self.db.execute(
            "INSERT INTO cwa_locations (client_id, name, data) VALUES (?, ?, ?)", (client_id, name, json.dumps(data))
        )
        return self._get_location(request, str(cursor.lastrowid))

    def _save_location(self, row: tuple[Any, ...], fields: dict[str, Any]) -> SandboxResponse:
        name = self._check_location_name(row[1], fields.pop("Name", None), except_id=row[0])
        self.db.execute("UPDATE cwa_locations SET name = ?, data = ? WHERE id = ?", (name, json.dumps(fields), row[0]))
        return SandboxResponse.json(200, self._location_records([self._location_row(str(row[0]))])[0])

    def _put_location(self, request: SandboxRequest, id: str) -> SandboxResponse:
        row = self._location_row(id)
        fields = self._clean_fields(self._body_object(request), _LOCATION_FIELDS, "Location")
        return self._save_location(
            row, {key: fields.get(key, _default(kind)) for key, kind in _LOCATION_FIELDS.items()}
        )

    def _patch_location(self, request: SandboxRequest, id: str) -> SandboxResponse:
        row = self._location_row(id)
        current = {"Name": row[2], **json.loads(row[3])}
        return self._save_location(
            row, self._apply_patch(current, self._patch_operations(request), _LOCATION_FIELDS, "Location")
        )

    def _delete_location(self, request: SandboxRequest, id: str) -> SandboxResponse:
        row = self._location_row(id)
        count = self.db.execute("SELECT count(*) FROM cwa_computers WHERE location_id = ?", (row[0],)).fetchone()[0]
        if count:
            raise _ApiError(400, f"Cannot delete location {row[0]} with assigned computers ({count}).")
        self._delete_extra_field_values("Location", row[0])
        self.db.execute("DELETE FROM cwa_locations WHERE id = ?", (row[0],))
        return SandboxResponse.empty(204)

    # ----------------------------------------------------------------------------------------- computers

    _COMPUTER_COLUMNS = "id, client_id, location_id, online, last_contact, contact_offset_s, data"

    def _list_computers(self, request: SandboxRequest) -> SandboxResponse:
        def records(where: str, params: list[Any]) -> list[dict[str, Any]]:
            sql = f"SELECT {self._COMPUTER_COLUMNS} FROM cwa_computers" + (f" WHERE {where}" if where else "")
            return self._computer_records([tuple(r) for r in self.db.execute(sql, params)])

        return self._list(request, "Computers", records)

    def _patch_computer(self, request: SandboxRequest, id: str) -> SandboxResponse:
        """Move a computer to another location (an emulator extension: see the module docstring)."""
        row = self.db.execute(
            f"SELECT {self._COMPUTER_COLUMNS} FROM cwa_computers WHERE id = ?", (_int_id(id),)
        ).fetchone()
        if row is None:
            raise _ApiError(404, f"Computer {id} was not found.")
        target: int | None = None
        for op, path, value in self._patch_operations(request):
            key = path.replace(".", "/").lower()
            if op == "remove" or key not in ("location/id", "locationid"):
                raise _ApiError(400, f"Only Location/Id can be changed on a computer (got {op} {path}).")
            target = _int_id(str(value))
        if target is None:
            raise _ApiError(400, "Give a Location/Id operation.")
        location = self._location_row(str(target))
        self.db.execute(
            "UPDATE cwa_computers SET location_id = ?, client_id = ? WHERE id = ?", (location[0], location[1], row[0])
        )
        fresh = self.db.execute(
            f"SELECT {self._COMPUTER_COLUMNS} FROM cwa_computers WHERE id = ?", (row[0],)
        ).fetchone()
        return SandboxResponse.json(200, self._computer_records([tuple(fresh)])[0])

    # -------------------------------------------------------------------------------------------- groups

    def _group_row(self, group_id: str) -> tuple[Any, ...]:
        row = self.db.execute("SELECT id, name, data FROM cwa_groups WHERE id = ?", (_int_id(group_id),)).fetchone()
        if row is None:
            raise _ApiError(404, f"Group {group_id} was not found.")
        return tuple(row)

    def _list_groups(self, request: SandboxRequest) -> SandboxResponse:
        def records(where: str, params: list[Any]) -> list[dict[str, Any]]:
            sql = "SELECT id, name, data FROM cwa_groups" + (f" WHERE {where}" if where else "")
            return [self._group_record(tuple(r)) for r in self.db.execute(sql, params)]

        return self._list(request, "Groups", records)

    def _get_group(self, request: SandboxRequest, id: str) -> SandboxResponse:
        return SandboxResponse.json(200, self._group_record(self._group_row(id)))

    def _group_data(self, fields: dict[str, Any], group_id: int | None) -> tuple[str, dict[str, Any]]:
        name = fields.pop("Name", None)
        if not isinstance(name, str) or not name.strip():
            raise _ApiError(400, "Name is required.")
        parent = str(fields.get("ParentId") or "0")
        depth = 0
        full = name.strip()
        if parent != "0":
            parent_row = self._group_row(parent)
            parent_data = json.loads(parent_row[2])
            depth = int(parent_data.get("Depth", 0)) + 1
            full = f"{parent_data.get('FullName', parent_row[1])}.{full}"
        data = {key: fields.get(key, _default(kind)) for key, kind in _GROUP_FIELDS.items() if key != "Name"}
        data.update({"ParentId": parent, "Depth": depth, "FullName": full})
        if group_id is None:
            data["GUID"] = str(uuid.uuid4())
        return name.strip(), data

    def _create_group(self, request: SandboxRequest) -> SandboxResponse:
        fields = self._clean_fields(self._body_object(request), _GROUP_FIELDS, "Group")
        name, data = self._group_data(fields, None)
        cursor = self.db.execute("INSERT INTO cwa_groups (name, data) VALUES (?, ?)", (name, json.dumps(data)))
        return self._get_group(request, str(cursor.lastrowid))

    def _save_group(self, row: tuple[Any, ...], fields: dict[str, Any]) -> SandboxResponse:
        name, data = self._group_data(fields, row[0])
        data["GUID"] = json.loads(row[2]).get("GUID", "")
        self.db.execute("UPDATE cwa_groups SET name = ?, data = ? WHERE id = ?", (name, json.dumps(data), row[0]))
        return SandboxResponse.json(200, self._group_record(self._group_row(str(row[0]))))

    def _put_group(self, request: SandboxRequest, id: str) -> SandboxResponse:
        row = self._group_row(id)
        return self._save_group(row, self._clean_fields(self._body_object(request), _GROUP_FIELDS, "Group"))

    def _patch_group(self, request: SandboxRequest, id: str) -> SandboxResponse:
        row = self._group_row(id)
        current = {"Name": row[1], **json.loads(row[2])}
        current = {k: v for k, v in current.items() if k in _GROUP_FIELDS}
        return self._save_group(
            row, self._apply_patch(current, self._patch_operations(request), _GROUP_FIELDS, "Group")
        )

    def _delete_group(self, request: SandboxRequest, id: str) -> SandboxResponse:
        row = self._group_row(id)
        children = self.db.execute("SELECT name, data FROM cwa_groups").fetchall()
        if any(json.loads(data).get("ParentId") == str(row[0]) for _, data in children):
            raise _ApiError(400, f"Group {row[0]} has subgroups: delete them first.")
        self.db.execute("DELETE FROM cwa_group_computers WHERE group_id = ?", (row[0],))
        self.db.execute("DELETE FROM cwa_groups WHERE id = ?", (row[0],))
        return SandboxResponse.empty(204)

    # ----------------------------------------------------------------------------------- group computers

    def _group_computer_row(self, entity_id: str) -> tuple[Any, ...]:
        row = self.db.execute(
            "SELECT id, group_id, computer_id FROM cwa_group_computers WHERE id = ?", (_int_id(entity_id),)
        ).fetchone()
        if row is None:
            raise _ApiError(404, f"GroupComputer {entity_id} was not found.")
        return tuple(row)

    def _list_group_computers(self, request: SandboxRequest) -> SandboxResponse:
        def records(where: str, params: list[Any]) -> list[dict[str, Any]]:
            sql = "SELECT id, group_id, computer_id FROM cwa_group_computers"
            return [self._group_computer_record(tuple(r)) for r in self.db.execute(sql)]

        return self._list(request, "GroupComputers", records)

    def _get_group_computer(self, request: SandboxRequest, id: str) -> SandboxResponse:
        return SandboxResponse.json(200, self._group_computer_record(self._group_computer_row(id)))

    def _group_computer_pair(self, fields: dict[str, Any], except_id: int | None = None) -> tuple[int, int]:
        lowered = {str(k).lower(): v for k, v in fields.items()}
        group_id = self._group_row(str(lowered.get("groupid") or ""))[0]
        computer = _int_id(str(lowered.get("computerid") or ""))
        if self.db.execute("SELECT 1 FROM cwa_computers WHERE id = ?", (computer,)).fetchone() is None:
            raise _ApiError(404, f"Computer {computer} was not found.")
        clash = self.db.execute(
            "SELECT id FROM cwa_group_computers WHERE group_id = ? AND computer_id = ? AND id != ?",
            (group_id, computer, except_id or -1),
        ).fetchone()
        if clash is not None:
            raise _ApiError(400, f"Computer {computer} is already in group {group_id}.")
        return group_id, computer

    def _create_group_computer(self, request: SandboxRequest) -> SandboxResponse:
        group_id, computer = self._group_computer_pair(self._body_object(request))
        cursor = self.db.execute(
            "INSERT INTO cwa_group_computers (group_id, computer_id) VALUES (?, ?)", (group_id, computer)
        )
        return self._get_group_computer(request, str(cursor.lastrowid))

    def _put_group_computer(self, request: SandboxRequest, id: str) -> SandboxResponse:
        row = self._group_computer_row(id)
        group_id, computer = self._group_computer_pair(self._body_object(request), row[0])
        self.db.execute(
            "UPDATE cwa_group_computers SET group_id = ?, computer_id = ? WHERE id = ?", (group_id, computer, row[0])
        )
        return self._get_group_computer(request, id)

    def _patch_group_computer(self, request: SandboxRequest, id: str) -> SandboxResponse:
        row = self._group_computer_row(id)
        fields: dict[str, Any] = {"GroupId": str(row[1]), "ComputerId": str(row[2])}
        for op, path, value in self._patch_operations(request):
            key = {"groupid": "GroupId", "computerid": "ComputerId"}.get(path.lower())
            if key is None or op == "remove":
                raise _ApiError(400, f"Only GroupId and ComputerId can be replaced (got {op} {path}).")
            fields[key] = str(value)
        group_id, computer = self._group_computer_pair(fields, row[0])
        self.db.execute(
            "UPDATE cwa_group_computers SET group_id = ?, computer_id = ? WHERE id = ?", (group_id, computer, row[0])
        )
        return self._get_group_computer(request, id)

    def _delete_group_computer(self, request: SandboxRequest, id: str) -> SandboxResponse:
        row = self._group_computer_row(id)
        self.db.execute("DELETE FROM cwa_group_computers WHERE id = ?", (row[0],))
        return SandboxResponse.empty(204)

    # -------------------------------------------------------------------------------------- extra fields

    def _extra_fields(self, request: SandboxRequest, target: str, target_id: int) -> SandboxResponse:
        rows = self.db.execute(
            "SELECT d.id, d.title, d.display_format, d.section, d.default_value, d.options, d.guid, v.value "
            "FROM cwa_extra_field_definitions d LEFT JOIN cwa_extra_field_values v "
            "ON v.definition_id = d.id AND v.target_id = ? WHERE d.target = ? ORDER BY d.id",
            (target_id, target),
        ).fetchall()
        records = [_extra_field_record(target, target_id, tuple(r)) for r in rows]

        def all_records(where: str, params: list[Any]) -> list[dict[str, Any]]:
            return records

        return self._list(request, "ExtraFields", all_records)

    def _definition(self, target: str, definition: str) -> tuple[Any, ...]:
        row = self.db.execute(
            "SELECT id, title, display_format, section, default_value, options, guid "
            "FROM cwa_extra_field_definitions WHERE id = ? AND target = ?",
            (_int_id(definition, status=400), target),
        ).fetchone()
        if row is None:
            raise _ApiError(400, f"Extra field definition {definition} does not exist for {target.lower()}s.")
        return tuple(row)

    def _patch_extra_field(
        self, request: SandboxRequest, target: str, target_id: int, definition: str
    ) -> SandboxResponse:
        row = self._definition(target, definition)
        display_format, options = row[2], json.loads(row[5])
        new_value: str | None = None
        for op, path, value in self._patch_operations(request):
            key = path.replace(".", "/").lower().rsplit("/", 1)[-1]
            if key not in ("value", "ischecked", "selectedvalue"):
                raise _ApiError(400, f"'{path}' cannot be changed on an extra field: patch its Value.")
            new_value = None if op == "remove" else _extra_field_text(display_format, value, options, row[1])
        if new_value is None:
            self.db.execute(
                "DELETE FROM cwa_extra_field_values WHERE definition_id = ? AND target_id = ?", (row[0], target_id)
            )
        else:
            self.db.execute(
                "INSERT INTO cwa_extra_field_values (definition_id, target_id, value) VALUES (?, ?, ?) "
                "ON CONFLICT (definition_id, target_id) DO UPDATE SET value = excluded.value",
                (row[0], target_id, new_value),
            )
        return SandboxResponse.json(200, self._one_extra_field(target, target_id, row))

    def _reset_extra_field(self, target: str, target_id: int, definition: str) -> SandboxResponse:
        row = self._definition(target, definition)
        self.db.execute(
            "DELETE FROM cwa_extra_field_values WHERE definition_id = ? AND target_id = ?", (row[0], target_id)
        )
        return SandboxResponse.json(200, self._one_extra_field(target, target_id, row))

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

    def _client_extra_fields(self, request: SandboxRequest, id: str) -> SandboxResponse:
        return self._extra_fields(request, "Client", self._client_row(id)[0])

    def _location_extra_fields(self, request: SandboxRequest, id: str) -> SandboxResponse:
        return self._extra_fields(request, "Location", self._location_row(id)[0])

    def _patch_client_extra_field(self, request: SandboxRequest, id: str, definition: str) -> SandboxResponse:
        return self._patch_extra_field(request, "Client", self._client_row(id)[0], definition)

    def _patch_location_extra_field(self, request: SandboxRequest, id: str, definition: str) -> SandboxResponse:
        return self._patch_extra_field(request, "Location", self._location_row(id)[0], definition)

    def _reset_client_extra_field(self, request: SandboxRequest, id: str, definition: str) -> SandboxResponse:
        return self._reset_extra_field("Client", self._client_row(id)[0], definition)

    def _reset_location_extra_field(self, request: SandboxRequest, id: str, definition: str) -> SandboxResponse:
        return self._reset_extra_field("Location", self._location_row(id)[0], definition)

    # ------------------------------------------------------------------------------------------- seeding

    _GROUPS = (
        ("Service Plans", None),
        ("Managed 24x7", "Service Plans"),
        ("Servers", None),
        ("Workstations", None),
        ("Patching - Pilot", None),
    )
    _CLIENT_EDFS: tuple[tuple[str, str, list[str]], ...] = (
        ("Contract Type", "Dropdown", ["Managed Services", "Break Fix", "Block Hours"]),
        ("SLA Level", "Dropdown", ["Bronze", "Silver", "Gold", "Premium"]),
        ("Account Manager", "Text", []),
        ("Backup Enabled", "Checkbox", []),
    )
    _LOCATION_EDFS: tuple[tuple[str, str, list[str]], ...] = (
        ("Site Code", "Text", []),
        ("Has Firewall", "Checkbox", []),
    )
    _FIRST = ("Anna", "Ben", "Carla", "David", "Elena", "Frank", "Grace", "Hugo", "Irene", "Jon", "Kim", "Luis")
    _LAST = ("Baker", "Chen", "Diaz", "Evans", "Fischer", "Garcia", "Hughes", "Ito", "Jones", "Klein", "Lopez")
    _MANAGERS = ("Dana Whitfield", "Marco Ruiz", "Priya Natarajan")
    _OS = (
        ("Microsoft Windows 11 Pro x64", "10.0.22631", "Workstation"),
        ("Microsoft Windows 10 Pro x64", "10.0.19045", "Workstation"),
        ("Microsoft Windows Server 2022 Standard x64", "10.0.20348", "Server"),
        ("Microsoft Windows Server 2019 Standard x64", "10.0.17763", "Server"),
        ("macOS 14.4 Sonoma", "14.4", "Workstation"),
    )

    def _seed_groups(self, rng: random.Random) -> dict[str, int]:
        existing = {name: gid for gid, name in self.db.execute("SELECT id, name FROM cwa_groups")}
        for name, parent in self._GROUPS:
            if name in existing:
                continue
            parent_id = existing.get(parent or "", 0)
            data = {
                "ParentId": str(parent_id),
                "Depth": 1 if parent else 0,
                "FullName": f"{parent}.{name}" if parent else name,
                "TypeId": 0,
                "TypeName": "Standard",
                "TemplatePriority": 0,
                "Comments": "",
                "GUID": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "ComputersLimitToSearch": False,
                "ContactsLimitToSearch": False,
                "NetworkDevicesLimitToSearch": False,
                "ContactsJoinComputers": False,
            }
            cursor = self.db.execute("INSERT INTO cwa_groups (name, data) VALUES (?, ?)", (name, json.dumps(data)))
            existing[name] = int(cursor.lastrowid or 0)
        return existing

    def _seed_extra_field_definitions(self, rng: random.Random) -> tuple[dict[str, int], dict[str, int]]:
        made: dict[str, dict[str, int]] = {"Client": {}, "Location": {}}
        for target, specs in (("Client", self._CLIENT_EDFS), ("Location", self._LOCATION_EDFS)):
            for title, display_format, options in specs:
                row = self.db.execute(
                    "SELECT id FROM cwa_extra_field_definitions WHERE target = ? AND title = ?", (target, title)
                ).fetchone()
                if row is None:
                    default = "false" if display_format == "Checkbox" else ""
                    cursor = self.db.execute(
                        "INSERT INTO cwa_extra_field_definitions "
                        "(target, title, display_format, section, default_value, options, guid) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (
                            target,
                            title,
                            display_format,
                            "Client Info" if target == "Client" else "Site Info",
                            default,
                            json.dumps(options),
                            str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                        ),
                    )
                    made[target][title] = int(cursor.lastrowid or 0)
                else:
                    made[target][title] = row[0]
        return made["Client"], made["Location"]

    def _seed_one_client(
        self,
        row: dict[str, Any],
        rng: random.Random,
        now: datetime,
        groups: dict[str, int],
        client_defs: dict[str, int],
        location_defs: dict[str, int],
    ) -> None:
        name = str(row["name"]).strip()
        first, last = rng.choice(self._FIRST), rng.choice(self._LAST)
        domain = re.sub(r"[^a-z0-9]", "", name.lower())[:20] or "client"
        data = {key: _default(kind) for key, kind in _CLIENT_FIELDS.items() if key != "Name"}
        data.update(
            {
                "Company": name,
                "FirstName": first,
                "LastName": last,
                "Address1": str(row.get("address1") or ""),
                "City": str(row.get("city") or ""),
                "State": str(row.get("state") or ""),
                "ZipCode": str(row.get("zip") or ""),
                "PhoneNumber": str(row.get("phone") or ""),
                "Country": "United States",
                "NewTicketNotificationEmail": f"{first.lower()}.{last.lower()}@{domain}.example",
            }
        )
        taken = self.db.execute("SELECT 1 FROM cwa_clients WHERE lower(name) = lower(?)", (name,)).fetchone()
        if taken is not None:
            return  # seeding twice must not duplicate clients
        client_id = int(
            self.db.execute("INSERT INTO cwa_clients (name, data) VALUES (?, ?)", (name, json.dumps(data))).lastrowid
            or 0
        )
        self._seed_value(client_defs["Contract Type"], client_id, rng.choice(self._CLIENT_EDFS[0][2]))
        self._seed_value(client_defs["SLA Level"], client_id, rng.choice(self._CLIENT_EDFS[1][2]))
        self._seed_value(client_defs["Account Manager"], client_id, rng.choice(self._MANAGERS))
        self._seed_value(client_defs["Backup Enabled"], client_id, rng.choice(("true", "false")))

        location_names = ["Main Office"] + (["Branch Office"] if rng.random() < 0.4 else [])
        location_ids: list[int] = []
        for index, location_name in enumerate(location_names):
            location_data = {key: _default(kind) for key, kind in _LOCATION_FIELDS.items() if key != "Name"}
            if index == 0:
                location_data.update(
                    {
                        "Address1": data["Address1"],
                        "City": data["City"],
                        "State": data["State"],
                        "ZipCode": data["ZipCode"],
                        "PhoneNumber": data["PhoneNumber"],
                        "Country": "United States",
                    }
                )
            lid = int(
                self.db.execute(
                    "INSERT INTO cwa_locations (client_id, name, data) VALUES (?, ?, ?)",
                    (client_id, location_name, json.dumps(location_data)),
                ).lastrowid
                or 0
            )
            location_ids.append(lid)
            self._seed_value(location_defs["Site Code"], lid, f"{domain[:4].upper()}-{index + 1:02d}")
            self._seed_value(location_defs["Has Firewall"], lid, rng.choice(("true", "false")))

        prefix = (re.sub(r"[^A-Z0-9]", "", name.upper())[:6]) or "PC"
        # Most clients have a handful of agents; about one in eight has none yet (a new or a cloud-only client).
        count = 0 if rng.random() < 0.12 else rng.randint(2, 12)
        for number in range(1, count + 1):
            os_name, os_version, kind = rng.choice(self._OS)
            online = rng.random() < 0.75
            offset = rng.randint(5, 280)
            # Offline agents last checked in between an hour and about two months ago.
            last_contact = now - timedelta(minutes=rng.randint(60, 60 * 24 * 60))
            computer_name = f"{prefix}-{'SRV' if kind == 'Server' else 'WS'}{number:02d}"
            computer = {
                "ComputerName": computer_name,
                "FriendlyName": computer_name,
                "Type": kind,
                "OperatingSystemName": os_name,
                "OperatingSystemVersion": os_version,
                "DomainName": f"{domain[:12].upper()}",
                "LocalIPAddress": f"10.{client_id % 250}.{number}.{rng.randint(10, 250)}",
                "MACAddress": "-".join(f"{rng.randint(0, 255):02X}" for _ in range(6)),
                "SerialNumber": "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789") for _ in range(10)),
                "LastUserName": f"{domain[:12].upper()}\\{rng.choice(self._FIRST).lower()}",
                "DateAdded": _iso(now - timedelta(days=rng.randint(30, 1500))),
                "IsVirtualMachine": kind == "Server" and rng.random() < 0.6,
                "RemoteAgentVersion": "2023.11.0.2",
                "TotalMemory": rng.choice((8, 16, 32, 64)) * 1024,
                "Comment": "",
                "IsMaster": False,
                "IsRebootNeeded": rng.random() < 0.2,
            }
            cursor = self.db.execute(
                "INSERT INTO cwa_computers (client_id, location_id, online, last_contact, contact_offset_s, data) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (
                    client_id,
                    rng.choice(location_ids),
                    1 if online else 0,
                    last_contact.isoformat(),
                    offset,
                    json.dumps(computer),
                ),
            )
            group = groups["Servers"] if kind == "Server" else groups["Workstations"]
            self.db.execute(
                "INSERT INTO cwa_group_computers (group_id, computer_id) VALUES (?, ?)", (group, cursor.lastrowid)
            )

    def _seed_value(self, definition_id: int, target_id: int, value: str) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO cwa_extra_field_values (definition_id, target_id, value) VALUES (?, ?, ?)",
            (definition_id, target_id, value),
        )

    # ------------------------------------------------------------------------------------------- helpers

    @staticmethod
    def _message(status: int, message: str) -> SandboxResponse:
        return SandboxResponse.json(status, {"Message": message})


# ------------------------------------------------------------------------------------- module helpers


def _int_id(text: str, *, status: int = 404) -> int:
    try:
        return int(str(text).strip())
    except ValueError:
        raise _ApiError(status, f"'{text}' is not a valid id: ids are whole numbers.") from None


def _has_type(value: Any, expected: type) -> bool:
    if expected is bool:
        return isinstance(value, bool)
    if expected is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, expected)


def _default(kind: type) -> Any:
    return False if kind is bool else (0 if kind is int else "")


def _extra_field_text(display_format: str, value: Any, options: list[str], title: str) -> str:
    """The stored text of an extra-field value, checked against its display format."""
    if display_format == "Checkbox":
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, str) and value.lower() in ("true", "false", "1", "0", "yes", "no"):
            return "true" if value.lower() in ("true", "1", "yes") else "false"
        raise _ApiError(400, f"'{title}' is a checkbox: give true or false, not {value!r}.")
    if value is None:
        return ""
    text = value if isinstance(value, str) else json.dumps(value)
    if display_format == "Dropdown" and options and text not in options:
        raise _ApiError(400, f"'{text}' is not an option of '{title}': choose one of {', '.join(options)}.")
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


# ---------------------------------------------------------------------------------- condition evaluation

# Conditions a list can hand to SQL before evaluating the rest in Python (speed on large seeds only; the Python
# evaluation below is the rule).
_PUSHDOWN_COLUMNS = {"client.id": "client_id", "location.id": "location_id", "id": "id"}


def _pushdown(cond: Condition | None) -> tuple[str, list[Any]]:
    if cond is None:
        return "", []
    parts = cond.parts if isinstance(cond, AllOf) else (cond,)
    clauses: list[str] = []
    params: list[Any] = []
    for part in parts:
        if not isinstance(part, Comparison) or part.op != "=":
            continue
        field = part.field.replace("/", ".").lower()
        value = part.value
        if field == "status" and isinstance(value, str) and value.lower() in ("online", "offline"):
            clauses.append("online = ?")  # only Computers name Status (the field check runs first)
            params.append(1 if value.lower() == "online" else 0)
            continue
        if field == "name" and isinstance(value, str) and value.isascii():
            # SQLite's NOCASE folds ASCII only, hence the isascii guard; Python re-checks every row anyway.
            clauses.append("name = ? COLLATE NOCASE")
            params.append(value)
            continue
        column = _PUSHDOWN_COLUMNS.get(field)
        if column is None or isinstance(value, bool) or not isinstance(value, int | str):
            continue
        try:
            number = int(value)
        except ValueError:
            continue
        clauses.append(f"{column} = ?")
        params.append(number)
    return " AND ".join(clauses), params


def _lookup(record: dict[str, Any], path: str) -> Any:
    current: Any = record
    for name in re.split(r"[./]", path):
        if not isinstance(current, dict):
            return None
        wanted = name.lower()
        current = next((v for k, v in current.items() if k.lower() == wanted), None)
    return current


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


def _comparable(actual: Any, expected: Any) -> tuple[Any, Any] | None:
    """Both sides in one type (numbers, datetimes, booleans or case-folded text), or None when they cannot meet."""
    if expected is None or actual is None:
        return None
    if isinstance(expected, bool):
        if isinstance(actual, bool):
            return actual, expected
        if isinstance(actual, str) and actual.lower() in ("true", "false"):
            return actual.lower() == "true", expected
        return None
    if isinstance(expected, int | float):
        try:
            return float(actual), float(expected)
        except (TypeError, ValueError):
            return None
    if isinstance(expected, datetime):
        if isinstance(actual, str):
            try:
                return _parse_iso(actual), expected
            except ValueError:
                return None
        return None
    if isinstance(actual, dict | list):
        return None
    text = "true" if actual is True else "false" if actual is False else str(actual)
    return text.lower(), str(expected).lower()


def _like(pattern: str, text: str) -> bool:
    # MySQL LIKE: % any run, _ one character; everything else literal; case-insensitive.
    translated = "".join(".*" if ch == "%" else "." if ch == "_" else re.escape(ch) for ch in pattern.lower())
    return re.fullmatch(translated, text.lower(), re.DOTALL) is not None


def _compare(op: str, actual: Any, expected: Any) -> bool:
    if op in ("in", "not in"):
        hit = any(_compare("=", actual, item) for item in expected)
        return hit if op == "in" else not hit
    if expected is None:
        is_null = actual is None or actual == ""
        return is_null if op == "=" else not is_null
    if op in ("like", "not like", "contains", "not contains"):
        text = "" if actual is None else str(actual)
        hit = _like(str(expected), text) if op.endswith("like") else str(expected).lower() in text.lower()
        return not hit if op.startswith("not") else hit
    pair = _comparable(actual, expected)
    if pair is None:
        return op == "!="
    left, right = pair
    if op == "=":
        return bool(left == right)
    if op == "!=":
        return bool(left != right)
    if op == "<":
        return bool(left < right)
    if op == "<=":
        return bool(left <= right)
    if op == ">":
        return bool(left > right)
    return bool(left >= right)


def _matches(cond: Condition, record: dict[str, Any]) -> bool:
    if isinstance(cond, Comparison):
        return _compare(cond.op, _lookup(record, cond.field), cond.value)
    if isinstance(cond, AllOf):
        return all(_matches(p, record) for p in cond.parts)
    if isinstance(cond, AnyOf):
        return any(_matches(p, record) for p in cond.parts)
    if isinstance(cond, Raw):  # parse() never returns Raw; kept total for the type checker
        return _matches(parse(cond.text, dialect="automate"), record)
    return False
