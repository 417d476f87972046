"""Fixtures for the Manage SDK tests: credentials, a recording mock server, and clients on it or on the sandbox."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from cwdesk import AsyncManageClient, ManageClient, RetryPolicy
from cwdesk._http.throttle import reset_throttles

PRIVATE_KEY = "sEcReT-PrIvAtE-kEy-42"
CREDENTIALS: dict[str, str] = {
    "server": "na.myconnectwise.net",
    "company": "acme",
    "public_key": "PubKey123",
    "private_key": PRIVATE_KEY,
    "client_id": "1d4c2a5e-7b7f-4c1e-9a53-0f2b8c6d9e10",
}
NO_WAIT = RetryPolicy(max_retries=2, base_delay=0.0, max_delay=0.0)


class Recorder:
    """A MockTransport handler: routes by (method, path suffix) to a function or a fixed answer; logs requests."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.routes: list[tuple[str, str, Callable[[httpx.Request], httpx.Response]]] = []
        self.route("GET", "/login/companyinfo/acme", lambda r: httpx.Response(200, json={"Codebase": "v4_6_release/"}))

    def route(
        self, method: str, suffix: str, answer: Callable[[httpx.Request], httpx.Response] | httpx.Response
    ) -> None:
        handler = answer if callable(answer) else (lambda _r, a=answer: a)
        self.routes.insert(0, (method, suffix, handler))

    def api_requests(self) -> list[httpx.Request]:
        return [r for r in self.requests if "/login/companyinfo/" not in r.url.path]

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        for method, suffix, handler in self.routes:
            if request.method == method and request.url.path.endswith(suffix):
                return handler(request)
        return httpx.Response(404, json={"code": "NotFound", "message": f"no route for {request.url.path}"})


@pytest.fixture(autouse=True)
def _fresh_throttles() -> Iterator[None]:
    reset_throttles()
    yield
    reset_throttles()


@pytest.fixture
def credentials() -> dict[str, str]:
    """Well-formed Manage credentials (a copy: tests may change it)."""
    return dict(CREDENTIALS)


@pytest.fixture
def server() -> Recorder:
    return Recorder()


@pytest.fixture
def client(server: Recorder) -> Iterator[ManageClient]:
    with ManageClient(
        **CREDENTIALS, transport=httpx.MockTransport(server), rate_per_minute=600_000, retry=NO_WAIT
    ) as cw:
        yield cw


@pytest.fixture
async def async_client(server: Recorder) -> Any:
    cw = AsyncManageClient(**CREDENTIALS, transport=httpx.MockTransport(server), rate_per_minute=600_000, retry=NO_WAIT)
    yield cw
    await cw.aclose()


@pytest.fixture
def sandbox_client(sandbox: Any) -> Iterator[ManageClient]:
    with ManageClient(**sandbox.manage_credentials, transport=sandbox.transport(), rate_per_minute=600_000) as cw:
        yield cw
