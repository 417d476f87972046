"""``cwdesk mcp``: serve cwdesk's tools to an AI assistant over MCP (stdio), on the CLI's connection set-up.

``--demo`` runs on the embedded sandbox (the same as ``cwdesk console --demo``), so an assistant can be tried with
no ConnectWise account; otherwise the connection follows the rule of every command (``--profile``, the
``CWM_*`` / ``CWA_*`` variables, the ``default`` profile: ``cli/connection.py``). ``--read-only`` leaves out every
tool that leads to a write. stdout carries the protocol: everything this command says goes to stderr.
Not for: the tools (``cwdesk.mcp``).
"""

from __future__ import annotations

from typing import Any

import typer

from cwdesk.cli import connection
from cwdesk.cli.output import EXIT_USAGE


def mcp(
    demo: bool = typer.Option(False, "--demo", help="Run on the embedded sandbox (no ConnectWise account needed)."),
    read_only: bool = typer.Option(False, "--read-only", help="Offer read tools only: no plan and no execute."),
    profile: str | None = typer.Option(None, "--profile", help="Saved connection profile (default: env vars)."),
    client_name: str = typer.Option(
        "assistant", "--client-name", help="Name of the assistant, recorded on its jobs and in the audit log."
    ),
) -> None:
    """Serve cwdesk to an AI assistant over MCP (stdio). Write tools only plan; execute_plan runs a plan."""
    try:
        from cwdesk.mcp.desk import Desk
        from cwdesk.mcp.server import build_server
    except ImportError as error:  # the optional dependency (pyproject extra "mcp")
        connection.fail(
            f"cwdesk mcp needs the MCP SDK ({error.name or 'mcp'} is not installed): pip install 'cwdesk[mcp]'.",
            code=EXIT_USAGE,
        )
    from cwdesk.store import open_database

    keep_alive: Any = None  # demo: the in-process sandbox lives as long as the server
    if demo:
        from cwdesk.console.connections import Connections

        typer.echo("Starting the sandbox (demo data)…", err=True)
        demo_connections = Connections.demo()
        keep_alive = demo_connections.sandbox
        manage, automate = demo_connections.manage, demo_connections.automate
    else:
        with connection.reporting_errors():
            connection.audit_cli_writes(False)  # each plan it runs is audited naming its caller, and is a job
            manage = connection.manage_client(profile)
            automate = connection.automate_client(profile) if connection.automate_configured(profile) else None
    with connection.reporting_errors():
        engine = open_database()
    desk = Desk(manage=manage, automate=automate, engine=engine, client_name=client_name)
    server = build_server(desk, read_only=read_only)
    mode = "SANDBOX" if demo else "LIVE"
    typer.echo(f"cwdesk mcp ({mode}{', read-only' if read_only else ''}) on stdio", err=True)
    try:
        server.run("stdio")
    finally:
        for thread in desk.started:  # a job started by execute_plan finishes before the process ends
            thread.join()
        del keep_alive
