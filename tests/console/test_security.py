"""C7: sign-in by link and password, sessions, roles, CSRF and the audit log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient

from cwdesk.console.security import Accounts
from cwdesk.store.accounts import console_sessions, console_signin_tokens, console_users

from .confirming import confirmed_form
from .conftest import PASSWORD, Browser, login_csrf, use_signin_link


def _audit(console: FastAPI) -> list[Any]:
    accounts: Accounts = console.state.accounts
    return accounts.audit_entries()


def test_first_start_creates_admin_with_a_one_time_sign_in_link(console: FastAPI, anonymous: Browser) -> None:
    accounts: Accounts = console.state.accounts
    token = accounts.ensure_first_admin()
    assert token is not None
    assert accounts.ensure_first_admin() is None  # only on first start
    answer = use_signin_link(anonymous, f"/signin?token={token}", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/account"  # no password yet: set one
    assert anonymous.page("/").status_code == 200
    anonymous.cookies.clear()
    again = anonymous.get(f"/signin?token={token}", follow_redirects=False)
    assert again.status_code == 400 and "not valid" in again.text


def test_sign_in_link_expires(console: FastAPI, anonymous: Browser) -> None:
    now = [datetime(2026, 1, 1, tzinfo=UTC)]
    accounts = Accounts(console.state.engine, clock=lambda: now[0])
    accounts.create_user("late", "viewer", None)
    token = accounts.issue_signin_token("late")
    now[0] += timedelta(hours=25)
    assert accounts.redeem_signin_token(token) is None


def test_tokens_sessions_and_passwords_are_stored_only_as_digests_and_hashes(
    console: FastAPI, anonymous: Browser
) -> None:
    accounts: Accounts = console.state.accounts
    token = accounts.ensure_first_admin()
    assert token is not None
    use_signin_link(anonymous, f"/signin?token={token}")
    session_id = anonymous.cookies.get("cwdesk_session")
    accounts.create_user("hashy", "viewer", PASSWORD)
    with console.state.engine.connect() as conn:
        stored = " ".join(str(v) for row in conn.execute(sa.select(console_sessions)) for v in row)
        stored += " ".join(str(v) for row in conn.execute(sa.select(console_signin_tokens)) for v in row)
        password_hash = conn.execute(
            sa.select(console_users.c.password_hash).where(console_users.c.username == "hashy")
        ).scalar_one()
    assert session_id and session_id not in stored and token not in stored
    assert password_hash.startswith("$argon2")


def test_pages_need_a_session_and_api_calls_get_401(anonymous: Browser) -> None:
    page = anonymous.get("/", headers={"accept": "text/html"}, follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/signin"
    assert anonymous.get("/api/clients").status_code == 401
    assert anonymous.post("/clients/1", data={"name": "x"}).status_code == 401


def test_password_sign_in_sets_an_httponly_samesite_cookie(console: FastAPI, anonymous: Browser) -> None:
    console.state.accounts.create_user("olga", "operator", PASSWORD)
    token = login_csrf(anonymous)
    answer = anonymous.post(
        "/signin", data={"username": "olga", "password": PASSWORD, "csrf_token": token}, follow_redirects=False
    )
    cookie = answer.headers["set-cookie"].lower()
    assert answer.status_code == 303
    assert "cwdesk_session=" in cookie and "httponly" in cookie and "samesite=lax" in cookie
    assert "secure" not in cookie  # plain http on loopback


def test_session_cookie_is_secure_over_https(console: FastAPI) -> None:
    console.state.accounts.create_user("sam", "viewer", PASSWORD)
    with TestClient(console, base_url="https://testserver") as browser:
        token = login_csrf(browser)
        answer = browser.post(
            "/signin", data={"username": "sam", "password": PASSWORD, "csrf_token": token}, follow_redirects=False
        )
        assert "secure" in answer.headers["set-cookie"].lower()


def test_wrong_password_is_refused_and_audited(console: FastAPI, anonymous: Browser) -> None:
    console.state.accounts.create_user("wendy", "viewer", PASSWORD)
    token = login_csrf(anonymous)
    answer = anonymous.post("/signin", data={"username": "wendy", "password": "wrong password!", "csrf_token": token})
    assert answer.status_code == 401 and "Wrong user name or password" in answer.text
    assert any(e.action == "sign in" and e.result == "refused" for e in _audit(console))


def test_sign_in_form_without_its_csrf_token_is_refused(console: FastAPI, anonymous: Browser) -> None:
    console.state.accounts.create_user("fred", "viewer", PASSWORD)
    answer = anonymous.post("/signin", data={"username": "fred", "password": PASSWORD})
    assert answer.status_code == 403
    assert "cwdesk_session" not in anonymous.cookies


def test_a_change_without_csrf_token_is_refused_and_audited(console: FastAPI, sign_in: Any) -> None:
    operator = sign_in("operator")
    answer = operator.post("/clients/1", data={"name": "No Token"}, headers={"accept": "application/json"})
    assert answer.status_code == 403
    wrong = operator.post("/clients/1", data={"name": "x"}, headers={"x-csrf-token": "forged"})
    assert wrong.status_code == 403
    refused = [e for e in _audit(console) if e.result == "refused"]
    assert len(refused) == 2 and all("CSRF" in e.message for e in refused)
    detail = operator.page("/clients/1/panel")
    assert "No Token" not in detail.text


def test_csrf_token_works_as_form_field_or_header(sign_in: Any, console_sandbox: Any) -> None:
    operator = sign_in("operator")
    as_field = operator.post("/clients/2", data={"name": "BrightPath Logistics", "csrf_token": operator.csrf})
    assert as_field.status_code == 200, as_field.text
    as_header = operator.change("/clients/2", data={"name": "BrightPath Logistics Inc"})
    assert as_header.status_code == 200 and as_header.json()["ok"]


def test_viewer_reads_but_cannot_change_or_manage_users(console: FastAPI, sign_in: Any) -> None:
    viewer = sign_in("viewer")
    assert viewer.page("/").status_code == 200
    assert viewer.page("/clients/1/panel").status_code == 200
    assert "Edit company" not in viewer.page("/clients/1/panel").text
    assert viewer.change("/clients/1", data={"name": "Viewer Was Here"}).status_code == 403
    assert (
        viewer.change("/bulk", json={"company_ids": [1], "field": "inactiveFlag", "value": "true"}).status_code == 403
    )
    assert viewer.page("/users").status_code == 403
    assert viewer.page("/audit").status_code == 403
    assert any(e.result == "refused" and "needs role operator" in e.message for e in _audit(console))


def test_operator_cannot_manage_users_admin_can(console: FastAPI, sign_in: Any) -> None:
    operator = sign_in("operator")
    assert operator.change("/users", data={"username": "eve", "role": "admin"}).status_code == 403
    admin = sign_in("admin")
    added = admin.change("/users", data={"username": "nina", "role": "viewer", "password": PASSWORD})
    assert added.status_code == 200 and "User nina added as viewer" in added.text
    link = admin.change("/users/nina/signin-link")
    assert "/signin?token=" in link.text
    assert any(e.action == "add user" and e.target == "nina" and e.result == "ok" for e in _audit(console))


def test_disabling_a_user_ends_their_sessions_and_the_last_admin_stays(console: FastAPI, sign_in: Any) -> None:
    admin = sign_in("admin")
    viewer = sign_in("viewer")
    assert viewer.page("/").status_code == 200
    viewer_name = next(u.username for u in console.state.accounts.list_users() if u.role == "viewer")
    assert confirmed_form(admin, f"/users/{viewer_name}/disabled", {"disabled": "true"}).status_code == 200
    assert viewer.get("/api/clients").status_code == 401
    admin_name = next(u.username for u in console.state.accounts.list_users() if u.role == "admin")
    refused = confirmed_form(admin, f"/users/{admin_name}/disabled", {"disabled": "true"})
    assert refused.status_code == 400 and "last active admin" in refused.text


def test_sign_out_ends_the_session(sign_in: Any) -> None:
    viewer = sign_in("viewer")
    assert viewer.change("/signout", follow_redirects=False).status_code == 303
    assert viewer.get("/api/clients").status_code == 401
