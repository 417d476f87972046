"""``cwdesk automate clients find|report|health|create|update|edfs|set-edf|onboard|delete``.

One client at a time (plus the report of all of them): each command calls one workflow of
``cwdesk.workflows.automate_clients``. ``update`` takes ``--set FIELD=VALUE`` by the spec's field names of a client
(``PhoneNumber``; friendly ``Phone``, ``ContactEmail`` too), shows the before -> after and sends one PATCH; ``delete``
asks on a terminal and refuses without one unless ``--yes`` (``output.confirm_or_refuse``, the rule of every
destructive command).

Not for: the workflow rules (``cwdesk.workflows.automate_clients``) or job control (``cwdesk jobs``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.progress import Progress

from cwdesk.cli import connection
from cwdesk.cli.automate.arguments import DRY_RUN, OUTPUT, field_values
from cwdesk.cli.automate.audit import audit_write
from cwdesk.cli.jobs import cli_user, database, finish_job, run_with_progress
from cwdesk.cli.output import EXIT_FAILURE, EXIT_PARTIAL, OutputFormat, confirm_or_refuse, emit, emit_object, say
from cwdesk.workflows import automate_clients as w5
from cwdesk.workflows.jobs import start_job

__all__ = ["clients_app"]

clients_app = typer.Typer(
    help="Find, report on, create, update, onboard and safely delete Automate clients; their health and EDFs.",
    no_args_is_help=True,
)


@clients_app.command("find")
def find_command(
    name: str = typer.Argument(..., help="The client's name (exact, any case) or part of it."),
    output: OutputFormat = OUTPUT,
) -> None:
    """Find a client by name; when it is ambiguous, list suggestions (name, id, city, computer count)."""
    with connection.reporting_errors():
        result = w5.find_client(connection.automate_client(), name)
    if output is OutputFormat.json:
        emit_object(result.as_dict(), output=output)
    elif result.found and result.client is not None:
        emit_object(result.client, output=output)
    else:
        if output is OutputFormat.table:
            what = "No exact match" if result.suggestions else f"No client matches {name!r}"
            typer.echo(f"{what}; suggestions:" if result.suggestions else what, err=True)
        emit(result.suggestions, output=output, columns=["name", "id", "city", "computers"])
    if not result.found:
        raise typer.Exit(EXIT_FAILURE)


@clients_app.command("report")
def report_command(output: OutputFormat = OUTPUT) -> None:
    """Every client with its contact, computer counts and location names."""
    with connection.reporting_errors():
        cwa = connection.automate_client()
        if connection.stderr_is_terminal():
            with Progress(transient=True) as progress:
                task = progress.add_task("Reading clients, locations and computers", total=3)
                rows = w5.client_report(cwa, on_progress=lambda done, _total: progress.update(task, completed=done))
        else:
            rows = w5.client_report(cwa)
    columns = ["id", "name", "contact", "email", "phone", "city", "computers", "online", "offline", "locations"]
    # At 80 columns a table of every column would squeeze the names to nothing: the counts and who to call stay.
    narrow = ["id", "name", "contact", "city", "computers", "online", "offline"]
    emit(rows, output=output, columns=columns, title=f"{len(rows)} Automate client(s)", narrow=narrow)


@clients_app.command("health")
def health_command(
    client: str = typer.Argument(..., help="Client name or id."),
    output: OutputFormat = OUTPUT,
) -> None:
    """Online and offline computers of a client, with the offline ones' last contact."""
    with connection.reporting_errors():
        health = w5.client_health(connection.automate_client(), client)
    if output is not OutputFormat.table:
        if output is OutputFormat.json:
            emit_object(health.as_dict(), output=output)
        else:
            emit(health.offline_computers, output=output, columns=["id", "name", "location", "last_contact"])
        return
    if health.percentage is None:
        say(f"{health.client} (id {health.client_id}) has no computers in Automate.")
        return
    say(
        f"{health.client} (id {health.client_id}): {health.online} online, {health.offline} offline of "
        f"{health.total} — {health.percentage:g}% healthy."
    )
    if health.offline_computers:
        emit(health.offline_computers, output=output, columns=["id", "name", "location", "last_contact"],
             title="Offline computers")  # fmt: skip


@clients_app.command("set-edf")
def set_edf_command(
    client: str = typer.Argument(..., help="Client name or id."),
    values: list[str] = typer.Argument(..., help="FIELD=VALUE pairs, by extra-field title ('SLA Level=Gold')."),
    dry_run: bool = DRY_RUN,
    output: OutputFormat = OUTPUT,
) -> None:
    """Set a client's extra fields (EDFs) by title; reports updated / unchanged / not_found / invalid per field."""
    with connection.reporting_errors():
        pairs = field_values(values, example="SLA Level=Gold")
        results = w5.set_client_extra_fields(connection.automate_client(), client, pairs, dry_run=dry_run)
    if any(r.status == "updated" for r in results):
        audit_write("automate client set extra fields", f"client {client}",
                    {"client": client, "fields": [r.as_dict() for r in results]})  # fmt: skip
    emit([r.as_dict() for r in results], output=output, columns=["field", "status", "value", "message"])
    if any(r.status in ("not_found", "invalid") for r in results):
        raise typer.Exit(EXIT_PARTIAL)


@clients_app.command("update")
def update_command(
    client: str = typer.Argument(..., help="Client name or id."),
    values: list[str] = typer.Option(
        ..., "--set", help="FIELD=VALUE by the client's field name (PhoneNumber=..., City=...); repeatable."
    ),
    dry_run: bool = DRY_RUN,
    output: OutputFormat = OUTPUT,
) -> None:
    """Change a client's fields: checked against Automate's Client fields first, then one PATCH of what changes."""
    with connection.reporting_errors():
        pairs = field_values(values, example="PhoneNumber=503-555-0100")
        result = w5.update_client(connection.automate_client(), client, pairs, dry_run=dry_run)
    show_update(result, output=output, action="automate client update")


def show_update(result: w5.RecordUpdate, *, output: OutputFormat, action: str) -> None:
    """An update's result (audited as ``action`` when it wrote): the message on stderr, the before -> after of each
    changed field on stdout."""
    if result.written:
        where = f" of {result.client}" if result.client else ""
        audit_write(action, f"{result.kind} {result.id} ({result.name}){where}", result.as_dict(),
                    result="ok" if result.ok else "error", message=result.message)  # fmt: skip
    if output is OutputFormat.json:
        emit_object(result.as_dict(), output=output)
    else:
        say(("Dry run: " if result.dry_run else "") + result.message, err=True)
        rows = [c.as_dict() for c in result.changed]
        if rows or output is OutputFormat.csv:
            emit(rows, output=output, columns=["field", "before", "after"])
    if not result.ok:
        raise typer.Exit(EXIT_FAILURE)


@clients_app.command("edfs")
def edfs_command(
    client: str = typer.Argument(..., help="Client name or id."),
    output: OutputFormat = OUTPUT,
) -> None:
    """A client's extra fields (EDFs): title, type (Text, Dropdown, Checkbox), value and a dropdown's options."""
    with connection.reporting_errors():
        rows = w5.client_extra_fields(connection.automate_client(), client)
    if output is not OutputFormat.json:
        rows = [{**row, "options": ", ".join(row["options"])} for row in rows]
    emit(rows, output=output, columns=w5.EXTRA_FIELD_COLUMNS, narrow=["title", "type", "value"])


@clients_app.command("create")
def create_command(
    name: str = typer.Argument(..., help="The new client's name."),
    location: str = typer.Option(w5.DEFAULT_LOCATION, "--location", help="Name of its first location."),
    city: str | None = typer.Option(None, "--city"),
    state: str | None = typer.Option(None, "--state"),
    zip_code: str | None = typer.Option(None, "--zip"),
    address: str | None = typer.Option(None, "--address", help="Street address (line 1)."),
    phone: str | None = typer.Option(None, "--phone"),
    dry_run: bool = typer.Option(False, "--dry-run", help="Check and show what would be created; write nothing."),
    output: OutputFormat = OUTPUT,
) -> None:
    """Create a client with its first location (the location takes the client's address)."""
    details: dict[str, Any] = {"city": city, "state": state, "zip": zip_code, "address1": address, "phone": phone}
    with connection.reporting_errors():
        made = w5.create_client(
            connection.automate_client(),
            name,
            location=location,
            details={k: v for k, v in details.items() if v is not None},
            dry_run=dry_run,
        )
    if not made["dry_run"]:
        audit_write("automate client create", f"client {made['client']['id']} ({made['client']['name']})", made)
    emit_object(made, output=output)


@clients_app.command("onboard")
def onboard_command(
    plan_file: Path = typer.Argument(
        ..., help="YAML/JSON: client, location, extra_fields, location_extra_fields, groups."
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Check the plan and list the steps; write nothing."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No per-step lines, only the summary."),
    output: OutputFormat = OUTPUT,
) -> None:
    """Onboard an Automate client as a durable job (resume or roll back with `cwdesk jobs`)."""
    with connection.reporting_errors():
        data = w5.read_onboard_plan(plan_file)
        cwa = connection.automate_client()
        checked = w5.check_onboard_plan(cwa, data)
        plan = w5.plan_onboard(checked)
    if dry_run:
        if output is OutputFormat.table:
            typer.echo(f"Dry run: {len(plan.steps)} step(s); nothing was written.")
        emit([{"key": s.key, "action": s.action, "label": s.label} for s in plan.steps], output=output)
        return
    engine = database()
    job_id = start_job(engine, plan, client=cwa, created_by=cli_user())
    say(f"Job {job_id}: {plan.title}", err=True)
    with connection.reporting_errors():
        summary = run_with_progress(engine, job_id, client=cwa, quiet=quiet)
    finish_job(summary, output=output)


@clients_app.command("delete")
def delete_command(
    client: str = typer.Argument(..., help="Client name or id."),
    move_computers_to: str | None = typer.Option(
        None, "--move-computers-to", help="CLIENT/LOCATION to move the client's computers to before deleting."
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Show what would happen; write nothing."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Delete without asking (needed when not on a terminal)."),
    output: OutputFormat = OUTPUT,
) -> None:
    """Delete a client safely: refused while it has computers, unless they are moved first; asks before deleting."""
    with connection.reporting_errors():
        cwa = connection.automate_client()
        # The same checks as the delete itself, with nothing written: what the user is asked about is what happens.
        preview = w5.delete_client(cwa, client, move_computers_to=move_computers_to, dry_run=True)
        if not (dry_run or preview.refused):
            confirm_or_refuse(_delete_preview(preview), question=f"Delete client {preview.client!r}?", yes=yes)
            result = w5.delete_client(cwa, client, move_computers_to=move_computers_to)
        else:
            result = preview
    if result.deleted or result.moved:
        audit_write("automate client delete", f"client {result.client_id} ({result.client})", result.as_dict(),
                    result="ok" if result.deleted else "error", message=result.message)  # fmt: skip
    if output is OutputFormat.json:
        emit_object(result.as_dict(), output=output)
    else:
        say(result.message, err=result.refused)
        if result.refused:
            emit(result.computers, output=output, columns=["id", "name", "status"], title="Computers still assigned")
        elif result.moved and output is OutputFormat.csv:
            emit(result.moved, output=output, columns=["id", "name", "to"])
    if result.refused or not (result.deleted or result.dry_run):
        raise typer.Exit(EXIT_FAILURE)


#: How many of the computers to be moved the delete's question lists by name (the count is always given).
LISTED_COMPUTERS = 20


def _delete_preview(preview: w5.DeleteResult) -> list[str]:
    """What the delete will do, from its dry run: the move and delete, then the computers being moved."""
    computers = preview.computers
    lines = [preview.message]
    lines += [
        f"  - computer {c['id']} {c['name']!r} ({c['status'] or 'no status'})" for c in computers[:LISTED_COMPUTERS]
    ]
    if len(computers) > LISTED_COMPUTERS:
        lines.append(f"  ... and {len(computers) - LISTED_COMPUTERS} more computer(s)")
    return lines
