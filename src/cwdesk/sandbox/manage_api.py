"""The HTTP face of the Manage emulator: routes, auth, query parameters, Link headers and ConnectWise error bodies.

Paths live under ``/{codebase}/apis/3.0`` (``/v4_6_release/apis/3.0/company/companies``); ``/login/companyinfo/{id}``
tells clients the codebase. Methods per path come from ``manage-core.json``. Paging follows docs/connectwise.md
("Paging"): ``page``/``pageSize`` (25 by default, at most 1000) with a ``Link`` header whose URLs end in ``page=N``,
or forward-only paging (``pagination-type: forward-only`` + ``pageId``) where every page carries a ``Link`` header
and the last one's is empty.
Not for: record rules (``backend/``), faults and the request log (``server.py``).
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from cwdesk.sandbox.backend.communications import ContactCommunications
from cwdesk.sandbox.backend.kinds import KINDS, Kind
from cwdesk.sandbox.backend.manage import ManageBackend, Query
from cwdesk.sandbox.backend.query import QueryError
from cwdesk.sandbox.backend.records import API_ROOT as API_ROOT  # where clients and tests read it from
from cwdesk.sandbox.backend.records import (
    ManageError,
    locate_unknown_member,
    pick_fields,
    public_hrefs,
    unknown_member,
)
from cwdesk.sandbox.backend.spec import path_methods
from cwdesk.sandbox.http import SandboxRequest, SandboxResponse

CODEBASE = "v4_6_release/"
VERSION = "v2025.1.10431"
API_VERSION = "2025.1"
MEDIA_TYPE = f"application/vnd.connectwise.com+json; version={API_VERSION}; charset=utf-8"
#: Sent on every API answer: christaylorcodes/ConnectWiseManageAPI Public/Invoke/Invoke-CWMWebRequest.ps1 saves
#: ``$Result.Headers.'api-current-version'`` from the first successful answer. Its value's format is not recorded:
#: the media type's version is used (docs/sandbox.md, "Unverified").
_VERSION_HEADERS = {"api-current-version": API_VERSION}
DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 1000

_API_PATH = re.compile(r"^/[^/]+/apis/3\.0(/.*)$", re.IGNORECASE)
#: ``GET /system/members/{identifier}``: a member by identifier (the GET subset's ``{memberIdentifier:regex(...)}``).
_MEMBER_BY_IDENTIFIER = re.compile(r"^/system/members/([^/]*[^/0-9][^/]*)/?$", re.IGNORECASE)
_COMMUNICATIONS = re.compile(r"^/company/contacts/(\d+)/communications(?:/(count|\d+))?/?$", re.IGNORECASE)
_COMPANY_INFO = re.compile(r"^/login/companyinfo/([^/]+)/?$", re.IGNORECASE)


@dataclass(frozen=True)
class _Route:
    kind: Kind
    shape: str
    """``collection``, ``count`` or ``item``."""
    pattern: re.Pattern[str]
    methods: frozenset[str]


def _routes() -> list[_Route]:
    routes: list[_Route] = []
    for kind in KINDS.values():
        base = re.escape(kind.path).replace(re.escape("{parentId}"), r"(\d+)")
        item_template = kind.path + "/{id}"
        item_methods = path_methods(item_template)
        if kind.name == "member":
            # Not in the spec, but ConnectWise lets an admin delete a member who owns nothing (issue 3: 409 otherwise).
            item_methods = item_methods | {"DELETE"}
        routes.append(_Route(kind, "count", re.compile(f"^{base}/count/?$", re.I), path_methods(kind.path + "/count")))
        routes.append(_Route(kind, "item", re.compile(rf"^{base}/(\d+)/?$", re.I), item_methods))
        routes.append(_Route(kind, "collection", re.compile(f"^{base}/?$", re.I), path_methods(kind.path)))
    return routes


def error(status: int, code: str, message: str, errors: list[dict[str, str]] | None = None) -> SandboxResponse:
    """A ConnectWise ``ErrorResponseMessage`` answer."""
    body = ManageError(status, code, message, errors).body()
    return SandboxResponse.json(status, body, {"content-type": MEDIA_TYPE, **_VERSION_HEADERS})


class ManageAPI:
    """Serves Manage requests against a ``ManageBackend``."""

    def __init__(self, backend: ManageBackend, *, company: str = "sandbox") -> None:
        self.backend = backend
        self.company = company
        self.routes = _routes()
        self.communications = ContactCommunications(backend)
        self.after_write: Callable[[SandboxRequest], None] | None = None

    # -------------------------------------------------------------------------------------------------- entry
    def handles(self, path: str) -> bool:
        return bool(_API_PATH.match(path) or _COMPANY_INFO.match(path))

    def handle(self, request: SandboxRequest) -> SandboxResponse:
        info = _COMPANY_INFO.match(request.path)
        if info:
            return self._company_info(info.group(1), request)
        match = _API_PATH.match(request.path)
        if match is None:
            return error(404, "NotFound", f"No Manage API at {request.path}")
        member, failure = self._authenticate(request)
        if failure is not None:
            return failure
        assert member is not None
        try:
            # Real hrefs have ``apis/3.0//service/...`` (see ``reference_to``): a client following one must land.
            return self._route(request, re.sub(r"/{2,}", "/", match.group(1)), member)
        except ManageError as exc:
            locate_unknown_member(exc, request.body.decode("utf-8", "replace"))
            return error(exc.status, exc.code, exc.message, exc.errors)
        except QueryError as exc:
            return error(400, exc.code, exc.message)

    # --------------------------------------------------------------------------------------------------- auth
    def _authenticate(self, request: SandboxRequest) -> tuple[dict[str, Any] | None, SandboxResponse | None]:
        header = request.header("authorization") or ""
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic" or not encoded:
            message = "Authorization is required: send Basic company+publicKey:privateKey."
            return None, error(401, "Unauthorized", message)
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None, error(401, "Unauthorized", "The Authorization header is not valid Basic credentials.")
        user, _, private_key = decoded.partition(":")
        company, _, public_key = user.partition("+")
        member = self.backend.api_member(company, public_key, private_key) if public_key else None
        if member is None:
            # Never echo what was sent: the private key must not appear in any answer.
            return None, error(401, "Unauthorized", "The company, public key or private key is not valid.")
        client_id = request.header("clientid")
        if not client_id:
            message = "A clientId header is required: register one at developer.connectwise.com."
            return None, error(401, "Unauthorized", message)
        try:
            uuid.UUID(client_id.strip())
        except ValueError:
            return None, error(401, "Unauthorized", "The clientId header must be a GUID.")
        if request.method != "GET" and self.backend.is_read_only(member):
            return None, error(
                403,
                "Forbidden",
                f"Member {member.get('identifier')} has a read-only security role and cannot change records.",
            )
        return member, None

    # ------------------------------------------------------------------------------------------------ routing
    def _route(self, request: SandboxRequest, path: str, member: dict[str, Any]) -> SandboxResponse:
        if path.rstrip("/").lower() == "/service/tickets/search":
            # The one search path of the core kinds (the reconstructed spec also has /project/tickets/search).
            if request.method != "POST":
                return error(405, "MethodNotAllowed", f"{request.method} is not allowed here; use POST.")
            return self._search(request, KINDS["ticket"])
        if path.rstrip("/").lower() == "/system/info":
            if request.method != "GET":
                return error(405, "MethodNotAllowed", f"{request.method} is not allowed on /system/info.")
            return self._json(200, self.system_info(), request)
        communications = _COMMUNICATIONS.match(path)
        if communications:
            return self._communications(request, int(communications.group(1)), communications.group(2), member)
        by_identifier = _MEMBER_BY_IDENTIFIER.match(path)
        if by_identifier and by_identifier.group(1).lower() != "count":
            if request.method != "GET":
                return error(405, "MethodNotAllowed", f"{request.method} is not allowed here; use GET.")
            member_record = self.backend.member_by_identifier(by_identifier.group(1))
            return self._json(200, _fields(request, member_record), request)
        for route in self.routes:
            found = route.pattern.match(path)
            if found is None:
                continue
            if request.method not in route.methods:
                allowed = ", ".join(sorted(route.methods))
                return error(405, "MethodNotAllowed", f"{request.method} is not allowed here; use {allowed}.")
            groups = [int(g) for g in found.groups()]
            parent_id = groups[0] if route.kind.parent else None
            record_id = groups[-1] if route.shape == "item" else None
            return self._serve(request, route, parent_id, record_id, member)
        return error(404, "NotFound", f"No Manage API path {path}")

    def _serve(
        self,
        request: SandboxRequest,
        route: _Route,
        parent_id: int | None,
        record_id: int | None,
        member: dict[str, Any],
    ) -> SandboxResponse:
        kind, backend = route.kind, self.backend
        if route.shape == "count":
            if parent_id is not None:
                backend.get(KINDS[kind.parent or ""], parent_id)
            return self._json(200, {"count": backend.count(kind, _query(request), parent_id=parent_id)}, request)
        if route.shape == "collection":
            if request.method == "GET":
                return self._list(request, kind, parent_id)
            created = backend.create(kind, _body(request), parent_id=parent_id, member=member)
            return self._json(201, created, request)
        assert record_id is not None
        if request.method == "GET":
            return self._json(200, _fields(request, backend.get(kind, record_id, parent_id=parent_id)), request)
        if request.method == "PUT":
            saved = backend.replace(kind, record_id, _body(request), parent_id=parent_id, member=member)
            return self._json(200, saved, request)
        if request.method == "PATCH":
            saved = backend.patch(kind, record_id, _body(request), parent_id=parent_id, member=member)
            return self._json(200, saved, request)
        backend.delete(kind, record_id, parent_id=parent_id, member=member)
        return SandboxResponse(204, b"", dict(_VERSION_HEADERS))

    def _communications(
        self, request: SandboxRequest, contact_id: int, tail: str | None, member: dict[str, Any]
    ) -> SandboxResponse:
        """A contact's communications (``backend/communications.py``); methods per the reconstructed spec."""
        view, method = self.communications, request.method
        template = "/company/contacts/{parentId}/communications" + ("" if tail is None else "/count" if
                                                                    tail.lower() == "count" else "/{id}")  # fmt: skip
        allowed = path_methods(template)
        if method not in allowed:
            return error(405, "MethodNotAllowed", f"{method} is not allowed here; use {', '.join(sorted(allowed))}.")
        if tail is None and method == "GET":
            if any(request.param(name) for name in ("conditions", "childConditions", "customFieldConditions")):
                raise ManageError(
                    400, "InvalidObject", "The sandbox lists a contact's communications without conditions: "
                    "filter on the contact instead (childConditions=communicationItems/...).",
                )  # fmt: skip
            page_size = min(max(_int_param(request, "pageSize", DEFAULT_PAGE_SIZE), 1), MAX_PAGE_SIZE)
            page = max(_int_param(request, "page", 1), 1)
            records = view.find(contact_id)
            shown = records[(page - 1) * page_size : page * page_size]
            link = _navigable_links(request, page, page_size, len(records))
            text = json.dumps([_fields(request, r) for r in shown], separators=(",", ":"))
            return self._text(200, text, request, {"link": link} if link else {})
        if tail is None:
            return self._json(201, view.create(contact_id, _body(request), member), request)
        if tail.lower() == "count":
            return self._json(200, {"count": len(view.find(contact_id))}, request)
        item_id = int(tail)
        if method == "GET":
            return self._json(200, _fields(request, view.get(contact_id, item_id)), request)
        if method == "PUT":
            return self._json(200, view.replace(contact_id, item_id, _body(request), member), request)
        if method == "PATCH":
            return self._json(200, view.patch(contact_id, item_id, _body(request), member), request)
        view.delete(contact_id, item_id, member)
        return SandboxResponse(204)

    def _search(self, request: SandboxRequest, kind: Kind) -> SandboxResponse:
        """``POST /service/tickets/search``: the list query in a ``FilterValues`` body (for conditions too long
        for a URL); paging stays in the query string, forward-only paging included (christaylorcodes/
        ConnectWiseManageAPI ``Public/Invoke/Invoke-CWMSearchMaster.ps1`` pages a search with
        ``Invoke-CWMAllResult``). A real server answered 200 (mark-rootcs/CWM-API-Gateway-MCP
        ``api_gateway/api_gateway.log``, 2025-03-18 07:19:05) where the reconstructed spec says 201."""
        body = _body(request)
        if not isinstance(body, dict):
            raise ManageError(
                400, "InvalidObject", "The body must be a FilterValues object (conditions, orderBy, ...)."
            )
        allowed = {"conditions", "orderby", "childconditions", "customfieldconditions"}
        given = {str(k).lower(): v for k, v in body.items()}
        for name in body:
            if str(name).lower() not in allowed:
                # Real answer to {"page": 1} in the body: the same log, 2025-03-18 07:18:41.
                raise unknown_member(str(name), "FilterValues", top_level=True)
        for key, value in given.items():
            if value is not None and not isinstance(value, str):
                raise ManageError(400, "InvalidObject", f"{key} must be text.")
        query = Query(
            conditions=given.get("conditions"),
            child_conditions=given.get("childconditions"),
            custom_field_conditions=given.get("customfieldconditions"),
            order_by=given.get("orderby") or None,
        )
        return self._page(request, kind, query, None)

    def _list(self, request: SandboxRequest, kind: Kind, parent_id: int | None) -> SandboxResponse:
        if parent_id is not None:
            self.backend.get(KINDS[kind.parent or ""], parent_id)
        return self._page(request, kind, _query(request), parent_id)

    def _page(self, request: SandboxRequest, kind: Kind, query: Query, parent_id: int | None) -> SandboxResponse:
        """One page of a list or a search, navigable or forward-only."""
        page_size = _int_param(request, "pageSize", DEFAULT_PAGE_SIZE)
        if page_size < 1:
            raise ManageError(400, "InvalidObject", "pageSize must be 1 or more (at most 1000).")
        page_size = min(page_size, MAX_PAGE_SIZE)
        if (request.header("pagination-type") or "").strip().lower() == "forward-only":
            if query.order_by:
                raise ManageError(
                    400, "InvalidObject", "orderBy cannot be used with forward-only pagination (records come by id)."
                )
            after = _int_param(request, "pageId", 0)
            rows = self.backend.find_after(kind, query, parent_id=parent_id, after_id=after, limit=page_size + 1)
            # Every forward-only page carries a Link header and the last one's is empty: christaylorcodes/
            # ConnectWiseManageAPI Public/Invoke/Invoke-CWMAllResult.ps1 reports "Endpoint doesn't support
            # 'forward-only' pagination" for a page without the header, follows the header's first URL, and stops
            # only when the header is empty (a last page with any URL in it would never end its loop).
            link = ""
            if len(rows) > page_size:
                rows = rows[:page_size]
                last_id = json.loads(rows[-1])["id"]
                link = f'<{_forward_url(request, page_size, last_id)}>; rel="next"'
            return self._rows(request, rows, {"link": link})
        page = _int_param(request, "page", 1)
        if page < 1:
            raise ManageError(400, "InvalidObject", "page must be 1 or more.")
        rows = self.backend.find(kind, query, parent_id=parent_id, limit=page_size, offset=(page - 1) * page_size)
        total = self.backend.count(kind, query, parent_id=parent_id)
        link = _navigable_links(request, page, page_size, total)
        return self._rows(request, rows, {"link": link} if link else {})

    # ------------------------------------------------------------------------------------------------ answers
    def _rows(self, request: SandboxRequest, rows: list[str], headers: dict[str, str]) -> SandboxResponse:
        fields = _field_paths(request)
        if fields:
            text = json.dumps([pick_fields(json.loads(row), fields) for row in rows], separators=(",", ":"))
        else:
            text = "[" + ",".join(rows) + "]"
        return self._text(200, text, request, headers)

    def _json(self, status: int, data: Any, request: SandboxRequest) -> SandboxResponse:
        return self._text(status, json.dumps(data, separators=(",", ":")), request, {})

    def _text(self, status: int, text: str, request: SandboxRequest, headers: dict[str, str]) -> SandboxResponse:
        text = public_hrefs(text, request.base_url)
        return SandboxResponse(
            status, text.encode("utf-8"), {"content-type": MEDIA_TYPE, **_VERSION_HEADERS, **headers}
        )

    def system_info(self) -> dict[str, Any]:
        return {
            "version": VERSION,
            "isCloud": False,
            "serverTimeZone": "Eastern Standard Time",
            "licenseBits": [{"name": "ServiceDesk", "activeFlag": True}, {"name": "Finance", "activeFlag": True}],
            "cloudRegion": "NA",
            "maxWorkFlowRecordsAllowed": 1000,
        }

    def _company_info(self, company: str, request: SandboxRequest) -> SandboxResponse:
        if company.lower() != self.company.lower():
            # A real server answers an unknown company id with 200 and a JSON null: "CW returns None if company ID
            # is unknown." (KerkhoffTechnologies/django-connectwise djconnectwise/api.py, CompanyInfoManager).
            return SandboxResponse.json(200, None)
        return SandboxResponse.json(
            200,
            {
                "CompanyName": self.company,
                "Codebase": CODEBASE,
                "VersionCode": "v2025.1",
                "VersionNumber": VERSION,
                "CompanyID": self.company,
                "IsCloud": False,
                "SiteUrl": request.base_url.split("://", 1)[-1],
            },
        )


# ---------------------------------------------------------------------------------------------- parameters
def _query(request: SandboxRequest) -> Query:
    return Query(
        conditions=request.param("conditions"),
        child_conditions=request.param("childConditions"),
        custom_field_conditions=request.param("customFieldConditions"),
        order_by=request.param("orderBy") or None,
    )


def _int_param(request: SandboxRequest, name: str, default: int) -> int:
    text = request.param(name)
    if text is None or text.strip() == "":
        return default
    try:
        return int(text)
    except ValueError:
        raise ManageError(400, "InvalidObject", f"{name} must be a whole number, not '{text}'.") from None


def _body(request: SandboxRequest) -> Any:
    try:
        return request.json()
    except ValueError as exc:
        raise ManageError(400, "InvalidObject", str(exc)) from None


def _field_paths(request: SandboxRequest) -> list[list[str]]:
    text = request.param("fields")
    if not text:
        return []
    return [[step for step in part.strip().split("/") if step] for part in text.split(",") if part.strip()]


def _fields(request: SandboxRequest, record: dict[str, Any]) -> dict[str, Any]:
    fields = _field_paths(request)
    return pick_fields(record, fields) if fields else record


def _url(request: SandboxRequest, pairs: list[tuple[str, str]]) -> str:
    return f"{request.base_url}{request.path}?{urlencode(pairs, quote_via=quote)}"


def _navigable_links(request: SandboxRequest, page: int, page_size: int, total: int) -> str:
    """RFC 5988 links with the request's own parameters and ``page`` last (docs/connectwise.md, "Paging")."""
    last = max(1, math.ceil(total / page_size))
    kept = [(k, v) for k, v in request.query if k.lower() != "page"]
    links: list[str] = []
    if page > 1:
        links.append(f'<{_url(request, [*kept, ("page", "1")])}>; rel="first"')
        links.append(f'<{_url(request, [*kept, ("page", str(min(page - 1, last)))])}>; rel="prev"')
    if page < last:
        links.append(f'<{_url(request, [*kept, ("page", str(page + 1))])}>; rel="next"')
        links.append(f'<{_url(request, [*kept, ("page", str(last))])}>; rel="last"')
    return ", ".join(links)


def _forward_url(request: SandboxRequest, page_size: int, last_id: int) -> str:
    kept = [(k, v) for k, v in request.query if k.lower() not in ("page", "pageid", "pagesize")]
    return _url(request, [*kept, ("pageSize", str(page_size)), ("pageId", str(last_id))])
