"""``cwdesk automate groups list|add-client|remove-client``: membership through the client's computers, one write
per computer, a second run that writes nothing, and remove-client's confirmation."""

from __future__ import annotations

import json
import subprocess

import httpx
import pytest
from typer.testing import CliRunner

from cwdesk.cli import output
from cwdesk.cli.app import app
from cwdesk.sandbox import Sandbox
from cwdesk.sandbox.automate_api import SANDBOX_PASSWORD, SANDBOX_USER
from tests.cli.conftest import Standalone
from tests.workflows.automate_requests import automate_writes, client_id_of, client_without_computers

ACME = "Acme Dental Group"
ACME_GROUP = "Acme Dental Group - Imaging Workstations"
PILOT = "Patching - Pilot"


def in_group(sandbox: Sandbox, group: str, client: str) -> int:
    (count,) = sandbox.db.execute(
        "SELECT count(*) FROM cwa_group_computers gc JOIN cwa_groups g ON g.id = gc.group_id "
        "JOIN cwa_computers m ON m.id = gc.computer_id WHERE g.name = ? AND m.client_id = ?",
        (group, client_id_of(sandbox, client)),
    ).fetchone()
    return int(count)


def computers(sandbox: Sandbox, client: str) -> int:
    (count,) = sandbox.db.execute(
        "SELECT count(*) FROM cwa_computers WHERE client_id = ?", (client_id_of(sandbox, client),)
    ).fetchone()
    return int(count)


@pytest.fixture
def on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(output, "stdin_is_terminal", lambda: True)


def test_list_shows_scope_and_for_a_client_its_membership(runner: CliRunner, on_sandbox: Sandbox) -> None:
    every = {r["name"]: r for r in json.loads(runner.invoke(app, ["automate", "groups", "list", "-o", "json"]).stdout)}
    assert every[ACME_GROUP]["scope"] == "client" and every["Servers"]["scope"] == "global"
    assert "Delta Precision Manufacturing - Plant Floor" in every
    result = runner.invoke(app, ["automate", "groups", "list", ACME, "-o", "json"])
    mine = {r["name"]: r for r in json.loads(result.stdout)}
    assert "Delta Precision Manufacturing - Plant Floor" not in mine
    assert (mine[ACME_GROUP]["member"], mine[PILOT]["member"]) == ("yes", "no")


def test_add_client_writes_once_per_computer_and_again_is_already_a_member(
    runner: CliRunner, on_sandbox: Sandbox
) -> None:
    first = runner.invoke(app, ["automate", "groups", "add-client", PILOT, ACME])
    second = runner.invoke(app, ["automate", "groups", "add-client", PILOT, ACME, "-o", "json"])
    assert (first.exit_code, second.exit_code) == (0, 0), first.output
    assert automate_writes(on_sandbox) == ["POST /GroupComputers"] * computers(on_sandbox, ACME)
    assert in_group(on_sandbox, PILOT, ACME) == computers(on_sandbox, ACME)
    assert json.loads(second.stdout)["status"] == "already_member"


def test_add_client_dry_run_writes_nothing(runner: CliRunner, on_sandbox: Sandbox) -> None:
    result = runner.invoke(app, ["automate", "groups", "add-client", PILOT, ACME, "--dry-run"])
    assert result.exit_code == 0 and "Would put" in result.stdout
    assert automate_writes(on_sandbox) == []


def test_add_a_client_without_computers_exits_1(runner: CliRunner, on_sandbox: Sandbox) -> None:
    result = runner.invoke(app, ["automate", "groups", "add-client", PILOT, client_without_computers(on_sandbox)])
    assert result.exit_code == 1 and "has no computers" in result.stderr
    assert automate_writes(on_sandbox) == []


def test_add_to_another_clients_group_or_an_unknown_group_exits_2(runner: CliRunner, on_sandbox: Sandbox) -> None:
    other = runner.invoke(
        app, ["automate", "groups", "add-client", "Delta Precision Manufacturing - Plant Floor", ACME]
    )
    assert other.exit_code == 2 and "specific to" in other.stderr
    typo = runner.invoke(app, ["automate", "groups", "add-client", "Patching Pilot", ACME])
    assert typo.exit_code == 2 and "did you mean 'Patching - Pilot'" in typo.stderr
    assert automate_writes(on_sandbox) == []


def test_remove_client_without_a_terminal_and_without_yes_refuses_with_exit_2(
    runner: CliRunner, on_sandbox: Sandbox
) -> None:
    result = runner.invoke(app, ["automate", "groups", "remove-client", ACME_GROUP, ACME])
    assert result.exit_code == 2 and "Pass --yes" in result.stderr
    assert "Would take" in result.stderr and "computer" in result.stderr
    assert automate_writes(on_sandbox) == [] and in_group(on_sandbox, ACME_GROUP, ACME) == computers(on_sandbox, ACME)


def test_remove_client_on_a_terminal_asks_and_no_keeps_it(
    runner: CliRunner, on_sandbox: Sandbox, on_a_terminal: None
) -> None:
    result = runner.invoke(app, ["automate", "groups", "remove-client", ACME_GROUP, ACME], input="n\n")
    assert result.exit_code == 2 and f"Take {ACME!r} out of {ACME_GROUP!r}? [y/N]" in result.stderr
    assert automate_writes(on_sandbox) == []


def test_remove_client_with_yes_deletes_each_membership_once(runner: CliRunner, on_sandbox: Sandbox) -> None:
    count = in_group(on_sandbox, ACME_GROUP, ACME)
    result = runner.invoke(app, ["automate", "groups", "remove-client", ACME_GROUP, ACME, "--yes"])
    again = runner.invoke(app, ["automate", "groups", "remove-client", ACME_GROUP, ACME])
    assert (result.exit_code, again.exit_code) == (0, 0), result.output
    writes = automate_writes(on_sandbox)
    assert len(writes) == count and all(w.startswith("DELETE /GroupComputers/") for w in writes)
    assert in_group(on_sandbox, ACME_GROUP, ACME) == 0 and "is not in" in again.stdout


def test_remove_client_in_a_real_process_without_a_terminal_refuses(standalone: Standalone) -> None:
    env = {**standalone.env, "CWA_SERVER": standalone.base_url, "CWA_USERNAME": SANDBOX_USER,
           "CWA_PASSWORD": SANDBOX_PASSWORD, "CWA_CLIENTID": "3f1c2d9e-0000-4000-8000-000000000001"}  # fmt: skip
    completed = subprocess.run(
        [*standalone.command(), "automate", "groups", "remove-client", ACME_GROUP, ACME],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 2, completed.stderr
    assert "Pass --yes" in completed.stderr and "Would take" in completed.stderr
    log = httpx.get(standalone.base_url + "/_sandbox/requests", timeout=10).json()
    assert any(e["method"] == "GET" and e["path"].lower().endswith("/groupcomputers") for e in log)
    assert [e for e in log if e["method"] == "DELETE"] == []
