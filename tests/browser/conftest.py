"""Fixtures for driving the console in headless Chromium (Debian's /usr/bin/chromium; never a downloaded browser).

``console_server`` starts the console with uvicorn on a free loopback port, over a fresh demo sandbox and a fresh
database, and yields its address and the first-start sign-in link; it is stopped after the test. ``browser`` is one
headless Chromium per module; ``signed_in_page`` is a new page already signed in as admin by the link.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from cwdesk.console.app import ConsoleSettings, create_app
from cwdesk.console.connections import Connections
from cwdesk.sandbox import Sandbox
from cwdesk.store import open_database
from tests.loopback import free_port

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ADMIN_PASSWORD = "admin password 123"


@dataclass
class RunningConsole:
    base_url: str
    signin_link: str
    app: Any
    sandbox: Sandbox


def start_console(tmp_path: Path, seed: str | int = "demo") -> tuple[RunningConsole, uvicorn.Server, threading.Thread]:
    """The console on a fresh sandbox and database, served by uvicorn on a loopback port, in a thread."""
    sandbox = Sandbox(seed=seed)
    engine = open_database(f"sqlite:///{tmp_path / 'console.db'}")
    app = create_app(ConsoleSettings(connections=Connections.on_sandbox(sandbox), engine=engine))
    token = app.state.accounts.ensure_first_admin()
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, name="console-under-test", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the console did not start within 15 s")
        time.sleep(0.02)
    base = f"http://127.0.0.1:{port}"
    return RunningConsole(base, f"{base}/signin?token={token}", app, sandbox), server, thread


@pytest.fixture
def console_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[RunningConsole]:
    monkeypatch.setenv("CWDESK_HOME", str(tmp_path))
    running, server, thread = start_console(tmp_path)
    yield running
    server.should_exit = True
    thread.join(timeout=10)
    running.sandbox.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium); .ci/run does.")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def signed_in_page(page: Any, console_server: RunningConsole) -> Any:
    """A page signed in as admin by the first-start link (the admin's password set on the way)."""
    page.goto(console_server.signin_link)
    page.click("#signin-link-confirm")  # a link only asks; the button signs in (login CSRF, issue 14 item 5)
    page.wait_for_url("**/account")
    page.fill('input[name="password"]', ADMIN_PASSWORD)
    page.fill('input[name="confirm"]', ADMIN_PASSWORD)
    page.click('#password-form button[type="submit"]')
    page.wait_for_selector("#account-message")
    return page
