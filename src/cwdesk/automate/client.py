"""``AutomateClient`` / ``AsyncAutomateClient``: the ConnectWise Automate REST API (``/cwa/api/v1``), A1 and A2.

    client = AutomateClient(server="automate.example.com", username="api", password="...",
                            client_id="1d4c2a5e-...")            # or AutomateClient.from_env() / .from_profile()
    for computer in client.computers.iter(where=C("Client.Id") == 12):
        print(computer.computer_name, computer.status)

The same request core as Manage (``cwdesk._http``: throttle shared per login, retry policy, error tree, paging);
the token flow is ``automate/auth.py`` (sign-in with two-factor, refresh before expiry and once on 401). Every
call, the token call included, carries ``ClientId``. Resources: ``clients``, ``locations``, ``computers``,
``groups``, ``group_computers``; ``operations`` for any operationId of the spec.

``server`` may be a host (``https://`` is assumed), a URL, or a URL ending in ``/cwa``. ``transport`` is the seam
for the sandbox: ``AutomateClient(**sandbox.automate_credentials, transport=sandbox.transport())``.
Not for: business workflows (``cwdesk.workflows.automate_clients``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx

from cwdesk._http.core import AsyncHTTPCore, HTTPCore
from cwdesk._http.retry import RetryPolicy
from cwdesk._http.throttle import Throttle, throttle_for
from cwdesk._version import __version__
from cwdesk.automate.auth import AUTOMATE_UNAUTHORIZED_HINT, AutomateTokenAuth
from cwdesk.automate.credentials import AutomateCredentials
from cwdesk.automate.operations import AsyncAutomateOperations, AutomateOperations
from cwdesk.automate.resources import (
    AsyncClientsResource,
    AsyncComputersResource,
    AsyncGroupComputersResource,
    AsyncGroupsResource,
    AsyncLocationsResource,
    ClientsResource,
    ComputersResource,
    GroupComputersResource,
    GroupsResource,
    LocationsResource,
)
from cwdesk.config import refuse_plain_http

__all__ = ["AsyncAutomateClient", "AutomateClient", "automate_root"]


def automate_root(server: str) -> str:
    """``https://{host}/cwa`` for a host, a URL, or a URL that already ends in ``/cwa`` (or ``/cwa/api/v1``)."""
    text = server.strip().rstrip("/")
    if not text.lower().startswith(("http://", "https://")):
        text = f"https://{text}"
    lowered = text.lower()
    for suffix in ("/cwa/api/v1", "/cwa"):
        if lowered.endswith(suffix):
            return text[: len(text) - len(suffix)] + "/cwa"
    return f"{text}/cwa"


class _AutomateSettings:
    """What both twins share: credentials, URLs, auth, headers, throttle."""

    def __init__(
        self,
        server: str,
        username: str,
        password: str,
        client_id: str,
        *,
        two_factor_code: str | None = None,
        credentials: AutomateCredentials | None = None,
        throttle: Throttle | None = None,
        clock: Callable[[], datetime] | None = None,
        insecure_http: bool = False,
    ) -> None:
        self.credentials = credentials or AutomateCredentials(
            server=server, username=username, password=password, client_id=client_id, two_factor_code=two_factor_code
        )
        self.root = automate_root(self.credentials.server)
        refuse_plain_http(self.root, product="ConnectWise Automate", insecure_http=insecure_http)
        self.base_url = f"{self.root}/api/v1"
        self.auth = AutomateTokenAuth(
            self.credentials, base_url=lambda: self.base_url, clock=clock or (lambda: datetime.now(UTC))
        )
        self.headers = {
            "Accept": "application/json",
            "ClientId": self.credentials.client_id,
            "User-Agent": f"cwdesk/{__version__}",
        }
        self.throttle = throttle or throttle_for(self.credentials.identity)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(server={self.root!r}, username={self.credentials.username!r})"


class AutomateClient(_AutomateSettings):
    """The synchronous Automate client. Close it (or use ``with``) to release connections."""

    def __init__(
        self,
        server: str = "",
        username: str = "",
        password: str = "",
        client_id: str = "",
        *,
        two_factor_code: str | None = None,
        credentials: AutomateCredentials | None = None,
        transport: httpx.BaseTransport | None = None,
        timeout: httpx.Timeout | float | None = None,
        retry: RetryPolicy | None = None,
        throttle: Throttle | None = None,
        clock: Callable[[], datetime] | None = None,
        sleep: Callable[[float], None] | None = None,
        insecure_http: bool = False,
    ) -> None:
        super().__init__(
            server,
            username,
            password,
            client_id,
            two_factor_code=two_factor_code,
            credentials=credentials,
            throttle=throttle,
            clock=clock,
            insecure_http=insecure_http,
        )
        extra: dict[str, Any] = {"sleep": sleep} if sleep is not None else {}
        self.core = HTTPCore(
            base_url=self.base_url,
            auth=self.auth,
            headers=self.headers,
            throttle=self.throttle,
            retry=retry,
            timeout=timeout,
            transport=transport,
            unauthorized_hint=AUTOMATE_UNAUTHORIZED_HINT,
            **extra,
        )
        self.clients = ClientsResource(self.core)
        self.locations = LocationsResource(self.core)
        self.computers = ComputersResource(self.core)
        self.groups = GroupsResource(self.core)
        self.group_computers = GroupComputersResource(self.core)
        self.operations = AutomateOperations(self.core, root=self.root)

    @classmethod
    def from_env(cls, **options: Any) -> AutomateClient:
        """From ``CWA_SERVER``, ``CWA_USERNAME``, ``CWA_PASSWORD``, ``CWA_CLIENTID`` and ``CWA_2FA_CODE``."""
        return cls(credentials=AutomateCredentials.from_env(), **options)

    @classmethod
    def from_profile(cls, name: str, **options: Any) -> AutomateClient:
        """From the ``automate`` section of profile ``name``."""
        return cls(credentials=AutomateCredentials.from_profile(name), **options)

    def sign_in(self) -> None:
        """Get a token now (normally the first call does it): surfaces bad credentials early."""
        self.core.request("GET", "/Clients", params={"pagesize": 1, "includefields": "Id"})

    def close(self) -> None:
        self.core.close()

    def __enter__(self) -> AutomateClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class AsyncAutomateClient(_AutomateSettings):
    """The asynchronous Automate client, the twin of ``AutomateClient``. ``await client.aclose()`` when done."""

    def __init__(
        self,
        server: str = "",
        username: str = "",
        password: str = "",
        client_id: str = "",
        *,
        two_factor_code: str | None = None,
        credentials: AutomateCredentials | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: httpx.Timeout | float | None = None,
        retry: RetryPolicy | None = None,
        throttle: Throttle | None = None,
        clock: Callable[[], datetime] | None = None,
        insecure_http: bool = False,
    ) -> None:
        super().__init__(
            server,
            username,
            password,
            client_id,
            two_factor_code=two_factor_code,
            credentials=credentials,
            throttle=throttle,
            clock=clock,
            insecure_http=insecure_http,
        )
        self.core = AsyncHTTPCore(
            base_url=self.base_url,
            auth=self.auth,
            headers=self.headers,
            throttle=self.throttle,
            retry=retry,
            timeout=timeout,
            transport=transport,
            unauthorized_hint=AUTOMATE_UNAUTHORIZED_HINT,
        )
        self.clients = AsyncClientsResource(self.core)
        self.locations = AsyncLocationsResource(self.core)
        self.computers = AsyncComputersResource(self.core)
        self.groups = AsyncGroupsResource(self.core)
        self.group_computers = AsyncGroupComputersResource(self.core)
        self.operations = AsyncAutomateOperations(self.core, root=self.root)

    @classmethod
    def from_env(cls, **options: Any) -> AsyncAutomateClient:
        """From ``CWA_SERVER``, ``CWA_USERNAME``, ``CWA_PASSWORD``, ``CWA_CLIENTID`` and ``CWA_2FA_CODE``."""
        return cls(credentials=AutomateCredentials.from_env(), **options)

    @classmethod
    def from_profile(cls, name: str, **options: Any) -> AsyncAutomateClient:
        """From the ``automate`` section of profile ``name``."""
        return cls(credentials=AutomateCredentials.from_profile(name), **options)

    async def sign_in(self) -> None:
        """Get a token now (normally the first call does it): surfaces bad credentials early."""
        await self.core.request("GET", "/Clients", params={"pagesize": 1, "includefields": "Id"})

    async def aclose(self) -> None:
        await self.core.aclose()

    async def __aenter__(self) -> AsyncAutomateClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()
