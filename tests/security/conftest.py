"""Fixtures of the security tests (R4 secrets scan, R5 route enumeration): the console on a demo sandbox with a
fresh database, and browsers signed in as a given role (sign-in by password, as people do)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from cwdesk.console.app import ConsoleSettings, create_app
from cwdesk.console.connections import Connections
from cwdesk.sandbox import Sandbox
from cwdesk.store import open_database

PASSWORD = "Tr0ub4dor&3-correct-horse"
_FORM_CSRF = re.compile(r'name="csrf_token" value="([^"]*)"')
_META_CSRF = re.compile(r'<meta name="csrf-token" content="([^"]*)">')


class SignedIn(TestClient):
    """A browser with a session; ``csrf`` is the token its pages carry."""

    csrf: str = ""


@pytest.fixture
def console_sandbox() -> Iterator[Sandbox]:
    sb = Sandbox(seed="demo")
    yield sb
    sb.close()


@pytest.fixture
def console(console_sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FastAPI:
    monkeypatch.setenv("CWDESK_HOME", str(tmp_path))
    monkeypatch.delenv("CWDESK_DATABASE_URL", raising=False)
    engine = open_database(f"sqlite:///{tmp_path / 'console.db'}")
    return create_app(ConsoleSettings(connections=Connections.on_sandbox(console_sandbox), engine=engine))


@pytest.fixture
def signed_in(console: FastAPI) -> Iterator[Callable[[str], SignedIn]]:
    opened: list[SignedIn] = []

    def open_as(role: str) -> SignedIn:
        username = f"{role}{len(opened)}"
        console.state.accounts.create_user(username, role, PASSWORD)
        browser = SignedIn(console)
        browser.__enter__()
        opened.append(browser)
        form = browser.get("/signin", headers={"accept": "text/html"})
        token = _FORM_CSRF.search(form.text)
        assert token, form.text
        answer = browser.post(
            "/signin",
            data={"username": username, "password": PASSWORD, "csrf_token": token.group(1)},
            follow_redirects=False,
        )
        assert answer.status_code == 303, answer.text
        page = browser.get("/", headers={"accept": "text/html"})
        meta = _META_CSRF.search(page.text)
        assert meta and meta.group(1), page.text[:500]
        browser.csrf = meta.group(1)
        return browser

    yield open_as
    for browser in opened:
        browser.__exit__(None, None, None)
