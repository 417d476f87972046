"""W4 from the shell: cwdesk members provision|deprovision|sync|export."""

from __future__ import annotations

import csv
import io
import json

from typer.testing import CliRunner

from cwdesk.cli.app import app
from cwdesk.manage.client import ManageClient
from cwdesk.sandbox import Sandbox

PROVISION = [
    "members",
    "provision",
    "bjones",
    "--first-name",
    "Bob",
    "--last-name",
    "Jones",
    "--email",
    "bob@example.com",
    "--role",
    "Technician",
    "--hire-date",
    "2026-03-02",
]


def writes(sandbox: Sandbox) -> list[str]:
    return [r.method for r in sandbox.requests if r.method in ("POST", "PATCH", "PUT", "DELETE")]


def member(sandbox: Sandbox, identifier: str) -> object:
    with ManageClient(**sandbox.manage_credentials, transport=sandbox.transport()) as cw:
        return cw.members.first(where=f"identifier = '{identifier}'")


def test_provision_dry_run_prints_the_call_and_sends_nothing(runner: CliRunner, on_sandbox: Sandbox) -> None:
    result = runner.invoke(app, [*PROVISION, "--dry-run"])
    assert result.exit_code == 0
    assert "POST /system/members (bjones)" in result.stdout
    assert writes(on_sandbox) == []


def test_provision_creates_the_member_as_a_job(runner: CliRunner, on_sandbox: Sandbox) -> None:
    result = runner.invoke(app, [*PROVISION, "--output", "json"])
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["kind"] == "members.provision" and summary["state"] == "succeeded"
    assert member(on_sandbox, "bjones") is not None
    shown = runner.invoke(app, ["jobs", "show", str(summary["id"]), "--output", "json"])
    assert shown.exit_code == 0


def test_bad_input_exits_2_listing_every_problem_and_writes_nothing(runner: CliRunner, on_sandbox: Sandbox) -> None:
    args = [a if a != "bjones" else "far-too-long-identifier" for a in PROVISION]
    args = [a if a != "bob@example.com" else "bob-at-example" for a in args]
    result = runner.invoke(app, [*args, "--hire-date", "03/02/2026"])
    assert result.exit_code == 2
    assert "at most 15" in result.stderr
    assert "not an email" in result.stderr
    assert writes(on_sandbox) == []


def test_deprovision_deactivates(runner: CliRunner, on_sandbox: Sandbox) -> None:
    result = runner.invoke(app, ["members", "deprovision", "akhan"])
    assert result.exit_code == 0, result.stderr
    found = member(on_sandbox, "akhan")
    assert found is not None and found.inactive_flag is True  # type: ignore[attr-defined]


def test_deprovision_of_an_unknown_member_exits_2(runner: CliRunner, on_sandbox: Sandbox) -> None:
    result = runner.invoke(app, ["members", "deprovision", "nobody"])
    assert result.exit_code == 2
    assert "nobody" in result.stderr


def test_export_writes_csv_with_a_header(runner: CliRunner, on_sandbox: Sandbox) -> None:
    result = runner.invoke(app, ["members", "export"])
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert rows and rows[0]["identifier"]
    assert "securityRole" in rows[0]
    as_json = runner.invoke(app, ["members", "export", "--output", "json"])
    assert len(json.loads(as_json.stdout)) == len(rows)


def test_members_sync_is_full_then_incremental(runner: CliRunner, on_sandbox: Sandbox) -> None:
    first = runner.invoke(app, ["members", "sync", "--output", "json"])
    second = runner.invoke(app, ["members", "sync", "--output", "json"])
    assert first.exit_code == second.exit_code == 0
    (one,) = json.loads(first.stdout)
    (two,) = json.loads(second.stdout)
    assert (one["mode"], two["mode"]) == ("full", "incremental")
    assert one["created"] > 0
    assert two["created"] == two["updated"] == 0
