"""Running a job: its steps in order, each journalled before and after the call, looked up first when an earlier
attempt's outcome is unknown, retried with the SDK's backoff after a transient failure; cancel.
"""

from __future__ import annotations

import dataclasses
import sys
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import sqlalchemy as sa

from cwdesk._http.retry import RetryPolicy, backoff_delay
from cwdesk._http.throttle import background_calls
from cwdesk.errors import APIConnectionError, RateLimitError, ServerError
from cwdesk.store.jobs import jobs
from cwdesk.workflows.jobs.events import _HUB, EventCallback, _add_event, _now
from cwdesk.workflows.jobs.kinds import Action, JobKind, StepContext, get_kind
from cwdesk.workflows.jobs.model import (
    DONE_STEP_STATES,
    RESUMABLE_STATES,
    JobError,
    JobState,
    JobStateError,
    JobSummary,
    Outcome,
    StepFailed,
    StepState,
    _describe_error,
)
from cwdesk.workflows.jobs.ownership import (
    _ACTIVE_LOCK,
    _ACTIVE_RUNNERS,
    _claim,
    _finish,
    _Journal,
    _runner_id,
    _runner_is_alive,
    _TakenJob,
)
from cwdesk.workflows.jobs.records import _load_summary, check_target, get_job

# Failures after which a step may be tried again (``Action.retries``): nothing says the server refused for good.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (APIConnectionError, ServerError, RateLimitError)
STEP_RETRY_POLICY = RetryPolicy()
_sleep = time.sleep  # tests replace it to keep retries instant


def run_job(
    engine: sa.Engine,
    job_id: int,
    *,
    client: Any,
    on_event: EventCallback | None = None,
    force: bool = False,
) -> JobSummary:
    """Run (or resume) a job to its end in this thread; return its summary.

    Steps already ``ok``/``skipped`` are not repeated; a step whose earlier attempt may have reached the server is
    looked up by its natural key first. Raises :class:`JobBusy` if a live process holds the job, and
    :class:`JobStateError` if it succeeded or was rolled back. Step failures do not raise: they are recorded and
    the summary's state says ``failed`` or ``partial``.
    """
    return _take_for_run(engine, job_id, client, force=force)(client, on_event)


def _take_for_run(engine: sa.Engine, job_id: int, client: object, *, force: bool) -> _TakenJob:
    """Check the client's ConnectWise, then claim the job now (raising as :func:`run_job` does); the returned
    function runs its steps."""
    with engine.connect() as conn:
        summary = _load_summary(conn, job_id)
    kind = get_kind(summary.kind)
    check_target(summary, client, force=force)
    runner = _runner_id()
    previous = _claim(engine, job_id, runner, allowed=RESUMABLE_STATES, force=force)

    def run(client: Any, on_event: EventCallback | None) -> JobSummary:
        # Imported here, not at the top: short CLI commands import this package and must not start DBOS.
        from cwdesk.workflows.jobs import durable

        journal = _Journal(engine, job_id, runner, on_event)
        try:
            with journal.beating(), background_calls():  # (a person's reads go first: _http/throttle.py lanes)
                return durable.run_on_dbos(
                    engine,
                    job_id,
                    kind,
                    client,
                    journal,
                    resumed=previous.state not in (JobState.planned, JobState.queued),
                )
        finally:
            with _ACTIVE_LOCK:
                _ACTIVE_RUNNERS.discard(runner)

    return run


def resume_job(
    engine: sa.Engine,
    job_id: int,
    *,
    client: Any,
    on_event: EventCallback | None = None,
    force: bool = False,
) -> JobSummary:
    """Continue a failed, partial, cancelled or interrupted job (the same rules as :func:`run_job`)."""
    return run_job(engine, job_id, client=client, on_event=on_event, force=force)


# What one step's execution answers (JSON, so DBOS can checkpoint it): "done" (recorded before this run), "ok",
# "skipped", "error" (recorded; a bulk job goes on), "stop" (the job fails with ``message``) or "cancelled".
StepVerdict = dict[str, str]


class StepRun:
    """One execution of a job's steps in this process: the client, the journal and the outcomes read so far, which
    neither the store nor DBOS keeps (the client holds keys; outcomes are rebuilt from the store at each run)."""

    def __init__(self, engine: sa.Engine, job_id: int, kind: JobKind, client: Any, journal: _Journal) -> None:
        self.engine = engine
        self.job_id = job_id
        self.kind = kind
        self.client = client
        self.journal = journal
        self.detail = get_job(engine, job_id)
        self.outcomes: dict[str, Mapping[str, Any]] = {
            s.key: (s.outcome or {}) for s in self.detail.steps if s.state in (StepState.ok, StepState.skipped)
        }
        self._steps = {s.position: s for s in self.detail.steps}

    def step(self, position: int) -> StepVerdict:
        """Do the step at ``position`` (unless it was done before this run) and journal its outcome."""
        step = self._steps[position]
        job_id, journal, kind = self.job_id, self.journal, self.kind
        if step.state in DONE_STEP_STATES:
            return {"verdict": "done"}
        if journal.cancel_requested():
            return {"verdict": "cancelled"}
        action = kind.actions.get(step.action)
        if action is None:
            return {"verdict": "stop", "message": f"Step {step.key!r}: unknown action {step.action!r}."}
        # An earlier attempt that never recorded a result (crash) or failed (perhaps a timeout after the server
        # acted) may have changed ConnectWise: look before acting again.
        unknown = step.attempts > 0 and step.state in (StepState.running, StepState.error)
        journal.write(
            "step_started",
            step.label or step.key,
            step_key=step.key,
            step_values={
                "state": StepState.running.value,
                "attempts": step.attempts + 1,
                "started_at": _now(),
                "finished_at": None,
            },
        )
        ctx = StepContext(
            client=self.client,
            job_id=job_id,
            job_params=self.detail.params,
            step=step,
            outcomes=self.outcomes,
            outcome_unknown=unknown,
        )
        try:
            outcome = _attempt(action, ctx)
        except Exception as exc:
            message = _describe_error(exc)
            if action.explain is not None:
                message = action.explain(ctx, exc)
            data = exc.data if isinstance(exc, StepFailed) else {}
            journal.write(
                "step_error",
                f"{step.label or step.key}: {message}",
                step_key=step.key,
                data={"error": message, **data},
                step_values={
                    "state": StepState.error.value,
                    "message": message,
                    "outcome": data or None,
                    "finished_at": _now(),
                },
            )
            if kind.stop_on_error:
                return {
                    "verdict": "stop",
                    "message": f"Stopped at step {step.position} ({step.label or step.key}): {message}. "
                    f"Fix the cause, then `cwdesk jobs resume {job_id}`; or `cwdesk jobs rollback {job_id}`.",
                }
            return {"verdict": "error"}
        self.outcomes[step.key] = dict(outcome.data)
        journal.write(
            "step_ok" if outcome.state is StepState.ok else "step_skipped",
            f"{step.label or step.key}: {outcome.message}" if outcome.message else (step.label or step.key),
            step_key=step.key,
            data={"created": outcome.created, **dict(outcome.data)},
            step_values={
                "state": outcome.state.value,
                "created": outcome.created,
                "message": outcome.message,
                "outcome": dict(outcome.data),
                "finished_at": _now(),
            },
        )
        return {"verdict": outcome.state.value}


# How the runner has a step done: directly, or as a DBOS step (``durable.py``) that checkpoints its verdict.
StepCall = Callable[[StepRun, int], StepVerdict]


def _direct(run: StepRun, position: int) -> StepVerdict:
    return run.step(position)


def _run_steps(
    engine: sa.Engine,
    job_id: int,
    kind: JobKind,
    client: Any,
    journal: _Journal,
    *,
    resumed: bool,
    call_step: StepCall = _direct,
) -> JobSummary:
    """Every step of the plan in order (done ones answer at once, so a replay meets the steps in the same order),
    then the job's final state."""
    run = StepRun(engine, job_id, kind, client, journal)
    detail = run.detail
    todo = [s for s in detail.steps if s.state not in DONE_STEP_STATES]
    journal.write(
        "job_resumed" if resumed else "job_started",
        f"{'Resuming' if resumed else 'Starting'} {detail.summary.title}: {len(todo)} of {len(detail.steps)} "
        "steps to do",
        data={"todo": len(todo), "total": len(detail.steps)},
    )
    errors = 0
    for step in detail.steps:
        verdict = call_step(run, step.position)
        if verdict["verdict"] == "cancelled":
            return _finish(journal, JobState.cancelled, "Cancelled: the remaining steps were not run.")
        if verdict["verdict"] == "stop":
            return _finish(journal, JobState.failed, verdict["message"])
        if verdict["verdict"] == "error":
            errors += 1
    if errors:
        return _finish(
            journal,
            JobState.partial,
            f"Finished with {errors} failed step(s); fix the cause and `cwdesk jobs resume {job_id}` to retry them.",
        )
    return _finish(journal, JobState.succeeded, "Finished.")


def _attempt(action: Action[Any], ctx: StepContext[Any]) -> Outcome:
    """One step: look first when the outcome may be unknown, then run; transient failures retried with backoff."""
    tries = 0
    while True:
        try:
            outcome = None
            if action.find is not None and (ctx.outcome_unknown or action.find_first):
                outcome = action.find(ctx)
                if outcome is not None and ctx.outcome_unknown and action.creates:
                    # Found after an interrupted create of this very step: this job made it (rollback may undo it).
                    outcome = Outcome(
                        StepState.ok,
                        f"{outcome.message} (created by an earlier, interrupted attempt)".strip(),
                        outcome.data,
                        created=True,
                    )
            return outcome if outcome is not None else action.run(ctx)
        except TRANSIENT_ERRORS:
            if tries >= action.retries:
                raise
            _sleep(backoff_delay(tries, STEP_RETRY_POLICY))
            tries += 1
            ctx = dataclasses.replace(ctx, outcome_unknown=True)


def start_in_background(
    engine: sa.Engine,
    job_id: int,
    *,
    client: Any,
    on_event: EventCallback | None = None,
) -> threading.Thread:
    """Run the job on a new (non-daemon) thread and return it; failures to start are journalled, not raised.

    The console calls this and then follows the job with :func:`follow_events`: the job does not depend on any
    browser connection, and another process on the same database sees it in ``list_jobs``.
    """

    def work() -> None:
        try:
            run_job(engine, job_id, client=client, on_event=on_event)
        except JobError as exc:
            with engine.begin() as conn:
                _add_event(conn, job_id, "job_not_started", str(exc))
            _HUB.notify()

    thread = threading.Thread(target=work, name=f"cwdesk-job-{job_id}", daemon=False)
    thread.start()
    return thread


def resume_in_background(engine: sa.Engine, job_id: int, *, client: Any, force: bool = False) -> threading.Thread:
    """Claim the job in this thread, then run it on a new one: a refused resume raises here, not in the thread.

    The console answers a resume with this, so a refusal (:class:`JobBusy`, :class:`JobStateError`) reaches the
    user and the audit log as ``refused`` instead of being journalled after a "resume requested".
    """
    run = _take_for_run(engine, job_id, client, force=force)
    thread = threading.Thread(target=run, args=(client, None), name=f"cwdesk-job-{job_id}", daemon=False)
    thread.start()
    return thread


def cancel_job(engine: sa.Engine, job_id: int) -> JobSummary:
    """Stop a job: a running one stops before its next step; a waiting or stopped one is marked cancelled."""
    now = _now()
    with engine.begin() as conn:
        summary = _load_summary(conn, job_id)
        if summary.state is JobState.running and _runner_is_alive(summary.runner) is not False:
            conn.execute(jobs.update().where(jobs.c.id == job_id).values(cancel_requested=True, updated_at=now))
            _add_event(conn, job_id, "cancel_requested", "Cancel requested: the job stops before its next step.")
        elif summary.state in (JobState.planned, JobState.queued, JobState.failed, JobState.partial, JobState.running):
            conn.execute(
                jobs.update()
                .where(jobs.c.id == job_id)
                .values(
                    state=JobState.cancelled.value,
                    updated_at=now,
                    finished_at=now,
                    runner=None,
                    message="Cancelled.",
                )
            )
            _add_event(conn, job_id, "job_finished", "Cancelled.", data={"state": JobState.cancelled.value})
        else:
            raise JobStateError(f"Job {job_id} is {summary.state.value}: there is nothing to cancel.")
    _HUB.notify()
    # A process where DBOS runs also cancels the job's DBOS runs (one whose process died stays pending otherwise).
    # Short CLI commands never import DBOS: the request in the store reaches the runner wherever it runs.
    durable = sys.modules.get("cwdesk.workflows.jobs.durable")
    if durable is not None:
        durable.cancel_runs(engine, job_id)
    with engine.connect() as conn:
        return _load_summary(conn, job_id)
