"""Fixtures of the Automate SDK tests: the sandbox's demo data behind a transport that records each request."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from cwdesk._http.throttle import reset_throttles
from cwdesk.automate import AsyncAutomateClient, AutomateClient
from cwdesk.sandbox.server import Sandbox


class Clock:
    """A clock the sandbox and the client share, which tests move forward."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now


class _Recording(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Passes requests to the sandbox and keeps them (headers included) for the tests to read."""

    def __init__(self, sandbox: Sandbox, seen: list[httpx.Request]) -> None:
        self._sync = sandbox.transport()
        self._async = sandbox.async_transport()
        self._seen = seen

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self._seen.append(request)
        return self._sync.handle_request(request)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self._seen.append(request)
        return await self._async.handle_async_request(request)


class AutomateSandbox:
    """A demo ``Sandbox`` on a movable clock, and what was sent to it."""

    def __init__(self) -> None:
        self.clock = Clock()
        self.sandbox = Sandbox(seed="demo", clock=self.clock)
        self.api = self.sandbox.automate
        self.requests: list[httpx.Request] = []

    def transport(self) -> _Recording:
        return _Recording(self.sandbox, self.requests)

    @property
    def credentials(self) -> dict[str, Any]:
        return dict(self.sandbox.automate_credentials)

    def paths(self) -> list[str]:
        return [f"{r.method} {r.url.path}" for r in self.requests]

    def client_names(self) -> list[str]:
        return [row[0] for row in self.api.db.execute("SELECT name FROM cwa_clients ORDER BY id")]


@pytest.fixture(autouse=True)
def _fresh_throttles() -> Iterator[None]:
    reset_throttles()
    yield
    reset_throttles()


@pytest.fixture
def cwa() -> Iterator[AutomateSandbox]:
    box = AutomateSandbox()
    yield box
    box.sandbox.close()


@pytest.fixture
def client(cwa: AutomateSandbox) -> Iterator[AutomateClient]:
    with AutomateClient(**cwa.credentials, transport=cwa.transport(), clock=cwa.clock, sleep=lambda _: None) as c:
        yield c


@pytest.fixture
async def async_client(cwa: AutomateSandbox) -> AsyncIterator[AsyncAutomateClient]:
    c = AsyncAutomateClient(**cwa.credentials, transport=cwa.transport(), clock=cwa.clock)
    yield c
    await c.aclose()
