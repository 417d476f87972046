"""The issue's own onboarding example (W1), run through ``cwdesk onboard`` against the in-process sandbox.

The ticket priority "Priority 3 - Normal Response" is one of ConnectWise's stock priorities, read from
``/service/priorities`` before the first write; a misspelt one fails the check with a suggestion and writes nothing.
A step that fails says "Stopped at step ..." once.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cwdesk.cli import connection
from cwdesk.cli.app import app
from cwdesk.sandbox import Sandbox

# Copied verbatim from the issue (issue 4, "W1 Onboarding").
ISSUE_PLAN = """\
company: {name: Acme Corp, identifier: AcmeCorp, status: Active, type: Client, phone: "312-555-0100", website: https://acme.example,
          address: {line1: 1 Main St, city: Chicago, state: IL, zip: "60601", country: United States}}
site: {name: Main Office}            # optional; filled from the company address
contacts: [{first_name: Jane, last_name: Doe, title: CEO, email: jane@acme.example, phone: "312-555-0101"}]  # the first is primary
agreement: {name: Acme Managed Services, type: Managed Service, start_date: 2026-12-01, bill_amount: 1500}  # optional
ticket: {board: Service Desk, summary: "Onboarding — Acme Corp", priority: Priority 3 - Normal Response}        # optional
"""  # noqa: E501


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sandbox: Sandbox) -> Iterator[CliRunner]:
    monkeypatch.setenv("CWDESK_HOME", str(tmp_path))
    monkeypatch.delenv("CWDESK_DATABASE_URL", raising=False)
    with connection.use_sandbox(sandbox):
        yield CliRunner()


def plan_file(tmp_path: Path, text: str) -> str:
    path = tmp_path / "plan.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def writes(sandbox: Sandbox) -> list[str]:
    return [f"{r.method} {r.path}" for r in sandbox.requests if r.method != "GET"]


def rows(sandbox: Sandbox, table: str, where: str, *args: object) -> list[str]:
    return [row[0] for row in sandbox.db.execute(f"SELECT data FROM {table} WHERE {where}", args).fetchall()]


def test_the_issue_example_plan_onboards_all_five_records(runner: CliRunner, tmp_path: Path, sandbox: Sandbox) -> None:
    result = runner.invoke(app, ["onboard", plan_file(tmp_path, ISSUE_PLAN)])

    assert result.exit_code == 0, result.output
    assert "not checked" not in result.output
    (company,) = [json.loads(r) for r in rows(sandbox, "mg_company", "c_identifier = ?", "AcmeCorp")]
    assert company["name"] == "Acme Corp" and company["status"]["name"] == "Active"
    company_id = company["id"]
    (site,) = [json.loads(r) for r in rows(sandbox, "mg_site", "c_company_id = ?", company_id)]
    assert site["name"] == "Main Office" and site["city"] == "Chicago"
    (contact,) = [json.loads(r) for r in rows(sandbox, "mg_contact", "c_company_id = ?", company_id)]
    assert (contact["firstName"], contact["lastName"], contact["defaultFlag"]) == ("Jane", "Doe", True)
    (agreement,) = [json.loads(r) for r in rows(sandbox, "mg_agreement", "c_company_id = ?", company_id)]
    assert agreement["name"] == "Acme Managed Services" and agreement["type"]["name"] == "Managed Service"
    (ticket,) = [json.loads(r) for r in rows(sandbox, "mg_ticket", "c_company_id = ?", company_id)]
    assert ticket["summary"] == "Onboarding — Acme Corp" and ticket["board"]["name"] == "Service Desk"
    assert ticket["priority"]["name"] == "Priority 3 - Normal Response"
    (stock,) = [json.loads(r) for r in rows(sandbox, "mg_priority", "c_name = ?", "Priority 3 - Normal Response")]
    assert ticket["priority"]["id"] == stock["id"]


def test_a_misspelt_priority_fails_before_any_write_with_a_suggestion(
    runner: CliRunner, tmp_path: Path, sandbox: Sandbox
) -> None:
    misspelt = ISSUE_PLAN.replace("priority: Priority 3 - Normal Response", "priority: Priority 3 - Normal")
    assert misspelt != ISSUE_PLAN
    sandbox.clear_requests()

    result = runner.invoke(app, ["onboard", plan_file(tmp_path, misspelt)])

    assert result.exit_code == 2, result.output
    assert "ticket.priority" in result.output
    assert "Priority 3 - Normal Response" in result.output  # the did-you-mean suggestion
    assert writes(sandbox) == []
    assert rows(sandbox, "mg_company", "c_identifier = ?", "AcmeCorp") == []


def test_a_failed_step_says_stopped_at_step_once_on_stderr(runner: CliRunner, tmp_path: Path, sandbox: Sandbox) -> None:
    sandbox.faults.fail_next(method="POST", path_contains="/finance/agreements", status=500, count=1)

    result = runner.invoke(app, ["onboard", plan_file(tmp_path, ISSUE_PLAN)])

    assert result.exit_code == 1, result.output
    assert result.stderr.count("Stopped at step") == 1, result.stderr
    assert "Stopped at step" not in result.stdout


def test_jobs_list_fits_80_columns_without_splitting_short_cells(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert runner.invoke(app, ["onboard", plan_file(tmp_path, ISSUE_PLAN), "-q"]).exit_code == 0
    monkeypatch.setenv("COLUMNS", "80")

    listed = runner.invoke(app, ["jobs", "list"])

    assert listed.exit_code == 0, listed.output
    lines = listed.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    (row,) = [line for line in lines if "onboarding" in line]  # kind, state, steps and date on one line, whole
    assert "succeeded" in row and "6 ok" in row
    assert re.search(r"\b\d{4}-\d{2}-\d{2} \d{2}:\d{2}\b", row)
    assert "Onboard" in row  # the title takes what is left
