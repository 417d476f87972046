"""``cwdesk onboard PLAN.yaml [--dry-run]``: W1 onboarding from a plan file, as a durable job with progress.

Not for: the onboarding rules (``cwdesk.workflows.onboarding``) or job control (``cwdesk jobs``).
"""

from __future__ import annotations

from pathlib import Path

import typer

from cwdesk.cli import connection
from cwdesk.cli.jobs import cli_user, database, finish_job, run_with_progress
from cwdesk.cli.output import EXIT_USAGE, OutputFormat, emit
from cwdesk.cli.worker import queue_for_worker
from cwdesk.workflows.jobs import start_job
from cwdesk.workflows.onboarding import check_onboarding, plan_onboarding, planned_calls, read_plan_file


def onboard(
    plan_file: Path = typer.Argument(..., help="The plan: YAML or JSON (company, site, contacts, agreement, ticket)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Check the plan and print every call; write nothing."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No per-step lines, only the summary."),
    output: OutputFormat = typer.Option(OutputFormat.table, "--output", "-o", help="table, json or csv."),
    queue: bool = typer.Option(False, "--queue", help="Make the job and leave it to a `cwdesk worker`; print its id."),
) -> None:
    """Onboard a client: company, site, contacts, agreement and ticket, checked before the first call."""
    if queue and dry_run:
        connection.fail("--queue and --dry-run do not go together: a dry run writes nothing to queue", code=EXIT_USAGE)
    with connection.reporting_errors():
        data = read_plan_file(plan_file)
        cw = connection.manage_client()
        checked = check_onboarding(cw, data)
        plan = plan_onboarding(checked)
    for note in checked.notes:
        typer.echo(f"Note: {note}", err=True)
    if dry_run:
        calls = planned_calls(plan)
        if output is OutputFormat.table:
            typer.echo(f"Dry run: {len(calls)} call(s) would be made; nothing was written.")
            for call in calls:
                typer.echo(f"  {call}")
        else:
            emit(
                [{"step": c.step_key, "method": c.method, "path": c.path, "body": dict(c.body)} for c in calls],
                output=output,
            )
        return
    engine = database()
    if queue:
        queue_for_worker(engine, plan, client=cw)
        return
    job_id = start_job(engine, plan, client=cw, created_by=cli_user())
    typer.echo(f"Job {job_id}: {plan.title}", err=True)
    with connection.reporting_errors():
        summary = run_with_progress(engine, job_id, client=cw, quiet=quiet)
    if summary.counts.total and summary.counts.skipped == summary.counts.total:
        typer.echo("Nothing new: every record of this plan already exists in ConnectWise.", err=True)
    finish_job(summary, output=output)
