"""``cwdesk automate locations list|create|update``: a client's locations.

``create`` takes the address as options (``--address``, ``--city``...) or any of the spec's Location fields with
``--set``; a location the client already has is reported and nothing is written (exit 0). ``update`` is one PATCH
of the fields that change, with the before -> after shown. Both check everything before writing and have
``--dry-run``.

Not for: the workflow rules (``cwdesk.workflows.automate_clients.locations``).
"""

from __future__ import annotations

from typing import Any

import typer

from cwdesk.cli import connection
from cwdesk.cli.automate.arguments import DRY_RUN, OUTPUT, field_values
from cwdesk.cli.automate.audit import audit_write
from cwdesk.cli.automate.clients import show_update
from cwdesk.cli.output import OutputFormat, emit, emit_object, say
from cwdesk.workflows import automate_clients as w5

__all__ = ["locations_app"]

locations_app = typer.Typer(help="List, create and update the locations of an Automate client.", no_args_is_help=True)

_CLIENT = typer.Argument(..., help="Client name or id.")


@locations_app.command("list")
def list_command(client: str = _CLIENT, output: OutputFormat = OUTPUT) -> None:
    """The client's locations with their address, phone and computer count."""
    with connection.reporting_errors():
        rows = w5.list_locations(connection.automate_client(), client)
    emit(rows, output=output, columns=w5.LOCATION_COLUMNS, title=f"{len(rows)} location(s)",
         narrow=["id", "name", "city", "computers"])  # fmt: skip


@locations_app.command("create")
def create_command(
    client: str = _CLIENT,
    name: str = typer.Argument(..., help="The new location's name."),
    address: str | None = typer.Option(None, "--address", help="Street address (line 1)."),
    address2: str | None = typer.Option(None, "--address2", help="Street address (line 2)."),
    city: str | None = typer.Option(None, "--city"),
    state: str | None = typer.Option(None, "--state"),
    zip_code: str | None = typer.Option(None, "--zip"),
    country: str | None = typer.Option(None, "--country"),
    phone: str | None = typer.Option(None, "--phone"),
    values: list[str] = typer.Option([], "--set", help="Any other Location field as FIELD=VALUE; repeatable."),
    dry_run: bool = DRY_RUN,
    output: OutputFormat = OUTPUT,
) -> None:
    """Create a location of a client (nothing is written when the client already has one of that name)."""
    named: dict[str, Any] = {"Address1": address, "Address2": address2, "City": city, "State": state,
                             "ZipCode": zip_code, "Country": country, "PhoneNumber": phone}  # fmt: skip
    with connection.reporting_errors():
        details = {**field_values(values, example="Comments=Back door code 1234"),
                   **{k: v for k, v in named.items() if v is not None}}  # fmt: skip
        made = w5.create_location(connection.automate_client(), client, name, details, dry_run=dry_run)
    if made.status == "created":
        audit_write("automate location create", f"location {made.location_id} ({made.name}) of {made.client}",
                    made.as_dict())  # fmt: skip
    if output is OutputFormat.json:
        emit_object(made.as_dict(), output=output)
        return
    say(("Dry run: " if dry_run else "") + made.message, err=True)
    emit([{"field": k, "value": v} for k, v in made.body.items()], output=output, columns=["field", "value"])


@locations_app.command("update")
def update_command(
    client: str = _CLIENT,
    location: str = typer.Argument(..., help="The location's name or id."),
    values: list[str] = typer.Option(..., "--set", help="FIELD=VALUE by the Location field name; repeatable."),
    dry_run: bool = DRY_RUN,
    output: OutputFormat = OUTPUT,
) -> None:
    """Change a location's fields: checked first, then one PATCH of what changes."""
    with connection.reporting_errors():
        pairs = field_values(values, example="PhoneNumber=503-555-0100")
        result = w5.update_location(connection.automate_client(), client, location, pairs, dry_run=dry_run)
    show_update(result, output=output, action="automate location update")
