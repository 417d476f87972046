"""A live job cannot be corrupted by a takeover: the old runner stops before its next write (fencing), and the
heartbeat beats during long steps so a busy runner never looks dead (issue 13, item 1)."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from cwdesk.store.jobs import jobs
from cwdesk.workflows.jobs import (
    Action,
    JobKind,
    JobState,
    LostOwnership,
    Outcome,
    Plan,
    Step,
    StepContext,
    create_job,
    get_job,
    ownership,
    read_events,
    register_kind,
    run_job,
)

CALLS: list[str] = []
TAKEOVER: dict[str, Any] = {}


def _work(ctx: StepContext) -> Outcome:
    CALLS.append(ctx.step.key)
    if ctx.step.key == "step:2" and TAKEOVER.get("pending"):
        TAKEOVER["pending"] = False
        # While this runner is inside step 2, another process takes the job over (--force) and finishes it.
        other = threading.Thread(
            target=lambda: TAKEOVER.update(summary=run_job(TAKEOVER["engine"], ctx.job_id, client=None, force=True))
        )
        other.start()
        other.join(timeout=30)
    return Outcome.done(f"did {ctx.step.key}")


def _slow(ctx: StepContext) -> Outcome:
    engine = ctx.client
    with engine.connect() as conn:
        before = conn.execute(sa.select(jobs.c.heartbeat_at).where(jobs.c.id == ctx.job_id)).scalar_one()
    time.sleep(0.4)
    with engine.connect() as conn:
        after = conn.execute(sa.select(jobs.c.heartbeat_at).where(jobs.c.id == ctx.job_id)).scalar_one()
    return Outcome.done("slow step", before=str(before), after=str(after))


register_kind(JobKind(name="test_takeover", actions={"work": Action(_work)}))
register_kind(JobKind(name="test_long_step", actions={"slow": Action(_slow)}))


def test_a_runner_whose_job_was_taken_over_stops_before_its_next_write(engine: sa.Engine) -> None:
    CALLS.clear()
    TAKEOVER.update(pending=True, engine=engine)
    steps = [Step(f"step:{i}", "work", {}, f"Step {i}") for i in (1, 2, 3)]
    job_id = create_job(engine, Plan(kind="test_takeover", title="three steps", params={}, steps=steps))

    with pytest.raises(LostOwnership, match="was taken over"):
        run_job(engine, job_id, client=None)

    events = read_events(engine, job_id)
    # The new runner finished the job; the old one wrote nothing after the takeover, and never ran step 3.
    assert TAKEOVER["summary"].state is JobState.succeeded
    assert [e.type for e in events].count("job_finished") == 1
    assert "takeover" in [e.type for e in events]
    assert CALLS == ["step:1", "step:2", "step:2", "step:3"]  # step 2 again by the new runner (outcome unknown)
    old_runner = next(e.runner for e in events if e.type == "job_started")
    takeover_at = next(e.id for e in events if e.type == "takeover")
    assert not [e for e in events if e.runner == old_runner and e.id > takeover_at]
    assert get_job(engine, job_id).summary.state is JobState.succeeded


def test_the_heartbeat_beats_while_a_long_step_runs(engine: sa.Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ownership, "HEARTBEAT_EVERY", timedelta(milliseconds=50))
    job_id = create_job(
        engine, Plan(kind="test_long_step", title="one long step", params={}, steps=[Step("slow:1", "slow", {})])
    )

    summary = run_job(engine, job_id, client=engine)

    assert summary.state is JobState.succeeded
    outcome = get_job(engine, job_id).steps[0].outcome or {}
    assert outcome["after"] > outcome["before"]  # beaten during the step, not only between steps
