"""Queued jobs (issue 13, item 1): a job made in one process with ``enqueue`` waits ``queued`` until a worker claims
it; the claim is the conditional update of every resume, so of two workers only one runs it."""

from __future__ import annotations

import threading
from typing import Any

import pytest
import sqlalchemy as sa

from cwdesk.workflows.jobs import (
    Action,
    JobKind,
    JobState,
    JobStateError,
    Outcome,
    Plan,
    Step,
    StepContext,
    cancel_job,
    enqueue,
    get_job,
    queued_jobs,
    read_events,
    register_kind,
    rollback_job,
    take_up_queued_jobs,
)

RUNS: list[tuple[int, str]] = []
_RUNS_LOCK = threading.Lock()


def _touch(ctx: StepContext[Any]) -> Outcome:
    with _RUNS_LOCK:
        RUNS.append((ctx.job_id, ctx.step.key))
    return Outcome.done(f"touched {ctx.step.key}")


register_kind(JobKind(name="test_queue", actions={"touch": Action(_touch)}))

CLIENT = object()  # the kind's actions take any client; a job made without a ConnectWise has no target


def _plan(steps: int = 3) -> Plan:
    return Plan("test_queue", "Queued test job", {}, [Step(f"rec:{i}", "touch") for i in range(steps)])


@pytest.fixture(autouse=True)
def _forget_runs() -> None:
    RUNS.clear()


def _join(taken: list[tuple[int, threading.Thread]]) -> list[int]:
    for _job_id, thread in taken:
        thread.join(timeout=30)
    return [job_id for job_id, _thread in taken]


def test_an_enqueued_job_waits_queued_and_journals_it(engine: sa.Engine) -> None:
    job_id = enqueue(engine, _plan(), client=CLIENT, created_by="cli:tester")

    detail = get_job(engine, job_id)
    assert detail.summary.state is JobState.queued
    assert detail.summary.created_by == "cli:tester"
    assert [j.id for j in queued_jobs(engine)] == [job_id]
    assert [e.type for e in read_events(engine, job_id)] == ["job_created", "job_queued"]
    assert RUNS == []


def test_a_worker_runs_the_queued_jobs_oldest_first(engine: sa.Engine) -> None:
    first = enqueue(engine, _plan(2), client=CLIENT, created_by=None)
    second = enqueue(engine, _plan(2), client=CLIENT, created_by=None)

    taken = _join(take_up_queued_jobs(engine, client_for=lambda _summary: CLIENT))

    assert taken == [first, second]
    for job_id in (first, second):
        detail = get_job(engine, job_id)
        assert detail.summary.state is JobState.succeeded
        types = [e.type for e in read_events(engine, job_id)]
        assert "job_started" in types and "job_resumed" not in types
    assert sorted(RUNS) == [(first, "rec:0"), (first, "rec:1"), (second, "rec:0"), (second, "rec:1")]
    assert queued_jobs(engine) == []


def test_two_workers_taking_up_at_once_run_each_job_once(engine: sa.Engine) -> None:
    job_ids = [enqueue(engine, _plan(2), client=CLIENT, created_by=None) for _ in range(6)]
    results: list[list[int]] = [[], []]
    start = threading.Barrier(2)

    def worker(slot: int) -> None:
        start.wait()
        results[slot] = _join(take_up_queued_jobs(engine, client_for=lambda _summary: CLIENT))

    threads = [threading.Thread(target=worker, args=(slot,)) for slot in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(results[0] + results[1]) == job_ids, "a job was run by both workers, or by none"
    assert sorted(RUNS) == sorted((job_id, f"rec:{i}") for job_id in job_ids for i in range(2))


def test_a_worker_that_cannot_run_a_job_leaves_it_queued(engine: sa.Engine) -> None:
    job_id = enqueue(engine, _plan(), client=CLIENT, created_by=None)

    assert take_up_queued_jobs(engine, client_for=lambda _summary: None) == []

    assert get_job(engine, job_id).summary.state is JobState.queued
    assert RUNS == []


def test_a_worker_takes_no_more_than_its_limit(engine: sa.Engine) -> None:
    job_ids = [enqueue(engine, _plan(1), client=CLIENT, created_by=None) for _ in range(3)]

    assert _join(take_up_queued_jobs(engine, client_for=lambda _summary: CLIENT, limit=2)) == job_ids[:2]

    assert [j.id for j in queued_jobs(engine)] == job_ids[2:]


def test_a_cancelled_queued_job_is_never_run(engine: sa.Engine) -> None:
    job_id = enqueue(engine, _plan(), client=CLIENT, created_by=None)

    assert cancel_job(engine, job_id).state is JobState.cancelled
    assert take_up_queued_jobs(engine, client_for=lambda _summary: CLIENT) == []
    assert RUNS == []


def test_a_queued_job_cannot_be_rolled_back_before_it_ran(engine: sa.Engine) -> None:
    job_id = enqueue(engine, _plan(), client=CLIENT, created_by=None)

    with pytest.raises(JobStateError, match="has not run yet: nothing to roll back"):
        rollback_job(engine, job_id, client=CLIENT)
    assert get_job(engine, job_id).summary.state is JobState.queued
