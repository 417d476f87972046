"""Fixtures for the console's tests: the app on a demo sandbox, and signed-in browsers by role.

``console`` is the ASGI app over a fresh demo sandbox and a fresh database in ``tmp_path``; ``sign_in(role)``
returns a ``TestClient`` signed in as a new user of that role, with ``.csrf`` holding the page's CSRF token.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from cwdesk.console.app import ConsoleSettings, create_app
from cwdesk.console.connections import Connections
from cwdesk.sandbox import Sandbox
from cwdesk.store import open_database

PASSWORD = "correct horse battery"
_CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]*)">')
_FORM_CSRF = re.compile(r'name="csrf_token" value="([^"]*)"')


class Browser(TestClient):
    """A TestClient that remembers the CSRF token of the last page it read."""

    csrf: str = ""

    def page(self, url: str, **kwargs: Any) -> Any:
        response = self.get(url, headers={"accept": "text/html"}, **kwargs)
        found = _CSRF_META.search(response.text)
        if found and found.group(1):
            self.csrf = found.group(1)
        return response

    def change(self, url: str, **kwargs: Any) -> Any:
        """A POST carrying the CSRF token as the header (as the page's script does)."""
        headers = {"x-csrf-token": self.csrf, "accept": "application/json", **kwargs.pop("headers", {})}
        return self.post(url, headers=headers, **kwargs)


def login_csrf(browser: TestClient) -> str:
    page = browser.get("/signin", headers={"accept": "text/html"})
    found = _FORM_CSRF.search(page.text)
    assert found, page.text
    return found.group(1)


_LINK_TOKEN = re.compile(r'name="token" value="([^"]*)"')


def use_signin_link(browser: Any, link: str, **kwargs: Any) -> Any:
    """Open a sign-in link as a person does: the link's page (it signs nobody in), then its confirm button (a POST
    with the page's login-CSRF token). Returns the POST's answer; without the page's form, the GET's answer."""
    page = browser.get(link, headers={"accept": "text/html"})
    form_csrf, token = _FORM_CSRF.search(page.text), _LINK_TOKEN.search(page.text)
    if page.status_code != 200 or not form_csrf or not token:
        return page
    base = link.split("/signin", 1)[0]
    data = {"csrf_token": form_csrf.group(1), "token": token.group(1)}
    return browser.post(f"{base}/signin/link", data=data, **kwargs)


@pytest.fixture
def console_sandbox() -> Iterator[Sandbox]:
    sb = Sandbox(seed="demo")
    yield sb
    sb.close()


@pytest.fixture
def console(console_sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FastAPI:
    monkeypatch.setenv("CWDESK_HOME", str(tmp_path))
    engine = open_database(f"sqlite:///{tmp_path / 'console.db'}")
    return create_app(ConsoleSettings(connections=Connections.on_sandbox(console_sandbox), engine=engine))


@pytest.fixture
def anonymous(console: FastAPI) -> Iterator[Browser]:
    with Browser(console) as browser:
        yield browser


@pytest.fixture
def sign_in(console: FastAPI) -> Iterator[Callable[[str], Browser]]:
    opened: list[Browser] = []

    def open_as(role: str) -> Browser:
        accounts = console.state.accounts
        username = f"{role}{len(opened)}"
        accounts.create_user(username, role, PASSWORD)
        browser = Browser(console)
        browser.__enter__()
        opened.append(browser)
        token = login_csrf(browser)
        answer = browser.post(
            "/signin", data={"username": username, "password": PASSWORD, "csrf_token": token}, follow_redirects=False
        )
        assert answer.status_code == 303, answer.text
        browser.page("/")
        assert browser.csrf
        return browser

    yield open_as
    for browser in opened:
        browser.__exit__(None, None, None)
