"""``cwdesk bulk contacts``: W2, one field set on the contacts of many companies, with progress and a report.

Progress (per-record lines, a bar on a terminal) goes to stderr; the report (``--output table|json|csv``) to
stdout. Exit code 0 when every record is ok or skipped, 3 when some failed (``cwdesk jobs resume ID`` retries them).
Not for: the update rules (``cwdesk.workflows.bulk_contacts``).
"""

from __future__ import annotations

import typer

from cwdesk.cli import connection
from cwdesk.cli.jobs import cli_user, database, exit_code_of, run_with_progress
from cwdesk.cli.output import EXIT_USAGE, OutputFormat, emit, say
from cwdesk.cli.worker import queue_for_worker
from cwdesk.workflows.bulk_contacts import ContactFilter, bulk_report, parse_assignments, plan_bulk_contacts
from cwdesk.workflows.jobs import get_job, start_job

app = typer.Typer(help="Bulk changes (one call per record, at the server's pace, resumable).", no_args_is_help=True)

REPORT_COLUMNS = ["contact_id", "contact", "company", "field", "before", "after", "result", "message"]
# What a narrow terminal shows (the field is in the title line): a dry run's before and after; a run's outcome,
# whose messages say why a record failed.
DRY_RUN_NARROW = ["contact_id", "contact", "company", "before", "after", "result"]
REPORT_NARROW = ["contact_id", "contact", "company", "after", "result", "message"]


def _company_ids(text: str) -> list[int]:
    ids = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        if not part.isdigit():
            connection.fail(f"--companies: {part!r} is not a company id (use ids like 12,34)", code=EXIT_USAGE)
        ids.append(int(part))
    return ids


@app.command("contacts")
def contacts(
    companies: str | None = typer.Option(None, "--companies", help="Company ids, comma separated: 12,34,56."),
    where: str | None = typer.Option(None, "--where", help='A condition on companies: status/name = "Active".'),
    contact_filter: ContactFilter = typer.Option(ContactFilter.all, "--filter", help="all, primary or active."),
    assignments: list[str] = typer.Option(
        ..., "--set", help="FIELD=VALUE (inactiveFlag, type, relationship, department, disablePortalLoginFlag)."
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Show which contacts would change; write nothing."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No per-record lines."),
    output: OutputFormat = typer.Option(OutputFormat.table, "--output", "-o", help="Report as table, json or csv."),
    queue: bool = typer.Option(False, "--queue", help="Make the job and leave it to a `cwdesk worker`; print its id."),
) -> None:
    """Set fields on the contacts of the selected companies, one PATCH per contact, verified after write."""
    if queue and dry_run:
        connection.fail("--queue and --dry-run do not go together: a dry run writes nothing to queue", code=EXIT_USAGE)
    if (companies is None) == (where is None):
        connection.fail("give --companies IDS or --where CONDITION (exactly one)", code=EXIT_USAGE)
    company_ids = _company_ids(companies) if companies is not None else None
    cw = connection.manage_client()
    with connection.reporting_errors():
        changes = parse_assignments(cw, assignments)
        plan = plan_bulk_contacts(
            cw, changes=changes, company_ids=company_ids, where=where, contact_filter=contact_filter
        )
    if dry_run:
        rows = [
            {
                "contact_id": s.params["contact_id"],
                "contact": s.params["contact"],
                "company": s.params["company"],
                "field": ", ".join(c.field for c in changes),
                "before": ", ".join(str(s.params["before"].get(c.api_field, "")) for c in changes),
                "after": ", ".join(c.shown for c in changes),
                "result": "skip (already set)" if s.params["already"] else "would update",
                "message": "",
            }
            for s in plan.steps
        ]
        say(f"Dry run: {plan.title}; nothing was written.", err=True)
        emit(rows, output=output, columns=REPORT_COLUMNS, narrow=DRY_RUN_NARROW)
        return
    engine = database()
    if queue:
        queue_for_worker(engine, plan, client=cw)
        return
    job_id = start_job(engine, plan, client=cw, created_by=cli_user())
    say(f"Job {job_id}: {plan.title}", err=True)
    with connection.reporting_errors():
        summary = run_with_progress(engine, job_id, client=cw, quiet=quiet)
    emit(bulk_report(get_job(engine, job_id)), output=output, columns=REPORT_COLUMNS, narrow=REPORT_NARROW)
    counts = summary.counts
    typer.echo(
        f"Job {job_id} {summary.state.value}: ok {counts.ok}, error {counts.error}, skipped {counts.skipped}.",
        err=True,
    )
    if counts.error:
        typer.echo(f"Fix the cause, then `cwdesk jobs resume {job_id}` retries only the failed records.", err=True)
    raise typer.Exit(exit_code_of(summary))
