"""``cwdesk automate clients ...`` on the in-process sandbox: output formats, exit codes, refusals."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from cwdesk.cli import connection
from cwdesk.cli.app import app
from cwdesk.sandbox import Sandbox


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sandbox: Sandbox) -> Iterator[CliRunner]:
    for name in ("CWA_SERVER", "CWA_USERNAME", "CWA_PASSWORD", "CWA_CLIENTID", "CWDESK_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CWDESK_HOME", str(tmp_path))
    with connection.use_sandbox(sandbox):
        yield CliRunner()


def run(runner: CliRunner, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["automate", "clients", *args])
    return result.exit_code, result.output


def test_find_json_gives_found_client_suggestions(runner: CliRunner) -> None:
    code, out = run(runner, "find", "acme dental group", "-o", "json")
    data = json.loads(out)
    assert code == 0 and data["found"] is True and data["client"]["name"] == "Acme Dental Group"
    code, out = run(runner, "find", "Law Firm That Does Not Exist", "-o", "json")
    assert code == 1 and json.loads(out) == {"found": False, "client": None, "suggestions": []}


def test_report_csv_has_every_client(runner: CliRunner, sandbox: Sandbox) -> None:
    code, out = run(runner, "report", "-o", "csv")
    lines = out.strip().splitlines()
    assert code == 0 and lines[0].startswith("id,name,contact,email,phone,city,computers")
    assert len(lines) - 1 == sandbox.db.execute("SELECT count(*) FROM cwa_clients").fetchone()[0]


def test_health_of_client_without_computers_says_so(runner: CliRunner, sandbox: Sandbox) -> None:
    empty = sandbox.db.execute(
        "SELECT name FROM cwa_clients WHERE id NOT IN (SELECT client_id FROM cwa_computers) ORDER BY id"
    ).fetchone()
    assert empty is not None, "the demo data has a client without computers"
    code, out = run(runner, "health", empty[0])
    assert code == 0 and "has no computers" in out
    code, out = run(runner, "health", empty[0], "-o", "json")
    assert json.loads(out)["health_percentage"] is None


def test_set_edf_partial_exits_3(runner: CliRunner) -> None:
    code, out = run(runner, "set-edf", "Acme Dental Group", "SLA Level=Gold", "Nope=1", "-o", "json")
    statuses = {r["field"]: r["status"] for r in json.loads(out)}
    assert code == 3 and statuses["Nope"] == "not_found" and statuses["SLA Level"] in ("updated", "unchanged")
    code, _ = run(runner, "set-edf", "Acme Dental Group", "no-equals-sign")
    assert code == 2


def test_delete_refuses_with_computer_list_then_moves(runner: CliRunner, sandbox: Sandbox) -> None:
    owner, name = sandbox.db.execute(
        "SELECT c.id, c.name FROM cwa_clients c WHERE c.id IN (SELECT client_id FROM cwa_computers) ORDER BY c.id"
    ).fetchone()
    other = sandbox.db.execute("SELECT name FROM cwa_clients WHERE id != ? ORDER BY id", (owner,)).fetchone()[0]
    code, out = run(runner, "delete", name, "-o", "json")
    data = json.loads(out)
    assert code == 1 and data["refused"] and data["computers"]
    code, out = run(runner, "delete", name, "--move-computers-to", f"{other}/Main Office", "--dry-run")
    assert code == 0 and "Would move" in out
    code, out = run(runner, "delete", name, "--move-computers-to", f"{other}/Main Office", "--yes", "-o", "json")
    assert code == 0 and json.loads(out)["deleted"] is True
    assert sandbox.db.execute("SELECT count(*) FROM cwa_clients WHERE id = ?", (owner,)).fetchone()[0] == 0


def test_onboard_plan_file_runs_as_a_job(runner: CliRunner, tmp_path: Path) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text(
        yaml.safe_dump(
            {"client": {"name": "Willow Creek Dental", "city": "Fargo"}, "extra_fields": {"SLA Level": "Gold"}}
        )
    )
    code, out = run(runner, "onboard", str(plan), "--dry-run")
    assert code == 0 and "create_client" in out
    code, out = run(runner, "onboard", str(plan), "-q", "-o", "json")
    assert code == 0 and json.loads(out[out.index("{") :])["state"] == "succeeded"
    code, out = run(runner, "find", "Willow Creek Dental", "-o", "json")
    assert json.loads(out)["found"] is True


def test_create_then_create_again_is_refused(runner: CliRunner) -> None:
    code, out = run(runner, "create", "Maple Street Clinic", "--city", "Tulsa", "-o", "json")
    assert code == 0 and json.loads(out)["location"]["name"] == "Main Office"
    code, _ = run(runner, "create", "maple street clinic")
    assert code == 2
