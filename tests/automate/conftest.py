"""Fixtures of the Automate SDK tests: an Automate emulator served in-process, and clients on it."""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from cwdesk._http.throttle import reset_throttles
from cwdesk.automate import AsyncAutomateClient, AutomateClient
from cwdesk.sandbox.automate_api import AutomateAPI
from cwdesk.sandbox.http import SandboxRequest, SandboxResponse

CLIENT_ID = "0b7e3f52-64a8-4c2e-9d0f-6a1b2c3d4e5f"
ROWS = [
    {"name": "Acme Corp", "city": "Chicago", "state": "IL", "zip": "60601", "phone": "312-555-0100", "address1": "1 A"},
    {
        "name": "Acme Logistics",
        "city": "Denver",
        "state": "CO",
        "zip": "80201",
        "phone": "303-555-0100",
        "address1": "",
    },
    {"name": "Beta Dental", "city": "Austin", "state": "TX", "zip": "73301", "phone": "512-555-0100", "address1": "2"},
    {"name": "Northwind Traders", "city": "Seattle", "state": "WA", "zip": "98101", "phone": "", "address1": "3 B"},
]


class Clock:
    """A clock tests can move."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now


class AutomateSandbox:
    """The Automate emulator behind an httpx transport, with a request log."""

    def __init__(self) -> None:
        self.clock = Clock()
        self.api = AutomateAPI(sqlite3.connect(":memory:", check_same_thread=False), self.clock)
        self.api.seed_clients(ROWS, random.Random(11))
        self.requests: list[httpx.Request] = []

    def _handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer: SandboxResponse = self.api.handle(
            SandboxRequest(
                method=request.method,
                path=request.url.path,
                query=list(request.url.params.multi_items()),
                headers={k.lower(): v for k, v in request.headers.items()},
                body=request.content,
                base_url=f"{request.url.scheme}://{request.url.netloc.decode()}",
            )
        )
        return httpx.Response(answer.status, content=answer.body, headers=answer.headers)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self._handle)

    @property
    def credentials(self) -> dict[str, Any]:
        return {
            "server": "http://automate.sandbox.test",
            "username": "sandbox",
            "password": "sandbox-password",
            "client_id": CLIENT_ID,
        }

    def paths(self) -> list[str]:
        return [f"{r.method} {r.url.path}" for r in self.requests]


@pytest.fixture(autouse=True)
def _fresh_throttles() -> Iterator[None]:
    reset_throttles()
    yield
    reset_throttles()


@pytest.fixture
def cwa() -> AutomateSandbox:
    return AutomateSandbox()


@pytest.fixture
def client(cwa: AutomateSandbox) -> Iterator[AutomateClient]:
    with AutomateClient(**cwa.credentials, transport=cwa.transport(), clock=cwa.clock, sleep=lambda _: None) as c:
        yield c


@pytest.fixture
async def async_client(cwa: AutomateSandbox) -> Any:
    c = AsyncAutomateClient(**cwa.credentials, transport=cwa.transport(), clock=cwa.clock)
    yield c
    await c.aclose()
