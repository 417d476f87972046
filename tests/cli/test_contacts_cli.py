"""``cwdesk contacts set-primary|repair-primaries|add|update`` against the sandbox."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cwdesk.cli import connection
from cwdesk.cli.app import app
from cwdesk.conditions import C
from cwdesk.manage.client import ManageClient
from cwdesk.sandbox import Sandbox
from cwdesk.workflows.validation import record_dict


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sandbox: Sandbox) -> Iterator[CliRunner]:
    monkeypatch.setenv("CWDESK_HOME", str(tmp_path))
    monkeypatch.delenv("CWDESK_DATABASE_URL", raising=False)
    with connection.use_sandbox(sandbox):
        yield CliRunner()


@pytest.fixture
def cw(sandbox: Sandbox) -> ManageClient:
    return ManageClient(**sandbox.manage_credentials, transport=sandbox.transport())


def contacts_of(cw: ManageClient, company_id: int) -> list[dict[str, Any]]:
    return [record_dict(c) for c in cw.contacts.list(where=C("company/id") == company_id, order_by="id asc")]


def test_set_primary_leaves_one_primary(runner: CliRunner, cw: ManageClient) -> None:
    contacts = contacts_of(cw, 1)
    new = next(c for c in contacts if not c.get("defaultFlag"))

    result = runner.invoke(app, ["contacts", "set-primary", str(new["id"]), "-q"])

    assert result.exit_code == 0, result.output
    assert [c["id"] for c in contacts_of(cw, 1) if c.get("defaultFlag")] == [new["id"]]


def test_repair_primaries_dry_run_lists_then_repairs(runner: CliRunner, cw: ManageClient) -> None:
    extra = next(c for c in contacts_of(cw, 2) if not c.get("defaultFlag"))
    cw.contacts.update(extra["id"], {"defaultFlag": True})

    dry = runner.invoke(app, ["contacts", "repair-primaries", "--dry-run", "-o", "json"])

    assert dry.exit_code == 0, dry.output
    assert [row["company_id"] for row in json.loads(dry.stdout)] == [2]
    assert sum(1 for c in contacts_of(cw, 2) if c.get("defaultFlag")) == 2

    fixed = runner.invoke(app, ["contacts", "repair-primaries", "-q"])

    assert fixed.exit_code == 0, fixed.output
    assert sum(1 for c in contacts_of(cw, 2) if c.get("defaultFlag")) == 1
    again = runner.invoke(app, ["contacts", "repair-primaries"])
    assert again.exit_code == 0 and "nothing to repair" in again.output


def test_add_and_update_contact_are_checked_first(runner: CliRunner, cw: ManageClient, sandbox: Sandbox) -> None:
    sandbox.clear_requests()
    bad = runner.invoke(app, ["contacts", "add", "1", "--first-name", "Ann", "--last-name", "Lee", "--email", "x@"])
    assert bad.exit_code == 2 and "not an email address" in bad.output
    assert [r for r in sandbox.requests if r.method != "GET"] == []

    added = runner.invoke(
        app,
        ["contacts", "add", "1", "--first-name", "Ann", "--last-name", "Lee", "--email", "ann@x.example", "-o", "json"],
    )
    assert added.exit_code == 0, added.output
    new_id = json.loads(added.stdout)["id"]
    duplicate = runner.invoke(app, ["contacts", "add", "1", "--first-name", "Ann", "--last-name", "Lee"])
    assert duplicate.exit_code == 2 and f"already contact {new_id}" in duplicate.output

    updated = runner.invoke(app, ["contacts", "update", str(new_id), "--title", "CFO", "--inactive", "-o", "json"])

    assert updated.exit_code == 0, updated.output
    record = record_dict(cw.contacts.get(new_id))
    assert record["title"] == "CFO" and record["inactiveFlag"] is True
