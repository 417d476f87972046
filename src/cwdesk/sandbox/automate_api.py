"""The HTTP face of the Automate emulator: the ``/cwa/api/v1`` routes, auth, list parameters and error bodies.

What it answers (``automate-core.json``, ``automate-openapi.json`` and docs/automate.md, which carries the sources):

- ``POST /apitoken`` (``TokenCredentials`` -> ``TokenResult``), including a user that needs a two-factor passcode
  (the first call answers ``IsTwoFactorRequired: true`` without a token), ``GET /apitoken`` and
  ``POST /apitoken/refresh`` (the body is the current token as a JSON string).
- The token calls (``POST``/``GET /apitoken``) need no ``ClientId`` header: connectwise-rest (``src/Automate.ts``,
  ``getToken``) posts the credentials with no header at all, and gavsto/AutomateAPI ``Public/Connect-AutomateAPI.ps1``
  asks ``GET /APIToken`` for a ClientID before it has one. Every other call needs ``Authorization: Bearer
  {AccessToken}`` and a ``ClientId`` header (a GUID): without it a real server answers 401 (gavsto/AutomateAPI
  issue #56, after v2020.11). Errors are ASP.NET Web API's ``{"Message": ...}`` body.
- Lists take ``condition``, ``orderby``, ``page``, ``pagesize`` (at most 1000), ``ids``, ``includefields``,
  ``excludefields`` in their flat form and their ``options.*`` form. Paths and parameter names are matched
  case-insensitively, as ASP.NET routing does. A page past the end is ``[]`` and there is no ``Link`` header.
- ``GET /PatchInformation``, ``GET``/``POST /FeatureFlags`` and ``GET /Computers/{id}``, which clients call to check
  a token (gavsto ``Connect-AutomateAPI.ps1 -Verify``; connectwise-rest ``verifyToken``) or to read one agent.

Not for: records and their rules (``backend/automate.py``), seeding (``seed_automate.py``), faults, the request log
and serving (``server.py``).
"""

from __future__ import annotations

import re
import secrets
import sqlite3
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cwdesk.conditions import Condition, ConditionSyntaxError, parse
from cwdesk.sandbox.backend.automate import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    AutomateBackend,
    AutomateError,
    ListQuery,
    PatchOperation,
    iso,
)
from cwdesk.sandbox.http import SandboxRequest, SandboxResponse

__all__ = [
    "AUTOMATE_PREFIX",
    "SANDBOX_2FA_USER",
    "SANDBOX_PASSWORD",
    "SANDBOX_TWO_FACTOR_CODE",
    "SANDBOX_USER",
    "AutomateAPI",
    "message",
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


def message(status: int, text: str, headers: dict[str, str] | None = None) -> SandboxResponse:
    """An Automate error answer: ASP.NET Web API's ``{"Message": ...}`` body."""
    return SandboxResponse.json(status, {"Message": text}, headers)


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
    _route("/computers/{id}", get="_get_computer", patch="_patch_computer"),
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
    _route("/patchinformation", get="_patch_information"),
    _route("/featureflags", get="_list_feature_flags", post="_post_feature_flag"),
)

# Calls answered without a bearer token (they are how a client gets one).
_UNAUTHENTICATED = {"_auth_information", "_token", "_refresh"}
# Calls answered without a ClientId header: getting a token (connectwise-rest src/Automate.ts getToken sends none)
# and asking the server how to authenticate (gavsto Connect-AutomateAPI.ps1 reads the ClientID from GET /APIToken).
_NO_CLIENT_ID = {"_auth_information", "_token"}

# The list parameters in their flat form (gavsto Get-AutomateAPIGeneric.ps1) and their spec form (options.*).
_OPTION_ALIASES = {
    "condition": ("condition", "options.condition"),
    "page": ("page", "options.page"),
    "pagesize": ("pagesize", "options.pageSize"),
    "ids": ("ids", "options.ids"),
    "includefields": ("includefields", "options.includedFields"),
    "excludefields": ("excludefields", "options.excludedFields"),
}


class AutomateAPI:
    """The Automate routes over an ``AutomateBackend`` on the shared connection.

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
        self.backend = AutomateBackend(db, clock)
        self.clock = clock
        self.token_lifetime = token_lifetime

    @property
    def db(self) -> sqlite3.Connection:
        return self.backend.db

    # ------------------------------------------------------------------------------------------- entry point

    def handle(self, request: SandboxRequest) -> SandboxResponse:
        """Answer one request whose path starts with ``/cwa/api/v1``."""
        path = request.path
        if not path.lower().startswith(AUTOMATE_PREFIX):
            return message(404, f"No HTTP resource was found that matches the request URI '{path}'.")
        tail = path[len(AUTOMATE_PREFIX) :] or "/"
        for route in _ROUTES:
            match = route.pattern.match(tail)
            if match is None:
                continue
            handler_name = route.methods.get(request.method.upper())
            if handler_name is None:
                return message(405, f"The requested resource does not support http method '{request.method}'.")
            try:
                if handler_name not in _NO_CLIENT_ID:
                    self._check_client_id(request)
                if handler_name not in _UNAUTHENTICATED:
                    self._check_bearer(request)
                handler: Callable[..., SandboxResponse] = getattr(self, handler_name)
                with self.backend.db:
                    return handler(request, **match.groupdict())
            except AutomateError as exc:
                return message(exc.status, exc.message)
        return message(404, f"No HTTP resource was found that matches the request URI '{path}'.")

    def reset(self) -> None:
        """Empty every Automate table (the sandbox's reset calls this before seeding again)."""
        self.backend.reset()

    # ---------------------------------------------------------------------------------------------- auth

    @staticmethod
    def _check_client_id(request: SandboxRequest) -> None:
        value = request.header("clientid")
        if not value:
            raise AutomateError(401, "The ClientId header is missing: send the integration's ClientId (a GUID).")
        try:
            uuid.UUID(value.strip())
        except ValueError:
            raise AutomateError(401, "The ClientId header is not a GUID: send the integration's ClientId.") from None

    def _check_bearer(self, request: SandboxRequest) -> None:
        header = request.header("authorization") or ""
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip() or not self.backend.token_is_live(token.strip()):
            raise AutomateError(401, _DENIED)

    def _auth_information(self, request: SandboxRequest) -> SandboxResponse:
        return SandboxResponse.json(
            200,
            {"AllowDirect": True, "AllowServiceRegistration": False, "AutomateRedirectUri": "", "Services": []},
        )

    def _token(self, request: SandboxRequest) -> SandboxResponse:
        # Property names in any case: gavsto sends username/password/TwoFactorPasscode, connectwise-rest
        # username/password/twoFactorPasscode, the spec's TokenCredentials says Username/Password/TwoFactorPasscode.
        lowered = {str(k).lower(): v for k, v in _body_object(request).items()}
        username = str(lowered.get("username") or "")
        password = str(lowered.get("password") or "")
        passcode = str(lowered.get("twofactorpasscode") or "")
        user = _USERS.get(username.lower())
        if user is None or not secrets.compare_digest(user[0], password):
            raise AutomateError(401, "Username or password is incorrect.")
        if user[1]:
            if not passcode:
                # Automate answers 200 with no token and the flag; the client asks for the passcode and posts again.
                return SandboxResponse.json(200, _token_result(None, username, two_factor_required=True))
            if not secrets.compare_digest(passcode, SANDBOX_TWO_FACTOR_CODE):
                raise AutomateError(401, "The two-factor passcode is incorrect.")
        return SandboxResponse.json(200, self._issue_token(username))

    def _refresh(self, request: SandboxRequest) -> SandboxResponse:
        try:
            body = request.json()
        except ValueError as exc:
            raise AutomateError(400, str(exc)) from None
        if not isinstance(body, str) or not body:
            raise AutomateError(400, "The body must be the current access token as a JSON string.")
        username = self.backend.take_token(body)
        if username is None:
            raise AutomateError(401, _DENIED)
        return SandboxResponse.json(200, self._issue_token(username))

    def _issue_token(self, username: str) -> dict[str, Any]:
        token = secrets.token_urlsafe(32)
        now = self.clock()
        expires = now + self.token_lifetime
        absolute = now + max(self.token_lifetime, timedelta(hours=24))
        self.backend.store_token(token, username, expires, absolute)
        return _token_result(token, username, expires=expires, absolute=absolute)

    # --------------------------------------------------------------------------------------- list options

    def _query(self, request: SandboxRequest) -> ListQuery:
        text = _option(request, "condition")
        cond: Condition | None = None
        if text and text.strip():
            try:
                cond = parse(text, dialect="automate")
            except ConditionSyntaxError as exc:
                raise AutomateError(400, f"The condition is not valid: {exc}") from None
        page = _int_option(request, "page", 1)
        page_size = _int_option(request, "pagesize", DEFAULT_PAGE_SIZE)
        if page < 1:
            raise AutomateError(400, "page must be 1 or more.")
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise AutomateError(400, f"pagesize must be between 1 and {MAX_PAGE_SIZE}.")
        return ListQuery(
            condition=cond,
            page=page,
            page_size=page_size,
            ids=_names(_option(request, "ids"), lower=False),
            order_by=_order_by(request),
            include_fields=_names(_option(request, "includefields")),
            exclude_fields=_names(_option(request, "excludefields")),
        )

    # ------------------------------------------------------------------------------------------- clients

    def _list_clients(self, request: SandboxRequest) -> SandboxResponse:
        return _ok(self.backend.list_clients(self._query(request)))

    def _get_client(self, request: SandboxRequest, id: str) -> SandboxResponse:
        return _ok(self.backend.get_client(id))

    def _create_client(self, request: SandboxRequest) -> SandboxResponse:
        return _ok(self.backend.create_client(_body_object(request)))

    def _put_client(self, request: SandboxRequest, id: str) -> SandboxResponse:
        return _ok(self.backend.replace_client(id, _body_object(request)))

    def _patch_client(self, request: SandboxRequest, id: str) -> SandboxResponse:
        return _ok(self.backend.patch_client(id, _patch_operations(request)))

    def _delete_client(self, request: SandboxRequest, id: str) -> SandboxResponse:
        self.backend.delete_client(id)
        return SandboxResponse.empty(204)

    # ----------------------------------------------------------------------------------------- locations

    def _list_locations(self, request: SandboxRequest) -> SandboxResponse:
        return _ok(self.backend.list_locations(self._query(request)))

    def _get_location(self, request: SandboxRequest, id: str) -> SandboxResponse:
        return _ok(self.backend.get_location(id))

    def _create_location(self, request: SandboxRequest) -> SandboxResponse:
        return _ok(self.backend.create_location(_body_object(request)))

    def _put_location(self, request: SandboxRequest, id: str) -> SandboxResponse:
        return _ok(self.backend.replace_location(id, _body_object(request)))

    def _patch_location(self, request: SandboxRequest, id: str) -> SandboxResponse:
        return _ok(self.backend.patch_location(id, _patch_operations(request)))

    def _delete_location(self, request: SandboxRequest, id: str) -> SandboxResponse:
        self.backend.delete_location(id)
        return SandboxResponse.empty(204)

    # ----------------------------------------------------------------------------------------- computers

    def _list_computers(self, request: SandboxRequest) -> SandboxResponse:
        return _ok(self.backend.list_computers(self._query(request)))

    def _get_computer(self, request: SandboxRequest, id: str) -> SandboxResponse:
        return _ok(self.backend.get_computer(id))

    def _patch_computer(self, request: SandboxRequest, id: str) -> SandboxResponse:
        return _ok(self.backend.move_computer(id, _patch_operations(request)))

    # -------------------------------------------------------------------------------------------- groups

    def _list_groups(self, request: SandboxRequest) -> SandboxResponse:
        return _ok(self.backend.list_groups(self._query(request)))

    def _get_group(self, request: SandboxRequest, id: str) -> SandboxResponse:
        return _ok(self.backend.get_group(id))

    def _create_group(self, request: SandboxRequest) -> SandboxResponse:
        return _ok(self.backend.create_group(_body_object(request)))

    def _put_group(self, request: SandboxRequest, id: str) -> SandboxResponse:
        return _ok(self.backend.replace_group(id, _body_object(request)))

    def _patch_group(self, request: SandboxRequest, id: str) -> SandboxResponse:
        return _ok(self.backend.patch_group(id, _patch_operations(request)))

    def _delete_group(self, request: SandboxRequest, id: str) -> SandboxResponse:
        self.backend.delete_group(id)
        return SandboxResponse.empty(204)

    # ----------------------------------------------------------------------------------- group computers

    def _list_group_computers(self, request: SandboxRequest) -> SandboxResponse:
        return _ok(self.backend.list_group_computers(self._query(request)))

    def _get_group_computer(self, request: SandboxRequest, id: str) -> SandboxResponse:
        return _ok(self.backend.get_group_computer(id))

    def _create_group_computer(self, request: SandboxRequest) -> SandboxResponse:
        return _ok(self.backend.create_group_computer(_body_object(request)))

    def _put_group_computer(self, request: SandboxRequest, id: str) -> SandboxResponse:
        return _ok(self.backend.replace_group_computer(id, _body_object(request)))

    def _patch_group_computer(self, request: SandboxRequest, id: str) -> SandboxResponse:
        return _ok(self.backend.patch_group_computer(id, _patch_operations(request)))

    def _delete_group_computer(self, request: SandboxRequest, id: str) -> SandboxResponse:
        self.backend.delete_group_computer(id)
        return SandboxResponse.empty(204)

    # -------------------------------------------------------------------------------------- extra fields

    def _client_extra_fields(self, request: SandboxRequest, id: str) -> SandboxResponse:
        return _ok(self.backend.list_extra_fields("Client", id, self._query(request)))

    def _location_extra_fields(self, request: SandboxRequest, id: str) -> SandboxResponse:
        return _ok(self.backend.list_extra_fields("Location", id, self._query(request)))

    def _patch_client_extra_field(self, request: SandboxRequest, id: str, definition: str) -> SandboxResponse:
        return _ok(self.backend.patch_extra_field("Client", id, definition, _patch_operations(request)))

    def _patch_location_extra_field(self, request: SandboxRequest, id: str, definition: str) -> SandboxResponse:
        return _ok(self.backend.patch_extra_field("Location", id, definition, _patch_operations(request)))

    def _reset_client_extra_field(self, request: SandboxRequest, id: str, definition: str) -> SandboxResponse:
        return _ok(self.backend.reset_extra_field("Client", id, definition))

    def _reset_location_extra_field(self, request: SandboxRequest, id: str, definition: str) -> SandboxResponse:
        return _ok(self.backend.reset_extra_field("Location", id, definition))

    # ---------------------------------------------------------------------------- server information

    def _patch_information(self, request: SandboxRequest) -> SandboxResponse:
        return _ok(self.backend.patch_information())

    def _list_feature_flags(self, request: SandboxRequest) -> SandboxResponse:
        return _ok(self.backend.list_feature_flags(self._query(request)))

    def _post_feature_flag(self, request: SandboxRequest) -> SandboxResponse:
        return _ok(self.backend.add_feature_flag(_body_object(request)))


# ------------------------------------------------------------------------------------- module helpers


def _ok(data: Any) -> SandboxResponse:
    return SandboxResponse.json(200, data)


def _token_result(
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
        "ExpirationDate": iso(expires) if expires else None,
        "AbsoluteExpirationDate": iso(absolute) if absolute else None,
        "UserId": "1" if username == SANDBOX_USER else "2",
        "InternalUserName": username,
        "IsTwoFactorRequired": two_factor_required,
        "IsInternalTwoFactorRequired": False,
        "SSOAccessToken": None,
    }
    # Absent rather than null: the spec types these as strings (a real server's nulls would not validate).
    return {key: value for key, value in result.items() if value is not None}


def _body_object(request: SandboxRequest) -> dict[str, Any]:
    try:
        body = request.json()
    except ValueError as exc:
        raise AutomateError(400, str(exc)) from None
    if not isinstance(body, dict):
        raise AutomateError(400, "The request body must be a JSON object.")
    return body


def _patch_operations(request: SandboxRequest) -> list[PatchOperation]:
    try:
        body = request.json()
    except ValueError as exc:
        raise AutomateError(400, str(exc)) from None
    if not isinstance(body, list):
        raise AutomateError(400, 'A PATCH body is an array of operations: [{"Op": "replace", "Path": ..., ...}].')
    ops = []
    for item in body:
        if not isinstance(item, dict):
            raise AutomateError(400, "Each PATCH operation must be an object with Op, Path and Value.")
        lowered = {str(k).lower(): v for k, v in item.items()}
        op = str(lowered.get("op") or "").lower()
        path = str(lowered.get("path") or "").strip("/")
        if op not in ("add", "replace", "remove"):
            raise AutomateError(400, f"The PATCH operation '{op}' is not supported: use add, replace or remove.")
        if not path:
            raise AutomateError(400, "A PATCH operation needs a Path.")
        ops.append(PatchOperation(op, path, lowered.get("value")))
    return ops


def _option(request: SandboxRequest, name: str) -> str | None:
    for alias in _OPTION_ALIASES[name]:
        values = [v for k, v in request.query if k.lower() == alias.lower()]
        if values:
            return ",".join(values) if name in ("ids", "includefields", "excludefields") else values[0]
    return None


def _int_option(request: SandboxRequest, name: str, default: int) -> int:
    text = _option(request, name)
    if text is None or text == "":
        return default
    try:
        return int(text)
    except ValueError:
        raise AutomateError(400, f"The value '{text}' is not valid for {name}: give a whole number.") from None


def _names(text: str | None, *, lower: bool = True) -> frozenset[str] | None:
    if not text:
        return None
    parts = (p.strip() for p in text.split(","))
    return frozenset((p.lower() if lower else p) for p in parts if p)


def _order_by(request: SandboxRequest) -> tuple[tuple[str, bool], ...]:
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
    return tuple(keys)
