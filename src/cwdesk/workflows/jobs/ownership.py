"""Who runs a job: the claim (one runner at a time, takeover only of a runner that is gone), the heartbeat, and
the fenced journal writer (a runner that lost the job stops before its next write).
"""

from __future__ import annotations

import os
import socket
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from cwdesk.store.jobs import job_steps, jobs
from cwdesk.workflows.jobs.events import _HUB, EventCallback, _add_event, _aware, _now, read_events
from cwdesk.workflows.jobs.model import JobBusy, JobState, JobStateError, JobSummary, LostOwnership
from cwdesk.workflows.jobs.records import _counts_for, _load_summary

# A running job whose process shows no sign of life for this long may be taken over by another process.
STALE_AFTER = timedelta(minutes=2)
# How often a runner says it is alive while a step runs (a long step must not look like a dead process).
HEARTBEAT_EVERY = STALE_AFTER / 4


def _runner_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _runner_is_alive(runner: str | None) -> bool | None:
    """True/False when the runner ran on this host (its pid can be checked), None when it is unknown."""
    if not runner:
        return False
    parts = runner.split(":")
    if len(parts) != 3 or parts[0] != socket.gethostname():
        return None
    try:
        pid = int(parts[1])
    except ValueError:
        return None
    if pid == os.getpid():
        # This process: alive only if one of our own threads holds it.
        with _ACTIVE_LOCK:
            return runner in _ACTIVE_RUNNERS
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _runner_is_gone(alive: bool | None, stale: bool) -> bool:
    """The one rule for taking a running job from its runner: its process is dead on this host, or (another host,
    ``alive`` unknown) its heartbeat is older than ``STALE_AFTER``."""
    return alive is False or (alive is None and stale)


_ACTIVE_RUNNERS: set[str] = set()
_ACTIVE_LOCK = threading.Lock()


class _Journal:
    """Writes step and job changes with their event in one transaction, then tells listeners."""

    def __init__(self, engine: sa.Engine, job_id: int, runner: str, on_event: EventCallback | None) -> None:
        self.engine = engine
        self.job_id = job_id
        self.runner = runner
        self.on_event = on_event
        self._last_event_id = 0

    def write(
        self,
        type_: str,
        message: str = "",
        *,
        step_key: str | None = None,
        data: Mapping[str, Any] | None = None,
        job_values: Mapping[str, Any] | None = None,
        step_values: Mapping[str, Any] | None = None,
    ) -> None:
        now = _now()
        with self.engine.begin() as conn:
            values: dict[str, Any] = {"updated_at": now, "heartbeat_at": now}
            if job_values:
                values.update(job_values)
            # Fencing: only the job's current runner may write. One that lost the job (taken over while it looked
            # dead) stops here, before its step or event is written and before its next call to ConnectWise.
            owned = conn.execute(
                jobs.update().where(jobs.c.id == self.job_id, jobs.c.runner == self.runner).values(**values)
            )
            if owned.rowcount != 1:
                holder = conn.execute(sa.select(jobs.c.runner).where(jobs.c.id == self.job_id)).scalar_one_or_none()
                raise LostOwnership(
                    f"Job {self.job_id} was taken over by {holder or 'another process'}: this process "
                    f"({self.runner}) stopped before writing {type_!r}. `cwdesk jobs show {self.job_id}` shows it."
                )
            if step_values is not None:
                assert step_key is not None
                conn.execute(
                    job_steps.update()
                    .where(job_steps.c.job_id == self.job_id, job_steps.c.key == step_key)
                    .values(**step_values)
                )
            _add_event(conn, self.job_id, type_, message, step_key=step_key, data=data, runner=self.runner)
        _HUB.notify()
        if self.on_event is not None:
            for event in read_events(self.engine, self.job_id, after_id=self._last_event_id):
                self._last_event_id = event.id
                self.on_event(event)

    @contextmanager
    def beating(self) -> Iterator[None]:
        """Say the runner is alive every ``HEARTBEAT_EVERY`` while the block runs (long steps included)."""
        stop = threading.Event()

        def beat() -> None:
            while not stop.wait(HEARTBEAT_EVERY.total_seconds()):
                with self.engine.begin() as conn:
                    alive = conn.execute(
                        jobs.update()
                        .where(jobs.c.id == self.job_id, jobs.c.runner == self.runner)
                        .values(heartbeat_at=_now())
                    )
                if alive.rowcount != 1:
                    return  # taken over: the next journal write stops the runner

        thread = threading.Thread(target=beat, name=f"cwdesk-heartbeat-{self.job_id}", daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join(timeout=5)

    def cancel_requested(self) -> bool:
        with self.engine.connect() as conn:
            return bool(conn.execute(sa.select(jobs.c.cancel_requested).where(jobs.c.id == self.job_id)).scalar_one())


def _claim(engine: sa.Engine, job_id: int, runner: str, *, allowed: frozenset[JobState], force: bool) -> JobSummary:
    """Take the job for this process, or explain who holds it."""
    now = _now()
    # Alive before the claim commits: another thread of this process that reads the job between the commit and
    # this registration would otherwise take the runner for dead and take the job over (two runs of one job).
    with _ACTIVE_LOCK:
        _ACTIVE_RUNNERS.add(runner)
    try:
        summary = _claim_in_store(engine, job_id, runner, now, allowed=allowed, force=force)
    except BaseException:
        with _ACTIVE_LOCK:
            _ACTIVE_RUNNERS.discard(runner)
        raise
    return summary


def _claim_in_store(
    engine: sa.Engine, job_id: int, runner: str, now: datetime, *, allowed: frozenset[JobState], force: bool
) -> JobSummary:
    takeover: dict[str, Any] | None = None
    with engine.begin() as conn:
        summary = _load_summary(conn, job_id)
        if summary.state is JobState.running:
            alive = _runner_is_alive(summary.runner)
            heartbeat = _aware(conn.execute(sa.select(jobs.c.heartbeat_at).where(jobs.c.id == job_id)).scalar_one())
            stale = heartbeat is None or now - heartbeat > STALE_AFTER
            takeover = {
                "from": summary.runner,
                "to": runner,
                "forced": force,
                "previous_alive": alive,
                "heartbeat_age_s": round((now - heartbeat).total_seconds(), 1) if heartbeat is not None else None,
            }
            if not force and not _runner_is_gone(alive, stale):
                raise JobBusy(
                    f"Job {job_id} is running in another process ({summary.runner}); wait for it, "
                    "`cwdesk jobs cancel` it, or resume with --force if that process is gone."
                )
            condition = sa.and_(jobs.c.state == JobState.running.value, jobs.c.runner == summary.runner)
        elif summary.state in allowed:
            condition = jobs.c.state == summary.state.value
        else:
            raise JobStateError(_not_allowed_message(job_id, summary.state))
        result = conn.execute(
            jobs.update()
            .where(jobs.c.id == job_id, condition)
            .values(
                state=JobState.running.value,
                runner=runner,
                heartbeat_at=now,
                updated_at=now,
                started_at=summary.started_at or now,
                finished_at=None,
                cancel_requested=False,
            )
        )
        if result.rowcount != 1:
            raise JobBusy(f"Job {job_id} was taken by another process just now; `cwdesk jobs show {job_id}`.")
        if takeover is not None:
            # Which runner took the job from which, and why it was allowed (issue 13: takeovers are journalled).
            reason = "forced" if force else ("its process is gone" if takeover["previous_alive"] is False else "stale")
            _add_event(
                conn,
                job_id,
                "takeover",
                f"Taken over from runner {summary.runner} ({reason})",
                data=takeover,
                runner=runner,
            )
    return summary


def _not_allowed_message(job_id: int, state: JobState) -> str:
    if state is JobState.succeeded:
        return f"Job {job_id} already succeeded: nothing to resume."
    if state is JobState.rolled_back:
        return f"Job {job_id} was rolled back: start a new job instead."
    if state in (JobState.planned, JobState.queued):
        return f"Job {job_id} has not run yet: nothing to roll back."
    return f"Job {job_id} is {state.value}: that request does not apply."


# A job claimed by this process, waiting to run: call it with the client and an optional event callback.
_TakenJob = Callable[[Any, EventCallback | None], JobSummary]


def _finish(journal: _Journal, state: JobState, message: str) -> JobSummary:
    with journal.engine.connect() as conn:
        counts = _counts_for(conn, [journal.job_id])[journal.job_id]
    journal.write(
        "job_finished",
        message,
        data={"state": state.value, "counts": counts.as_dict()},
        job_values={
            "state": state.value,
            "finished_at": _now(),
            "message": message,
            "runner": None,
            "cancel_requested": False,
        },
    )
    with journal.engine.connect() as conn:
        return _load_summary(conn, journal.job_id)
