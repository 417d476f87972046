"""One look of a worker (``work_once``, also the live console's ``OrphanWatch``): queued jobs and due schedules are
started here, each once; a job or schedule made against another ConnectWise is left (issue 13, item 1)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from cwdesk.manage.client import ManageClient
from cwdesk.sandbox import Sandbox
from cwdesk.store.jobs import jobs
from cwdesk.store.schedules import schedules
from cwdesk.workflows.jobs import JobState, enqueue, get_job
from cwdesk.workflows.schedules import add_schedule, list_schedules, parse_every
from cwdesk.workflows.worker import OrphanWatch, work_once
from tests.workflows.test_job_queue import _plan


@pytest.fixture
def cw(sandbox: Sandbox) -> Iterator[ManageClient]:
    with ManageClient(**sandbox.manage_credentials, transport=sandbox.transport()) as client:
        yield client


def test_one_look_runs_the_queued_job_and_the_due_schedule_once(engine: sa.Engine, cw: ManageClient) -> None:
    job_id = enqueue(engine, _plan(2), client=cw, created_by=None)
    schedule = add_schedule(engine, "sync", every=parse_every("15m"), kind="companies", client=cw, created_by=None)

    started = work_once(engine, manage=cw, automate=None)
    for _what, _id, thread in started:
        thread.join(timeout=60)

    assert sorted((what, item) for what, item, _thread in started) == [("queued", job_id), ("schedule", schedule.id)]
    assert get_job(engine, job_id).summary.state is JobState.succeeded
    assert list_schedules(engine)[0].last_state == "succeeded"
    assert work_once(engine, manage=cw, automate=None) == []  # nothing left: the job ran, the next period is later


def test_work_made_against_another_connectwise_is_left_alone(engine: sa.Engine, cw: ManageClient) -> None:
    job_id = enqueue(engine, _plan(1), client=cw, created_by=None)
    schedule = add_schedule(engine, "sync", every=parse_every("15m"), kind="companies", client=cw, created_by=None)
    elsewhere = "https://other.example/v4_6_release/apis/3.0 (other)"
    with engine.begin() as conn:
        conn.execute(jobs.update().where(jobs.c.id == job_id).values(target=elsewhere))
        conn.execute(schedules.update().where(schedules.c.id == schedule.id).values(target=elsewhere))

    assert work_once(engine, manage=cw, automate=None) == []

    assert get_job(engine, job_id).summary.state is JobState.queued
    assert list_schedules(engine)[0].runs == 0


def test_the_console_watch_runs_a_job_queued_elsewhere(engine: sa.Engine, cw: ManageClient) -> None:
    job_id = enqueue(engine, _plan(1), client=cw, created_by=None)
    watch = OrphanWatch(engine, manage=cw, automate=None, every=0.05)
    watch.start()
    try:
        deadline = time.monotonic() + 30
        while get_job(engine, job_id).summary.state is not JobState.succeeded:
            assert time.monotonic() < deadline, f"still {get_job(engine, job_id).summary.state}"
            time.sleep(0.05)
    finally:
        watch.stop()
