"""``cwdesk schedule add|list|remove``: scheduled jobs, run by ``cwdesk worker`` (and the live console), not cron.

``cwdesk schedule add sync --every 15m [--kind companies]`` stores a schedule against the current connection
(``--profile`` or ``CWM_*``); every process on the database that runs ``cwdesk worker`` looks for due schedules,
and each period runs once across all of them. Not for: the timing rules (``cwdesk.workflows.schedules``).
"""

from __future__ import annotations

import typer

from cwdesk.cli import connection
from cwdesk.cli.jobs import cli_user, database
from cwdesk.cli.output import EXIT_USAGE, OutputFormat, emit, emit_object
from cwdesk.workflows.schedules import SCHEDULE_TASKS, ScheduleError, add_schedule, list_schedules, parse_every
from cwdesk.workflows.schedules import remove_schedule as remove_stored_schedule

app = typer.Typer(
    help="Scheduled jobs (sync every 15m...) run by `cwdesk worker`: add, list, remove.", no_args_is_help=True
)

COLUMNS = ["id", "what", "every", "next_run_at", "runs", "last_state", "last_finished_at", "last_message", "target"]
NARROW = ["id", "what", "every", "next_run_at", "last_state"]


@app.command("add")
def add(
    task: str = typer.Argument(..., help=f"What to run: {', '.join(SCHEDULE_TASKS)}."),
    every: str = typer.Option(..., "--every", help="The period: 15m, 2h, 1d (at least 1m)."),
    kind: str = typer.Option("all", "--kind", help="What to sync: companies, contacts, agreements, members or all."),
    output: OutputFormat = typer.Option(OutputFormat.table, "--output", "-o", help="table, json or csv."),
) -> None:
    """Run TASK every period on a worker; the first run is due at once."""
    try:
        period = parse_every(every)
        cw = connection.manage_client()
        schedule = add_schedule(database(), task, every=period, kind=kind, client=cw, created_by=cli_user())
    except ScheduleError as error:
        connection.fail(str(error), code=EXIT_USAGE)
    if output is OutputFormat.table:
        typer.echo(
            f"Schedule {schedule.id}: {schedule.what} every {every.strip()}, first run now. "
            "A `cwdesk worker` on this database runs it."
        )
    else:
        emit_object(schedule.as_dict(), output=output)


@app.command("list")
def list_command(
    output: OutputFormat = typer.Option(OutputFormat.table, "--output", "-o", help="table, json or csv."),
) -> None:
    """The schedules, when each runs next and how its last run went."""
    rows = [schedule.as_dict() for schedule in list_schedules(database())]
    if not rows and output is OutputFormat.table:
        typer.echo("No schedules: `cwdesk schedule add sync --every 15m` makes one.")
        return
    emit(rows, output=output, columns=COLUMNS, narrow=NARROW)


@app.command("remove")
def remove(schedule_id: int = typer.Argument(..., help="The schedule's id (`cwdesk schedule list`).")) -> None:
    """Delete a schedule (a run in progress finishes)."""
    with connection.reporting_errors():
        removed = remove_stored_schedule(database(), schedule_id)
    typer.echo(f"Removed schedule {removed.id} ({removed.what} every {removed.as_dict()['every']}).")
