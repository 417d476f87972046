"""Fixtures of the SCIM bridge tests: a private CWDESK_HOME, the app's database, a SCIM token, and the SCIM app on
the ``sandbox`` fixture reached in-process (httpx's ASGI transport), so the sandbox shows the ConnectWise state."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from cwdesk._http.throttle import Throttle, reset_throttles
from cwdesk.manage.client import ManageClient
from cwdesk.sandbox import Sandbox
from cwdesk.scim.server import ScimApp, create_scim_app
from cwdesk.scim.storage import ScimSettings
from cwdesk.scim.tokens import token_check
from cwdesk.store import open_database
from cwdesk.store.tokens import Tokens

ENV_PREFIXES = ("CWM_", "CWA_", "CWDESK_")
BASE = "http://testserver/scim/v2"
SCIM_JSON = "application/scim+json"
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


@pytest.fixture(autouse=True)
def fresh_throttles() -> Iterator[None]:
    """Each test starts with the SDK's default pacing: the sandbox's credential is the same in every test, and a
    throttle learns (tests/reliability/conftest.py does the same)."""
    reset_throttles()
    yield
    reset_throttles()


@pytest.fixture
def scim_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in list(os.environ):
        if name.startswith(ENV_PREFIXES):
            monkeypatch.delenv(name, raising=False)
    home = tmp_path / "home"
    home.mkdir(mode=0o700)  # cwdesk refuses a data folder other users can read (src/cwdesk/private_files.py)
    monkeypatch.setenv("CWDESK_HOME", str(home))
    return home


@dataclass
class Bridge:
    """The SCIM app on a sandbox, with a SCIM token named ``okta``; ``client()`` sends SCIM requests to it."""

    sandbox: Sandbox
    engine: sa.Engine
    cw: ManageClient
    app: ScimApp
    secret: str

    def client(self, secret: str | None = None) -> httpx.AsyncClient:
        from starlette.applications import Starlette
        from starlette.routing import Mount

        root = Starlette(routes=[Mount("/scim", app=self.app)])
        headers = {"Content-Type": SCIM_JSON, "Accept": SCIM_JSON}
        token = self.secret if secret is None else secret
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=root), base_url=BASE, headers=headers)

    def member(self, identifier: str) -> dict[str, Any]:
        from cwdesk.workflows.members import find_member

        found = find_member(self.cw, identifier)
        assert found is not None, f"no member {identifier} in the sandbox"
        return found

    def writes(self) -> list[str]:
        return [f"{r.method} {r.path}" for r in self.sandbox.requests if r.method in ("POST", "PATCH", "PUT", "DELETE")]


def make_bridge(
    sandbox: Sandbox, *, settings: ScimSettings | None = None, rate: int = 10_000, throttle: Throttle | None = None
) -> Bridge:
    engine = open_database()
    cw = ManageClient(**sandbox.manage_credentials, transport=sandbox.transport(), throttle=throttle)
    _info, secret = Tokens(engine).create("okta", "scim", "operator", created_by="test")
    app = create_scim_app(cw, engine, verify=token_check(engine), settings=settings, requests_per_minute=rate)
    return Bridge(sandbox=sandbox, engine=engine, cw=cw, app=app, secret=secret)


@pytest.fixture
def bridge(sandbox: Sandbox, scim_home: Path) -> Iterator[Bridge]:
    made = make_bridge(sandbox)
    yield made
    made.cw.close()
    made.engine.dispose()
