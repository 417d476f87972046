"""Each Automate write made from the command line is in the console's audit log, with the OS user and the
before -> after; a dry run or a write with nothing to do is not."""

from __future__ import annotations

from typer.testing import CliRunner

from cwdesk.cli.app import app
from cwdesk.cli.jobs import cli_user
from cwdesk.console.security import Accounts, AuditEntry
from cwdesk.sandbox import Sandbox
from cwdesk.store import open_database

CEDAR = "Cedar & Finch Law"
ACME = "Acme Dental Group"


def entries() -> list[AuditEntry]:
    engine = open_database()
    try:
        return Accounts(engine).audit_entries()
    finally:
        engine.dispose()


def test_client_update_is_audited_with_the_os_user_and_the_diff(runner: CliRunner, on_sandbox: Sandbox) -> None:
    result = runner.invoke(app, ["automate", "clients", "update", CEDAR, "--set", "Phone=503-555-0100"])
    assert result.exit_code == 0, result.output
    (entry,) = entries()
    assert (entry.username, entry.role, entry.action, entry.result) == (
        cli_user(), "cli", "automate client update", "ok")  # fmt: skip
    assert CEDAR in entry.target
    (change,) = entry.detail["changes"]
    assert (change["field"], change["after"]) == ("PhoneNumber", "503-555-0100") and change["before"]


def test_dry_runs_and_writes_with_nothing_to_do_are_not_audited(runner: CliRunner, on_sandbox: Sandbox) -> None:
    runner.invoke(app, ["automate", "clients", "update", CEDAR, "--set", "City=Salem", "--dry-run"])
    runner.invoke(app, ["automate", "groups", "add-client", "Patching - Pilot", ACME, "--dry-run"])
    runner.invoke(app, ["automate", "groups", "remove-client", "Patching - Pilot", ACME, "--yes"])  # not a member
    assert entries() == []


def test_location_and_group_writes_are_audited(runner: CliRunner, on_sandbox: Sandbox) -> None:
    assert runner.invoke(app, ["automate", "locations", "create", ACME, "Westshore", "--city", "Tampa"]).exit_code == 0
    assert (
        runner.invoke(app, ["automate", "locations", "update", ACME, "Westshore", "--set", "Zip=33609"]).exit_code == 0
    )
    assert runner.invoke(app, ["automate", "groups", "add-client", "Patching - Pilot", ACME]).exit_code == 0
    assert runner.invoke(app, ["automate", "groups", "remove-client", "Patching - Pilot", ACME, "--yes"]).exit_code == 0
    actions = [e.action for e in reversed(entries())]
    assert actions == ["automate location create", "automate location update", "automate group add client",
                       "automate group remove client"]  # fmt: skip
    assert all(e.result == "ok" and e.username == cli_user() for e in entries())
    added = next(e for e in entries() if e.action == "automate group add client")
    assert added.detail["status"] == "added" and added.detail["computers"]
