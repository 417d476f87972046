"""R5: every mutating console route refuses without a session, without the role, and without the CSRF token.

The routes are enumerated from the app itself (``app.routes``, through included routers), so a route added later is
checked without anyone editing this file. A route any signed-in person may use (their own password, signing out)
is listed in ``SELF_SERVICE`` with the reason; ``/signin`` is the door itself and is guarded by its own login CSRF
token. Every other mutating route must refuse a viewer (the lowest role).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from cwdesk.sandbox import Sandbox

from .conftest import SignedIn

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
SIGN_IN = "/signin"
# The routes that give a session (password, or a sign-in link confirmed on its page): guarded by the login-CSRF
# token instead of a session's (tested below and in test_login_csrf.py).
SIGN_INS = {SIGN_IN, "/signin/link"}
SELF_SERVICE = {
    "/signout": "anyone signed in may end their own session",
    "/account/password": "anyone signed in may change their own password",
}


def _routes(routes: list[Any], prefix: str = "") -> Iterator[tuple[str, str]]:
    """(method, path) of every endpoint, walking into included routers whatever FastAPI's version wraps them in."""
    for route in routes:
        methods = getattr(route, "methods", None)
        path = getattr(route, "path", None)
        if methods and path is not None:
            for method in methods:
                yield method, prefix + path
            continue
        inner = getattr(route, "original_router", None) or getattr(route, "app", None)
        context = getattr(route, "include_context", None)
        nested = getattr(inner, "routes", None)
        if nested:
            yield from _routes(
                list(nested), prefix + (getattr(context, "prefix", "") or getattr(route, "path", "") or "")
            )


def mutating_routes(app: FastAPI) -> list[tuple[str, str]]:
    return sorted(
        {(m, p) for m, p in _routes(list(app.routes)) if m not in SAFE_METHODS and not p.startswith("/static")}
    )


def _concrete(path: str) -> str:
    """A real URL for a route pattern: ids are 1, user names an existing user."""
    return re.sub(r"\{([^}]+)\}", lambda m: "admin" if "name" in m.group(1) else "1", path)


def _writes(sb: Sandbox) -> list[str]:
    return [f"{e.method} {e.path}" for e in sb.requests if e.method not in SAFE_METHODS]


def test_the_enumeration_sees_the_console_routes(console: FastAPI) -> None:
    found = mutating_routes(console)
    # A broken enumeration would make the tests below pass vacuously.
    assert len(found) >= 15, found
    for known in [("POST", "/bulk"), ("POST", "/clients/{company_id}"), ("POST", "/users"), ("POST", "/onboarding")]:
        assert known in found


def test_every_mutating_route_refuses_without_a_session(console: FastAPI, console_sandbox: Sandbox) -> None:
    console.state.accounts.ensure_first_admin()
    console_sandbox.clear_requests()
    with TestClient(console) as anonymous:
        for method, path in mutating_routes(console):
            if path in SIGN_INS:
                continue
            answer = anonymous.request(method, _concrete(path), data={"name": "x"}, follow_redirects=False)
            refused = answer.status_code in (401, 403) or (
                answer.status_code in (302, 303) and "/signin" in answer.headers.get("location", "")
            )
            assert refused, f"{method} {path} answered {answer.status_code} without a session"
    assert _writes(console_sandbox) == []


def test_every_mutating_route_refuses_a_viewer(
    console: FastAPI, console_sandbox: Sandbox, signed_in: Callable[[str], SignedIn]
) -> None:
    viewer = signed_in("viewer")
    console_sandbox.clear_requests()
    for method, path in mutating_routes(console):
        if path in SIGN_INS or path in SELF_SERVICE:
            continue
        answer = viewer.request(
            method, _concrete(path), data={"name": "x"}, headers={"x-csrf-token": viewer.csrf}, follow_redirects=False
        )
        assert answer.status_code == 403, f"{method} {path} answered {answer.status_code} to a viewer"
    assert _writes(console_sandbox) == []


def test_every_mutating_route_refuses_without_the_csrf_token(
    console: FastAPI, console_sandbox: Sandbox, signed_in: Callable[[str], SignedIn]
) -> None:
    admin = signed_in("admin")
    console_sandbox.clear_requests()
    for method, path in mutating_routes(console):
        if path in SIGN_INS:
            continue
        for headers in ({}, {"x-csrf-token": "not-the-token"}):
            answer = admin.request(method, _concrete(path), data={"name": "x"}, headers=headers, follow_redirects=False)
            assert answer.status_code == 403, f"{method} {path} answered {answer.status_code} without CSRF"
    assert _writes(console_sandbox) == []
    # The session is still good: the refusals were about the token, not a broken session.
    assert admin.get("/", headers={"accept": "text/html"}).status_code == 200


def test_sign_in_refuses_without_its_login_csrf_token(console: FastAPI) -> None:
    console.state.accounts.create_user("someone", "admin", "a-long-enough-password-1")
    with TestClient(console) as anonymous:
        answer = anonymous.post(
            SIGN_IN, data={"username": "someone", "password": "a-long-enough-password-1"}, follow_redirects=False
        )
    assert answer.status_code == 403
    assert "set-cookie" not in answer.headers or "session" not in answer.headers["set-cookie"].lower()


@pytest.mark.parametrize("path", sorted(SELF_SERVICE))
def test_self_service_routes_still_need_the_csrf_token(
    path: str, console: FastAPI, signed_in: Callable[[str], SignedIn]
) -> None:
    viewer = signed_in("viewer")
    answer = viewer.post(path, data={"password": "x"}, follow_redirects=False)
    assert answer.status_code == 403
