"""The console serves the same SCIM bridge at /scim/v2: SCIM tokens open it, a console session does not."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from cwdesk.console.app import ConsoleSettings, create_app
from cwdesk.console.connections import Connections
from cwdesk.sandbox import Sandbox
from cwdesk.store import open_database
from cwdesk.store.tokens import Tokens


def test_console_serves_scim_at_scim_v2_with_scim_tokens_only(sandbox: Sandbox, scim_home: Path) -> None:
    engine = open_database()
    app = create_app(ConsoleSettings(connections=Connections.on_sandbox(sandbox), engine=engine))
    _info, scim_secret = Tokens(engine).create("entra", "scim", "operator", created_by="test")
    _info, api_secret = Tokens(engine).create("assistant", "api", "operator", created_by="test")
    with TestClient(app) as browser:
        listed = browser.get("/scim/v2/Users", headers={"Authorization": f"Bearer {scim_secret}"})
        discovery = browser.get("/scim/v2/ServiceProviderConfig")
        anonymous = browser.get("/scim/v2/Users")
        other_purpose = browser.get("/scim/v2/Users", headers={"Authorization": f"Bearer {api_secret}"})
        console_page = browser.get("/signin")
    assert listed.status_code == 200 and listed.json()["totalResults"] == 5
    assert listed.headers["content-type"].startswith("application/scim+json")
    assert discovery.status_code == 200
    assert anonymous.status_code == 401 and other_purpose.status_code == 401  # an /mcp token is not a SCIM token
    assert console_page.status_code == 200  # the console's own pages are untouched
    engine.dispose()
