"""``cwdesk contacts set-primary|repair-primaries|add|update``: W3 and the contact edits of the console, in a shell.

Not for: the rules (``cwdesk.workflows.primary_contact`` and ``client_records``) or bulk changes (``cwdesk bulk``).
"""

from __future__ import annotations

import typer

from cwdesk.cli import connection
from cwdesk.cli.jobs import cli_user, database, finish_job, run_with_progress
from cwdesk.cli.output import EXIT_USAGE, OutputFormat, emit, emit_object, say
from cwdesk.cli.resources import READABLE, add_read_commands, update_record
from cwdesk.workflows import client_records
from cwdesk.workflows.jobs import start_job
from cwdesk.workflows.primary_contact import find_several_primaries, plan_repair_primaries, plan_set_primary

app = typer.Typer(help="Contacts: primary contact, repair, add and edit.", no_args_is_help=True)
CONTACTS = next(readable for readable in READABLE if readable.command == "contacts")


@app.command("set-primary")
def set_primary(
    contact_id: int = typer.Argument(..., help="The contact that becomes its company's only primary contact."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Show the steps; write nothing."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No per-step lines."),
    output: OutputFormat = typer.Option(OutputFormat.table, "--output", "-o", help="table or json summary."),
) -> None:
    """Make a contact the primary: clear the old primary, set the new, point the company at it, verify."""
    cw = connection.manage_client()
    with connection.reporting_errors():
        plan = plan_set_primary(cw, contact_id)
    if dry_run:
        say(f"Dry run: {plan.title}; nothing was written.")
        for step in plan.steps:
            say(f"  - {step.label}")
        return
    engine = database()
    job_id = start_job(engine, plan, client=cw, created_by=cli_user())
    with connection.reporting_errors():
        summary = run_with_progress(engine, job_id, client=cw, quiet=quiet)
    finish_job(summary, output=output)


@app.command("repair-primaries")
def repair(
    dry_run: bool = typer.Option(False, "--dry-run", help="List the companies and what would be kept; write nothing."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No per-step lines."),
    output: OutputFormat = typer.Option(OutputFormat.table, "--output", "-o", help="table, json or csv."),
) -> None:
    """Find companies with several primary contacts and keep one (the company's default contact, else the newest)."""
    cw = connection.manage_client()
    with connection.reporting_errors():
        cases = find_several_primaries(cw)
    if not cases:
        typer.echo("Every company has at most one primary contact; nothing to repair.", err=True)
        emit([], output=output, columns=["company_id", "company", "primaries", "keep", "reason"])
        return
    emit([c.as_dict() for c in cases], output=output, columns=["company_id", "company", "primaries", "keep", "reason"])
    if dry_run:
        typer.echo(f"Dry run: {len(cases)} company(ies) would be repaired; nothing was written.", err=True)
        return
    engine = database()
    job_id = start_job(engine, plan_repair_primaries(cases), client=cw, created_by=cli_user())
    with connection.reporting_errors():
        summary = run_with_progress(engine, job_id, client=cw, quiet=quiet)
    finish_job(summary)


@app.command("add")
def add(
    company_id: int = typer.Argument(..., help="The company the contact belongs to."),
    first_name: str = typer.Option(..., "--first-name", help="First name."),
    last_name: str = typer.Option(..., "--last-name", help="Last name."),
    title: str | None = typer.Option(None, "--title", help="Job title."),
    email: str | None = typer.Option(None, "--email", help="Email address."),
    phone: str | None = typer.Option(None, "--phone", help="Direct phone."),
    output: OutputFormat = typer.Option(OutputFormat.table, "--output", "-o", help="table or json."),
) -> None:
    """Add a contact to a company (checked first; `set-primary` makes it primary)."""
    cw = connection.manage_client()
    with connection.reporting_errors():
        created = client_records.add_contact(
            cw, company_id, first_name=first_name, last_name=last_name, title=title, email=email, phone=phone
        )
    emit_object({k: created.get(k) for k in ("id", "firstName", "lastName", "title", "company")}, output=output)


@app.command("update")
def update(
    contact_id: int = typer.Argument(..., help="The contact to edit."),
    first_name: str | None = typer.Option(None, "--first-name", help="New first name."),
    last_name: str | None = typer.Option(None, "--last-name", help="New last name."),
    title: str | None = typer.Option(None, "--title", help="New title."),
    inactive: bool | None = typer.Option(None, "--inactive/--active", help="Deactivate or reactivate."),
    email: str | None = typer.Option(None, "--email", help="New default email."),
    phone: str | None = typer.Option(None, "--phone", help="New default phone."),
    assignments: list[str] | None = typer.Option(
        None, "--set", help="FIELD=VALUE by API field name (title=..., relationship=Owner); repeatable."
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="With --set: check and print the JSON Patch; send nothing."),
    output: OutputFormat = typer.Option(OutputFormat.table, "--output", "-o", help="table or json."),
) -> None:
    """Edit a contact; only the fields that change are sent (one JSON Patch).

    Either the named options (--first-name, --email, ...) or --set FIELD=VALUE for any other field.
    """
    named = (first_name, last_name, title, inactive, email, phone)
    if assignments:
        if any(value is not None for value in named):
            connection.fail(
                "give either --set FIELD=VALUE or the named options (--first-name, --email...), not both",
                code=EXIT_USAGE,
            )
        update_record(CONTACTS, contact_id, assignments, dry_run=dry_run, output=output)
        return
    if dry_run:
        connection.fail("--dry-run goes with --set FIELD=VALUE", code=EXIT_USAGE)
    cw = connection.manage_client()
    with connection.reporting_errors():
        updated = client_records.update_contact(
            cw,
            contact_id,
            first_name=first_name,
            last_name=last_name,
            title=title,
            inactive=inactive,
            email=email,
            phone=phone,
        )
    keys = ("id", "firstName", "lastName", "title", "inactiveFlag", "defaultFlag")
    emit_object({k: updated.get(k) for k in keys}, output=output)


# The read commands (list, get, count) every resource has, after this group's own.
add_read_commands(app, CONTACTS)
