"""The job journal says which runner did what (issue 13 item 5): each runner's id on its events, and a
``takeover`` event whenever a job is taken from another runner (its process gone, its heartbeat stale, or forced)."""

from __future__ import annotations

import os
import socket
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from cwdesk.store.jobs import jobs
from cwdesk.workflows.jobs import (
    JobBusy,
    JobState,
    JobStateError,
    create_job,
    read_events,
    resume_in_background,
    rollback_in_background,
    run_job,
)
from tests.workflows.test_jobs import Ledger, chain_plan


def _hold(engine: sa.Engine, job_id: int, runner: str, heartbeat: datetime | None) -> None:
    with engine.begin() as conn:
        conn.execute(
            jobs.update().where(jobs.c.id == job_id).values(state="running", runner=runner, heartbeat_at=heartbeat)
        )


def test_every_event_of_a_run_names_the_runner_that_wrote_it(engine: sa.Engine) -> None:
    job_id = create_job(engine, chain_plan("a", "b"))
    run_job(engine, job_id, client=Ledger())
    events = read_events(engine, job_id)
    by_runner = [e for e in events if e.type != "job_created"]
    runners = {e.runner for e in by_runner}
    assert len(runners) == 1
    (runner,) = runners
    assert runner is not None and runner.startswith(f"{socket.gethostname()}:{os.getpid()}:")
    assert [e.type for e in by_runner] == [
        "job_started",
        "step_started",
        "step_ok",
        "step_started",
        "step_ok",
        "job_finished",
    ]
    # job_created is written by whoever planned the job, not by a runner.
    assert events[0].type == "job_created" and events[0].runner is None
    assert by_runner[0].as_dict()["runner"] == runner


def test_resume_by_another_runner_is_told_apart_in_the_journal(engine: sa.Engine) -> None:
    ledger = Ledger()
    ledger.fail_on = {"b"}
    job_id = create_job(engine, chain_plan("a", "b"))
    run_job(engine, job_id, client=ledger)
    ledger.fail_on.clear()
    run_job(engine, job_id, client=ledger)
    started = [e for e in read_events(engine, job_id) if e.type in ("job_started", "job_resumed")]
    assert [e.type for e in started] == ["job_started", "job_resumed"]
    assert started[0].runner != started[1].runner


def test_taking_over_a_job_of_a_dead_process_is_journalled(engine: sa.Engine) -> None:
    job_id = create_job(engine, chain_plan("a"))
    dead = f"{socket.gethostname()}:999999999:dead"
    _hold(engine, job_id, dead, datetime.now(UTC))
    run_job(engine, job_id, client=Ledger())
    events = read_events(engine, job_id)
    takeover = next(e for e in events if e.type == "takeover")
    assert takeover.data is not None
    assert takeover.data["from"] == dead and takeover.data["to"] == takeover.runner
    assert takeover.data["forced"] is False and takeover.data["previous_alive"] is False
    assert "its process is gone" in takeover.message
    # The takeover comes before the new runner's first step, and that runner wrote the rest.
    after = events[events.index(takeover) + 1 :]
    assert after and {e.runner for e in after} == {takeover.runner}


def test_taking_over_a_stale_job_of_another_host_is_journalled_with_its_heartbeat_age(engine: sa.Engine) -> None:
    job_id = create_job(engine, chain_plan("a"))
    _hold(engine, job_id, "other-host:42:abcd", datetime.now(UTC) - timedelta(minutes=5))
    run_job(engine, job_id, client=Ledger())
    takeover = next(e for e in read_events(engine, job_id) if e.type == "takeover")
    assert takeover.data is not None
    assert takeover.data["previous_alive"] is None and takeover.data["heartbeat_age_s"] >= 300
    assert "(stale)" in takeover.message


def test_a_forced_takeover_says_forced(engine: sa.Engine) -> None:
    job_id = create_job(engine, chain_plan("a"))
    _hold(engine, job_id, f"{socket.gethostname()}:{os.getppid()}:live", datetime.now(UTC))
    run_job(engine, job_id, client=Ledger(), force=True)
    takeover = next(e for e in read_events(engine, job_id) if e.type == "takeover")
    assert takeover.data is not None and takeover.data["forced"] is True
    assert "(forced)" in takeover.message


def test_a_refused_takeover_writes_no_takeover_event(engine: sa.Engine) -> None:
    job_id = create_job(engine, chain_plan("a"))
    _hold(engine, job_id, f"{socket.gethostname()}:{os.getppid()}:live", datetime.now(UTC))
    with pytest.raises(JobBusy):
        run_job(engine, job_id, client=Ledger())
    assert "takeover" not in [e.type for e in read_events(engine, job_id)]


def test_background_resume_and_rollback_refuse_in_the_caller(engine: sa.Engine) -> None:
    job_id = create_job(engine, chain_plan("a"))
    run_job(engine, job_id, client=Ledger())
    with pytest.raises(JobStateError, match="already succeeded"):
        resume_in_background(engine, job_id, client=Ledger())
    planned = create_job(engine, chain_plan("b"))
    with pytest.raises(JobStateError, match="has not run yet"):
        rollback_in_background(engine, planned, client=Ledger())


def test_background_resume_runs_the_job_it_claimed(engine: sa.Engine) -> None:
    ledger = Ledger()
    ledger.fail_on = {"a"}
    job_id = create_job(engine, chain_plan("a"))
    assert run_job(engine, job_id, client=ledger).state is JobState.failed
    ledger.fail_on.clear()
    thread = resume_in_background(engine, job_id, client=ledger)
    thread.join(10)
    last = read_events(engine, job_id)[-1]
    assert not thread.is_alive()
    assert last.type == "job_finished" and last.data is not None and last.data["state"] == "succeeded"
    assert ledger.calls == [("create", "a"), ("create", "a")]  # the failed attempt, then the resumed one
