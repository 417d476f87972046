"""The root ``cwdesk`` command: registers each command group's Typer app.

Each group lives in its own module (``sandbox.py``, ``jobs.py``, ...) and is added here with one line.
Not for: business logic (that is in ``cwdesk.workflows``) or output formatting (``cli/output.py``).
"""

from __future__ import annotations

import typer

from cwdesk import __version__

app = typer.Typer(
    name="cwdesk",
    help="Client management for MSPs on ConnectWise Manage and Automate.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"cwdesk {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: bool = typer.Option(
        False, "--version", callback=_show_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Client management for MSPs on ConnectWise Manage and Automate."""


# Command groups register below, one line each (keep the list sorted).


def main() -> None:
    """Entry point of the ``cwdesk`` console script."""
    app()
