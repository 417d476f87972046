"""The job tables and the runner work the same on SQLite and on a real PostgreSQL (no SQLite-only SQL)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from cwdesk.store import metadata, open_database
from cwdesk.workflows.jobs import (
    Action,
    JobBusy,
    JobKind,
    JobState,
    Outcome,
    Plan,
    Step,
    StepContext,
    cancel_job,
    create_job,
    follow_events,
    get_job,
    last_runs,
    list_jobs,
    register_kind,
    rollback_job,
    run_job,
)

MADE: dict[str, int] = {}


def _make(ctx: StepContext) -> Outcome:
    MADE[f"{ctx.job_id}:{ctx.step.key}"] = ctx.step.position
    return Outcome.made("made", id=ctx.step.position)


def _unmake(ctx: StepContext) -> str:
    MADE.pop(f"{ctx.job_id}:{ctx.step.key}")
    return "unmade"


register_kind(JobKind(name="store_test", actions={"make": Action(run=_make, undo=_unmake, creates=True)}))


def plan(n: int) -> Plan:
    return Plan(
        kind="store_test",
        title=f"make {n}",
        params={"n": n, "note": "é ünïcode"},
        steps=[Step(f"rec:{i}", "make", {"i": i}, f"Record {i}") for i in range(n)],
    )


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sa.Engine]:
    if request.param == "sqlite":
        db = open_database(f"sqlite:///{tmp_path / 'jobs.db'}")
        yield db
        db.dispose()
        return
    base_url = request.getfixturevalue("postgres_url")
    # One database per test: the tests stay independent and the server is shared.
    name = f"cwdesk_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    db = open_database(base_url.rsplit("/", 1)[0] + f"/{name}")
    try:
        yield db
    finally:
        db.dispose()
        with admin.connect() as conn:
            # FORCE: the job engine (DBOS) of this process keeps its connections to the database it ran jobs on.
            conn.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


def test_open_database_creates_the_job_tables(engine: sa.Engine) -> None:
    names = set(sa.inspect(engine).get_table_names())
    assert {"jobs", "job_steps", "job_events"} <= names
    assert {"jobs", "job_steps", "job_events"} <= set(metadata.tables)


def test_a_job_runs_lists_and_rolls_back(engine: sa.Engine) -> None:
    first = create_job(engine, plan(3))
    summary = run_job(engine, first, client=None)
    second = create_job(engine, plan(2))

    assert summary.state is JobState.succeeded and summary.counts.ok == 3
    assert [j.id for j in list_jobs(engine)] == [second, first]
    assert list_jobs(engine, state="planned")[0].id == second
    runs = last_runs(engine)
    assert runs["store_test"].id == second
    detail = get_job(engine, first)
    assert detail.params == {"n": 3, "note": "é ünïcode"}
    assert detail.steps[0].started_at is not None and detail.steps[0].started_at.tzinfo is not None

    rolled = rollback_job(engine, first, client=None)

    assert rolled.state is JobState.rolled_back
    assert not [k for k in MADE if k.startswith(f"{first}:")]
    assert cancel_job(engine, second).state is JobState.cancelled


def test_events_are_followed_until_the_job_ends(engine: sa.Engine) -> None:
    job_id = create_job(engine, plan(4))
    seen: list[str] = []
    follower = threading.Thread(
        target=lambda: seen.extend(e.type for e in follow_events(engine, job_id, poll_seconds=0.05, timeout=30))
    )
    follower.start()
    run_job(engine, job_id, client=None)
    follower.join(30)

    assert not follower.is_alive()
    assert seen[0] == "job_created" and seen[-1] == "job_finished" and seen.count("step_ok") == 4


def test_two_processes_cannot_run_the_same_job(engine: sa.Engine) -> None:
    job_id = create_job(engine, plan(1))
    other = open_database(str(engine.url.render_as_string(hide_password=False)))
    try:
        from cwdesk.store.jobs import jobs

        with other.begin() as conn:
            # Another live process on another host holds the job (its heartbeat is fresh).
            conn.execute(
                jobs.update()
                .where(jobs.c.id == job_id)
                .values(state="running", runner="elsewhere:1:abc", heartbeat_at=sa.func.now())
            )
        with pytest.raises(JobBusy):
            run_job(engine, job_id, client=None)
        assert run_job(engine, job_id, client=None, force=True).state is JobState.succeeded
    finally:
        other.dispose()
