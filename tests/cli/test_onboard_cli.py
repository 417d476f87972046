"""``cwdesk onboard``: dry run, bad plans (exit 2, nothing written), a real run, and a rerun that creates nothing."""

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

PLAN = {
    "company": {
        "name": "Acme Corp",
        "identifier": "AcmeCorp",
        "status": "Active",
        "type": "Client",
        "phone": "312-555-0100",
        "address": {"line1": "1 Main St", "city": "Chicago", "state": "IL", "zip": "60601"},
    },
    "site": {"name": "Main Office"},
    "contacts": [{"first_name": "Jane", "last_name": "Doe", "email": "jane@acme.example"}],
    "agreement": {"name": "Acme Managed Services", "type": "Managed Service", "start_date": "2026-12-01"},
    "ticket": {"board": "Service Desk"},
}


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sandbox: Sandbox) -> Iterator[CliRunner]:
    monkeypatch.setenv("CWDESK_HOME", str(tmp_path))
    monkeypatch.delenv("CWDESK_DATABASE_URL", raising=False)
    with connection.use_sandbox(sandbox):
        yield CliRunner()


def write_plan(tmp_path: Path, plan: dict[str, object]) -> Path:
    path = tmp_path / "plan.yaml"
    path.write_text(yaml.safe_dump(plan), encoding="utf-8")
    return path


def writes(sandbox: Sandbox) -> list[str]:
    return [r.method for r in sandbox.requests if r.method != "GET"]


def test_onboard_dry_run_prints_every_call_and_writes_nothing(
    runner: CliRunner, tmp_path: Path, sandbox: Sandbox
) -> None:
    sandbox.clear_requests()
    result = runner.invoke(app, ["onboard", str(write_plan(tmp_path, PLAN)), "--dry-run"])

    assert result.exit_code == 0, result.output
    assert "POST /company/companies " in result.output
    assert "POST /finance/agreements" in result.output and "POST /service/tickets" in result.output
    assert "Onboarding — Acme Corp" in result.output
    assert writes(sandbox) == []


def test_onboard_bad_plan_exits_2_listing_every_problem(runner: CliRunner, tmp_path: Path, sandbox: Sandbox) -> None:
    bad = json.loads(json.dumps(PLAN))
    bad["company"]["identifier"] = "Acme-Corp!"
    bad["contacts"][0]["email"] = "nope"
    sandbox.clear_requests()

    result = runner.invoke(app, ["onboard", str(write_plan(tmp_path, bad))])

    assert result.exit_code == 2
    assert "company.identifier" in result.output and "contacts[0].email" in result.output
    assert "nothing was sent to ConnectWise" in result.output
    assert writes(sandbox) == []


def test_onboard_runs_the_job_and_a_rerun_creates_nothing_new(runner: CliRunner, tmp_path: Path) -> None:
    plan_file = str(write_plan(tmp_path, PLAN))

    first = runner.invoke(app, ["onboard", plan_file, "--quiet", "--output", "json"])

    assert first.exit_code == 0, first.output
    summary = json.loads(first.stdout[first.stdout.index("{") :])
    assert summary["state"] == "succeeded" and summary["counts"]["ok"] == 6

    second = runner.invoke(app, ["onboard", plan_file, "--quiet"])

    assert second.exit_code == 0, second.output
    assert "Nothing new" in second.output
    assert "ok 0" in second.output and "skipped 6" in second.output
