"""O2: two console instances on one PostgreSQL database share jobs — a job started in one shows, and resumes, in the
other. Each instance has its own app, accounts cache and job threads, as two processes behind a load balancer
would; they share only the database and the ConnectWise they point at."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI

from cwdesk.console.app import ConsoleSettings, create_app
from cwdesk.console.connections import Connections
from cwdesk.sandbox import Sandbox
from cwdesk.store import open_database
from tests.console.confirming import confirmed_bulk
from tests.console.conftest import PASSWORD, Browser, login_csrf


def test_this_folder_really_runs_on_postgresql(engine: sa.Engine, console: FastAPI) -> None:
    assert engine.dialect.name == "postgresql"
    assert console.state.engine.dialect.name == "postgresql"


def _signed_in(app: FastAPI, username: str) -> Browser:
    browser = Browser(app)
    browser.__enter__()
    token = login_csrf(browser)
    answer = browser.post(
        "/signin", data={"username": username, "password": PASSWORD, "csrf_token": token}, follow_redirects=False
    )
    assert answer.status_code == 303, answer.text
    browser.page("/")
    return browser


def _wait_for_state(browser: Browser, job_id: int, states: set[str], timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        jobs = {job["id"]: job for job in browser.get("/api/jobs").json()}
        if job_id in jobs and jobs[job_id]["state"] in states:
            return dict(jobs[job_id])
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} never reached {states}: {jobs.get(job_id)}")


@pytest.fixture
def two_consoles(postgres_database: str, console_sandbox: Sandbox) -> Iterator[tuple[FastAPI, FastAPI]]:
    engines = [open_database(postgres_database), open_database(postgres_database)]
    apps = [
        create_app(ConsoleSettings(connections=Connections.on_sandbox(console_sandbox), engine=engine))
        for engine in engines
    ]
    yield apps[0], apps[1]
    for engine in engines:
        engine.dispose()


def test_a_job_started_in_one_console_shows_and_resumes_in_the_other(
    two_consoles: tuple[FastAPI, FastAPI], console_sandbox: Sandbox
) -> None:
    first, second = two_consoles
    first.state.accounts.create_user("ops", "operator", PASSWORD)
    in_first, in_second = _signed_in(first, "ops"), _signed_in(second, "ops")  # one user, known to both
    # The first contact of company 1 fails for good this time: the bulk job ends partial.
    contacts = console_sandbox.db.execute(
        "SELECT id FROM mg_contact WHERE c_company_id = 1 AND c_inactiveflag = 0 ORDER BY id"
    ).fetchall()
    assert len(contacts) >= 2
    failing = int(contacts[0][0])
    console_sandbox.faults.fail_next(method="PATCH", path_contains=f"/company/contacts/{failing}", status=400, count=50)

    started = confirmed_bulk(
        in_first, {"company_ids": [1], "contact_filter": "active", "field": "inactiveFlag", "value": "true"}
    )
    assert started.status_code == 200, started.text
    job_id = int(started.json()["job_id"])

    seen = _wait_for_state(in_second, job_id, {"partial", "failed"})
    assert seen["kind"] == "bulk_contacts"
    assert str(job_id) in in_second.page(f"/jobs/{job_id}").text

    console_sandbox.faults.clear()
    resumed = in_second.change(f"/jobs/{job_id}/resume")
    assert resumed.status_code == 200, resumed.text

    assert _wait_for_state(in_first, job_id, {"succeeded"})["state"] == "succeeded"
    still_active = console_sandbox.db.execute(
        "SELECT count(*) FROM mg_contact WHERE c_company_id = 1 AND c_inactiveflag = 0"
    ).fetchone()[0]
    assert still_active == 0
    for browser in (in_first, in_second):
        browser.__exit__(None, None, None)


def test_a_session_opened_in_one_console_is_valid_in_the_other(two_consoles: tuple[FastAPI, FastAPI]) -> None:
    first, second = two_consoles
    first.state.accounts.create_user("viewer1", "viewer", PASSWORD)
    browser = _signed_in(first, "viewer1")
    cookies = dict(browser.cookies.items())
    with Browser(second, cookies=cookies) as other:
        assert other.get("/", headers={"accept": "text/html"}).status_code == 200
    browser.__exit__(None, None, None)
