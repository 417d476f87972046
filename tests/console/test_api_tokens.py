"""Settings > API tokens (``/settings/tokens``): an admin makes a token and sees its secret once, revokes it, and both
are audited without the secret; nobody else may open the page."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from fastapi import FastAPI

from cwdesk.store.tokens import SECRET_PREFIX, Tokens
from tests.console.conftest import Browser

_SECRET = re.compile(r'id="token-secret" readonly value="([^"]+)"')


def _make(admin: Browser, **form: str) -> tuple[int, str]:
    answer = admin.post("/settings/tokens", data={"csrf_token": admin.csrf, **form})
    return answer.status_code, answer.text


def test_an_admin_makes_a_token_and_sees_its_secret_once(sign_in: Callable[[str], Browser], console: FastAPI) -> None:
    admin = sign_in("admin")
    status, page = _make(admin, name="claude-desktop", role="operator", purpose="api")
    assert status == 200
    found = _SECRET.search(page)
    assert found and found.group(1).startswith(SECRET_PREFIX)
    secret = found.group(1)
    info = Tokens(console.state.engine).verify(secret, "api")
    assert info is not None and (info.name, info.role, info.created_by) == ("claude-desktop", "operator", "admin0")
    later = admin.page("/settings/tokens")
    assert later.status_code == 200 and "claude-desktop" in later.text
    assert secret not in later.text and 'id="token-secret"' not in later.text
    assert "no-store" in later.headers["cache-control"]


def test_the_settings_page_links_to_tokens_for_admins_only(sign_in: Callable[[str], Browser]) -> None:
    assert 'href="/settings/tokens"' in sign_in("admin").page("/settings").text
    assert 'href="/settings/tokens"' not in sign_in("operator").page("/settings").text


def test_making_and_revoking_are_audited_without_the_secret(
    sign_in: Callable[[str], Browser], console: FastAPI
) -> None:
    admin = sign_in("admin")
    secret = _SECRET.search(_make(admin, name="okta", role="admin", purpose="scim")[1])
    assert secret
    (token,) = Tokens(console.state.engine).list()
    revoked = admin.post(f"/settings/tokens/{token.id}/revoke", data={"csrf_token": admin.csrf})
    assert revoked.status_code == 200 and "okta is revoked" in revoked.text
    assert Tokens(console.state.engine).verify(secret.group(1), "scim") is None
    entries = console.state.accounts.audit_entries()
    actions = [(e.action, e.result, e.username) for e in entries if "API token" in e.action]
    assert actions == [("revoke API token", "ok", "admin0"), ("create API token", "ok", "admin0")]
    assert secret.group(1) not in json.dumps([e.__dict__ for e in entries], default=str)


def test_a_bad_name_or_role_is_refused_with_what_to_use(sign_in: Callable[[str], Browser]) -> None:
    admin = sign_in("admin")
    status, page = _make(admin, name="has space", role="viewer")
    assert status == 400 and "is not allowed" in page and 'id="token-secret"' not in page
    status, page = _make(admin, name="ok", role="root")
    assert status == 400 and "choose one of viewer, operator, admin" in page


def test_revoking_twice_says_it_was_already_revoked(sign_in: Callable[[str], Browser], console: FastAPI) -> None:
    admin = sign_in("admin")
    _make(admin, name="bot", role="viewer")
    (token,) = Tokens(console.state.engine).list()
    admin.post(f"/settings/tokens/{token.id}/revoke", data={"csrf_token": admin.csrf})
    again = admin.post(f"/settings/tokens/{token.id}/revoke", data={"csrf_token": admin.csrf})
    assert again.status_code == 400 and "already revoked" in again.text


def test_operators_and_viewers_cannot_see_or_make_tokens(sign_in: Callable[[str], Browser], console: FastAPI) -> None:
    for role in ("operator", "viewer"):
        browser = sign_in(role)
        assert browser.page("/settings/tokens").status_code == 403
        refused = browser.post("/settings/tokens", data={"csrf_token": browser.csrf, "name": "x", "role": "admin"})
        assert refused.status_code == 403
    assert Tokens(console.state.engine).list() == []


def test_a_token_made_on_the_page_opens_mcp(sign_in: Callable[[str], Browser], console: FastAPI) -> None:
    admin = sign_in("admin")
    found = _SECRET.search(_make(admin, name="assistant", role="viewer")[1])
    assert found
    initialize = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}},
    }
    headers = {"Accept": "application/json, text/event-stream", "Host": "127.0.0.1:8000"}
    opened = admin.post("/mcp", json=initialize, headers={**headers, "Authorization": f"Bearer {found.group(1)}"})
    assert opened.status_code == 200, opened.text
    assert '"serverInfo"' in opened.text and "mcp-session-id" in opened.headers
    with Browser(console) as nobody:
        assert nobody.post("/mcp", json=initialize, headers=headers).status_code == 401
