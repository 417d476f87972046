"""``cwdesk automate computers list [CLIENT] [--offline] [--os TEXT]`` and control characters from Automate data."""

from __future__ import annotations

import csv
import io
import json

from typer.testing import CliRunner

from cwdesk.automate import AutomateClient
from cwdesk.cli.app import app
from cwdesk.sandbox import Sandbox
from tests.workflows.automate_requests import client_id_of

ACME = "Acme Dental Group"


def test_list_of_one_client_as_json_has_status_last_contact_location_os(runner: CliRunner, on_sandbox: Sandbox) -> None:
    result = runner.invoke(app, ["automate", "computers", "list", ACME, "-o", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    (total,) = on_sandbox.db.execute(
        "SELECT count(*) FROM cwa_computers WHERE client_id = ?", (client_id_of(on_sandbox, ACME),)
    ).fetchone()
    assert len(rows) == total and {r["client"] for r in rows} == {ACME}
    assert {r["status"] for r in rows} <= {"online", "offline"}
    assert all(r["last_contact"] and r["location"] and r["os"] for r in rows)


def test_offline_and_os_filters(runner: CliRunner, on_sandbox: Sandbox) -> None:
    offline = list(csv.DictReader(io.StringIO(runner.invoke(app, ["automate", "computers", "list", "--offline",
                                                                   "-o", "csv"]).stdout)))  # fmt: skip
    (expected,) = on_sandbox.db.execute("SELECT count(*) FROM cwa_computers WHERE online = 0").fetchone()
    assert len(offline) == expected > 0 and {r["status"] for r in offline} == {"offline"}
    macs = json.loads(runner.invoke(app, ["automate", "computers", "list", "--os", "macos", "-o", "json"]).stdout)
    assert macs and all("macos" in r["os"].lower() for r in macs)


def test_table_at_80_columns_keeps_name_status_and_last_contact(runner: CliRunner, on_sandbox: Sandbox) -> None:
    result = runner.invoke(app, ["automate", "computers", "list"], env={"COLUMNS": "80"})
    assert result.exit_code == 0
    header = next(line for line in result.stdout.splitlines() if line.startswith("name"))
    assert header.split() == ["name", "client", "status", "last_contact"]
    assert all(len(line) <= 80 for line in result.stdout.splitlines())


def test_unknown_client_exits_2(runner: CliRunner, on_sandbox: Sandbox) -> None:
    result = runner.invoke(app, ["automate", "computers", "list", "Nobody Inc"])
    assert result.exit_code == 2 and "Nobody Inc" in result.stderr


def test_control_characters_in_automate_names_never_reach_the_terminal_raw(
    runner: CliRunner, on_sandbox: Sandbox
) -> None:
    hostile = "Evil\x1b[2J\x00 Corp'; DROP TABLE x; --"
    with AutomateClient(**on_sandbox.automate_credentials, transport=on_sandbox.transport()) as cwa:
        client = cwa.clients.create({"Name": hostile})
        cwa.locations.create({"Name": "HQ\x1b]0;t\x07", "Client": {"Id": client.id}})
    for args in (
        ["automate", "clients", "report"],
        ["automate", "locations", "list", str(client.id)],
        ["automate", "groups", "list", str(client.id)],
        ["automate", "clients", "edfs", str(client.id)],
    ):
        for fmt in ("table", "csv", "json"):
            result = runner.invoke(app, [*args, "-o", fmt])
            assert result.exit_code == 0, (args, result.output)
            assert not any(c in result.output for c in "\x1b\x00\x07"), (args, fmt, repr(result.output))
