"""The audit log (issue 15 §6): before → after values, changes made from the CLI with the OS user, and filters.

The console and the CLI write into the same table (``store.audit``); the CLI's hook is its clients' transport
(``cli.write_audit``), so every write any command sends is recorded as ``cli:<login name>``.
"""

from __future__ import annotations

import getpass
import os
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from typer.testing import CliRunner

from cwdesk.cli import connection
from cwdesk.cli.app import app as cli_app
from cwdesk.cli.write_audit import MASK, audit_write
from cwdesk.sandbox import Sandbox
from cwdesk.store import open_database
from cwdesk.store.audit import AuditFilter, audit_entries, record_audit
from tests.cli.conftest import ENV_PREFIXES
from tests.console.conftest import Browser, login_csrf

from .confirming import confirmed_form

_ROW = re.compile(r'<tr class="result-[a-z]+">(.*?)</tr>', re.S)


def rows(page: str) -> list[str]:
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip() for row in _ROW.findall(page)]


@pytest.fixture
def cli(sandbox: Sandbox, tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    """The CLI on the in-process ``sandbox``, its store in a fresh CWDESK_HOME, writes audited (the default)."""
    for name in list(os.environ):
        if name.startswith(ENV_PREFIXES):
            monkeypatch.delenv(name, raising=False)
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    monkeypatch.setenv("CWDESK_HOME", str(home))
    connection.audit_cli_writes(True)
    with connection.use_sandbox(sandbox):
        yield CliRunner()
    connection.audit_cli_writes(True)


def test_a_console_edit_is_audited_with_before_and_after(sign_in: Callable[[str], Browser]) -> None:
    operator = sign_in("operator")
    answer = operator.change(
        "/clients/1", data={"name": "Acme Dental Group", "phone": "813-555-0199", "status": "Active",
                            "website": "www.acmedental.example"},
    )  # fmt: skip
    assert answer.json()["message"] == "Saved: phone 8135550142 → 813-555-0199"
    assert answer.json()["changes"] == [{"field": "phone", "before": "8135550142", "after": "813-555-0199"}]
    page = operator.page("/audit").text
    (edit,) = [row for row in rows(page) if "edit company" in row]
    assert "phone : 8135550142 → 813-555-0199" in edit
    assert "company 1" in edit


def test_an_edit_that_changes_nothing_says_so(sign_in: Callable[[str], Browser]) -> None:
    operator = sign_in("operator")
    same = {"first_name": "Isaac", "last_name": "Ward", "title": "Front Desk Lead"}
    answer = operator.change("/contacts/1", data=same)
    assert answer.json()["ok"] is True
    assert answer.json()["message"].startswith("Nothing changed")


def test_a_contact_edit_names_each_changed_field(sign_in: Callable[[str], Browser]) -> None:
    operator = sign_in("operator")
    answer = operator.change(
        "/contacts/1",
        data={"first_name": "Isaac", "last_name": "Ward", "title": "Owner", "email": "isaac@acme.example"},
    )
    changes = {item["field"]: (item["before"], item["after"]) for item in answer.json()["changes"]}
    assert changes == {
        "title": ("Front Desk Lead", "Owner"),
        "email": ("isaac.ward70@acmedental.example", "isaac@acme.example"),
    }


def test_a_cli_change_is_audited_as_the_os_user(cli: CliRunner, sandbox: Sandbox) -> None:
    result = cli.invoke(cli_app, ["companies", "update", "1", "--set", "phoneNumber=813-555-0100"])
    assert result.exit_code == 0, result.output
    (entry,) = audit_entries(open_database())  # the CLI's store: the same CWDESK_HOME as the console's
    assert entry.username == f"cli:{getpass.getuser()}"
    assert entry.role == "cli"
    assert entry.action == "change company/companies"
    assert entry.target == "company/companies/1"
    assert entry.changes == [("phoneNumber", None, "813-555-0100")]
    assert entry.result == "ok"


def test_cli_changes_show_on_the_console_audit_page(cli: CliRunner, sandbox: Sandbox) -> None:
    from cwdesk.console.app import ConsoleSettings, create_app
    from cwdesk.console.connections import Connections

    assert cli.invoke(cli_app, ["companies", "update", "2", "--set", "phoneNumber=614-555-0101"]).exit_code == 0
    console = create_app(ConsoleSettings(connections=Connections.on_sandbox(sandbox), engine=open_database()))
    console.state.accounts.create_user("auditor", "operator", "correct horse battery")
    with Browser(console) as browser:
        token = login_csrf(browser)
        browser.post("/signin", data={"username": "auditor", "password": "correct horse battery", "csrf_token": token})
        page = browser.page(f"/audit?user=cli:{getpass.getuser()}").text
    (row,) = rows(page)
    assert f"cli:{getpass.getuser()}" in row and "phoneNumber : ? → 614-555-0101" in row


def test_a_refused_cli_write_is_audited_as_an_error(cli: CliRunner, sandbox: Sandbox) -> None:
    result = cli.invoke(cli_app, ["companies", "update", "999999", "--set", "phoneNumber=813-555-0100"])
    assert result.exit_code != 0
    entries = audit_entries(open_database())
    assert all(entry.result == "error" for entry in entries)


def test_the_console_and_worker_do_not_audit_as_the_cli(cli: CliRunner, sandbox: Sandbox) -> None:
    connection.audit_cli_writes(False)
    assert cli.invoke(cli_app, ["companies", "update", "1", "--set", "phoneNumber=813-555-0102"]).exit_code == 0
    assert audit_entries(open_database()) == []


def test_no_secret_and_no_other_api_reaches_the_audit_log(cli: CliRunner) -> None:
    engine = open_database()
    member = httpx.Request(
        "POST", "https://cw.example/v4_6_release/apis/3.0/system/members",
        json={"identifier": "jdoe", "password": "hunter2-secret", "privateKey": "abc"},
    )  # fmt: skip
    audit_write(member, httpx.Response(201, json={"id": 7}), username="cli:test")
    outside = httpx.Request("POST", "https://cwa.example/cwa/api/v1/apitoken", json={"Password": "p@ss"})
    audit_write(outside, httpx.Response(200, json={"AccessToken": "t"}), username="cli:test")  # not Manage's API
    read = httpx.Request("GET", "https://cw.example/v4_6_release/apis/3.0/company/companies")
    audit_write(read, httpx.Response(200, json=[]), username="cli:test")
    (entry,) = audit_entries(engine)
    assert entry.action == "create system/members" and entry.detail["id"] == 7
    assert dict((field, after) for field, _before, after in entry.changes) == {
        "identifier": "jdoe", "password": MASK, "privateKey": MASK,
    }  # fmt: skip
    assert "hunter2" not in str(entry.detail) and "p@ss" not in str(entry.detail)


def _at(day: int, hour: int) -> datetime:
    return datetime(2026, 11, day, hour, 0, tzinfo=UTC)


@pytest.fixture
def three_days(console: FastAPI) -> None:
    engine = console.state.engine
    for at, user, action in (
        (_at(10, 9), "ann", "edit company"),
        (_at(11, 23), "bob", "edit contact"),
        (_at(12, 0), "ann", "edit contact"),
    ):
        record_audit(engine, at=at, username=user, role="operator", action=action, target="company 1", result="ok")


def test_filters_by_user_action_and_day(three_days: None, sign_in: Callable[[str], Browser]) -> None:
    admin = sign_in("admin")
    only = [row for row in rows(admin.page("/audit?user=ann").text)]
    assert len(only) == 2 and all(" ann " in f" {row} " for row in only)
    assert len(rows(admin.page("/audit?action=edit+contact").text)) == 2
    assert len(rows(admin.page("/audit?user=ann&action=edit+contact").text)) == 1
    # Days are whole UTC days, both ends included.
    eleventh = rows(admin.page("/audit?since=2026-11-11&until=2026-11-11").text)
    assert len(eleventh) == 1 and "bob" in eleventh[0]
    assert len(rows(admin.page("/audit?since=2026-11-11").text)) >= 2
    assert len(rows(admin.page("/audit?until=2026-11-10").text)) == 1


def test_the_filters_are_offered_and_kept(three_days: None, sign_in: Callable[[str], Browser]) -> None:
    admin = sign_in("admin")
    page = admin.page("/audit?user=bob").text
    assert '<option value="bob" selected>bob</option>' in page
    assert 'value="edit contact"' in page and 'value="edit company"' in page  # every action the log holds


def test_a_bad_date_filter_is_refused_with_how_to_write_it(sign_in: Callable[[str], Browser]) -> None:
    admin = sign_in("admin")
    answer = admin.page("/audit?since=yesterday")
    assert answer.status_code == 400
    assert "write it as YYYY-MM-DD" in answer.text
    backwards = admin.page("/audit?since=2026-11-12&until=2026-11-10")
    assert backwards.status_code == 400 and "swap them" in backwards.text


def test_store_filter_reads_only_the_matching_rows(console: FastAPI, three_days: None) -> None:
    engine = console.state.engine
    found = audit_entries(engine, AuditFilter(username="ann", since=_at(11, 0)))
    assert [(e.username, e.action) for e in found] == [("ann", "edit contact")]


def test_a_role_change_is_audited_with_the_role_before_and_after(sign_in: Callable[[str], Browser]) -> None:
    admin = sign_in("admin")
    sign_in("viewer")  # the user "viewer1"
    # A role change asks first (issue 15 §2): the confirm page, then its button.
    page = confirmed_form(admin, "/users/viewer1/role", {"role": "operator"}).text
    assert "viewer1 is now operator (was viewer)." in page
    (change,) = [row for row in rows(admin.page("/audit?action=change+role").text)]
    assert "role : viewer → operator" in change


def test_a_company_target_links_to_its_client_page(sign_in: Callable[[str], Browser]) -> None:
    operator = sign_in("operator")
    operator.change("/clients/2", data={"name": "BrightPath Logistics", "phone": "614-555-0155"})
    assert '<a href="/clients/2">company 2</a>' in operator.page("/audit").text
