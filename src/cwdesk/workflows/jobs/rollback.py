"""Rollback: the preview (``plan_rollback``: what would be deleted, restored, left) and the undo, newest first,
that never overwrites a record someone changed since.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from cwdesk.workflows.jobs.events import EventCallback, _now
from cwdesk.workflows.jobs.kinds import JobKind, StepContext, get_kind
from cwdesk.workflows.jobs.model import (
    ChangedSince,
    JobDetail,
    JobError,
    JobNotFound,
    JobState,
    JobStateError,
    JobSummary,
    StepRecord,
    StepState,
    _describe_error,
)
from cwdesk.workflows.jobs.ownership import (
    _ACTIVE_LOCK,
    _ACTIVE_RUNNERS,
    _claim,
    _finish,
    _Journal,
    _not_allowed_message,
    _runner_id,
    _TakenJob,
)
from cwdesk.workflows.jobs.records import check_target, get_job


def rollback_in_background(engine: sa.Engine, job_id: int, *, client: Any, force: bool = False) -> threading.Thread:
    """Claim the job for its rollback in this thread (refusals raise here), then undo on a new thread."""
    undo = _take_for_rollback(engine, job_id, client, force=force)

    def work() -> None:
        # Why a rollback stopped is journalled by the runner; the job page shows it.
        with contextlib.suppress(JobError):
            undo(client, None)

    thread = threading.Thread(target=work, name=f"cwdesk-rollback-{job_id}", daemon=False)
    thread.start()
    return thread


@dataclass(frozen=True)
class RollbackPlan:
    """What rolling a job back would do, newest step first, before anything is done.

    ``delete``: records the job created (undone by deleting them). ``restore``: records that already existed and
    that the job changed (undone by putting back the value it replaced, unless changed since). ``covered``: changes
    inside a record the job created (undone when that record is deleted). ``cannot``: changes nothing can undo,
    each with the reason.
    """

    job_id: int
    delete: Sequence[StepRecord]
    restore: Sequence[StepRecord]
    covered: Sequence[StepRecord]
    cannot: Sequence[tuple[StepRecord, str]]

    @property
    def undoable(self) -> bool:
        return bool(self.delete or self.restore)

    def refusal(self) -> str:
        """Why this job cannot be rolled back (only meaningful when nothing is undoable)."""
        if self.cannot:
            reasons = "; ".join(f"{step.label or step.key}: {why}" for step, why in self.cannot[:5])
            more = f" (and {len(self.cannot) - 5} more)" if len(self.cannot) > 5 else ""
            return f"Job {self.job_id} cannot be rolled back: nothing it did can be undone ({reasons}{more})."
        return f"Job {self.job_id} changed nothing that is still there: there is nothing to roll back."

    def as_dict(self) -> dict[str, Any]:
        def rows(steps: Sequence[StepRecord]) -> list[dict[str, Any]]:
            return [{"key": s.key, "label": s.label or s.key, "outcome": dict(s.outcome or {})} for s in steps]

        return {
            "job_id": self.job_id,
            "undoable": self.undoable,
            "delete": rows(self.delete),
            "restore": rows(self.restore),
            "covered": rows(self.covered),
            "cannot": [{"key": s.key, "label": s.label or s.key, "reason": why} for s, why in self.cannot],
        }


def plan_rollback(detail: JobDetail) -> RollbackPlan:
    """Sort the job's done steps into what a rollback deletes, restores, undoes by a deletion, or cannot undo."""
    kind = get_kind(detail.summary.kind)
    created_keys = {s.key for s in detail.steps if s.created and s.state is StepState.ok}
    delete: list[StepRecord] = []
    restore: list[StepRecord] = []
    covered: list[StepRecord] = []
    cannot: list[tuple[StepRecord, str]] = []
    for step in reversed(detail.steps):
        if step.state is not StepState.ok:
            continue  # skipped, failed, pending or already undone: nothing of it to undo
        action = kind.actions.get(step.action)
        if action is not None and action.reads_only:
            continue
        if action is None:
            cannot.append((step, f"this version of cwdesk does not know the step action {step.action!r}"))
        elif step.created:
            if action.undo is not None:
                delete.append(step)
            else:
                cannot.append((step, action.not_undoable))
        elif action.covered_by and str(step.params.get(action.covered_by)) in created_keys:
            covered.append(step)
        elif action.restore is not None:
            restore.append(step)
        else:
            cannot.append((step, action.not_undoable))
    return RollbackPlan(detail.summary.id, delete, restore, covered, cannot)


def rollback_job(
    engine: sa.Engine,
    job_id: int,
    *,
    client: Any,
    on_event: EventCallback | None = None,
    force: bool = False,
) -> JobSummary:
    """Undo what the job did, newest first: delete what it created, put back what it changed.

    A record changed since the job (by someone else) is left as it is and reported. A job with nothing to undo is
    refused (:class:`JobStateError`) before anything is claimed or written. The job ends ``rolled_back`` only when
    something was undone; its message says what was deleted, restored, left as it is and could not be undone.
    Stops at the first undo that fails (the job ends ``failed``: run rollback again after fixing the cause).
    """
    return _take_for_rollback(engine, job_id, client, force=force)(client, on_event)


ROLLBACK_STATES = frozenset({JobState.failed, JobState.partial, JobState.cancelled, JobState.succeeded})


def _take_for_rollback(engine: sa.Engine, job_id: int, client: object, *, force: bool) -> _TakenJob:
    """Check the rollback can undo something, then claim the job for it now (raising as :func:`rollback_job`
    does); the returned function undoes."""
    try:
        detail = get_job(engine, job_id)
    except JobNotFound:
        raise JobNotFound(f"No job {job_id}: `cwdesk jobs list` shows the jobs in this database.") from None
    kind = get_kind(detail.summary.kind)
    check_target(detail.summary, client, force=force)
    if detail.summary.state not in ROLLBACK_STATES and detail.summary.state is not JobState.running:
        raise JobStateError(_not_allowed_message(job_id, detail.summary.state))
    plan = plan_rollback(detail)
    if not plan.undoable:
        raise JobStateError(plan.refusal())
    runner = _runner_id()
    before = _claim(engine, job_id, runner, allowed=ROLLBACK_STATES, force=force)

    def undo(client: Any, on_event: EventCallback | None) -> JobSummary:
        journal = _Journal(engine, job_id, runner, on_event)
        with journal.beating():
            return _roll_back(job_id, kind, detail, plan, before.state, client, journal)

    return undo


def _roll_back(
    job_id: int,
    kind: JobKind,
    detail: JobDetail,
    plan: RollbackPlan,
    state_before: JobState,
    client: Any,
    journal: _Journal,
) -> JobSummary:
    runner = journal.runner
    try:
        outcomes = {s.key: (s.outcome or {}) for s in detail.steps if s.state in (StepState.ok, StepState.skipped)}
        to_delete = {s.key for s in plan.delete}
        to_restore = {s.key for s in plan.restore}
        targets = [s for s in reversed(detail.steps) if s.key in to_delete or s.key in to_restore]
        journal.write(
            "rollback_started",
            f"Rolling back: {len(plan.delete)} record(s) to delete, {len(plan.restore)} change(s) to put back",
            data={k: len(v) for k, v in plan.as_dict().items() if isinstance(v, list)},
        )
        deleted: list[str] = []
        restored: list[str] = []
        left: list[str] = []
        for step in targets:
            action = kind.actions[step.action]
            undo = action.undo if step.key in to_delete else action.restore
            assert undo is not None  # plan_rollback only lists steps that have one
            ctx = StepContext(client=client, job_id=job_id, job_params=detail.params, step=step, outcomes=outcomes)
            name = step.label or step.key
            try:
                message = undo(ctx)
            except ChangedSince as changed:
                left.append(name)
                journal.write("step_rollback_skipped", f"Left {name} as it is: {changed}", step_key=step.key)
                continue
            except Exception as exc:
                text = _describe_error(exc)
                journal.write("step_error", f"Undo {name}: {text}", step_key=step.key)
                return _finish(
                    journal,
                    JobState.failed,
                    f"Rollback stopped at {name}: {text} ({_undone(deleted, restored)} before it). "
                    f"Fix the cause and run `cwdesk jobs rollback {job_id}` again.",
                )
            (deleted if step.key in to_delete else restored).append(name)
            journal.write(
                "step_rolled_back",
                message or f"Undid {name}",
                step_key=step.key,
                step_values={"state": StepState.rolled_back.value, "finished_at": _now()},
            )
        for step, why in plan.cannot:
            journal.write("step_not_undone", f"Not undone: {step.label or step.key}: {why}", step_key=step.key)
        message = _rollback_message(deleted, restored, left, plan.cannot)
        if not deleted and not restored:
            # Nothing was undone (every record changed since): the job keeps the state it had.
            return _finish(journal, state_before, message)
        return _finish(journal, JobState.rolled_back, message)
    finally:
        with _ACTIVE_LOCK:
            _ACTIVE_RUNNERS.discard(runner)


def _undone(deleted: Sequence[str], restored: Sequence[str]) -> str:
    return f"{len(deleted)} deleted, {len(restored)} put back"


def _rollback_message(
    deleted: Sequence[str], restored: Sequence[str], left: Sequence[str], cannot: Sequence[tuple[StepRecord, str]]
) -> str:
    parts = [f"Rolled back: {_undone(deleted, restored)}" if deleted or restored else "Nothing was undone"]
    if left:
        names = ", ".join(left[:5]) + (f" and {len(left) - 5} more" if len(left) > 5 else "")
        parts.append(f"{len(left)} left as they are because they changed since the job ({names})")
    if cannot:
        parts.append(f"{len(cannot)} cannot be undone automatically (see the job's journal)")
    return "; ".join(parts) + "."
