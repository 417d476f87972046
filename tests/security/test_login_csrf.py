"""Issue 14 item 5, login CSRF: a sign-in link only asks (an ``<img>`` cannot switch a victim's session), the
sign-in forms' token is tied to a secret of the console, and over HTTPS the cookies are ``__Host-`` and every POST's
``Origin`` is checked."""

from __future__ import annotations

import re
from collections.abc import Callable

from fastapi import FastAPI
from fastapi.testclient import TestClient

from cwdesk.console.security import Accounts
from tests.console.conftest import use_signin_link

from .conftest import PASSWORD, SignedIn

_FORM_CSRF = re.compile(r'name="csrf_token" value="([^"]*)"')


def test_opening_a_sign_in_link_signs_nobody_in_and_keeps_the_link_usable(console: FastAPI) -> None:
    accounts: Accounts = console.state.accounts
    accounts.create_user("attacker", "viewer", None)
    token = accounts.issue_signin_token("attacker")
    with TestClient(console) as victim:
        answer = victim.get(f"/signin?token={token}")  # what an <img src=...> on the attacker's page makes
        assert answer.status_code == 200
        assert "cwdesk_session" not in victim.cookies
        assert "signs you in as <strong>attacker</strong>" in answer.text
    assert accounts.signin_token_user(token) == "attacker"  # not used up by looking at it


def test_a_link_opened_while_signed_in_says_which_account_it_would_replace(
    console: FastAPI, signed_in: Callable[[str], SignedIn]
) -> None:
    victim = signed_in("admin")
    before = victim.cookies.get("cwdesk_session")
    accounts: Accounts = console.state.accounts
    accounts.create_user("attacker", "viewer", None)
    token = accounts.issue_signin_token("attacker")
    page = victim.get(f"/signin?token={token}", headers={"accept": "text/html"})
    assert "This browser is signed in as <strong>admin0</strong>" in page.text
    assert victim.cookies.get("cwdesk_session") == before
    assert accounts.session_principal(before) is not None  # still the victim's own session
    answer = use_signin_link(victim, f"/signin?token={token}", follow_redirects=False)
    assert answer.status_code == 303  # the person pressed the button: the switch is open, and the old session ends
    assert accounts.session_principal(before) is None


def test_a_cross_site_post_of_a_sign_in_link_is_refused(console: FastAPI) -> None:
    accounts: Accounts = console.state.accounts
    accounts.create_user("attacker", "viewer", None)
    token = accounts.issue_signin_token("attacker")
    with TestClient(console) as victim:  # no login-CSRF cookie: a form on another site cannot carry it
        answer = victim.post("/signin/link", data={"token": token, "csrf_token": "x"}, follow_redirects=False)
        assert answer.status_code == 403
        assert "cwdesk_session" not in victim.cookies
    assert accounts.signin_token_user(token) == "attacker"


def test_a_login_csrf_token_not_made_by_this_console_is_refused(console: FastAPI) -> None:
    console.state.accounts.create_user("someone", "viewer", PASSWORD)
    other_console = Accounts(console.state.engine)  # another process: another secret
    for forged in ("chosen-by-attacker", "nonce.0000", other_console.new_login_csrf()):
        with TestClient(console) as browser:
            browser.cookies.set("cwdesk_login_csrf", forged, path="/signin")
            answer = browser.post(
                "/signin",
                data={"username": "someone", "password": PASSWORD, "csrf_token": forged},
                follow_redirects=False,
            )
            assert answer.status_code == 403, forged
    assert console.state.accounts.login_csrf_valid(token := console.state.accounts.new_login_csrf(), token)


def _https_sign_in(browser: TestClient, username: str) -> None:
    form = browser.get("/signin", headers={"accept": "text/html"})
    token = _FORM_CSRF.search(form.text)
    assert token
    answer = browser.post(
        "/signin",
        data={"username": username, "password": PASSWORD, "csrf_token": token.group(1)},
        headers={"origin": "https://testserver"},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text


def test_over_https_the_cookies_are_host_prefixed(console: FastAPI) -> None:
    console.state.accounts.create_user("secure", "viewer", PASSWORD)
    with TestClient(console, base_url="https://testserver") as browser:
        form = browser.get("/signin", headers={"accept": "text/html"})
        login_cookie = form.headers["set-cookie"]
        assert login_cookie.startswith("__Host-cwdesk_login_csrf=")
        assert "Secure" in login_cookie and "Path=/;" in login_cookie + ";" and "Domain" not in login_cookie
        token = _FORM_CSRF.search(form.text)
        assert token
        answer = browser.post(
            "/signin",
            data={"username": "secure", "password": PASSWORD, "csrf_token": token.group(1)},
            follow_redirects=False,
        )
        cookies = answer.headers.get_list("set-cookie")
        session = next(c for c in cookies if c.startswith("__Host-cwdesk_session="))
        assert "Secure" in session and "Path=/" in session and "HttpOnly" in session
        assert browser.get("/", headers={"accept": "text/html"}).status_code == 200


def test_over_https_a_post_from_another_origin_is_refused(console: FastAPI) -> None:
    console.state.accounts.create_user("operator", "operator", PASSWORD)
    with TestClient(console, base_url="https://testserver") as browser:
        _https_sign_in(browser, "operator")
        page = browser.get("/", headers={"accept": "text/html"})
        csrf = re.search(r'<meta name="csrf-token" content="([^"]*)">', page.text)
        assert csrf
        for origin in ("https://evil.example", "null", "http://testserver"):
            answer = browser.post(
                "/signout", headers={"x-csrf-token": csrf.group(1), "origin": origin}, follow_redirects=False
            )
            assert answer.status_code == 403, origin
        own = browser.post(
            "/signout", headers={"x-csrf-token": csrf.group(1), "origin": "https://testserver"}, follow_redirects=False
        )
        assert own.status_code == 303


def test_over_https_a_sign_in_post_from_another_origin_is_refused(console: FastAPI) -> None:
    console.state.accounts.create_user("someone", "viewer", PASSWORD)
    with TestClient(console, base_url="https://testserver") as browser:
        form = browser.get("/signin", headers={"accept": "text/html"})
        token = _FORM_CSRF.search(form.text)
        assert token
        answer = browser.post(
            "/signin",
            data={"username": "someone", "password": PASSWORD, "csrf_token": token.group(1)},
            headers={"origin": "https://evil.example"},
            follow_redirects=False,
        )
        assert answer.status_code == 403
