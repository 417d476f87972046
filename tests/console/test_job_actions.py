"""A truthful console (issue 13 item 5): a refused resume or rollback answers 409 with the runner's reason and is
audited ``refused``; an accepted one answers 200, is audited ``ok``, and the job is already claimed when it answers."""

from __future__ import annotations

import os
import socket
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from fastapi import FastAPI

from cwdesk.sandbox import Sandbox
from cwdesk.store.jobs import jobs
from tests.console.confirming import confirmed_onboarding, confirmed_rollback
from tests.console.test_panels import PLAN, sse_events


def _onboard(operator: Any, console_sandbox: Sandbox, *, fail_agreement: bool) -> tuple[int, str]:
    if fail_agreement:
        # A 400 is not retried: the agreement step fails and the job stops there.
        console_sandbox.faults.fail_next(method="POST", path_contains="/finance/agreements", status=400, count=1)
    job_id = confirmed_onboarding(operator, PLAN).json()["job_id"]
    end = next(data for name, data in sse_events(operator, job_id) if name == "end")
    return job_id, end["state"]


def _audit(console: FastAPI, action: str) -> list[tuple[str, str, str]]:
    return [(e.action, e.result, e.message) for e in console.state.accounts.audit_entries() if e.action == action]


def test_resume_of_a_succeeded_job_is_refused_with_409_and_audited_refused(
    sign_in: Any, console: FastAPI, console_sandbox: Sandbox
) -> None:
    operator = sign_in("operator")
    job_id, state = _onboard(operator, console_sandbox, fail_agreement=False)
    assert state == "succeeded"
    answer = operator.change(f"/jobs/{job_id}/resume")
    assert answer.status_code == 409
    assert answer.json() == {"ok": False, "message": f"Job {job_id} already succeeded: nothing to resume."}
    assert _audit(console, "resume job") == [
        ("resume job", "refused", f"Job {job_id} already succeeded: nothing to resume.")
    ]


def test_resume_of_a_job_running_in_another_live_process_is_refused(
    sign_in: Any, console: FastAPI, console_sandbox: Sandbox
) -> None:
    operator = sign_in("operator")
    job_id, _state = _onboard(operator, console_sandbox, fail_agreement=True)
    live = f"{socket.gethostname()}:{os.getppid()}:other"  # the test's parent process: alive on this host
    with console.state.engine.begin() as conn:
        conn.execute(
            jobs.update()
            .where(jobs.c.id == job_id)
            .values(state="running", runner=live, heartbeat_at=datetime.now(UTC))
        )
    answer = operator.change(f"/jobs/{job_id}/resume")
    assert answer.status_code == 409
    assert "is running in another process" in answer.json()["message"]
    assert [r for _a, r, _m in _audit(console, "resume job")] == ["refused"]
    with console.state.engine.connect() as conn:
        assert conn.execute(sa.select(jobs.c.runner).where(jobs.c.id == job_id)).scalar_one() == live


def test_an_accepted_resume_answers_200_audited_ok_and_finishes(
    sign_in: Any, console: FastAPI, console_sandbox: Sandbox
) -> None:
    operator = sign_in("operator")
    job_id, state = _onboard(operator, console_sandbox, fail_agreement=True)
    assert state == "failed"
    answer = operator.change(f"/jobs/{job_id}/resume")
    assert answer.status_code == 200 and answer.json()["ok"] is True
    end = next(data for name, data in sse_events(operator, job_id) if name == "end")
    assert end["state"] == "succeeded"
    assert [r for _a, r, _m in _audit(console, "resume job")] == ["ok"]
    # A second resume of the now finished job: one real resume, one refusal, as the audit log says.
    assert operator.change(f"/jobs/{job_id}/resume").status_code == 409
    assert [r for _a, r, _m in _audit(console, "resume job")] == ["refused", "ok"]


def test_rollback_of_a_rolled_back_job_is_refused_with_409(
    sign_in: Any, console: FastAPI, console_sandbox: Sandbox
) -> None:
    operator = sign_in("operator")
    job_id, _state = _onboard(operator, console_sandbox, fail_agreement=True)
    assert confirmed_rollback(operator, job_id).status_code == 200
    end = next(data for name, data in sse_events(operator, job_id) if name == "end")
    assert end["state"] == "rolled_back"
    answer = operator.change(f"/jobs/{job_id}/rollback", json={"confirm": "yes"})
    assert answer.status_code == 409
    assert answer.json()["message"] == f"Job {job_id} was rolled back: start a new job instead."
    assert [r for _a, r, _m in _audit(console, "roll back job")] == ["refused", "ok"]
