"""The root ``cwdesk`` command: registers each command group's Typer app.

Each group lives in its own module (``sandbox.py``, ``jobs.py``, ...) and is added here with one line.
Not for: business logic (that is in ``cwdesk.workflows``) or output formatting (``cli/output.py``).
"""

from __future__ import annotations

import os
from typing import Any

import typer
from typer.core import TyperGroup

from cwdesk import __version__
from cwdesk.cli import automate as automate_cli
from cwdesk.cli import bulk as bulk_cli
from cwdesk.cli import callbacks as callbacks_cli
from cwdesk.cli import config as config_cli
from cwdesk.cli import connection, resources
from cwdesk.cli import console as console_cli
from cwdesk.cli import contacts as contacts_cli
from cwdesk.cli import health as health_cli
from cwdesk.cli import jobs as jobs_cli
from cwdesk.cli import mcp as mcp_cli
from cwdesk.cli import members as members_cli
from cwdesk.cli import onboard as onboard_cli
from cwdesk.cli import operations as operations_cli
from cwdesk.cli import sandbox as sandbox_cli
from cwdesk.cli import schedule as schedule_cli
from cwdesk.cli import store as store_cli
from cwdesk.cli import sync as sync_cli
from cwdesk.cli import worker as worker_cli
from cwdesk.config import INSECURE_HTTP_ENV
from cwdesk.logs import LogFormat, configure_logging


class _CommandsReportingStoreFaults(TyperGroup):
    """Every command's storage fault (disk full, read-only, damaged, vanished, lost connection) ends in one line."""

    def invoke(self, ctx: Any) -> Any:  # (a click Context; Typer ships its own click, so no narrower type)
        try:
            return super().invoke(ctx)
        except Exception as error:
            code = store_cli.report_store_problem(error)
            if code is None:
                raise
            raise typer.Exit(code) from None


app = typer.Typer(
    name="cwdesk",
    cls=_CommandsReportingStoreFaults,
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
    profile: str | None = typer.Option(
        None, "--profile", "-p", envvar="CWDESK_PROFILE", help="Saved connection profile to use (cwdesk config)."
    ),
    log_format: LogFormat = typer.Option(
        LogFormat.text, "--log-format", envvar="CWDESK_LOG_FORMAT", help="Log lines as text or JSON (on stderr)."
    ),
    log_level: str = typer.Option(
        "warning", "--log-level", envvar="CWDESK_LOG_LEVEL", help="debug, info, warning or error."
    ),
    insecure_http: bool = typer.Option(
        False,
        "--insecure-http",
        help="Allow an http:// ConnectWise server that is not on this machine (credentials travel in clear).",
    ),
) -> None:
    """Client management for MSPs on ConnectWise Manage and Automate."""
    if insecure_http:
        # The SDK clients read it wherever a command builds them (cwdesk.config.refuse_plain_http).
        os.environ[INSECURE_HTTP_ENV] = "1"
    try:
        configure_logging(log_format=log_format, level=log_level)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--log-level") from error
    connection.select_profile(profile)


# Command groups register below, one line each (keep the list sorted).
app.add_typer(automate_cli.app, name="automate")
app.add_typer(bulk_cli.app, name="bulk")
app.add_typer(callbacks_cli.app, name="callbacks")
app.add_typer(config_cli.app, name="config")
app.command(name="console")(console_cli.console)
app.add_typer(contacts_cli.app, name="contacts")
app.command(name="delete-op")(operations_cli.delete_op)
app.add_typer(health_cli.app, name="health")
app.add_typer(jobs_cli.app, name="jobs")
app.add_typer(members_cli.app, name="members")
app.command(name="mcp")(mcp_cli.mcp)
app.command(name="mutate")(operations_cli.mutate)
app.command(name="onboard")(onboard_cli.onboard)
app.command(name="query")(operations_cli.query)
app.add_typer(sandbox_cli.app, name="sandbox")
app.add_typer(schedule_cli.app, name="schedule")
app.add_typer(store_cli.app, name="store")
app.add_typer(sync_cli.app, name="sync")
app.command(name="worker")(worker_cli.worker)
# Read-only groups for every Manage resource; last, so it can join groups registered above (contacts).
resources.register(app)


def main() -> None:
    """Entry point of the ``cwdesk`` console script."""
    app()
