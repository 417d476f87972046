"""``companies update`` / ``contacts update --set``, ``automate clients find`` with one partial match, and help
that promises only commands that exist."""

from __future__ import annotations

import json
import re

import typer
from typer.testing import CliRunner

from cwdesk.automate.client import AutomateClient
from cwdesk.cli.app import app
from cwdesk.manage.client import ManageClient
from cwdesk.sandbox import Sandbox


def manage(sandbox: Sandbox) -> ManageClient:
    return ManageClient(**sandbox.manage_credentials, transport=sandbox.transport())


def patches(sandbox: Sandbox) -> list[str]:
    return [entry.path for entry in sandbox.requests if entry.method == "PATCH"]


# ---------------------------------------------------------------------------------------------- updates


def test_company_update_sets_phone_and_status_in_one_patch(runner: CliRunner, on_sandbox: Sandbox) -> None:
    result = runner.invoke(
        app, ["companies", "update", "1", "--set", "phoneNumber=813-555-0100", "--set", "status=inactive"]
    )
    assert result.exit_code == 0, result.output
    assert patches(on_sandbox) == ["/v4_6_release/apis/3.0/company/companies/1"]
    company = manage(on_sandbox).companies.get(1)
    assert company.phone_number == "813-555-0100"
    assert company.status is not None and company.status.name == "Inactive"
    assert "Updated company 1: 2 field(s)." in result.stderr


def test_company_update_dry_run_prints_the_json_patch_and_sends_nothing(runner: CliRunner, on_sandbox: Sandbox) -> None:
    statuses = {s.name: s.id for s in manage(on_sandbox).company_statuses.list()}
    result = runner.invoke(
        app,
        ["companies", "update", "1", "--set", "phoneNumber=8135550100", "--set", "status=Inactive", "--dry-run",
         "-o", "json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == [
        {"op": "replace", "path": "phoneNumber", "value": "8135550100"},
        {"op": "replace", "path": "status", "value": {"id": statuses["Inactive"]}},
    ]
    assert patches(on_sandbox) == [] and "nothing was sent" in result.stderr


def test_company_update_sends_only_what_differs(runner: CliRunner, on_sandbox: Sandbox) -> None:
    phone = manage(on_sandbox).companies.get(1).phone_number
    result = runner.invoke(app, ["companies", "update", "1", "--set", f"phoneNumber={phone}", "--set", "city=Orlando"])
    assert result.exit_code == 0, result.output
    patch = [e for e in on_sandbox.requests if e.method == "PATCH"]
    assert len(patch) == 1 and manage(on_sandbox).companies.get(1).city == "Orlando"
    assert "1 field(s)" in result.stderr


def test_company_update_with_bad_values_lists_every_problem_and_sends_nothing(
    runner: CliRunner, on_sandbox: Sandbox
) -> None:
    result = runner.invoke(
        app,
        ["companies", "update", "1", "--set", "phoneNumber=call me", "--set", "status=Actve", "--set", "nmae=X",
         "--set", "leadFlag=maybe", "--set", "numberOfEmployees=many", "--set", "types=Client", "--set", "id=4",
         "--set", "identifier="],
    )  # fmt: skip
    assert result.exit_code == 2
    for expected in (
        "phoneNumber: 'call me' is not a phone number",
        "status: 'Actve' is not a company status",
        "'Active'",
        "nmae: is not a field of a company (did you mean 'name'",
        "leadFlag: 'maybe' is not true or false",
        "numberOfEmployees: 'many' is not a whole number",
        "types: is a list",
        "id: cannot be set",
        "identifier: cannot be emptied",
    ):
        assert expected in result.stderr, expected
    assert [e for e in on_sandbox.requests if e.method != "GET"] == []


def test_contact_update_with_set_patches_title_and_relationship(runner: CliRunner, on_sandbox: Sandbox) -> None:
    result = runner.invoke(app, ["contacts", "update", "1", "--set", "title=Owner", "--set", "relationship=Owner"])
    assert result.exit_code == 0, result.output
    contact = manage(on_sandbox).contacts.get(1)
    assert contact.title == "Owner" and contact.relationship is not None and contact.relationship.name == "Owner"
    assert patches(on_sandbox) == ["/v4_6_release/apis/3.0/company/contacts/1"]


def test_contact_update_mixing_set_and_named_options_is_refused(runner: CliRunner, on_sandbox: Sandbox) -> None:
    result = runner.invoke(app, ["contacts", "update", "1", "--set", "title=Owner", "--first-name", "Ann"])
    assert result.exit_code == 2 and "not both" in result.stderr
    assert on_sandbox.requests == []


def test_contact_update_email_with_set_is_checked(runner: CliRunner, on_sandbox: Sandbox) -> None:
    result = runner.invoke(app, ["contacts", "update", "1", "--set", "firstName=", "--set", "inactiveFlag=yes",
                                 "--dry-run"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "firstName" in result.stdout and "inactiveFlag" in result.stdout and patches(on_sandbox) == []


# ------------------------------------------------------------------------------------------------- find


def test_find_with_one_client_containing_the_text_returns_it(runner: CliRunner, on_sandbox: Sandbox) -> None:
    result = runner.invoke(app, ["automate", "clients", "find", "Cedar", "-o", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["found"] is True and data["client"]["name"] == "Cedar & Finch Law"
    table = runner.invoke(app, ["automate", "clients", "find", "cedar"])
    assert table.exit_code == 0 and "Cedar & Finch Law" in table.stdout and "No exact match" not in table.stderr


def test_find_with_two_clients_containing_the_text_lists_both(runner: CliRunner, on_sandbox: Sandbox) -> None:
    cwa = AutomateClient(**on_sandbox.automate_credentials, transport=on_sandbox.transport())
    cwa.clients.create({"Name": "Cedar Ridge Dental"})
    result = runner.invoke(app, ["automate", "clients", "find", "Cedar", "-o", "json"])
    assert result.exit_code == 1
    names = {s["name"] for s in json.loads(result.stdout)["suggestions"]}
    assert names == {"Cedar & Finch Law", "Cedar Ridge Dental"}


def test_commands_that_act_on_a_client_still_need_its_whole_name(runner: CliRunner, on_sandbox: Sandbox) -> None:
    result = runner.invoke(app, ["automate", "clients", "delete", "Cedar", "--yes"])
    assert result.exit_code == 2 and "Cedar & Finch Law" in result.stderr
    assert [e for e in on_sandbox.requests if e.method == "DELETE"] == []


# ------------------------------------------------------------------------------------------------- help


def _command_paths() -> dict[str, object]:
    found: dict[str, object] = {}

    def walk(command: object, path: tuple[str, ...]) -> None:
        found[" ".join(path)] = command
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, (*path, name))

    walk(typer.main.get_command(app), ())
    return found


def test_automate_clients_help_lists_only_its_commands(runner: CliRunner) -> None:
    result = runner.invoke(app, ["automate", "clients", "--help"])
    assert result.exit_code == 0
    commands = result.output.split("\nCommands:\n", 1)[1]  # the "Commands:" lines of click's help
    shown = re.findall(r"^  ([a-z][a-z-]*) ", commands, re.MULTILINE)
    listed = set(_command_paths()) & {f"automate clients {c}" for c in shown}
    assert {p.rsplit(" ", 1)[1] for p in listed} == set(shown) == {"find", "report", "health", "set-edf", "create",
                                                                   "onboard", "delete", "update", "edfs"}  # fmt: skip


def test_help_shows_no_spec_codes_and_names_only_commands_that_exist(runner: CliRunner) -> None:
    paths = _command_paths()
    for path in paths:
        result = runner.invoke(app, [*path.split(), "--help"], env={"COLUMNS": "200"})
        assert result.exit_code == 0, path
        text = result.output
        assert not re.search(r"\(([CMWSLP]\d+([–-][CMWSLP]?\d+)?)(, [CMWSLP]\d+)*\)", text), (path, text)
        for named in re.findall(r"`cwdesk ([a-z][a-z -]*?)(?: [A-Z]|`| --| \[)", text):
            assert named.strip() in paths, (path, named)
