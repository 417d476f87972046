"""The work of ``cwdesk worker`` and of the live console's watch: orphaned jobs, queued jobs, due schedules (issue 13).

Any process with the same database and a connection to the jobs' ConnectWise can do it; ``work_once`` does one
round of the three:

- Orphaned jobs: a job stays ``running`` when its process is killed (SIGKILL, a reboot, a lost PostgreSQL
  connection). ``adopt_orphaned_jobs`` finds them (``jobs.orphaned_jobs``: a dead process on this host, or a
  heartbeat older than ``STALE_AFTER``) and hands the dead process's DBOS run back through DBOS's recovery
  (``jobs/durable.py``); the live process that dequeues it claims the job (the claim journals a ``takeover``) and
  goes on as ``cwdesk jobs resume`` would: steps whose outcome was not recorded are looked up before anything is
  sent again. A job with no pending DBOS run is resumed here as a new run.
- Queued jobs: made by ``--queue`` (``jobs.enqueue``) in another process; claimed ``queued`` -> ``running`` by the
  same conditional update, so two workers never both run one.
- Due schedules (``workflows.schedules``): each period claimed once across all processes.

A job or schedule made against another ConnectWise than this process's is left alone.
Not for: running the jobs a command starts itself (the CLI and console run what they start).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import sqlalchemy as sa

from cwdesk.workflows import jobs as job_runner
from cwdesk.workflows.jobs import JobError, JobSummary
from cwdesk.workflows.schedules import run_due_schedules

__all__ = ["OrphanWatch", "adopt", "client_for_job", "take_up_queued", "work_once"]

_log = logging.getLogger("cwdesk.worker")


def client_for_job(summary: JobSummary, *, manage: Any | None, automate: Any | None) -> Any | None:
    """The client to resume ``summary`` with, or ``None`` when this process must leave it to another."""
    try:
        product = job_runner.get_kind(summary.kind).product
    except JobError:
        return None  # a kind this version of cwdesk does not know
    client = automate if product == "automate" else manage
    if client is None:
        return None
    try:
        job_runner.check_target(summary, client)
    except JobError:
        return None  # made against another ConnectWise
    return client


def adopt(engine: sa.Engine, *, manage: Any | None, automate: Any | None) -> list[tuple[int, threading.Thread]]:
    """Take up every orphaned job this process can run; returns the jobs and the threads resuming them."""
    taken = job_runner.adopt_orphaned_jobs(
        engine, client_for=lambda summary: client_for_job(summary, manage=manage, automate=automate)
    )
    for job_id, _thread in taken:
        _log.warning("Took up job %s: its runner was gone; resuming it here.", job_id)
    return taken


def take_up_queued(
    engine: sa.Engine, *, manage: Any | None, automate: Any | None, limit: int | None = None
) -> list[tuple[int, threading.Thread]]:
    """Start every queued job this process can run (at most ``limit``); returns the jobs and their threads."""
    taken = job_runner.take_up_queued_jobs(
        engine, client_for=lambda summary: client_for_job(summary, manage=manage, automate=automate), limit=limit
    )
    for job_id, _thread in taken:
        _log.info("Took up queued job %s.", job_id)
    return taken


def work_once(
    engine: sa.Engine, *, manage: Any | None, automate: Any | None, queued_limit: int | None = None
) -> list[tuple[str, int, threading.Thread]]:
    """One round: orphaned jobs, then queued jobs (at most ``queued_limit``), then due schedules; returns
    ("orphaned" | "queued" | "schedule", id, thread) for each started.

    Orphaned jobs are always taken (they were running already; leaving them would strand them); the limit keeps a
    worker from starting every queued job at once, so the others are left to other workers.
    """
    # DBOS runs the jobs (``jobs/durable.py``); started here with the clients of this process, so a run recovered
    # from a process that died can be claimed here. Imported here: ``cwdesk worker --help`` must not start it.
    from cwdesk.workflows.jobs import durable

    durable.launch(engine, client_for=lambda summary: client_for_job(summary, manage=manage, automate=automate))
    started: list[tuple[str, int, threading.Thread]] = []
    started += [("orphaned", job_id, thread) for job_id, thread in adopt(engine, manage=manage, automate=automate)]
    if queued_limit is None or queued_limit > 0:
        started += [
            ("queued", job_id, thread)
            for job_id, thread in take_up_queued(engine, manage=manage, automate=automate, limit=queued_limit)
        ]
    started += [("schedule", sid, thread) for sid, thread in run_due_schedules(engine, manage=manage)]
    return started


class OrphanWatch:
    """Does ``work_once`` every ``every`` seconds on a thread, until ``stop()`` (the live console's): orphaned and
    queued jobs, and due schedules."""

    def __init__(self, engine: sa.Engine, *, manage: Any | None, automate: Any | None, every: float = 60.0) -> None:
        self._engine = engine
        self._manage = manage
        self._automate = automate
        self._every = every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="cwdesk-orphan-watch", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _watch(self) -> None:
        while True:
            try:
                work_once(self._engine, manage=self._manage, automate=self._automate)
            except Exception:  # a store hiccup must not end the watch; the next round tries again
                _log.exception("Looking for orphaned jobs, queued jobs and due schedules failed")
            if self._stop.wait(self._every):
                return
