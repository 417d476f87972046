"""``cwdesk worker``: take up orphaned jobs (their process died) and resume them, once or every few seconds.

Runs beside or instead of the console on any machine with the same database (``CWDESK_DATABASE_URL``) and a
connection to the jobs' ConnectWise (``--profile`` or ``CWM_*``). See ``cwdesk.workflows.worker``.
Not for: starting new jobs (the commands that make them run them).
"""

from __future__ import annotations

import time
from typing import Any

import typer

from cwdesk.cli import connection
from cwdesk.cli.output import EXIT_OK


def worker(
    every: float = typer.Option(30.0, "--every", help="Seconds between looks for orphaned jobs."),
    once: bool = typer.Option(False, "--once", help="Look once, wait for the jobs taken up to finish, then exit."),
) -> None:
    """Take up jobs whose process is gone and resume them here (Ctrl+C to stop)."""
    from cwdesk.store import open_database
    from cwdesk.workflows.worker import adopt

    if every <= 0:
        connection.fail("--every must be a number of seconds above 0", code=2)
    engine = open_database()
    manage = connection.manage_client()
    automate: Any | None = None
    if connection.automate_configured():  # optional: without it, Automate jobs are left to a process that has it
        automate = connection.automate_client()
    running: list[Any] = []
    try:
        while True:
            taken = adopt(engine, manage=manage, automate=automate)
            for job_id, thread in taken:
                typer.echo(f"Took up job {job_id}: its runner was gone; resuming it here.")
                running.append(thread)
            if once:
                break
            time.sleep(every)
    except KeyboardInterrupt:
        typer.echo("Stopping: jobs in progress finish their current step first.", err=True)
    for thread in running:
        thread.join()
    if once and not running:
        typer.echo("No orphaned job to take up.")
    raise typer.Exit(EXIT_OK)
