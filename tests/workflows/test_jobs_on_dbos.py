"""Jobs on DBOS Transact (``workflows/jobs/durable.py``): a run of a job is a DBOS workflow and each planned step one
DBOS step, recorded as JSON in a private system database beside the store, with no key and no pickle in it."""

from __future__ import annotations

import sqlite3
import stat
from pathlib import Path

import pytest
import sqlalchemy as sa

from cwdesk import ManageClient
from cwdesk.sandbox import Sandbox
from cwdesk.workflows.bulk_contacts import parse_assignments, update_contacts
from cwdesk.workflows.jobs import JobState, cancel_job, create_job, durable, get_job, run_job
from tests.workflows.test_jobs import Ledger, chain_plan


@pytest.fixture
def cw(sandbox: Sandbox) -> ManageClient:
    return ManageClient(**sandbox.manage_credentials, transport=sandbox.transport())


def _system_database(engine: sa.Engine) -> Path:
    assert engine.url.database
    return Path(f"{engine.url.database}.dbos")


def _rows(path: Path, query: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(path) as conn:
        return list(conn.execute(query).fetchall())


def test_a_run_is_one_dbos_workflow_with_one_step_per_planned_step(engine: sa.Engine, cw: ManageClient) -> None:
    result = update_contacts(engine, cw, changes=parse_assignments(cw, ["type=Billing"]), company_ids=[1])
    assert result.summary is not None and result.summary.state is JobState.succeeded
    detail = get_job(engine, result.job_id or 0)
    system = _system_database(engine)

    runs = _rows(system, "SELECT workflow_uuid, status, name, executor_id, application_version FROM workflow_status")
    assert len(runs) == 1
    (run_id, status, name, executor, version) = runs[0]
    assert str(run_id).startswith(f"cwdesk-job-{detail.summary.id}-")
    assert (status, name, version) == ("SUCCESS", durable.WORKFLOW_NAME, durable.APPLICATION_VERSION)
    assert executor == durable.executor_id()
    steps = _rows(system, f"SELECT function_name FROM operation_outputs WHERE workflow_uuid = '{run_id}'")
    assert [s[0] for s in steps] == [durable.STEP_NAME] * len(detail.steps)


def test_a_resumed_job_is_a_new_run_and_done_steps_are_not_sent_again(engine: sa.Engine) -> None:
    ledger = Ledger()
    job_id = create_job(engine, chain_plan("a", "b", kind="test_each"))
    first = run_job(engine, job_id, client=ledger, on_event=lambda e: cancel_job(engine, job_id)
                    if e.type == "step_ok" else None)  # fmt: skip
    assert first.state is JobState.cancelled

    again = run_job(engine, job_id, client=ledger)

    assert again.state is JobState.succeeded
    assert [c for c in ledger.calls if c[0] == "create"] == [("create", "a"), ("create", "b")]  # once each
    runs = _rows(_system_database(engine), "SELECT status FROM workflow_status ORDER BY created_at")
    assert len(runs) == 2 and runs[-1] == ("SUCCESS",)


def test_dbos_stores_json_only_and_no_key(engine: sa.Engine, cw: ManageClient, sandbox: Sandbox) -> None:
    update_contacts(engine, cw, changes=parse_assignments(cw, ["type=Billing"]), company_ids=[1, 2])
    system = _system_database(engine)
    secrets = [str(v) for k, v in sandbox.manage_credentials.items() if "key" in k.lower() and v]
    assert secrets, sandbox.manage_credentials.keys()
    with sqlite3.connect(system) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        dump = "\n".join(str(row) for table in tables for row in conn.execute(f'SELECT * FROM "{table}"'))
        kinds = {r[0] for r in conn.execute("SELECT DISTINCT serialization FROM workflow_status")}
        kinds |= {r[0] for r in conn.execute("SELECT DISTINCT serialization FROM operation_outputs")}
    assert "workflow_status" in tables and "operation_outputs" in tables
    assert kinds == {"portable_json"}
    for secret in secrets:
        assert secret not in dump
    # A pickle in base64 begins "gAS" or "gAW" (protocol 4 or 5): none is stored.
    assert "'gAS" not in dump and "'gAW" not in dump


def test_the_system_database_is_a_private_file_beside_the_store(engine: sa.Engine) -> None:
    run_job(engine, create_job(engine, chain_plan("a", kind="test_each")), client=Ledger())
    system = _system_database(engine)
    assert system.parent == Path(str(engine.url.database)).parent
    assert stat.S_IMODE(system.stat().st_mode) == 0o600
