"""``cwdesk automate computers list [CLIENT] [--offline] [--os TEXT]``: agents with status, last contact, location.

Not for: a client's health figures (``cwdesk automate clients health``) or moving computers (``clients delete
--move-computers-to``).
"""

from __future__ import annotations

import typer

from cwdesk.cli import connection
from cwdesk.cli.automate.arguments import OUTPUT
from cwdesk.cli.output import OutputFormat, emit
from cwdesk.workflows import automate_clients as w5

__all__ = ["computers_app"]

computers_app = typer.Typer(help="List Automate computers: status, last contact, location and OS.",
                            no_args_is_help=True)  # fmt: skip


@computers_app.command("list")
def list_command(
    client: str | None = typer.Argument(None, help="Client name or id (every client's computers without it)."),
    offline: bool = typer.Option(False, "--offline", help="Only the computers whose agent is offline."),
    os: str | None = typer.Option(None, "--os", help="Only those whose operating system contains TEXT (any case)."),
    output: OutputFormat = OUTPUT,
) -> None:
    """Computers of one client or of all: status (online/offline), last contact, location and operating system."""
    with connection.reporting_errors():
        rows = w5.list_computers(connection.automate_client(), client, offline=offline, os=os)
    # At 80 columns the name, its status and since when matter most; the client only when listing every client.
    narrow = ["name", "status", "last_contact", "location"] if client else ["name", "client", "status", "last_contact"]
    emit(rows, output=output, columns=w5.COMPUTER_COLUMNS, title=f"{len(rows)} computer(s)", narrow=narrow)
