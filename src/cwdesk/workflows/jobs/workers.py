"""Jobs no runner holds: queued ones (``take_up_queued_jobs``) and orphaned ones (``adopt_orphaned_jobs``), taken up
by ``cwdesk worker`` or the console with the same conditional claim as a resume.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from cwdesk.store.jobs import jobs
from cwdesk.workflows.jobs.events import _aware, _now
from cwdesk.workflows.jobs.model import JobError, JobState, JobSummary
from cwdesk.workflows.jobs.ownership import STALE_AFTER, _runner_is_alive, _runner_is_gone
from cwdesk.workflows.jobs.records import _load_summary
from cwdesk.workflows.jobs.runner import resume_in_background


def orphaned_jobs(engine: sa.Engine) -> list[JobSummary]:
    """Jobs left ``running`` by a runner that is gone: its process died on this host, or (another host) its
    heartbeat is older than ``STALE_AFTER``. A live runner's heartbeat beats during its steps, so it is never one."""
    now = _now()
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(jobs.c.id, jobs.c.runner, jobs.c.heartbeat_at).where(jobs.c.state == JobState.running.value)
        ).all()
        found: list[JobSummary] = []
        for row in rows:
            heartbeat = _aware(row.heartbeat_at)
            stale = heartbeat is None or now - heartbeat > STALE_AFTER
            if _runner_is_gone(_runner_is_alive(row.runner), stale):
                found.append(_load_summary(conn, int(row.id)))
    return found


def adopt_orphaned_jobs(
    engine: sa.Engine, *, client_for: Callable[[JobSummary], Any | None]
) -> list[tuple[int, threading.Thread]]:
    """Resume each orphaned job this process can run, on its own thread; returns the jobs taken and their threads.

    ``client_for(summary)`` gives the SDK client for the job, or ``None`` to leave it (another product, another
    ConnectWise than the job's target). A job another process adopts first is left to it.
    """
    taken: list[tuple[int, threading.Thread]] = []
    for summary in orphaned_jobs(engine):
        client = client_for(summary)
        if client is None:
            continue
        from cwdesk.workflows.jobs import durable  # here: DBOS starts only in processes that take up jobs

        recovered = durable.recover(engine, summary, client_for=client_for)
        if recovered is not None:
            taken.append((summary.id, recovered))  # its DBOS run, handed back to a live process
            continue
        try:
            taken.append((summary.id, resume_in_background(engine, summary.id, client=client)))
        except JobError:
            continue  # adopted by another process just now, or no longer orphaned
    return taken


def queued_jobs(engine: sa.Engine) -> list[JobSummary]:
    """Jobs waiting for a worker, oldest first."""
    with engine.connect() as conn:
        ids = conn.execute(
            sa.select(jobs.c.id).where(jobs.c.state == JobState.queued.value).order_by(jobs.c.id)
        ).scalars()
        return [_load_summary(conn, int(job_id)) for job_id in ids.all()]


def take_up_queued_jobs(
    engine: sa.Engine, *, client_for: Callable[[JobSummary], Any | None], limit: int | None = None
) -> list[tuple[int, threading.Thread]]:
    """Run queued jobs this process can run, each on its own thread (at most ``limit``); returns them.

    The claim is the conditional update of every resume (``queued`` -> ``running``): of two workers, one wins and
    the other leaves the job. ``client_for`` is as for :func:`adopt_orphaned_jobs`.
    """
    taken: list[tuple[int, threading.Thread]] = []
    for summary in queued_jobs(engine):
        if limit is not None and len(taken) >= limit:
            break
        client = client_for(summary)
        if client is None:
            continue
        try:
            taken.append((summary.id, resume_in_background(engine, summary.id, client=client)))
        except JobError:
            continue  # another worker claimed it first, or it was cancelled meanwhile
    return taken
