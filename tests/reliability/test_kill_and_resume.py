"""R1 fault matrix, SIGKILL column: the CLI process is killed with SIGKILL in the middle of a run, then the run is
resumed (``cwdesk jobs resume ID``, or the sync run again), and the final state is checked against a standalone
sandbox's records and request log: nothing lost, nothing created or patched twice.

Bulk update x SIGKILL is ``tests/cli/test_bulk_cli.py::test_bulk_contacts_resumes_after_kill_without_patching_twice``
(the jobs engineer's); the other three rows are here.
"""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml

from cwdesk.store import sync_cache
from cwdesk.workflows.sync import source_key
from tests.loopback import Served, wait_for

from .harness import Cli

API = "/v4_6_release/apis/3.0"


def _successes(served: Served, method: str, status: int) -> Counter[str]:
    return Counter(e["path"].split(API, 1)[-1] for e in served.log() if e["method"] == method and e["status"] == status)


def _kill_when(worker: subprocess.Popen[bytes], seen: Any, what: str) -> None:
    try:
        wait_for(lambda: seen() or worker.poll() is not None, 90, what)
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)


def _resume_the_only_job(cli: Cli) -> dict[str, Any]:
    listed = cli.run("jobs", "list", "-o", "json")
    (job,) = json.loads(listed.stdout)
    assert job["state"] == "running", "the killed process should have left its job running"
    resumed = cli.run("jobs", "resume", str(job["id"]), "-q", "-o", "json")
    assert resumed.returncode == 0, resumed.stderr
    answer: dict[str, Any] = json.loads(resumed.stdout)
    return answer


PLAN = {
    "company": {
        "name": "Killed Midway",
        "identifier": "KilledMidway",
        "status": "Active",
        "type": "Client",
        "phone": "312-555-0100",
        "address": {"line1": "1 Main St", "city": "Chicago", "state": "IL", "zip": "60601", "country": "United States"},
    },
    "contacts": [
        {"first_name": "Jane", "last_name": "Doe", "email": "jane@killed.example"},
        {"first_name": "Bob", "last_name": "Roe", "email": "bob@killed.example"},
    ],
    "agreement": {"name": "Killed Managed Services", "type": "Managed Service", "bill_amount": 900},
    "ticket": {"board": "Service Desk"},
}


def test_onboarding_killed_after_its_first_create_resumes_without_a_duplicate(
    tmp_path: Path, cli: Cli, served_sandbox: Served
) -> None:
    plan_file = tmp_path / "plan.yaml"
    plan_file.write_text(yaml.safe_dump(PLAN))
    worker = cli.start("onboard", str(plan_file), "-q")
    _kill_when(worker, lambda: _successes(served_sandbox, "POST", 201)["/company/companies"] >= 1, "the company POST")
    assert _successes(served_sandbox, "POST", 201)["/service/tickets"] == 0, "the run finished before the kill"

    assert _resume_the_only_job(cli)["state"] == "succeeded"

    (company,) = served_sandbox.get("/company/companies", conditions='identifier = "KilledMidway"')
    contacts = served_sandbox.all("/company/contacts", conditions=f"company/id = {company['id']}")
    assert sorted(c["firstName"] for c in contacts) == ["Bob", "Jane"]
    assert _successes(served_sandbox, "POST", 201) == {
        "/company/companies": 1,  # with its site: no site POST (docs/workflows.md, W1)
        "/company/contacts": 2,
        "/finance/agreements": 1,
        "/service/tickets": 1,
    }


def test_set_primary_killed_midway_resumes_to_exactly_one_primary(cli: Cli, served_sandbox: Served) -> None:
    company_id, new_id = 0, 0
    for company in served_sandbox.all("/company/companies"):
        contacts = served_sandbox.all("/company/contacts", conditions=f"company/id = {company['id']}")
        others = [c for c in contacts if not c.get("defaultFlag") and not c.get("inactiveFlag")]
        if any(c.get("defaultFlag") for c in contacts) and others:
            company_id, new_id = company["id"], others[0]["id"]
            break
    assert new_id

    worker = cli.start("contacts", "set-primary", str(new_id), "-q")
    _kill_when(worker, lambda: sum(_successes(served_sandbox, "PATCH", 200).values()) >= 1, "the first PATCH")
    assert sum(_successes(served_sandbox, "PATCH", 200).values()) < 3, "the run finished before the kill"

    assert _resume_the_only_job(cli)["state"] == "succeeded"

    contacts = served_sandbox.all("/company/contacts", conditions=f"company/id = {company_id}")
    assert [c["id"] for c in contacts if c.get("defaultFlag")] == [new_id]
    assert served_sandbox.get(f"/company/companies/{company_id}")["defaultContact"]["id"] == new_id
    patched = _successes(served_sandbox, "PATCH", 200)
    assert max(patched.values()) == 1, f"a record was patched twice: {patched}"


@pytest.mark.sandbox_args("--seed", "300", "--latency", "250")
def test_sync_killed_after_its_first_page_runs_again_to_the_same_cache(cli: Cli, served_sandbox: Served) -> None:
    truth = {c["id"] for c in served_sandbox.all("/company/contacts")}
    assert len(truth) > 1000, "two pages at least, so the kill lands between them"
    before = len(served_sandbox.log())

    def first_page_answered() -> bool:
        log = served_sandbox.log()[before:]
        return any(e["path"].endswith("/company/contacts") and e["status"] == 200 for e in log)

    worker = cli.start("sync", "contacts")
    _kill_when(worker, first_page_answered, "the first page of contacts")

    again = cli.run("sync", "contacts", timeout=180)
    assert again.returncode == 0, again.stderr

    engine = sa.create_engine(f"sqlite:///{cli.home / 'cwdesk.db'}")
    with engine.connect() as conn:
        cached = [
            int(r["id"])
            for r in sync_cache.cached_records(conn, source_key(served_sandbox.base, "sandbox"), "contacts")
        ]
    engine.dispose()
    assert len(cached) == len(set(cached)), "a contact is cached twice"
    assert set(cached) == truth, "a contact was lost"


def test_an_orphaned_job_is_taken_up_by_a_worker_without_a_duplicate(
    tmp_path: Path, cli: Cli, served_sandbox: Served
) -> None:
    plan_file = tmp_path / "plan.yaml"
    plan_file.write_text(yaml.safe_dump(PLAN))
    runner = cli.start("onboard", str(plan_file), "-q")
    _kill_when(runner, lambda: _successes(served_sandbox, "POST", 201)["/company/companies"] >= 1, "the company POST")
    (job,) = json.loads(cli.run("jobs", "list", "-o", "json").stdout)
    assert job["state"] == "running"  # its process is gone; nobody pressed Resume

    taken = cli.run("worker", "--once")

    assert taken.returncode == 0, taken.stderr
    assert f"Took up job {job['id']}" in taken.stdout
    detail = json.loads(cli.run("jobs", "show", str(job["id"]), "-o", "json", "--events").stdout)
    assert detail["state"] == "succeeded"
    assert "takeover" in [e["type"] for e in detail["events"]]
    created = _successes(served_sandbox, "POST", 201)
    assert created["/company/companies"] == 1 and created["/service/tickets"] == 1
    again = cli.run("worker", "--once")
    assert again.returncode == 0 and "No orphaned job to take up." in again.stdout


def test_the_killed_process_run_is_recovered_through_dbos_in_the_worker(
    tmp_path: Path, cli: Cli, served_sandbox: Served
) -> None:
    # The same SIGKILL as above, read from DBOS's side (jobs/durable.py): the run the killed CLI started is the one
    # the worker finishes (handed back by DBOS's recovery), not a second run beside a run left pending forever.
    plan_file = tmp_path / "plan.yaml"
    plan_file.write_text(yaml.safe_dump(PLAN))
    runner = cli.start("onboard", str(plan_file), "-q")
    killed_pid = runner.pid
    _kill_when(runner, lambda: _successes(served_sandbox, "POST", 201)["/company/companies"] >= 1, "the company POST")

    taken = cli.run("worker", "--once")

    assert taken.returncode == 0, taken.stderr
    (system,) = cli.home.rglob("*.db.dbos")
    with sqlite3.connect(system) as conn:
        runs = conn.execute("SELECT status, executor_id, recovery_attempts FROM workflow_status").fetchall()
    assert len(runs) == 1, runs
    ((status, executor, attempts),) = runs
    assert status == "SUCCESS" and not str(executor).endswith(f":{killed_pid}") and attempts >= 2, runs
    (job,) = json.loads(cli.run("jobs", "list", "-o", "json").stdout)
    assert job["state"] == "succeeded"
    created = _successes(served_sandbox, "POST", 201)
    assert created["/company/companies"] == 1 and created["/service/tickets"] == 1
