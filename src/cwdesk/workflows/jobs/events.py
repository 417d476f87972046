"""The journal of a job as its readers see it: reading events, following them from any thread or process
(``follow_events`` / ``afollow_events``), and the in-process hub that wakes followers at once.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from cwdesk.store.jobs import job_events, jobs
from cwdesk.workflows.jobs.model import FINAL_STATES, JobEvent, JobNotFound, JobState

# ---------------------------------------------------------------------------------------------------------------
# In-process notification: wakes followers at once when a job runs in this process (others poll the store).


class _EventHub:
    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._version = 0

    def notify(self) -> None:
        with self._condition:
            self._version += 1
            self._condition.notify_all()

    @property
    def version(self) -> int:
        with self._condition:
            return self._version

    def wait(self, seen: int, timeout: float) -> None:
        with self._condition:
            if self._version == seen:
                self._condition.wait(timeout)


_HUB = _EventHub()


# ---------------------------------------------------------------------------------------------------------------
# Store helpers.


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(value: datetime | None) -> datetime | None:
    # SQLite hands timestamps back without a zone; everything we write is UTC.
    if value is None:
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _add_event(
    conn: sa.Connection,
    job_id: int,
    type_: str,
    message: str = "",
    *,
    step_key: str | None = None,
    data: Mapping[str, Any] | None = None,
    runner: str | None = None,
) -> None:
    conn.execute(
        job_events.insert().values(
            job_id=job_id,
            at=_now(),
            type=type_,
            step_key=step_key,
            message=message,
            data=dict(data) if data is not None else None,
            runner=runner,
        )
    )


def read_events(engine: sa.Engine, job_id: int, *, after_id: int = 0, limit: int = 1000) -> list[JobEvent]:
    """Journal entries of a job with ``id > after_id``, oldest first."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(job_events)
            .where(job_events.c.job_id == job_id, job_events.c.id > after_id)
            .order_by(job_events.c.id)
            .limit(limit)
        ).all()
    events = []
    for row in rows:
        m = row._mapping
        at = _aware(m["at"])
        assert at is not None
        events.append(
            JobEvent(
                id=m["id"],
                job_id=m["job_id"],
                at=at,
                type=m["type"],
                step_key=m["step_key"],
                message=m["message"] or "",
                data=m["data"],
                runner=m["runner"],
            )
        )
    return events


def _job_state(engine: sa.Engine, job_id: int) -> JobState:
    with engine.connect() as conn:
        state = conn.execute(sa.select(jobs.c.state).where(jobs.c.id == job_id)).scalar_one_or_none()
    if state is None:
        raise JobNotFound(f"No job {job_id}: `cwdesk jobs list` shows the jobs in this database.")
    return JobState(state)


def follow_events(
    engine: sa.Engine,
    job_id: int,
    *,
    after_id: int = 0,
    poll_seconds: float = 0.5,
    timeout: float | None = None,
) -> Iterator[JobEvent]:
    """Yield the job's events as they are written, from any thread or process; end once the job is final.

    A job that is ``planned``, ``queued`` or ``running`` is waited for (up to ``timeout`` seconds overall, if given).
    """
    deadline = None if timeout is None else _now() + timedelta(seconds=timeout)
    last = after_id
    while True:
        seen = _HUB.version
        # State first, then events: a final state is committed together with the job's last event.
        state = _job_state(engine, job_id)
        batch = read_events(engine, job_id, after_id=last)
        for event in batch:
            last = event.id
            yield event
        if batch:
            continue
        if state in FINAL_STATES:
            return
        if deadline is not None and _now() >= deadline:
            return
        _HUB.wait(seen, poll_seconds)


async def afollow_events(
    engine: sa.Engine,
    job_id: int,
    *,
    after_id: int = 0,
    poll_seconds: float = 0.5,
    timeout: float | None = None,
) -> AsyncIterator[JobEvent]:
    """The async twin of :func:`follow_events` (for an SSE endpoint); store reads run in a worker thread."""
    loop = asyncio.get_running_loop()
    deadline = None if timeout is None else loop.time() + timeout
    last = after_id
    while True:
        state = await asyncio.to_thread(_job_state, engine, job_id)
        batch = await asyncio.to_thread(read_events, engine, job_id, after_id=last)
        for event in batch:
            last = event.id
            yield event
        if batch:
            continue
        if state in FINAL_STATES:
            return
        if deadline is not None and loop.time() >= deadline:
            return
        await asyncio.sleep(poll_seconds)


EventCallback = Callable[[JobEvent], None]
