"""Nothing destructive in one unconfirmed keystroke: every delete / rollback shows what it will do, asks on a
terminal, goes on with --yes, and without a terminal and without --yes refuses with exit 2 and sends no DELETE.

``CliRunner`` gives the command a standard input that is not a terminal (as a cron job or a pipe has); the
terminal cases make ``output.stdin_is_terminal`` answer yes and type the answer on standard input.
"""

from __future__ import annotations

import json
import os
import pty
import subprocess
from pathlib import Path

import httpx
import pytest
import yaml
from typer.testing import CliRunner

from cwdesk.automate.client import AutomateClient
from cwdesk.cli import output
from cwdesk.cli.app import app
from cwdesk.sandbox import Sandbox
from tests.cli.conftest import Standalone

EMPTY_CLIENT = "Cedar & Finch Law"  # the demo's Automate client without computers


def deletes(sandbox: Sandbox) -> list[str]:
    return [entry.path for entry in sandbox.requests if entry.method == "DELETE"]


def writes(sandbox: Sandbox) -> list[str]:
    """Every request that changes data (signing in to Automate, a POST to /apitoken, changes nothing)."""
    return [f"{e.method} {e.path}" for e in sandbox.requests if e.method != "GET" and not e.path.endswith("/apitoken")]


def automate_client_names(sandbox: Sandbox) -> set[str]:
    cwa = AutomateClient(**sandbox.automate_credentials, transport=sandbox.transport())
    return {c.name or "" for c in cwa.clients.list()}


@pytest.fixture
def on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(output, "stdin_is_terminal", lambda: True)


# ------------------------------------------------------------------------------------ automate clients delete


def test_client_delete_without_a_terminal_and_without_yes_is_refused_and_sends_no_delete(
    runner: CliRunner, on_sandbox: Sandbox
) -> None:
    result = runner.invoke(app, ["automate", "clients", "delete", EMPTY_CLIENT])
    assert result.exit_code == 2, result.output
    assert f"Would delete client {EMPTY_CLIENT!r}" in result.stderr
    assert "--yes" in result.stderr and "nothing was changed" in result.stderr
    assert deletes(on_sandbox) == []
    assert EMPTY_CLIENT in automate_client_names(on_sandbox)


def test_client_delete_on_a_terminal_asks_and_a_no_keeps_the_client(
    runner: CliRunner, on_sandbox: Sandbox, on_a_terminal: None
) -> None:
    result = runner.invoke(app, ["automate", "clients", "delete", EMPTY_CLIENT], input="n\n")
    assert result.exit_code == 2, result.output
    assert f"Delete client {EMPTY_CLIENT!r}? [y/N]" in result.stderr
    assert deletes(on_sandbox) == [] and EMPTY_CLIENT in automate_client_names(on_sandbox)


def test_client_delete_on_a_terminal_with_a_yes_answer_deletes(
    runner: CliRunner, on_sandbox: Sandbox, on_a_terminal: None
) -> None:
    result = runner.invoke(app, ["automate", "clients", "delete", EMPTY_CLIENT], input="y\n")
    assert result.exit_code == 0, result.output
    assert len(deletes(on_sandbox)) == 1
    assert EMPTY_CLIENT not in automate_client_names(on_sandbox)


def test_client_delete_with_yes_deletes_without_asking(runner: CliRunner, on_sandbox: Sandbox) -> None:
    result = runner.invoke(app, ["automate", "clients", "delete", EMPTY_CLIENT, "--yes", "-o", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["deleted"] is True and "[y/N]" not in result.stderr
    assert EMPTY_CLIENT not in automate_client_names(on_sandbox)


def test_client_delete_that_moves_computers_lists_them_before_asking(runner: CliRunner, on_sandbox: Sandbox) -> None:
    owner, name, count = on_sandbox.db.execute(
        "SELECT c.id, c.name, count(m.id) FROM cwa_clients c JOIN cwa_computers m ON m.client_id = c.id "
        "GROUP BY c.id ORDER BY c.id"
    ).fetchone()
    computer = on_sandbox.db.execute("SELECT id FROM cwa_computers WHERE client_id = ?", (owner,)).fetchone()[0]
    result = runner.invoke(
        app, ["automate", "clients", "delete", name, "--move-computers-to", f"{EMPTY_CLIENT}/Main Office"]
    )
    assert result.exit_code == 2
    assert f"Would move {count} computer(s) to {EMPTY_CLIENT}/Main Office" in result.stderr
    assert f"  - computer {computer} '" in result.stderr
    assert writes(on_sandbox) == []  # no move, no delete


def test_client_delete_refused_for_computers_needs_no_confirmation(runner: CliRunner, on_sandbox: Sandbox) -> None:
    name = on_sandbox.db.execute(
        "SELECT name FROM cwa_clients WHERE id IN (SELECT client_id FROM cwa_computers) ORDER BY id"
    ).fetchone()[0]
    result = runner.invoke(app, ["automate", "clients", "delete", name])
    assert result.exit_code == 1 and "still has" in result.stderr and "[y/N]" not in result.stderr
    assert deletes(on_sandbox) == []


def test_a_hostile_client_name_is_shown_escaped_in_the_question(
    runner: CliRunner, on_sandbox: Sandbox, on_a_terminal: None
) -> None:
    hostile = "Evil\x1b]0;owned\x07 [bold]Corp[/bold]"
    cwa = AutomateClient(**on_sandbox.automate_credentials, transport=on_sandbox.transport())
    cwa.clients.create({"Name": hostile})
    client_id = next(c.id for c in cwa.clients.list() if c.name == hostile)
    result = runner.invoke(app, ["automate", "clients", "delete", str(client_id)], input="n\n")
    assert result.exit_code == 2
    assert "\x1b" not in result.stderr and "\x07" not in result.stderr
    assert "Evil\\x1b]0;owned\\x07 [bold]Corp[/bold]" in result.stderr
    assert hostile in automate_client_names(on_sandbox)


# ------------------------------------------------------------------------------------------------- delete-op


def test_delete_op_shows_the_record_and_without_yes_sends_no_delete(runner: CliRunner, on_sandbox: Sandbox) -> None:
    result = runner.invoke(app, ["delete-op", "deleteCompanyCompaniesById", "--param", "id=3"])
    assert result.exit_code == 2, result.output
    assert "DELETE /company/companies/3" in result.stderr
    assert "identifier 'CedarLaw'" in result.stderr and "name 'Cedar & Finch Law'" in result.stderr
    assert deletes(on_sandbox) == []


def test_delete_op_with_a_missing_path_parameter_fails_before_asking(runner: CliRunner, on_sandbox: Sandbox) -> None:
    result = runner.invoke(app, ["delete-op", "deleteCompanyCompaniesById"])
    assert result.exit_code == 2 and "--param id=" in result.stderr and "[y/N]" not in result.stderr
    assert on_sandbox.requests == []


def test_delete_op_with_yes_deletes(runner: CliRunner, on_sandbox: Sandbox) -> None:
    (client_id,) = on_sandbox.db.execute("SELECT id FROM cwa_clients WHERE name = ?", (EMPTY_CLIENT,)).fetchone()
    result = runner.invoke(app, ["delete-op", "Clients_DeleteClient", "--param", f"clientId={client_id}", "--yes"])
    assert result.exit_code == 0, result.output
    assert deletes(on_sandbox) == [f"/cwa/api/v1/Clients/{client_id}"]
    assert EMPTY_CLIENT not in automate_client_names(on_sandbox)


def test_delete_op_in_a_real_process_without_a_terminal_refuses(standalone: Standalone) -> None:
    completed = subprocess.run(
        [*standalone.command(), "delete-op", "deleteCompanyCompaniesById", "--param", "id=3"],
        env=standalone.env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 2, completed.stderr
    assert "Pass --yes" in completed.stderr
    log = httpx.get(standalone.base_url + "/_sandbox/requests", timeout=10).json()
    assert [e for e in log if e["method"] == "DELETE"] == []
    assert any(e["method"] == "GET" and e["path"].endswith("/company/companies/3") for e in log)


def _on_a_pseudo_terminal(standalone: Standalone, answer: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the real CLI with a pseudo-terminal as its standard input, and type ``answer`` into it."""
    master, slave = pty.openpty()
    try:
        process = subprocess.Popen(
            [*standalone.command(), *args],
            env=standalone.env,
            stdin=slave,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        os.close(slave)
        os.write(master, answer.encode() + b"\n")
        out, err = process.communicate(timeout=60)
    finally:
        os.close(master)
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


def _delete_requests(standalone: Standalone) -> list[str]:
    log = httpx.get(standalone.base_url + "/_sandbox/requests", timeout=10).json()
    return [e["path"] for e in log if e["method"] == "DELETE"]


def test_delete_op_on_a_real_terminal_asks_and_a_no_sends_nothing(standalone: Standalone) -> None:
    completed = _on_a_pseudo_terminal(standalone, "n", "delete-op", "deleteCompanyCompaniesById", "--param", "id=3")
    assert completed.returncode == 2, completed.stderr
    assert "Delete it? [y/N]" in completed.stderr and "name 'Cedar & Finch Law'" in completed.stderr
    assert _delete_requests(standalone) == []


def test_delete_op_on_a_real_terminal_with_a_yes_answer_sends_the_delete(standalone: Standalone) -> None:
    completed = _on_a_pseudo_terminal(standalone, "y", "delete-op", "deleteCompanyCompaniesById", "--param", "id=3")
    assert "Delete it? [y/N]" in completed.stderr
    assert [path.rsplit("/", 1)[1] for path in _delete_requests(standalone)] == ["3"]


# ------------------------------------------------------------------------------ jobs rollback, members, callbacks

PLAN = {
    "company": {"name": "Acme Corp", "identifier": "AcmeCorp", "address": {"city": "Chicago", "state": "IL"}},
    "contacts": [{"first_name": "Jane", "last_name": "Doe"}],
}


def test_jobs_rollback_without_yes_lists_what_it_deletes_and_refuses(
    runner: CliRunner, on_sandbox: Sandbox, tmp_path: Path
) -> None:
    plan_file = tmp_path / "plan.yaml"
    plan_file.write_text(yaml.safe_dump(PLAN), encoding="utf-8")
    onboarded = runner.invoke(app, ["onboard", str(plan_file), "--quiet", "--output", "json"])
    assert onboarded.exit_code == 0, onboarded.output
    job_id = json.loads(onboarded.stdout[onboarded.stdout.index("{") :])["id"]
    result = runner.invoke(app, ["jobs", "rollback", str(job_id)])
    assert result.exit_code == 2, result.output
    assert f"Rolling back job {job_id}, newest first:" in result.stderr
    assert "  deletes (" in result.stderr
    assert "    - Contact Jane Doe (primary) (id " in result.stderr
    assert "    - Company Acme Corp (AcmeCorp) (id " in result.stderr
    assert deletes(on_sandbox) == []
    shown = json.loads(runner.invoke(app, ["jobs", "show", str(job_id), "-o", "json"]).stdout)
    assert shown["state"] == "succeeded"


def test_jobs_rollback_of_a_bulk_job_asks_too_and_without_yes_changes_nothing(
    runner: CliRunner, on_sandbox: Sandbox
) -> None:
    ran = runner.invoke(app, ["bulk", "contacts", "--companies", "1", "--set", "inactiveFlag=true", "-q"])
    assert ran.exit_code == 0, ran.output
    job_id = json.loads(runner.invoke(app, ["jobs", "list", "-o", "json"]).stdout)[0]["id"]
    before = len(on_sandbox.requests)
    result = runner.invoke(app, ["jobs", "rollback", str(job_id)])
    assert result.exit_code == 2, result.output
    assert f"Rolling back job {job_id}, newest first:" in result.stderr
    assert "  puts back the value it replaced on (" in result.stderr
    assert [e for e in on_sandbox.requests[before:] if e.method != "GET"] == []
    shown = json.loads(runner.invoke(app, ["jobs", "show", str(job_id), "-o", "json"]).stdout)
    assert shown["state"] == "succeeded"


def test_members_deprovision_with_delete_asks_first_and_without_yes_changes_nothing(
    runner: CliRunner, on_sandbox: Sandbox
) -> None:
    result = runner.invoke(app, ["members", "deprovision", "readonly", "--delete"])
    assert result.exit_code == 2, result.output
    assert "Deprovisioning member readonly (Riley Auditor" in result.stderr
    assert "DELETE /system/members/" in result.stderr
    assert writes(on_sandbox) == []  # not even the deactivation


def test_members_deprovision_without_delete_does_not_ask(runner: CliRunner, on_sandbox: Sandbox) -> None:
    result = runner.invoke(app, ["members", "deprovision", "readonly"])
    assert result.exit_code == 0, result.output
    assert "[y/N]" not in result.stderr and deletes(on_sandbox) == []


def test_callbacks_remove_without_yes_refuses(runner: CliRunner, on_sandbox: Sandbox) -> None:
    registered = runner.invoke(
        app, ["callbacks", "register", "--type", "company", "--url", "https://hooks.example/cw", "-o", "json"]
    )
    assert registered.exit_code == 0, registered.output
    entry = json.loads(registered.stdout)[0]
    result = runner.invoke(app, ["callbacks", "remove", str(entry["id"])])
    assert result.exit_code == 2 and "https://hooks.example/cw" in result.stderr
    assert deletes(on_sandbox) == []
