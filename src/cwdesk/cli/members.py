"""``cwdesk members``: list/get/count, provision, deprovision, sync and export of Manage members (technicians).

Provision and deprovision run as durable jobs (``cwdesk jobs show|resume|rollback ID`` work on them) with the
progress display of ``cli/jobs.py``; ``--dry-run`` prints the calls and sends nothing. Bad input exits 2 before any
write, with every problem listed.
Not for: the rules of provisioning (``cwdesk.workflows.members``) or syncing (``cwdesk.workflows.sync``).
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import typer

from cwdesk.cli import connection
from cwdesk.cli.jobs import cli_user, database, finish_job, run_with_progress
from cwdesk.cli.output import OutputFormat, confirm_or_refuse, emit, say
from cwdesk.cli.resources import Readable, add_read_commands
from cwdesk.cli.sync import run_sync
from cwdesk.manage.client import ManageClient
from cwdesk.workflows.jobs import Plan, start_job
from cwdesk.workflows.members import (
    EXPORT_COLUMNS,
    NewMember,
    check_new_member,
    export_members,
    find_member,
    plan_deprovision,
    plan_provision,
)
from cwdesk.workflows.validation import InvalidInput, Problem

app = typer.Typer(help="Members (technicians): read, provision, deprovision, sync, export.", no_args_is_help=True)

MEMBERS = Readable(
    "members",
    "members",
    "member",
    ("id", "identifier", "firstName", "lastName", "title", "licenseClass", "securityRole/name", "inactiveFlag"),
)
add_read_commands(app, MEMBERS)


def _print_plan(plan: Plan, notes: tuple[str, ...] = ()) -> None:
    say(f"Dry run: {plan.title}. These calls would be made (nothing was sent):")
    for step in plan.steps:
        say(f"  {step.label}")
    for note in notes:
        say(f"  note: {note}")


def _run_plan(cw: ManageClient, plan: Plan, output: OutputFormat) -> None:
    engine = database()
    job_id = start_job(engine, plan, client=cw, created_by=cli_user())
    summary = run_with_progress(engine, job_id, client=cw)
    finish_job(summary, output=output)


@app.command("provision")
def provision(
    identifier: str = typer.Argument(..., help="Login name, at most 15 characters (e.g. jsmith)."),
    first_name: str = typer.Option(..., "--first-name", help="First name."),
    last_name: str = typer.Option(..., "--last-name", help="Last name."),
    email: str = typer.Option(..., "--email", help="Email address (kept as the default email)."),
    role: str = typer.Option(..., "--role", help="Security role, by name (e.g. Technician)."),
    license_class: str = typer.Option("F", "--license-class", help="F (full), A (API), C or X."),
    hire_date: str | None = typer.Option(None, "--hire-date", help="YYYY-MM-DD (default: today)."),
    phone: str | None = typer.Option(None, "--phone", help="Phone number (kept as the default phone)."),
    title: str | None = typer.Option(None, "--title", help="Job title."),
    default_email: str = typer.Option("Office", "--default-email", help="Office, Mobile or Home."),
    default_phone: str = typer.Option("Office", "--default-phone", help="Office, Mobile or Home."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Check and print the calls; send nothing."),
    output: OutputFormat = typer.Option(OutputFormat.table, "--output", "-o", help="table, json or csv."),
) -> None:
    """Create a member: checks everything first (identifier free, role by name), then runs as a job."""
    with connection.reporting_errors():
        member = NewMember(
            identifier=identifier,
            first_name=first_name,
            last_name=last_name,
            email=email,
            security_role=role,
            license_class=license_class,
            hire_date=hire_date,
            phone=phone,
            title=title,
            default_email=default_email,
            default_phone=default_phone,
        )
        with _client() as cw:
            checked = check_new_member(cw, member)
            plan = plan_provision(checked)
            if dry_run:
                _print_plan(plan, checked.notes)
                return
            _run_plan(cw, plan, output)


@app.command("deprovision")
def deprovision(
    member: str = typer.Argument(..., help="The member's identifier (or numeric id)."),
    delete: bool = typer.Option(
        False, "--delete", help="Also delete the member after deactivating (refused by ConnectWise if in use)."
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the calls; send nothing."),
    yes: bool = typer.Option(False, "--yes", "-y", help="With --delete: do not ask (needed when not on a terminal)."),
    output: OutputFormat = typer.Option(OutputFormat.table, "--output", "-o", help="table, json or csv."),
) -> None:
    """Deactivate a member (inactiveFlag, verified); with --delete also delete (asked first), a 409 explained."""
    with connection.reporting_errors(), _client() as cw:
        found = find_member(cw, member)
        if found is None:
            raise InvalidInput(
                [Problem("member", f"{member!r} is not a member identifier or id in ConnectWise")],
                subject="the deprovision request",
            )
        plan = plan_deprovision(found, delete=delete)
        if dry_run:
            _print_plan(plan)
            return
        if delete:
            # Deactivating is undone by reactivating; a delete cannot be undone, so it is asked for.
            name = " ".join(str(found.get(k) or "") for k in ("firstName", "lastName")).strip() or "no name"
            preview = [f"Deprovisioning member {plan.params['identifier']} ({name}, id {plan.params['id']}) sends:"]
            preview += [f"  {step.label}" for step in plan.steps]
            confirm_or_refuse(preview, question=f"Delete member {plan.params['identifier']}?", yes=yes)
        _run_plan(cw, plan, output)


@app.command("sync")
def sync(
    full: bool = typer.Option(False, "--full", help="Read every member again (also finds deleted ones)."),
    output: OutputFormat = typer.Option(OutputFormat.table, "--output", "-o", help="table, json or csv."),
) -> None:
    """Sync members into the local database: full the first time, then only what changed."""
    run_sync(["members"], full=full, output=output)


@app.command("export")
def export(
    output: OutputFormat = typer.Option(OutputFormat.csv, "--output", "-o", help="csv, json or table."),
    include_inactive: bool = typer.Option(False, "--include-inactive", help="Also export inactive members."),
    file: Path | None = typer.Option(None, "--file", help="Write to this file instead of stdout."),
) -> None:
    """Export members (identifier, names, email, role, license class, ...) as CSV or JSON."""
    with connection.reporting_errors(), _client() as cw:
        rows = export_members(cw, include_inactive=include_inactive)
        if file is None:
            emit(rows, output=output, columns=list(EXPORT_COLUMNS))
            return
        with file.open("w", encoding="utf-8", newline="") as stream:
            emit(rows, output=output, columns=list(EXPORT_COLUMNS), stream=stream)
    typer.echo(f"Wrote {file}.", err=True)


@contextlib.contextmanager
def _client() -> Any:
    cw = connection.manage_client()
    try:
        yield cw
    finally:
        cw.close()
