"""Issue 14 items 7 and 8: the console bounds what a request may carry (body, values, company ids, nesting), answers
with a clear 400/413 instead of a 500, and never loses an audit row to a long path or a NUL byte — on SQLite and on
PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi import FastAPI

from cwdesk.console.app import ConsoleSettings, create_app
from cwdesk.console.connections import Connections
from cwdesk.console.routes.bulk import MAX_COMPANY_IDS
from cwdesk.console.security import MAX_LIST_ITEMS, MAX_REQUEST_BYTES, MAX_VALUE_CHARS, Accounts
from cwdesk.sandbox import Sandbox
from cwdesk.store import open_database
from tests.security.conftest import SignedIn
from tests.store.conftest import postgres_url  # noqa: F401  (the session's PostgreSQL server)


def post_json(browser: SignedIn, path: str, body: bytes | str) -> tuple[int, dict[str, object]]:
    answer = browser.post(
        path, content=body, headers={"content-type": "application/json", "x-csrf-token": browser.csrf}
    )
    return answer.status_code, answer.json()


def nested(depth: int) -> str:
    return '{"plan": ' + "[" * depth + "]" * depth + "}"


@pytest.mark.parametrize("path", ["/bulk", "/onboarding", "/onboarding/review"])
@pytest.mark.parametrize("depth", [50, 100_000])
def test_deeply_nested_json_answers_400_with_a_clear_message(
    signed_in: Callable[[str], SignedIn], path: str, depth: int
) -> None:
    status, answer = post_json(signed_in("operator"), path, nested(depth))
    assert status == 400
    assert "deeper than" in str(answer["message"])


@pytest.mark.parametrize("path", ["/bulk", "/onboarding"])
def test_a_request_body_over_the_limit_answers_413_before_any_work(
    signed_in: Callable[[str], SignedIn], path: str, console: FastAPI
) -> None:
    browser = signed_in("operator")
    body = '{"value": "' + "x" * (MAX_REQUEST_BYTES + 10) + '"}'
    status, answer = post_json(browser, path, body)
    assert status == 413
    assert "larger than the console accepts" in str(answer["message"])
    assert console.state.engine.connect().execute(sa.text("select count(*) from jobs")).scalar() == 0


def test_a_huge_bulk_value_is_refused_and_no_job_is_stored(
    signed_in: Callable[[str], SignedIn], console: FastAPI
) -> None:
    browser = signed_in("operator")
    body = {"company_ids": [1], "field": "title", "value": "x" * (MAX_VALUE_CHARS + 1)}
    answer = browser.post("/bulk", json=body, headers={"x-csrf-token": browser.csrf})
    assert answer.status_code == 400
    assert "at most 2,000" in answer.json()["errors"]["value"]
    with console.state.engine.connect() as conn:
        assert conn.execute(sa.text("select count(*) from jobs")).scalar() == 0


def test_too_many_company_ids_are_refused_quickly(signed_in: Callable[[str], SignedIn]) -> None:
    browser = signed_in("operator")
    body = {"company_ids": list(range(1, MAX_COMPANY_IDS + 2)), "field": "title", "value": "CTO"}
    answer = browser.post("/bulk", json=body, headers={"x-csrf-token": browser.csrf})
    assert answer.status_code == 400
    assert "at most 5,000" in answer.json()["message"]
    assert "company_ids" in answer.json()["errors"]


def test_an_onboarding_plan_with_an_overlong_value_or_list_is_refused(signed_in: Callable[[str], SignedIn]) -> None:
    browser = signed_in("operator")
    long_name = {"plan": {"company": {"name": "x" * (MAX_VALUE_CHARS + 1), "identifier": "X"}}}
    answer = browser.post("/onboarding", json=long_name, headers={"x-csrf-token": browser.csrf})
    assert answer.status_code == 400
    assert answer.json()["errors"] == {"company.name": answer.json()["message"]}
    many = {"plan": {"company": {"name": "Acme"}, "contacts": [{"first_name": "A"}] * (MAX_LIST_ITEMS + 1)}}
    answer = browser.post("/onboarding/review", json=many, headers={"x-csrf-token": browser.csrf})
    assert answer.status_code == 400
    assert "contacts has 501 items" in answer.json()["message"]


# The audit log on both databases -----------------------------------------------------------------------------
@pytest.fixture(params=["sqlite", "postgresql"])
def any_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sa.Engine]:
    """The app's database on SQLite, then on a fresh database of the session's PostgreSQL server
    (``tests/store/conftest.py``'s ``postgres_url``: ``CWDESK_TEST_POSTGRES_URL`` or a throwaway server)."""
    if request.param == "sqlite":
        engine = open_database(f"sqlite:///{tmp_path / 'audit.db'}")
        yield engine
        engine.dispose()
        return
    server: str = request.getfixturevalue("postgres_url")
    name = f"cwdesk_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine = open_database(server.rsplit("/", 1)[0] + f"/{name}")
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


def test_an_audit_entry_with_long_texts_and_nul_bytes_is_written_cut_to_size(any_engine: sa.Engine) -> None:
    accounts = Accounts(any_engine)
    accounts.record(
        username="u" * 100,
        role="operator",
        action="POST /users/" + "a" * 300 + "\x00/role",
        target="t\x00" * 400,
        detail={"value": "v\x00" * 20_000},
        result="refused",
        message="m\x00" * 5_000,
    )
    (entry,) = accounts.audit_entries()
    assert len(entry.username) == 64 and len(entry.action) == 64 and len(entry.target) == 255
    assert "\x00" not in entry.action + entry.target + entry.message
    assert len(entry.message) == 2_000
    assert "truncated" in entry.detail


def test_a_refused_post_to_a_long_path_with_a_nul_byte_is_audited_not_a_500(
    any_engine: sa.Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CWDESK_HOME", str(tmp_path))
    sandbox = Sandbox(seed="demo")
    try:
        app = create_app(ConsoleSettings(connections=Connections.on_sandbox(sandbox), engine=any_engine))
        app.state.accounts.create_user("oper", "operator", "Tr0ub4dor&3-correct-horse")
        session = app.state.accounts.sign_in_with_password("oper", "Tr0ub4dor&3-correct-horse")
        with SignedIn(app) as browser:
            browser.cookies.set("cwdesk_session", session)
            answer = browser.post("/users/" + "a" * 300 + "%00/role", data={"role": "admin"})
        assert answer.status_code == 403  # no CSRF token: refused, and the refusal is in the audit log
        entries = app.state.accounts.audit_entries()
        assert entries[0].result == "refused"
        assert entries[0].action.startswith("POST /users/aaa")
    finally:
        sandbox.close()
