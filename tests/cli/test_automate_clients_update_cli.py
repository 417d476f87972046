"""``cwdesk automate clients update`` and ``clients edfs``: the diff, one PATCH, bad field names with their
did-you-mean, hostile client names, and table/json/csv output."""

from __future__ import annotations

import csv
import io
import json

from typer.testing import CliRunner

from cwdesk.cli.app import app
from cwdesk.sandbox import Sandbox
from tests.workflows.automate_requests import automate_writes, client_id_of

CEDAR = "Cedar & Finch Law"


def stored(sandbox: Sandbox, name: str) -> dict[str, object]:
    (data,) = sandbox.db.execute("SELECT data FROM cwa_clients WHERE id = ?", (client_id_of(sandbox, name),)).fetchone()
    loaded: dict[str, object] = json.loads(data)
    return loaded


def test_update_sets_phone_and_contact_email_in_one_patch(runner: CliRunner, on_sandbox: Sandbox) -> None:
    before = stored(on_sandbox, CEDAR)
    result = runner.invoke(app, ["automate", "clients", "update", CEDAR, "--set", "Phone=503-555-0100",
                                 "--set", "ContactEmail=desk@cedar.example"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert automate_writes(on_sandbox) == [f"PATCH /Clients/{client_id_of(on_sandbox, CEDAR)}"]
    after = stored(on_sandbox, CEDAR)
    assert (after["PhoneNumber"], after["NewTicketNotificationEmail"]) == ("503-555-0100", "desk@cedar.example")
    assert "Changed PhoneNumber, NewTicketNotificationEmail" in result.stderr
    assert str(before["PhoneNumber"]) in result.stdout and "503-555-0100" in result.stdout


def test_update_dry_run_prints_before_and_after_and_sends_nothing(runner: CliRunner, on_sandbox: Sandbox) -> None:
    before = stored(on_sandbox, CEDAR)
    result = runner.invoke(app, ["automate", "clients", "update", CEDAR, "--set", "City=Salem", "--dry-run",
                                 "-o", "csv"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert automate_writes(on_sandbox) == [] and stored(on_sandbox, CEDAR) == before
    assert list(csv.DictReader(io.StringIO(result.stdout))) == [
        {"field": "City", "before": str(before["City"]), "after": "Salem"}
    ]
    assert result.stderr.startswith("Dry run: Would change City")


def test_update_json_gives_the_whole_result(runner: CliRunner, on_sandbox: Sandbox) -> None:
    result = runner.invoke(app, ["automate", "clients", "update", CEDAR, "--set", "Comment=VIP", "-o", "json"])
    data = json.loads(result.stdout)
    assert result.exit_code == 0 and data["written"] is True and data["differing"] == []
    assert data["changes"] == [{"field": "Comment", "before": "No Automate agents: the firm's own IT staff look "
                                "after its PCs (a Block Hours client).", "after": "VIP", "changed": True}]  # fmt: skip


def test_update_with_a_misspelt_field_exits_2_with_did_you_mean_and_sends_nothing(
    runner: CliRunner, on_sandbox: Sandbox
) -> None:
    result = runner.invoke(app, ["automate", "clients", "update", CEDAR, "--set", "Phnoe=1", "--set", "Zip=97204"])
    assert result.exit_code == 2
    assert "did you mean 'PhoneNumber'?" in result.stderr and "nothing was sent" in result.stderr
    assert automate_writes(on_sandbox) == []


def test_update_needs_field_equals_value(runner: CliRunner, on_sandbox: Sandbox) -> None:
    result = runner.invoke(app, ["automate", "clients", "update", CEDAR, "--set", "PhoneNumber"])
    assert result.exit_code == 2 and "must be FIELD=VALUE" in result.stderr
    assert automate_writes(on_sandbox) == []
    missing = runner.invoke(app, ["automate", "clients", "update", CEDAR])
    assert missing.exit_code == 2 and "--set" in missing.stderr
    twice = runner.invoke(app, ["automate", "clients", "update", CEDAR, "--set", "City=A", "--set", "City=B"])
    assert twice.exit_code == 2 and "City is given twice" in twice.stderr
    assert automate_writes(on_sandbox) == []


def test_update_of_the_same_value_sends_nothing_and_says_so(runner: CliRunner, on_sandbox: Sandbox) -> None:
    city = stored(on_sandbox, CEDAR)["City"]
    result = runner.invoke(app, ["automate", "clients", "update", CEDAR, "--set", f"City={city}"])
    assert result.exit_code == 0 and "nothing to change" in result.stderr
    assert automate_writes(on_sandbox) == []


def test_update_of_a_hostile_client_name_is_refused_without_raw_control_characters(
    runner: CliRunner, on_sandbox: Sandbox
) -> None:
    for hostile in ("x'; DROP TABLE cwa_clients; --", 'Cedar" or Name like "%', "\x1b]0;owned\x07Cedar\x00"):
        result = runner.invoke(app, ["automate", "clients", "update", hostile, "--set", "City=Salem"])
        assert result.exit_code == 2, hostile
        assert not any(c in result.output for c in "\x1b\x00\x07"), repr(result.output)
    assert automate_writes(on_sandbox) == []
    assert on_sandbox.db.execute("SELECT count(*) FROM cwa_clients").fetchone()[0] == 6


def test_update_a_value_with_a_control_character_is_refused(runner: CliRunner, on_sandbox: Sandbox) -> None:
    result = runner.invoke(app, ["automate", "clients", "update", CEDAR, "--set", "City=Sa\x1b[2Jlem"])
    assert result.exit_code == 2 and "control character" in result.stderr and "\x1b" not in result.stderr
    assert automate_writes(on_sandbox) == []


def test_edfs_lists_text_dropdown_and_checkbox_fields(runner: CliRunner, on_sandbox: Sandbox) -> None:
    result = runner.invoke(app, ["automate", "clients", "edfs", "Acme Dental Group", "-o", "json"])
    assert result.exit_code == 0, result.output
    rows = {r["title"]: r for r in json.loads(result.stdout)}
    assert {r["type"] for r in rows.values()} == {"Text", "Dropdown", "Checkbox"}
    assert rows["SLA Level"]["options"] == ["Bronze", "Silver", "Gold", "Premium"]
    assert isinstance(rows["Backup Enabled"]["value"], bool)
    table = runner.invoke(app, ["automate", "clients", "edfs", "Acme Dental Group"])
    assert table.exit_code == 0 and "SLA Level" in table.stdout and "Dropdown" in table.stdout
    as_csv = list(
        csv.DictReader(io.StringIO(runner.invoke(app, ["automate", "clients", "edfs", "1", "-o", "csv"]).stdout))
    )
    assert {r["title"] for r in as_csv} == set(rows)
    assert automate_writes(on_sandbox) == []
