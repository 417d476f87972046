"""``cwdesk jobs list|show|resume|cancel|rollback`` over jobs made by real workflows against the sandbox."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from cwdesk.cli import connection
from cwdesk.cli.app import app
from cwdesk.conditions import C
from cwdesk.manage.client import ManageClient
from cwdesk.sandbox import Sandbox

PLAN = {
    "company": {"name": "Acme Corp", "identifier": "AcmeCorp", "address": {"city": "Chicago", "state": "IL"}},
    "contacts": [{"first_name": "Jane", "last_name": "Doe"}],
    "agreement": {"name": "Acme Managed Services", "type": "Managed Service"},
}


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sandbox: Sandbox) -> Iterator[CliRunner]:
    monkeypatch.setenv("CWDESK_HOME", str(tmp_path))
    monkeypatch.delenv("CWDESK_DATABASE_URL", raising=False)
    with connection.use_sandbox(sandbox):
        yield CliRunner()


def failed_onboarding(runner: CliRunner, tmp_path: Path, sandbox: Sandbox) -> int:
    plan_file = tmp_path / "plan.yaml"
    plan_file.write_text(yaml.safe_dump(PLAN), encoding="utf-8")
    sandbox.faults.fail_next(method="POST", path_contains="/finance/agreements", status=500, count=1)
    result = runner.invoke(app, ["onboard", str(plan_file), "--quiet", "--output", "json"])
    assert result.exit_code == 1, result.output
    return int(json.loads(result.stdout[result.stdout.index("{") :])["id"])


def test_jobs_list_json_is_newest_first_with_id_kind_state_and_counts(
    runner: CliRunner, tmp_path: Path, sandbox: Sandbox
) -> None:
    first = failed_onboarding(runner, tmp_path, sandbox)
    second = runner.invoke(app, ["bulk", "contacts", "--companies", "1", "--set", "inactiveFlag=true", "-q"])
    assert second.exit_code == 0, second.output

    listed = runner.invoke(app, ["jobs", "list", "--output", "json"])

    assert listed.exit_code == 0
    rows = json.loads(listed.stdout)
    assert [r["kind"] for r in rows] == ["bulk_contacts", "onboarding"]
    assert rows[1]["id"] == first and rows[0]["id"] > first
    assert rows[1]["state"] == "failed"
    assert rows[1]["counts"]["ok"] == 4 and rows[1]["counts"]["error"] == 1
    assert set(rows[0]["counts"]) >= {"ok", "error", "skipped", "pending", "total"}


def test_jobs_show_then_resume_a_failed_onboarding(runner: CliRunner, tmp_path: Path, sandbox: Sandbox) -> None:
    job_id = failed_onboarding(runner, tmp_path, sandbox)

    shown = runner.invoke(app, ["jobs", "show", str(job_id)])
    assert shown.exit_code == 0
    assert f"Job {job_id} · onboarding · failed" in shown.output and "ok 4 · error 1" in shown.output
    steps = json.loads(runner.invoke(app, ["jobs", "show", str(job_id), "-o", "json"]).stdout)["steps"]
    assert [(s["action"], s["state"]) for s in steps][-1] == ("create_agreement", "error")

    resumed = runner.invoke(app, ["jobs", "resume", str(job_id), "--quiet"])

    assert resumed.exit_code == 0, resumed.output
    assert "succeeded" in resumed.output
    detail = json.loads(runner.invoke(app, ["jobs", "show", str(job_id), "--output", "json", "--events"]).stdout)
    assert detail["state"] == "succeeded"
    assert [e["type"] for e in detail["events"]].count("job_resumed") == 1


def test_jobs_rollback_deletes_what_the_job_created(runner: CliRunner, tmp_path: Path, sandbox: Sandbox) -> None:
    job_id = failed_onboarding(runner, tmp_path, sandbox)

    rolled = runner.invoke(app, ["jobs", "rollback", str(job_id), "--yes", "--quiet"])

    assert rolled.exit_code == 0, rolled.output
    cw = ManageClient(**sandbox.manage_credentials, transport=sandbox.transport())
    # A deleted company still answers, marked deleted (docs/connectwise.md, "Companies").
    assert list(cw.companies.list(where=(C("identifier") == "AcmeCorp") & (C("deletedFlag") == False))) == []  # noqa: E712
    again = runner.invoke(app, ["jobs", "resume", str(job_id)])
    assert again.exit_code == 2 and "rolled back" in again.output


def test_jobs_cancel_and_unknown_job(runner: CliRunner, tmp_path: Path, sandbox: Sandbox) -> None:
    job_id = failed_onboarding(runner, tmp_path, sandbox)

    cancelled = runner.invoke(app, ["jobs", "cancel", str(job_id)])

    assert cancelled.exit_code == 0 and "cancelled" in cancelled.output
    assert json.loads(runner.invoke(app, ["jobs", "show", str(job_id), "-o", "json"]).stdout)["state"] == "cancelled"
    missing = runner.invoke(app, ["jobs", "show", "9999"])
    assert missing.exit_code == 2 and "No job 9999" in missing.output


def test_resume_refuses_a_job_made_against_another_connectwise(
    runner: CliRunner, tmp_path: Path, sandbox: Sandbox
) -> None:
    import sqlalchemy as sa

    from cwdesk.store import open_database
    from cwdesk.store.jobs import jobs

    job_id = failed_onboarding(runner, tmp_path, sandbox)
    engine = open_database()
    with engine.begin() as conn:
        conn.execute(sa.update(jobs).where(jobs.c.id == job_id).values(target="https://other.example (acme)"))

    refused = runner.invoke(app, ["jobs", "resume", str(job_id)])

    assert refused.exit_code == 2 and "was made against https://other.example" in refused.output
    assert runner.invoke(app, ["jobs", "resume", str(job_id), "--force", "-q"]).exit_code == 0


def test_jobs_rollback_of_a_bulk_job_puts_the_old_values_back(runner: CliRunner, sandbox: Sandbox) -> None:
    cw = ManageClient(**sandbox.manage_credentials, transport=sandbox.transport())
    before = {c.id: bool(c.inactive_flag) for c in cw.contacts.list(where=C("company/id") == 1)}
    bulk = runner.invoke(app, ["bulk", "contacts", "--companies", "1", "--set", "inactiveFlag=true", "-q"])
    assert bulk.exit_code == 0, bulk.output
    job_id = json.loads(runner.invoke(app, ["jobs", "list", "--output", "json"]).stdout)[0]["id"]

    refused = runner.invoke(app, ["jobs", "rollback", str(job_id)])  # no terminal, no --yes
    assert refused.exit_code == 2 and "nothing was changed" in refused.output
    changed = sum(1 for flag in before.values() if not flag)
    assert f"puts back the value it replaced on ({changed})" in refused.output
    assert all(c.inactive_flag for c in cw.contacts.list(where=C("company/id") == 1))

    rolled = runner.invoke(app, ["jobs", "rollback", str(job_id), "--yes", "--quiet"])

    assert rolled.exit_code == 0, rolled.output
    assert f"Rolled back: 0 deleted, {changed} put back." in rolled.output
    assert {c.id: bool(c.inactive_flag) for c in cw.contacts.list(where=C("company/id") == 1)} == before


def test_jobs_rollback_with_nothing_to_undo_says_so_and_changes_nothing(runner: CliRunner, sandbox: Sandbox) -> None:
    first = runner.invoke(app, ["bulk", "contacts", "--companies", "2", "--set", "disablePortalLoginFlag=true", "-q"])
    assert first.exit_code == 0, first.output
    second = runner.invoke(app, ["bulk", "contacts", "--companies", "2", "--set", "disablePortalLoginFlag=true", "-q"])
    assert second.exit_code == 0, second.output
    job_id = json.loads(runner.invoke(app, ["jobs", "list", "--output", "json"]).stdout)[0]["id"]

    rolled = runner.invoke(app, ["jobs", "rollback", str(job_id), "--yes"])

    assert rolled.exit_code == 2
    assert "changed nothing that is still there: there is nothing to roll back" in rolled.output
    assert json.loads(runner.invoke(app, ["jobs", "show", str(job_id), "-o", "json"]).stdout)["state"] == "succeeded"
