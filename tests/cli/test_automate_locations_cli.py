"""``cwdesk automate locations list|create|update``: output formats, one write each, dry runs and bad fields."""

from __future__ import annotations

import csv
import io
import json

from typer.testing import CliRunner

from cwdesk.cli.app import app
from cwdesk.sandbox import Sandbox
from tests.workflows.automate_requests import automate_writes, client_id_of

ACME = "Acme Dental Group"


def locations(sandbox: Sandbox, client: str) -> dict[str, dict[str, object]]:
    rows = sandbox.db.execute(
        "SELECT name, data FROM cwa_locations WHERE client_id = ?", (client_id_of(sandbox, client),)
    )
    return {name: json.loads(data) for name, data in rows}


def test_list_gives_each_location_with_its_computer_count(runner: CliRunner, on_sandbox: Sandbox) -> None:
    result = runner.invoke(app, ["automate", "locations", "list", ACME, "-o", "csv"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert {r["name"] for r in rows} == set(locations(on_sandbox, ACME))
    (total,) = on_sandbox.db.execute(
        "SELECT count(*) FROM cwa_computers WHERE client_id = ?", (client_id_of(on_sandbox, ACME),)
    ).fetchone()
    assert sum(int(r["computers"]) for r in rows) == total
    table = runner.invoke(app, ["automate", "locations", "list", ACME])
    assert "Main Office" in table.stdout and "location(s)" in table.stdout


def test_create_posts_once_and_a_second_create_writes_nothing(runner: CliRunner, on_sandbox: Sandbox) -> None:
    args = ["automate", "locations", "create", ACME, "Westshore", "--address", "4100 W Kennedy Blvd",
            "--city", "Tampa", "--state", "FL", "--zip", "33609", "--set", "Comments=Opened 2025"]  # fmt: skip
    first = runner.invoke(app, args)
    second = runner.invoke(app, [*args, "-o", "json"])
    assert (first.exit_code, second.exit_code) == (0, 0), first.output + second.output
    assert automate_writes(on_sandbox) == ["POST /Locations"]
    made = locations(on_sandbox, ACME)["Westshore"]
    assert (made["Address1"], made["City"], made["ZipCode"], made["Comments"]) == (
        "4100 W Kennedy Blvd", "Tampa", "33609", "Opened 2025")  # fmt: skip
    assert json.loads(second.stdout)["status"] == "exists"


def test_create_dry_run_sends_nothing(runner: CliRunner, on_sandbox: Sandbox) -> None:
    result = runner.invoke(app, ["automate", "locations", "create", ACME, "Westshore", "--city", "Tampa", "--dry-run"])
    assert result.exit_code == 0 and "Dry run: Would create location 'Westshore'" in result.stderr
    assert automate_writes(on_sandbox) == [] and "Westshore" not in locations(on_sandbox, ACME)


def test_create_with_a_bad_field_suggests_and_sends_nothing(runner: CliRunner, on_sandbox: Sandbox) -> None:
    result = runner.invoke(app, ["automate", "locations", "create", ACME, "Westshore", "--set", "Adress1=4100 W"])
    assert result.exit_code == 2 and "did you mean 'Address1'" in result.stderr
    assert automate_writes(on_sandbox) == []


def test_update_patches_once_and_shows_before_and_after(runner: CliRunner, on_sandbox: Sandbox) -> None:
    before = locations(on_sandbox, ACME)["Main Office"]
    result = runner.invoke(app, ["automate", "locations", "update", ACME, "main office", "--set", "Phone=813-555-0111",
                                 "-o", "json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    (main_id,) = on_sandbox.db.execute(
        "SELECT id FROM cwa_locations WHERE client_id = ? AND name = 'Main Office'", (client_id_of(on_sandbox, ACME),)
    ).fetchone()
    assert automate_writes(on_sandbox) == [f"PATCH /Locations/{main_id}"]
    change = json.loads(result.stdout)["changes"][0]
    assert change == {"field": "PhoneNumber", "before": before["PhoneNumber"], "after": "813-555-0111", "changed": True}


def test_update_of_an_unknown_location_lists_the_clients_locations(runner: CliRunner, on_sandbox: Sandbox) -> None:
    result = runner.invoke(app, ["automate", "locations", "update", ACME, "Head Office", "--set", "City=Tampa"])
    assert result.exit_code == 2 and "its locations:" in result.stderr and "'Main Office'" in result.stderr
    assert automate_writes(on_sandbox) == []
