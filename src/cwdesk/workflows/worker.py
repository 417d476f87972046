"""Taking up orphaned jobs: the console and ``cwdesk worker`` resume jobs whose runner is gone (issue 13).

A job stays ``running`` when its process is killed (SIGKILL, a reboot, a lost PostgreSQL connection). Any process
with the same database and a connection to the job's ConnectWise can take it up: ``adopt_orphaned_jobs`` finds
them (``jobs.orphaned_jobs``: a dead process on this host, or a heartbeat older than ``STALE_AFTER``), claims each
(the claim journals a ``takeover``) and resumes it as ``cwdesk jobs resume`` would: steps whose outcome was not
recorded are looked up before anything is sent again. A Manage job made against another ConnectWise than this
process's is left alone.

Not for: running new jobs (the CLI and console run what they start), scheduling.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import sqlalchemy as sa

from cwdesk.workflows import jobs as job_runner
from cwdesk.workflows.jobs import JobError, JobSummary

__all__ = ["OrphanWatch", "adopt", "client_for_job"]

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


class OrphanWatch:
    """Looks for orphaned jobs every ``every`` seconds on a thread, until ``stop()`` (the console's)."""

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
                adopt(self._engine, manage=self._manage, automate=self._automate)
            except Exception:  # a store hiccup must not end the watch; the next round tries again
                _log.exception("Looking for orphaned jobs failed")
            if self._stop.wait(self._every):
                return
