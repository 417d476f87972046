"""``cwdesk worker``: run queued jobs, take up orphaned ones (their process died), and run due schedules; and
``queue_for_worker``, what ``--queue`` on a job-making command (``bulk contacts``, ``onboard``) does instead of
running the job.

Runs beside or instead of the console on any machine with the same database (``CWDESK_DATABASE_URL``) and a
connection to the jobs' ConnectWise (``--profile`` or ``CWM_*``). See ``cwdesk.workflows.worker``; docs/deploy.md
shows N workers on one PostgreSQL.
Not for: starting new jobs (the commands that make them run them, or queue them with ``--queue``).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import typer

from cwdesk.cli import connection
from cwdesk.cli.jobs import cli_user
from cwdesk.cli.output import EXIT_OK

if TYPE_CHECKING:
    import sqlalchemy as sa

    from cwdesk.workflows.jobs import Plan

_STARTED = {
    "orphaned": "Took up job {id}: its runner was gone; resuming it here.",
    "queued": "Running queued job {id}.",
    "schedule": "Running schedule {id}.",
}


def queue_for_worker(engine: sa.Engine, plan: Plan, *, client: object) -> int:
    """Store ``plan`` as a queued job, print its id on stdout (for scripts) and what happens next on stderr."""
    from cwdesk.workflows.jobs import enqueue

    job_id = enqueue(engine, plan, client=client, created_by=cli_user())
    typer.echo(str(job_id))
    typer.echo(
        f"Job {job_id} queued: {plan.title}. A `cwdesk worker` on this database runs it; "
        f"`cwdesk jobs show {job_id}` shows how it goes.",
        err=True,
    )
    return job_id


def worker(
    every: float = typer.Option(30.0, "--every", help="Seconds between looks for work."),
    once: bool = typer.Option(False, "--once", help="Look once, wait for what was started to finish, then exit."),
    max_jobs: int = typer.Option(4, "--max-jobs", help="Queued jobs this worker runs at a time (others wait)."),
) -> None:
    """Run queued jobs, resume jobs whose process is gone, and run due schedules here (Ctrl+C to stop)."""
    from cwdesk.store import open_database
    from cwdesk.workflows.worker import work_once

    if every <= 0:
        connection.fail("--every must be a number of seconds above 0", code=2)
    if max_jobs < 1:
        connection.fail("--max-jobs must be 1 or more (stop the worker to run no jobs)", code=2)
    with connection.reporting_errors():
        engine = open_database()
    connection.audit_cli_writes(False)  # the jobs it runs keep their creator and a journal of every change
    manage = connection.manage_client()
    automate: Any | None = None
    if connection.automate_configured():  # optional: without it, Automate jobs are left to a process that has it
        automate = connection.automate_client()
    running: list[Any] = []
    jobs_running: list[Any] = []  # the queued and orphaned jobs' threads, counted against --max-jobs
    try:
        while True:
            jobs_running = [thread for thread in jobs_running if thread.is_alive()]
            free = max(max_jobs - len(jobs_running), 0)
            for what, item_id, thread in work_once(engine, manage=manage, automate=automate, queued_limit=free):
                typer.echo(_STARTED[what].format(id=item_id))
                running.append(thread)
                if what != "schedule":
                    jobs_running.append(thread)
            if once:
                break
            running = [thread for thread in running if thread.is_alive()]
            time.sleep(every)
    except KeyboardInterrupt:
        typer.echo("Stopping: jobs in progress finish their current step first.", err=True)
    for thread in running:
        thread.join()
    if once and not running:
        typer.echo("No orphaned job to take up. No queued job, no schedule due.")
    raise typer.Exit(EXIT_OK)
