"""``ManageClient`` and ``AsyncManageClient``: the entry points of the ConnectWise Manage SDK.

A client turns credentials into a base URL and auth, then hands every call to the shared request core
(``cwdesk._http.core``) and offers the resources as properties (``cw.companies``, ``cw.contacts``, ...)::

    cw = ManageClient(server="na.myconnectwise.net", company="acme", public_key="...", private_key="...",
                      client_id="<uuid>")
    for co in cw.companies.list(where=C("status/name") == "Active", order_by="name", fields=["id", "name"]):
        ...

Rules kept here (M1):

- **Server**: a bare host means https (``na.myconnectwise.net``), cloud hosts ``{region}.myconnectwise.net`` are
  mapped to the API host ``api-{region}.myconnectwise.net``; a URL may be given (``http://`` only when written out,
  e.g. a loopback sandbox). A URL that already contains ``/apis/3.0`` is used as the API base as it is.
- **Codebase**: discovered once with ``GET {origin}/login/companyinfo/{company}`` (field ``Codebase``, e.g.
  ``v4_6_release/``) unless ``codebase=`` is given; if the answer is unusable the usual ``v4_6_release/`` is used
  and a warning logged. Base: ``{origin}/{codebase}apis/3.0``.
- **Auth**: ``Authorization: Basic base64("{company}+{public}:{private}")`` and the ``clientId`` header on every
  call (``ManageAuth``, an ``httpx.Auth``); ``Accept: application/vnd.connectwise.com+json; version=...`` pins the
  API version; default timeouts from the core.
- **Throttle**: one per credential, process-wide (``throttle_for(credentials.identity)``).
- **Secrets**: ``repr``/``str`` of clients, credentials and auth never contain the private key; errors carry
  redacted URLs only.

Low-level access for anything the resources do not cover: ``request``/``request_json`` (path relative to the API
base, e.g. ``"/company/companies/count"``). Not for: query building or paging (``manage/resources``), business
flows (``cwdesk.workflows``), or the generic operationId caller (``manage/operations.py``).
"""

from __future__ import annotations

import base64
import logging
import re
import threading
from collections.abc import AsyncIterator, Generator, Iterator, Mapping
from functools import cached_property
from typing import TYPE_CHECKING, Any

import httpx

from cwdesk._http.core import AsyncHTTPCore, HTTPCore, QueryParams, decode_json
from cwdesk._http.retry import RetryPolicy
from cwdesk._http.throttle import Throttle, throttle_for
from cwdesk._version import __version__
from cwdesk.config import ManageCredentials, is_loopback, refuse_plain_http
from cwdesk.errors import APIStatusError, ConfigurationError, UnexpectedResponseError
from cwdesk.manage.operations import AsyncManageOperations, ManageOperations
from cwdesk.manage.paging import DEFAULT_PAGE_SIZE, PageWalk, checked_page_size, is_forward_only

if TYPE_CHECKING:
    # asyncio is imported by the async twins' methods, not here: a sync client (``cwdesk companies count``) never
    # loads it (~10-20 ms of start-up with the ``ssl`` it pulls in; docs/cli.md "Start-up").
    import asyncio

    # Each resource (and its models) is imported when the client first uses it (issue 16: a one-call command
    # such as ``cwdesk companies count`` does not import every model of the SDK).
    from cwdesk.manage.resources.company import (
        AsyncCompanies,
        AsyncCompanyStatuses,
        AsyncCompanyTypes,
        Companies,
        CompanyStatuses,
        CompanyTypes,
    )
    from cwdesk.manage.resources.contact import (
        AsyncContactDepartments,
        AsyncContactRelationships,
        AsyncContacts,
        AsyncContactTypes,
        ContactDepartments,
        ContactRelationships,
        Contacts,
        ContactTypes,
    )
    from cwdesk.manage.resources.finance import Agreements, AgreementTypes, AsyncAgreements, AsyncAgreementTypes
    from cwdesk.manage.resources.service import AsyncBoards, AsyncPriorities, AsyncTickets, Boards, Priorities, Tickets
    from cwdesk.manage.resources.system import (
        AsyncCallbacks,
        AsyncDepartments,
        AsyncLocations,
        AsyncMembers,
        AsyncSecurityRoles,
        AsyncSystem,
        AsyncTimeZones,
        Callbacks,
        Departments,
        Locations,
        Members,
        SecurityRoles,
        System,
        TimeZones,
    )

__all__ = [
    "DEFAULT_API_VERSION",
    "DEFAULT_CODEBASE",
    "AsyncManageClient",
    "ManageAuth",
    "ManageClient",
    "manage_origin",
]

logger = logging.getLogger("cwdesk.manage")

DEFAULT_API_VERSION = "2025.1"  # the version of the reconstructed spec the SDK's models follow
DEFAULT_CODEBASE = "v4_6_release/"
_CLOUD_HOST = re.compile(r"^(?!api-)([a-z0-9-]+)\.myconnectwise\.net$", re.IGNORECASE)

UNAUTHORIZED_HINT = (
    "ConnectWise refused the credentials. Usual causes: a missing or wrong clientId; an auth string that is not "
    "'company+publicKey:privateKey' (the company id you type at login, not its name); keys that were revoked; or "
    "an API member that is inactive"
)


def manage_origin(server: str) -> tuple[str, str | None]:
    """``(origin, api_base or None)`` for a server given as a bare host or a URL (cloud hosts mapped to api-*)."""
    text = server.strip()
    if "://" not in text:
        host_part = text.split("/", 1)[0]
        scheme = "http" if is_loopback(host_part.split(":", 1)[0]) else "https"
        text = f"{scheme}://{text}"
    try:
        url = httpx.URL(text)
    except httpx.InvalidURL as exc:
        raise ConfigurationError(f"Server {server!r} is not a host name or URL: {exc}") from None
    if url.scheme not in ("http", "https") or not url.host:
        raise ConfigurationError(f"Server {server!r} must be a host name or an http(s) URL, e.g. na.myconnectwise.net")
    host = url.host
    match = _CLOUD_HOST.match(host)
    if match:
        host = f"api-{match.group(1).lower()}.myconnectwise.net"
    netloc = f"[{host}]" if ":" in host else host  # httpx gives an IPv6 host without its brackets
    origin = f"{url.scheme}://{netloc}" + (f":{url.port}" if url.port else "")
    path = url.path.rstrip("/")
    api_base = f"{origin}{path}" if path.endswith("/apis/3.0") else None
    return origin, api_base


class ManageAuth(httpx.Auth):
    """Adds ``Authorization: Basic ...`` and ``clientId`` to each request. Its repr never shows the key."""

    def __init__(self, credentials: ManageCredentials) -> None:
        token = f"{credentials.company}+{credentials.public_key}:{credentials.private_key}"
        self._authorization = "Basic " + base64.b64encode(token.encode("utf-8")).decode("ascii")
        self._client_id = credentials.client_id
        self._who = f"{credentials.company}+{credentials.public_key}"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = self._authorization
        request.headers["clientId"] = self._client_id
        yield request

    def __repr__(self) -> str:
        return f"ManageAuth({self._who!r}, private_key='***')"


def _credentials(
    server: str | None,
    company: str | None,
    public_key: str | None,
    private_key: str | None,
    client_id: str | None,
    credentials: ManageCredentials | None,
) -> ManageCredentials:
    if credentials is not None:
        if any(v is not None for v in (server, company, public_key, private_key, client_id)):
            raise ConfigurationError("Give either credentials= or the separate values, not both")
        return credentials
    missing = [
        name
        for name, value in (
            ("server", server),
            ("company", company),
            ("public_key", public_key),
            ("private_key", private_key),
            ("client_id", client_id),
        )
        if value is None
    ]
    if missing:
        raise ConfigurationError(
            f"Missing {', '.join(missing)}: pass them, or use ManageClient.from_env() (CWM_* variables) "
            "or ManageClient.from_profile(name)"
        )
    return ManageCredentials(
        server=str(server),
        company=str(company),
        public_key=str(public_key),
        private_key=str(private_key),
        client_id=str(client_id),
    )


class _ManageSettings:
    """What both clients work out from their arguments before any request."""

    def _settle(
        self,
        creds: ManageCredentials,
        *,
        codebase: str | None,
        api_version: str,
        rate_per_minute: float | None,
        max_concurrency: int | None,
        throttle: Throttle | None,
        insecure_http: bool,
    ) -> None:
        self.credentials = creds
        self.origin, explicit_base = manage_origin(creds.server)
        # As written (a bare host is given http only when it is loopback, so only a written-out URL can be refused).
        refuse_plain_http(creds.server, product="ConnectWise Manage", insecure_http=insecure_http)
        if codebase is not None:
            cleaned = codebase.strip().strip("/")
            if not cleaned or not re.fullmatch(r"[A-Za-z0-9_.-]+", cleaned):
                raise ConfigurationError(f"codebase {codebase!r} is invalid: expected something like 'v4_6_release'")
            explicit_base = f"{self.origin}/{cleaned}/apis/3.0"
        self._needs_discovery = explicit_base is None
        self._initial_base = explicit_base or f"{self.origin}/{DEFAULT_CODEBASE}apis/3.0"
        self.api_version = api_version
        self.headers = {
            "Accept": f"application/vnd.connectwise.com+json; version={api_version}",
            "User-Agent": f"cwdesk/{__version__}",
        }
        self.throttle = throttle or throttle_for(
            creds.identity, rate_per_minute=rate_per_minute, max_concurrency=max_concurrency
        )

    def _base_from_company_info(self, body: Any) -> str:
        codebase = body.get("Codebase") if isinstance(body, Mapping) else None
        if not isinstance(codebase, str) or not re.fullmatch(r"[A-Za-z0-9_.-]+/?", codebase.strip()):
            logger.warning(
                "Codebase discovery for company %r gave no usable Codebase; using %s",
                self.credentials.company,
                DEFAULT_CODEBASE,
            )
            return self._initial_base
        return f"{self.origin}/{codebase.strip().strip('/')}/apis/3.0"

    def _company_info_url(self) -> str:
        return f"{self.origin}/login/companyinfo/{self.credentials.company}"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(server={self.credentials.server!r}, company={self.credentials.company!r}, "
            f"public_key={self.credentials.public_key!r}, private_key='***')"
        )

    __str__ = __repr__


class ManageClient(_ManageSettings):
    """The synchronous Manage SDK. Use as a context manager or call ``close()``."""

    def __init__(
        self,
        server: str | None = None,
        company: str | None = None,
        public_key: str | None = None,
        private_key: str | None = None,
        client_id: str | None = None,
        *,
        credentials: ManageCredentials | None = None,
        codebase: str | None = None,
        api_version: str = DEFAULT_API_VERSION,
        timeout: httpx.Timeout | float | None = None,
        transport: httpx.BaseTransport | None = None,
        retry: RetryPolicy | None = None,
        rate_per_minute: float | None = None,
        max_concurrency: int | None = None,
        throttle: Throttle | None = None,
        insecure_http: bool = False,
    ) -> None:
        creds = _credentials(server, company, public_key, private_key, client_id, credentials)
        self._settle(
            creds,
            codebase=codebase,
            api_version=api_version,
            rate_per_minute=rate_per_minute,
            max_concurrency=max_concurrency,
            throttle=throttle,
            insecure_http=insecure_http,
        )
        self._core = HTTPCore(
            base_url=self._initial_base,
            auth=ManageAuth(creds),
            headers=self.headers,
            throttle=self.throttle,
            retry=retry,
            timeout=timeout,
            transport=transport,
            unauthorized_hint=UNAUTHORIZED_HINT,
        )
        self._discovery_lock = threading.Lock()

    @classmethod
    def from_env(cls, **options: Any) -> ManageClient:
        """From ``CWM_SERVER``, ``CWM_COMPANY``, ``CWM_PUBKEY``, ``CWM_PRIVATEKEY``, ``CWM_CLIENTID``."""
        return cls(credentials=ManageCredentials.from_env(), **options)

    @classmethod
    def from_profile(cls, name: str, **options: Any) -> ManageClient:
        """From the ``manage`` section of a saved profile (see ``cwdesk.config``)."""
        return cls(credentials=ManageCredentials.from_profile(name), **options)

    # -- plumbing --------------------------------------------------------------------------------------------
    def get_base_url(self) -> str:
        """The API base after discovery (the twin of ``AsyncManageClient.get_base_url``)."""
        return self.base_url

    @property
    def base_url(self) -> str:
        """The API base, e.g. ``https://api-na.myconnectwise.net/v4_6_release/apis/3.0`` (after discovery)."""
        self._ensure_base()
        return self._core.base_url

    def _ensure_base(self) -> None:
        if not self._needs_discovery:
            return
        with self._discovery_lock:
            if not self._needs_discovery:
                return
            try:
                body = self._core.request_json("GET", self._company_info_url(), authenticated=False)
            except (APIStatusError, UnexpectedResponseError) as exc:
                logger.warning("Codebase discovery failed (%s); using %s", exc, DEFAULT_CODEBASE)
                body = None
            self._core.base_url = self._base_from_company_info(body)
            self._needs_discovery = False

    def url_for(self, path: str, params: QueryParams | None = None) -> httpx.URL:
        """The full URL a call to ``path`` would use (the codebase is assumed until discovered)."""
        return self._core.url_for(path, params)

    def request(
        self,
        method: str,
        path: str,
        *,
        params: QueryParams | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """One call through throttle, retries and error mapping; ``path`` is relative to the API base."""
        self._ensure_base()
        return self._core.request(method, path, params=params, json=json, headers=headers)

    def request_json(
        self,
        method: str,
        path: str,
        *,
        params: QueryParams | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """``request`` and the decoded JSON body (``None`` for 204)."""
        return decode_json(self.request(method, path, params=params, json=json, headers=headers))

    def iter_pages(
        self,
        path: str,
        *,
        params: QueryParams | None = None,
        headers: Mapping[str, str] | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> Iterator[list[Any]]:
        """Each page (the decoded JSON list) of a list endpoint, by Manage's paging rules (``manage/paging.py``).

        ``params`` are copied, never mutated; ``pageSize`` is set to ``page_size``. Pass
        ``headers=FORWARD_ONLY_HEADERS`` for forward-only paging. Used by the resources and ``operations``.
        """
        walk = PageWalk(path, params, page_size=checked_page_size(page_size), forward_only=is_forward_only(headers))
        request: tuple[str, dict[str, Any] | None] | None = walk.first()
        while request is not None:
            url, query = request
            response = self.request("GET", url, params=query, headers=headers)
            page = walk.records(decode_json(response))
            if not page:
                return
            yield page
            request = walk.after(
                page,
                requested=str(response.request.url),
                link_header=response.headers.get("link"),
                absolute=self.url_for,
            )

    @staticmethod
    def decode(response: httpx.Response) -> Any:
        return decode_json(response)

    def close(self) -> None:
        self._core.close()

    def __enter__(self) -> ManageClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- resources -------------------------------------------------------------------------------------------
    @cached_property
    def companies(self) -> Companies:
        from cwdesk.manage.resources.company import Companies

        return Companies(self)

    @cached_property
    def company_statuses(self) -> CompanyStatuses:
        from cwdesk.manage.resources.company import CompanyStatuses

        return CompanyStatuses(self)

    @cached_property
    def company_types(self) -> CompanyTypes:
        from cwdesk.manage.resources.company import CompanyTypes

        return CompanyTypes(self)

    @cached_property
    def contacts(self) -> Contacts:
        from cwdesk.manage.resources.contact import Contacts

        return Contacts(self)

    @cached_property
    def contact_types(self) -> ContactTypes:
        from cwdesk.manage.resources.contact import ContactTypes

        return ContactTypes(self)

    @cached_property
    def contact_relationships(self) -> ContactRelationships:
        from cwdesk.manage.resources.contact import ContactRelationships

        return ContactRelationships(self)

    @cached_property
    def contact_departments(self) -> ContactDepartments:
        from cwdesk.manage.resources.contact import ContactDepartments

        return ContactDepartments(self)

    @cached_property
    def agreements(self) -> Agreements:
        from cwdesk.manage.resources.finance import Agreements

        return Agreements(self)

    @cached_property
    def agreement_types(self) -> AgreementTypes:
        from cwdesk.manage.resources.finance import AgreementTypes

        return AgreementTypes(self)

    @cached_property
    def tickets(self) -> Tickets:
        from cwdesk.manage.resources.service import Tickets

        return Tickets(self)

    @cached_property
    def boards(self) -> Boards:
        from cwdesk.manage.resources.service import Boards

        return Boards(self)

    @cached_property
    def priorities(self) -> Priorities:
        from cwdesk.manage.resources.service import Priorities

        return Priorities(self)

    @cached_property
    def members(self) -> Members:
        from cwdesk.manage.resources.system import Members

        return Members(self)

    @cached_property
    def security_roles(self) -> SecurityRoles:
        from cwdesk.manage.resources.system import SecurityRoles

        return SecurityRoles(self)

    @cached_property
    def departments(self) -> Departments:
        from cwdesk.manage.resources.system import Departments

        return Departments(self)

    @cached_property
    def locations(self) -> Locations:
        from cwdesk.manage.resources.system import Locations

        return Locations(self)

    @cached_property
    def time_zones(self) -> TimeZones:
        from cwdesk.manage.resources.system import TimeZones

        return TimeZones(self)

    @cached_property
    def callbacks(self) -> Callbacks:
        from cwdesk.manage.resources.system import Callbacks

        return Callbacks(self)

    @cached_property
    def system(self) -> System:
        from cwdesk.manage.resources.system import System

        return System(self)

    @cached_property
    def operations(self) -> ManageOperations:
        """Any operation of the Manage spec by its operationId (M9)."""
        return ManageOperations(self)


class AsyncManageClient(_ManageSettings):
    """The asynchronous Manage SDK, the twin of ``ManageClient``. ``async with`` it or ``await aclose()``."""

    def __init__(
        self,
        server: str | None = None,
        company: str | None = None,
        public_key: str | None = None,
        private_key: str | None = None,
        client_id: str | None = None,
        *,
        credentials: ManageCredentials | None = None,
        codebase: str | None = None,
        api_version: str = DEFAULT_API_VERSION,
        timeout: httpx.Timeout | float | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        retry: RetryPolicy | None = None,
        rate_per_minute: float | None = None,
        max_concurrency: int | None = None,
        throttle: Throttle | None = None,
        insecure_http: bool = False,
    ) -> None:
        creds = _credentials(server, company, public_key, private_key, client_id, credentials)
        self._settle(
            creds,
            codebase=codebase,
            api_version=api_version,
            rate_per_minute=rate_per_minute,
            max_concurrency=max_concurrency,
            throttle=throttle,
            insecure_http=insecure_http,
        )
        self._core = AsyncHTTPCore(
            base_url=self._initial_base,
            auth=ManageAuth(creds),
            headers=self.headers,
            throttle=self.throttle,
            retry=retry,
            timeout=timeout,
            transport=transport,
            unauthorized_hint=UNAUTHORIZED_HINT,
        )
        self._discovery_lock: asyncio.Lock | None = None

    @classmethod
    def from_env(cls, **options: Any) -> AsyncManageClient:
        """From ``CWM_SERVER``, ``CWM_COMPANY``, ``CWM_PUBKEY``, ``CWM_PRIVATEKEY``, ``CWM_CLIENTID``."""
        return cls(credentials=ManageCredentials.from_env(), **options)

    @classmethod
    def from_profile(cls, name: str, **options: Any) -> AsyncManageClient:
        """From the ``manage`` section of a saved profile (see ``cwdesk.config``)."""
        return cls(credentials=ManageCredentials.from_profile(name), **options)

    async def get_base_url(self) -> str:
        """The API base after discovery."""
        await self._ensure_base()
        return self._core.base_url

    async def _ensure_base(self) -> None:
        if not self._needs_discovery:
            return
        if self._discovery_lock is None:
            import asyncio

            self._discovery_lock = asyncio.Lock()
        async with self._discovery_lock:
            if not self._needs_discovery:
                return
            try:
                body = await self._core.request_json("GET", self._company_info_url(), authenticated=False)
            except (APIStatusError, UnexpectedResponseError) as exc:
                logger.warning("Codebase discovery failed (%s); using %s", exc, DEFAULT_CODEBASE)
                body = None
            self._core.base_url = self._base_from_company_info(body)
            self._needs_discovery = False

    def url_for(self, path: str, params: QueryParams | None = None) -> httpx.URL:
        """The full URL a call to ``path`` would use (the codebase is assumed until discovered)."""
        return self._core.url_for(path, params)

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: QueryParams | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """One call through throttle, retries and error mapping; ``path`` is relative to the API base."""
        await self._ensure_base()
        return await self._core.request(method, path, params=params, json=json, headers=headers)

    async def request_json(
        self,
        method: str,
        path: str,
        *,
        params: QueryParams | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """``request`` and the decoded JSON body (``None`` for 204)."""
        return decode_json(await self.request(method, path, params=params, json=json, headers=headers))

    async def iter_pages(
        self,
        path: str,
        *,
        params: QueryParams | None = None,
        headers: Mapping[str, str] | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> AsyncIterator[list[Any]]:
        """Async twin of ``ManageClient.iter_pages``."""
        walk = PageWalk(path, params, page_size=checked_page_size(page_size), forward_only=is_forward_only(headers))
        request: tuple[str, dict[str, Any] | None] | None = walk.first()
        while request is not None:
            url, query = request
            response = await self.request("GET", url, params=query, headers=headers)
            page = walk.records(decode_json(response))
            if not page:
                return
            yield page
            request = walk.after(
                page,
                requested=str(response.request.url),
                link_header=response.headers.get("link"),
                absolute=self.url_for,
            )

    @staticmethod
    def decode(response: httpx.Response) -> Any:
        return decode_json(response)

    async def aclose(self) -> None:
        await self._core.aclose()

    async def __aenter__(self) -> AsyncManageClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    # -- resources -------------------------------------------------------------------------------------------
    @cached_property
    def companies(self) -> AsyncCompanies:
        from cwdesk.manage.resources.company import AsyncCompanies

        return AsyncCompanies(self)

    @cached_property
    def company_statuses(self) -> AsyncCompanyStatuses:
        from cwdesk.manage.resources.company import AsyncCompanyStatuses

        return AsyncCompanyStatuses(self)

    @cached_property
    def company_types(self) -> AsyncCompanyTypes:
        from cwdesk.manage.resources.company import AsyncCompanyTypes

        return AsyncCompanyTypes(self)

    @cached_property
    def contacts(self) -> AsyncContacts:
        from cwdesk.manage.resources.contact import AsyncContacts

        return AsyncContacts(self)

    @cached_property
    def contact_types(self) -> AsyncContactTypes:
        from cwdesk.manage.resources.contact import AsyncContactTypes

        return AsyncContactTypes(self)

    @cached_property
    def contact_relationships(self) -> AsyncContactRelationships:
        from cwdesk.manage.resources.contact import AsyncContactRelationships

        return AsyncContactRelationships(self)

    @cached_property
    def contact_departments(self) -> AsyncContactDepartments:
        from cwdesk.manage.resources.contact import AsyncContactDepartments

        return AsyncContactDepartments(self)

    @cached_property
    def agreements(self) -> AsyncAgreements:
        from cwdesk.manage.resources.finance import AsyncAgreements

        return AsyncAgreements(self)

    @cached_property
    def agreement_types(self) -> AsyncAgreementTypes:
        from cwdesk.manage.resources.finance import AsyncAgreementTypes

        return AsyncAgreementTypes(self)

    @cached_property
    def tickets(self) -> AsyncTickets:
        from cwdesk.manage.resources.service import AsyncTickets

        return AsyncTickets(self)

    @cached_property
    def boards(self) -> AsyncBoards:
        from cwdesk.manage.resources.service import AsyncBoards

        return AsyncBoards(self)

    @cached_property
    def priorities(self) -> AsyncPriorities:
        from cwdesk.manage.resources.service import AsyncPriorities

        return AsyncPriorities(self)

    @cached_property
    def members(self) -> AsyncMembers:
        from cwdesk.manage.resources.system import AsyncMembers

        return AsyncMembers(self)

    @cached_property
    def security_roles(self) -> AsyncSecurityRoles:
        from cwdesk.manage.resources.system import AsyncSecurityRoles

        return AsyncSecurityRoles(self)

    @cached_property
    def departments(self) -> AsyncDepartments:
        from cwdesk.manage.resources.system import AsyncDepartments

        return AsyncDepartments(self)

    @cached_property
    def locations(self) -> AsyncLocations:
        from cwdesk.manage.resources.system import AsyncLocations

        return AsyncLocations(self)

    @cached_property
    def time_zones(self) -> AsyncTimeZones:
        from cwdesk.manage.resources.system import AsyncTimeZones

        return AsyncTimeZones(self)

    @cached_property
    def callbacks(self) -> AsyncCallbacks:
        from cwdesk.manage.resources.system import AsyncCallbacks

        return AsyncCallbacks(self)

    @cached_property
    def system(self) -> AsyncSystem:
        from cwdesk.manage.resources.system import AsyncSystem

        return AsyncSystem(self)

    @cached_property
    def operations(self) -> AsyncManageOperations:
        """Any operation of the Manage spec by its operationId (M9)."""
        return AsyncManageOperations(self)
