"""A job queued by one CLI process runs on another (``cwdesk worker --once``), and a due schedule runs once across
two workers started together (issue 13, item 1): real processes on one SQLite file, against a served sandbox.

``tests/postgres/test_queue_and_schedules_on_postgres.py`` runs the same checks with the processes on PostgreSQL.
"""

from __future__ import annotations

import json
import subprocess
from collections import Counter
from pathlib import Path

import sqlalchemy as sa
import yaml

from cwdesk.store.schedules import schedules
from cwdesk.store.sync_cache import sync_runs
from tests.loopback import Served

from .harness import Cli
from .test_kill_and_resume import PLAN, _successes


def database_url(cli: Cli) -> str:
    """The database the CLI processes share: CWDESK_DATABASE_URL when set, else the SQLite file in their home."""
    return cli.env.get("CWDESK_DATABASE_URL") or f"sqlite:///{cli.home / 'cwdesk.db'}"


def run_together(cli: Cli, *args: str, count: int = 2) -> list[subprocess.CompletedProcess[str]]:
    """Start ``count`` CLI processes with ``args`` at once and wait for all of them."""
    started = [
        subprocess.Popen([*cli.command, *args], env=cli.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(count)
    ]
    finished = []
    for process in started:
        out, err = process.communicate(timeout=180)
        finished.append(subprocess.CompletedProcess(process.args, process.returncode, out, err))
    return finished


def check_onboarding_queued_by_one_process_runs_on_a_worker(tmp_path: Path, cli: Cli, served: Served) -> None:
    plan_file = tmp_path / "plan.yaml"
    plan_file.write_text(yaml.safe_dump(PLAN))

    queued = cli.run("onboard", str(plan_file), "--queue")

    assert queued.returncode == 0, queued.stderr
    job_id = int(queued.stdout.strip())
    assert f"Job {job_id} queued" in queued.stderr
    assert json.loads(cli.run("jobs", "show", str(job_id), "-o", "json").stdout)["state"] == "queued"
    assert _successes(served, "POST", 201) == Counter(), "a queued job must not run in the process that made it"

    workers = run_together(cli, "worker", "--once")

    assert all(w.returncode == 0 for w in workers), [w.stderr for w in workers]
    ran = [w for w in workers if f"Running queued job {job_id}." in w.stdout]
    assert len(ran) == 1, f"one worker must run the job, not {len(ran)}: {[w.stdout for w in workers]}"
    detail = json.loads(cli.run("jobs", "show", str(job_id), "-o", "json", "--events").stdout)
    assert detail["state"] == "succeeded"
    runners = {e["runner"] for e in detail["events"] if e["runner"]}
    assert len(runners) == 1, f"the job was written by more than one runner: {runners}"
    assert _successes(served, "POST", 201) == {
        "/company/companies": 1,
        "/company/contacts": 2,
        "/finance/agreements": 1,
        "/service/tickets": 1,
    }


def check_bulk_queued_by_one_process_runs_on_a_worker(cli: Cli, served: Served) -> None:
    queued = cli.run("bulk", "contacts", "--companies", "1", "--set", "relationship=Owner", "--queue")

    assert queued.returncode == 0, queued.stderr
    job_id = int(queued.stdout.strip())
    assert _successes(served, "PATCH", 200) == Counter()

    worker = cli.run("worker", "--once")

    assert worker.returncode == 0, worker.stderr
    assert f"Running queued job {job_id}." in worker.stdout
    detail = json.loads(cli.run("jobs", "show", str(job_id), "-o", "json").stdout)
    assert detail["state"] == "succeeded"
    patched = _successes(served, "PATCH", 200)
    assert sum(patched.values()) == detail["counts"]["ok"] > 0
    assert max(patched.values()) == 1, f"a contact was patched twice: {patched}"


def check_a_due_schedule_runs_once_across_two_workers(cli: Cli) -> None:
    added = cli.run("schedule", "add", "sync", "--every", "15m", "--kind", "companies", "-o", "json")
    assert added.returncode == 0, added.stderr
    schedule_id = json.loads(added.stdout)["id"]

    workers = run_together(cli, "worker", "--once")

    assert all(w.returncode == 0 for w in workers), [w.stderr for w in workers]
    ran = [w for w in workers if f"Running schedule {schedule_id}." in w.stdout]
    assert len(ran) == 1, f"the period must run on one worker, not {len(ran)}: {[w.stdout for w in workers]}"
    engine = sa.create_engine(database_url(cli))
    try:
        with engine.connect() as conn:
            kinds = conn.execute(sa.select(sync_runs.c.kind, sync_runs.c.state)).all()
            row = conn.execute(sa.select(schedules).where(schedules.c.id == schedule_id)).one()
    finally:
        engine.dispose()
    assert [tuple(k) for k in kinds] == [("companies", "succeeded")]
    assert row.runs == 1 and row.last_state == "succeeded"
    listed = json.loads(cli.run("schedule", "list", "-o", "json").stdout)
    assert listed[0]["what"] == "sync companies" and listed[0]["every"] == "15m"

    again = cli.run("worker", "--once")  # the next period is 15 minutes away
    assert again.returncode == 0 and "Running schedule" not in again.stdout, again.stdout


def test_onboarding_queued_by_one_process_runs_on_a_worker(tmp_path: Path, cli: Cli, served_sandbox: Served) -> None:
    check_onboarding_queued_by_one_process_runs_on_a_worker(tmp_path, cli, served_sandbox)


def test_bulk_contacts_queued_by_one_process_runs_on_a_worker(cli: Cli, served_sandbox: Served) -> None:
    check_bulk_queued_by_one_process_runs_on_a_worker(cli, served_sandbox)


def test_a_due_schedule_runs_once_across_two_workers(cli: Cli) -> None:
    check_a_due_schedule_runs_once_across_two_workers(cli)
