"""The durable job runner: steps recorded one by one, resume without repeats, cancel, rollback, events."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

import pytest
import sqlalchemy as sa

from cwdesk.store.jobs import job_steps, jobs
from cwdesk.workflows.jobs import (
    Action,
    JobBusy,
    JobKind,
    JobState,
    JobStateError,
    Outcome,
    Plan,
    Step,
    StepContext,
    StepFailed,
    StepState,
    cancel_job,
    create_job,
    follow_events,
    get_job,
    last_runs,
    list_jobs,
    read_events,
    register_kind,
    rollback_job,
    run_job,
    start_in_background,
)


class Ledger:
    """A tiny stand-in for ConnectWise: named records, a call log, and failures on demand."""

    def __init__(self) -> None:
        self.records: dict[str, dict[str, Any]] = {}
        self.calls: list[tuple[str, str]] = []
        self.fail_on: set[str] = set()
        self.next_id = 100
        self.lock = threading.Lock()

    def create(self, name: str, parent: int | None = None) -> int:
        self.calls.append(("create", name))
        if name in self.fail_on:
            raise RuntimeError(f"server said no to {name}")
        self.next_id += 1
        self.records[name] = {"id": self.next_id, "parent": parent}
        return self.next_id

    def delete(self, name: str) -> None:
        self.calls.append(("delete", name))
        self.records.pop(name)


def _create(ctx: StepContext) -> Outcome:
    ledger: Ledger = ctx.client
    parent = ctx.outcome_of(ctx.params["parent"])["id"] if ctx.params.get("parent") else None
    return Outcome.made(f"created {ctx.params['name']}", id=ledger.create(ctx.params["name"], parent))


def _find(ctx: StepContext) -> Outcome | None:
    ledger: Ledger = ctx.client
    record = ledger.records.get(ctx.params["name"])
    return None if record is None else Outcome.skipped("already exists", id=record["id"])


def _undo(ctx: StepContext) -> str:
    ctx.client.delete(ctx.params["name"])
    return f"deleted {ctx.params['name']}"


register_kind(
    JobKind(
        name="test_chain",
        actions={"create": Action(run=_create, find=_find, undo=_undo, find_first=True, creates=True)},
        stop_on_error=True,
    )
)
register_kind(
    JobKind(
        name="test_each",
        actions={"create": Action(run=_create, find=_find, undo=_undo, creates=True)},
        stop_on_error=False,
    )
)


def chain_plan(*names: str, kind: str = "test_chain") -> Plan:
    steps = []
    previous = None
    for name in names:
        params: Mapping[str, Any] = {"name": name, "parent": previous}
        steps.append(Step(key=f"rec:{name}", action="create", params=params, label=f"Create {name}"))
        previous = f"rec:{name}" if kind == "test_chain" else None
    return Plan(kind=kind, title=f"Make {', '.join(names)}", params={"names": list(names)}, steps=steps)


def test_job_runs_steps_in_order_and_records_each_outcome(engine: sa.Engine) -> None:
    ledger = Ledger()
    job_id = create_job(engine, chain_plan("a", "b", "c"))
    assert get_job(engine, job_id).summary.state is JobState.planned

    summary = run_job(engine, job_id, client=ledger)

    assert summary.state is JobState.succeeded
    assert summary.counts.ok == 3 and summary.counts.total == 3
    assert ledger.calls == [("create", "a"), ("create", "b"), ("create", "c")]
    detail = get_job(engine, job_id)
    assert [s.state for s in detail.steps] == [StepState.ok] * 3
    assert detail.steps[1].outcome == {"id": ledger.records["b"]["id"]}
    # Later steps read earlier outcomes: b's parent is a.
    assert ledger.records["b"]["parent"] == ledger.records["a"]["id"]


def test_failed_job_stops_and_resume_continues_without_repeating(engine: sa.Engine) -> None:
    ledger = Ledger()
    ledger.fail_on = {"b"}
    job_id = create_job(engine, chain_plan("a", "b", "c"))

    summary = run_job(engine, job_id, client=ledger)

    assert summary.state is JobState.failed
    assert "server said no to b" in (summary.message or "")
    assert "cwdesk jobs resume" in (summary.message or "")
    assert [s.state for s in get_job(engine, job_id).steps] == [StepState.ok, StepState.error, StepState.pending]

    ledger.fail_on.clear()
    summary = run_job(engine, job_id, client=ledger)

    assert summary.state is JobState.succeeded
    assert [c for c in ledger.calls if c == ("create", "a")] == [("create", "a")]
    assert set(ledger.records) == {"a", "b", "c"}


def test_step_with_unknown_outcome_is_looked_up_not_repeated(engine: sa.Engine) -> None:
    """A crash between the call and the record: the store says 'running'; resume finds the record."""
    ledger = Ledger()
    job_id = create_job(engine, chain_plan("a", "b", kind="test_each"))
    # Simulate a process that created "a" on the server and died before recording it.
    ledger.create("a")
    with engine.begin() as conn:
        conn.execute(
            job_steps.update()
            .where(job_steps.c.job_id == job_id, job_steps.c.key == "rec:a")
            .values(state="running", attempts=1)
        )
        conn.execute(jobs.update().where(jobs.c.id == job_id).values(state="running", runner="elsewhere:1:x"))

    summary = run_job(engine, job_id, client=ledger, force=True)

    assert summary.state is JobState.succeeded
    assert ledger.calls.count(("create", "a")) == 1
    step_a = get_job(engine, job_id).steps[0]
    assert step_a.state is StepState.ok and step_a.created
    assert "interrupted attempt" in (step_a.message or "")


def test_running_job_held_by_live_process_is_not_taken_over(engine: sa.Engine) -> None:
    import os
    import socket

    job_id = create_job(engine, chain_plan("a"))
    with engine.begin() as conn:
        # The parent of this test process is alive on this host.
        runner = f"{socket.gethostname()}:{os.getppid()}:abc"
        conn.execute(jobs.update().where(jobs.c.id == job_id).values(state="running", runner=runner))

    with pytest.raises(JobBusy, match="running in another process"):
        run_job(engine, job_id, client=Ledger())


def test_crashed_runner_on_this_host_is_taken_over_at_once(engine: sa.Engine) -> None:
    import socket

    job_id = create_job(engine, chain_plan("a"))
    with engine.begin() as conn:
        dead = f"{socket.gethostname()}:999999999:abc"  # no such pid
        conn.execute(jobs.update().where(jobs.c.id == job_id).values(state="running", runner=dead))

    assert run_job(engine, job_id, client=Ledger()).state is JobState.succeeded


def test_succeeded_job_cannot_be_resumed(engine: sa.Engine) -> None:
    job_id = create_job(engine, chain_plan("a"))
    run_job(engine, job_id, client=Ledger())
    with pytest.raises(JobStateError, match="already succeeded"):
        run_job(engine, job_id, client=Ledger())


def test_same_plan_twice_creates_nothing_new(engine: sa.Engine) -> None:
    ledger = Ledger()
    run_job(engine, create_job(engine, chain_plan("a", "b")), client=ledger)
    second = run_job(engine, create_job(engine, chain_plan("a", "b")), client=ledger)

    assert second.state is JobState.succeeded
    assert second.counts.skipped == 2 and second.counts.ok == 0
    assert ledger.calls.count(("create", "a")) == 1


def test_bulk_kind_goes_on_after_an_error_and_ends_partial(engine: sa.Engine) -> None:
    ledger = Ledger()
    ledger.fail_on = {"b"}
    job_id = create_job(engine, chain_plan("a", "b", "c", kind="test_each"))

    summary = run_job(engine, job_id, client=ledger)

    assert summary.state is JobState.partial
    assert (summary.counts.ok, summary.counts.error) == (2, 1)
    ledger.fail_on.clear()
    summary = run_job(engine, job_id, client=ledger)
    assert summary.state is JobState.succeeded
    # b was attempted before with an error: looked up first, then created exactly once.
    assert ledger.calls.count(("create", "b")) == 2 and "b" in ledger.records
    assert ledger.calls.count(("create", "a")) == 1


def test_rollback_deletes_created_records_newest_first_and_spares_existing(engine: sa.Engine) -> None:
    ledger = Ledger()
    ledger.create("a")  # existed before the job
    ledger.fail_on = {"d"}
    job_id = create_job(engine, chain_plan("a", "b", "c", "d"))
    assert run_job(engine, job_id, client=ledger).state is JobState.failed

    summary = rollback_job(engine, job_id, client=ledger)

    assert summary.state is JobState.rolled_back
    deletes = [name for op, name in ledger.calls if op == "delete"]
    assert deletes == ["c", "b"]
    assert set(ledger.records) == {"a"}
    states = [s.state for s in get_job(engine, job_id).steps]
    assert states == [StepState.skipped, StepState.rolled_back, StepState.rolled_back, StepState.error]
    with pytest.raises(JobStateError, match="rolled back"):
        run_job(engine, job_id, client=ledger)


def test_cancel_stops_a_running_job_before_its_next_step(engine: sa.Engine) -> None:
    ledger = Ledger()
    job_id = create_job(engine, chain_plan("a", "b", "c", kind="test_each"))
    seen: list[str] = []

    def on_event(event: Any) -> None:
        seen.append(event.type)
        if event.type == "step_ok" and event.step_key == "rec:a":
            cancel_job(engine, job_id)

    summary = run_job(engine, job_id, client=ledger, on_event=on_event)

    assert summary.state is JobState.cancelled
    assert set(ledger.records) == {"a"}
    assert "cancel_requested" in seen
    # A cancelled job can be resumed later and finishes the rest.
    assert run_job(engine, job_id, client=ledger).state is JobState.succeeded
    assert set(ledger.records) == {"a", "b", "c"}


def test_cancel_a_planned_job_marks_it_cancelled(engine: sa.Engine) -> None:
    job_id = create_job(engine, chain_plan("a"))
    assert cancel_job(engine, job_id).state is JobState.cancelled


def test_events_are_journalled_and_followed_from_another_thread(engine: sa.Engine) -> None:
    ledger = Ledger()
    job_id = create_job(engine, chain_plan("a", "b"))
    followed: list[str] = []

    def follow() -> None:
        for event in follow_events(engine, job_id, poll_seconds=0.05, timeout=20):
            followed.append(event.type)

    follower = threading.Thread(target=follow)
    follower.start()
    worker = start_in_background(engine, job_id, client=ledger)
    worker.join(20)
    follower.join(20)

    assert not follower.is_alive()
    journal = [e.type for e in read_events(engine, job_id)]
    assert followed == journal
    assert journal[0] == "job_created" and journal[-1] == "job_finished"
    assert journal.count("step_ok") == 2


def test_list_jobs_newest_first_with_counts_and_last_runs(engine: sa.Engine) -> None:
    ledger = Ledger()
    first = create_job(engine, chain_plan("a"))
    run_job(engine, first, client=ledger)
    second = create_job(engine, chain_plan("x", "y", kind="test_each"))

    listed = list_jobs(engine)

    assert [j.id for j in listed] == [second, first]
    assert listed[0].as_dict()["counts"] == {
        "total": 2,
        "ok": 0,
        "error": 0,
        "skipped": 0,
        "pending": 2,
        "rolled_back": 0,
    }
    assert list_jobs(engine, kind="test_chain")[0].id == first
    runs = last_runs(engine)
    assert runs["test_chain"].state is JobState.succeeded and runs["test_each"].id == second


def test_step_failed_message_and_data_are_kept_for_the_user(engine: sa.Engine) -> None:
    def refuse(ctx: StepContext) -> Outcome:
        raise StepFailed("Contact 7 is primary and 9 too: clear 9 by hand", data={"primaries": [7, 9]})

    register_kind(JobKind(name="test_refuse", actions={"refuse": Action(run=refuse)}))
    job_id = create_job(engine, Plan(kind="test_refuse", title="t", params={}, steps=[Step("k", "refuse")]))

    run_job(engine, job_id, client=None)

    step = get_job(engine, job_id).steps[0]
    assert step.message == "Contact 7 is primary and 9 too: clear 9 by hand"
    assert step.outcome == {"primaries": [7, 9]}


def test_a_second_process_sees_the_job(engine: sa.Engine, tmp_path: Any) -> None:
    from cwdesk.store import open_database

    job_id = create_job(engine, chain_plan("a"))
    other = open_database(str(engine.url))
    try:
        assert [j.id for j in list_jobs(other)] == [job_id]
    finally:
        other.dispose()
