"""Issue 14, finding 3: changing your password needs the current one, ends your other sessions and gives this
browser a new session id (a stolen session can neither take the account over nor outlive the owner's change)."""

from __future__ import annotations

import re
from collections.abc import Callable

from fastapi import FastAPI
from fastapi.testclient import TestClient

from cwdesk.console.security import SESSION_COOKIE, Accounts
from tests.console.conftest import use_signin_link

from .conftest import PASSWORD, SignedIn

NEW_PASSWORD = "a brand new passphrase 42"
_FORM_CSRF = re.compile(r'name="csrf_token" value="([^"]*)"')


def _second_session(console: FastAPI, username: str) -> TestClient:
    other = TestClient(console)
    form = other.get("/signin", headers={"accept": "text/html"})
    token = _FORM_CSRF.search(form.text)
    assert token
    answer = other.post(
        "/signin", data={"username": username, "password": PASSWORD, "csrf_token": token.group(1)},
        follow_redirects=False,
    )  # fmt: skip
    assert answer.status_code == 303
    return other


def _change(browser: SignedIn, **fields: str) -> object:
    return browser.post(
        "/account/password",
        data={"csrf_token": browser.csrf, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD, **fields},
        headers={"accept": "text/html"},
    )


def test_a_password_change_without_the_current_password_is_refused(
    console: FastAPI, signed_in: Callable[[str], SignedIn]
) -> None:
    thief = signed_in("viewer")
    answer = _change(thief)
    assert answer.status_code == 400  # type: ignore[attr-defined]
    assert "current password" in answer.text  # type: ignore[attr-defined]
    wrong = _change(thief, current="not the password at all")
    assert wrong.status_code == 400  # type: ignore[attr-defined]
    # The password is unchanged: the old one still signs in.
    assert console.state.accounts.sign_in_with_password("viewer0", PASSWORD, client="check") is not None


def test_a_password_change_ends_the_other_sessions_and_rotates_this_one(
    console: FastAPI, signed_in: Callable[[str], SignedIn]
) -> None:
    owner = signed_in("operator")
    with _second_session(console, "operator0") as other:
        assert other.get("/account", headers={"accept": "application/json"}).status_code == 200
        old_cookie = owner.cookies.get(SESSION_COOKIE)
        answer = _change(owner, current=PASSWORD)
        assert answer.status_code == 200, answer.text  # type: ignore[attr-defined]
        assert "other sessions were signed out" in answer.text  # type: ignore[attr-defined]
        new_cookie = owner.cookies.get(SESSION_COOKIE)
        assert new_cookie and new_cookie != old_cookie
        # The other browser is signed out; the old id of this one is worth nothing; the new id works.
        assert other.get("/account", headers={"accept": "application/json"}).status_code == 401
        accounts = console.state.accounts
        assert accounts.session_principal(old_cookie) is None
        assert accounts.session_principal(new_cookie) is not None
        assert owner.get("/account", headers={"accept": "application/json"}).status_code == 200
        assert accounts.sign_in_with_password("operator0", NEW_PASSWORD, client="check") is not None


def test_a_user_signed_in_by_a_one_time_link_sets_a_first_password_without_a_current_one(console: FastAPI) -> None:
    accounts = console.state.accounts
    accounts.create_user("linky", "viewer", None)
    token = accounts.issue_signin_token("linky")
    with TestClient(console) as browser:
        use_signin_link(browser, f"/signin?token={token}", follow_redirects=False)
        page = browser.get("/account", headers={"accept": "text/html"})
        assert 'name="current"' not in page.text
        csrf = re.search(r'<meta name="csrf-token" content="([^"]*)">', page.text)
        assert csrf
        answer = browser.post(
            "/account/password",
            data={"csrf_token": csrf.group(1), "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
            headers={"accept": "text/html"},
        )
        assert answer.status_code == 200, answer.text
    assert accounts.sign_in_with_password("linky", NEW_PASSWORD, client="check") is not None


def test_guessing_the_current_password_through_a_stolen_session_is_throttled(
    console: FastAPI, signed_in: Callable[[str], SignedIn]
) -> None:
    thief = signed_in("viewer")
    for n in range(5):
        assert "current password is wrong" in _change(thief, current=f"guess number {n}").text  # type: ignore[attr-defined]
    # Now even the right current password waits: the guesser cannot tell when a guess was right.
    answer = _change(thief, current=PASSWORD)
    assert answer.status_code == 400 and "wait" in answer.text  # type: ignore[attr-defined]
    fresh = Accounts(console.state.engine)  # its own throttle: only the stored password is checked
    assert fresh.sign_in_with_password("viewer0", PASSWORD, client="check") is not None  # unchanged
