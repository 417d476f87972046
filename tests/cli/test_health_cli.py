"""O1 cwdesk health: connection, data retrieval, the last run of each job and sync, with meaningful exit codes."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from typer.testing import CliRunner

from cwdesk.cli.app import app
from cwdesk.cli.health import run_checks
from cwdesk.sandbox import Sandbox
from cwdesk.store import open_database, sync_cache


def checks(result_stdout: str) -> dict[str, dict[str, str]]:
    return {row["check"]: row for row in json.loads(result_stdout)}


def test_health_passes_on_a_working_connection(runner: CliRunner, on_sandbox: Sandbox) -> None:
    result = runner.invoke(app, ["health", "--output", "json"])
    rows = checks(result.stdout)
    assert rows["Manage connection"]["status"] == "pass"
    assert "v2025" in rows["Manage connection"]["detail"]
    assert rows["Manage data retrieval"]["status"] == "pass"
    assert rows["Automate connection"]["status"] == "pass"
    assert rows["scheduled jobs"]["status"] == "skip"
    assert result.exit_code == 0


def test_health_shows_the_last_run_of_each_kind(runner: CliRunner, on_sandbox: Sandbox) -> None:
    assert runner.invoke(app, ["sync", "members"]).exit_code == 0
    assert runner.invoke(app, ["members", "deprovision", "akhan"]).exit_code == 0
    result = runner.invoke(app, ["health", "--output", "json"])
    rows = checks(result.stdout)
    assert rows["last sync: members"]["status"] == "pass"
    assert rows["last job: members.deprovision"]["status"] == "pass"
    assert result.exit_code == 0


def test_a_failed_job_fails_health(runner: CliRunner, on_sandbox: Sandbox) -> None:
    on_sandbox.faults.fail_next(method="PATCH", path_contains="/system/members", status=400, count=1)
    assert runner.invoke(app, ["members", "deprovision", "akhan"]).exit_code == 1
    result = runner.invoke(app, ["health", "--output", "json"])
    assert checks(result.stdout)["last job: members.deprovision"]["status"] == "fail"
    assert result.exit_code == 1


def test_an_unreachable_connectwise_fails_health(runner: CliRunner, on_sandbox: Sandbox) -> None:
    on_sandbox.faults.fail_next(method="GET", path_contains="/system/info", status=401, count=1)
    result = runner.invoke(app, ["health", "--output", "json"])
    rows = checks(result.stdout)
    assert rows["Manage connection"]["status"] == "fail"
    assert rows["Manage data retrieval"]["status"] == "skip"
    assert result.exit_code == 1


def test_without_any_connection_health_fails_with_exit_1(runner: CliRunner) -> None:
    result = runner.invoke(app, ["health", "--output", "json"])
    rows = checks(result.stdout)
    assert rows["Manage connection"]["status"] == "fail"
    assert rows["Automate connection"]["status"] == "skip"
    assert result.exit_code == 1


def test_a_stale_last_run_is_a_warning(tmp_path: Path) -> None:
    engine = open_database(f"sqlite:///{tmp_path / 'health.db'}")
    long_ago = datetime.now(UTC) - timedelta(hours=30)
    with engine.begin() as conn:
        run = sync_cache.start_run(conn, "cw.example/acme", "companies", "incremental", now=long_ago)
        sync_cache.finish_run(conn, run, state="succeeded", now=long_ago)
    (check,) = run_checks(engine, max_age=timedelta(hours=25))
    assert (check.check, check.status) == ("last sync: companies", "warn")
    (fresh,) = run_checks(engine, max_age=timedelta(hours=48))
    assert fresh.status == "pass"


def test_offline_health_reads_only_the_local_database(runner: CliRunner, on_sandbox: Sandbox) -> None:
    result = runner.invoke(app, ["health", "--offline", "--output", "json"])
    assert "Manage connection" not in checks(result.stdout)
    assert on_sandbox.requests == []
    assert result.exit_code == 0


def test_a_job_still_waiting_for_a_worker_is_a_warning(tmp_path: Path) -> None:
    from cwdesk.workflows.jobs import enqueue
    from tests.workflows.test_job_queue import CLIENT, _plan

    engine = open_database(f"sqlite:///{tmp_path / 'health.db'}")
    job_id = enqueue(engine, _plan(), client=CLIENT, created_by=None)

    (check,) = run_checks(engine, max_age=timedelta(hours=25))
    assert (check.check, check.status) == ("last job: test_queue", "warn")
    assert f"job {job_id} queued" in check.detail
