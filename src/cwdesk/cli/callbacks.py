"""``cwdesk callbacks register|list|remove|serve``: ConnectWise callbacks (webhooks) and the local receiver.

``register`` creates a callback entry at ConnectWise (``POST /system/callbacks``) pointing at your receiver's public
URL; ``serve`` runs the receiver (uvicorn, 127.0.0.1 by default) that verifies each delivery and applies it to the
local sync cache. The receiver trusts signing keys only from the ConnectWise host of the active profile.
Not for: the verification rules (``cwdesk.workflows.callbacks``).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import typer

from cwdesk.cli import connection
from cwdesk.cli.output import OutputFormat, confirm_or_refuse, emit
from cwdesk.cli.resources import Readable, add_read_commands
from cwdesk.store import open_database
from cwdesk.workflows.callbacks import CallbackReceiver, SigningKeys, create_app
from cwdesk.workflows.sync import source_of
from cwdesk.workflows.validation import InvalidInput, Problem, record_dict

app = typer.Typer(
    help="ConnectWise callbacks (webhooks): register, list, remove, and the receiver.", no_args_is_help=True
)

CALLBACKS = Readable(
    "callbacks", "callbacks", "callback", ("id", "type", "level", "objectId", "url", "description", "inactiveFlag")
)
add_read_commands(app, CALLBACKS)

# Callback types ConnectWise documents and django-connectwise registers (NOTES §7); others are passed through.
KNOWN_TYPES = ("activity", "agreement", "company", "contact", "member", "opportunity", "project", "schedule", "ticket")
KNOWN_LEVELS = ("owner", "board", "status", "territory")


def _check_registration(url: str, callback_type: str, level: str) -> None:
    problems = []
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        problems.append(Problem("url", f"{url!r} is not an http(s) URL ConnectWise can POST to"))
    elif parts.scheme == "http":
        problems.append(Problem("url", "use https: ConnectWise delivers record data to this URL"))
    if callback_type.lower() not in KNOWN_TYPES:
        problems.append(Problem("type", f"{callback_type!r} is not a callback type ({', '.join(KNOWN_TYPES)})"))
    if level.lower() not in KNOWN_LEVELS:
        problems.append(Problem("level", f"{level!r} is not a callback level ({', '.join(KNOWN_LEVELS)})"))
    if problems:
        raise InvalidInput(problems, subject="the callback registration")


@app.command("register")
def register(
    url: str = typer.Option(
        ..., "--url", help="Your receiver's public https URL, e.g. https://hooks.example/callbacks."
    ),
    callback_type: str = typer.Option(..., "--type", help=f"Record type: {', '.join(KNOWN_TYPES)}."),
    level: str = typer.Option("owner", "--level", help="owner (all records of the type), board, status, territory."),
    object_id: int = typer.Option(1, "--object-id", help="The board/status id for those levels; 1 for owner."),
    description: str = typer.Option("cwdesk", "--description", help="A note shown in ConnectWise."),
    allow_http: bool = typer.Option(False, "--allow-http", help="Accept a plain http URL (test setups only)."),
    output: OutputFormat = typer.Option(OutputFormat.table, "--output", "-o", help="table, json or csv."),
) -> None:
    """Register a callback at ConnectWise."""
    with connection.reporting_errors():
        try:
            _check_registration(url, callback_type, level)
        except InvalidInput as error:
            if not (allow_http and all(p.field == "url" and "use https" in p.message for p in error.problems)):
                raise
        cw = connection.manage_client()
        try:
            created = cw.callbacks.create(
                {
                    "url": url,
                    "type": callback_type.lower(),
                    "level": level.lower(),
                    "objectId": object_id,
                    "description": description,
                }
            )
        finally:
            cw.close()
    data = record_dict(created)
    emit([{column: data.get(column) for column in CALLBACKS.columns}], output=output, columns=list(CALLBACKS.columns))


@app.command("remove")
def remove(
    callback_id: int = typer.Argument(..., help="The callback's id (see `cwdesk callbacks list`)."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Remove without asking (needed when not on a terminal)."),
) -> None:
    """Delete a callback at ConnectWise (shows it and asks first)."""
    with connection.reporting_errors():
        cw = connection.manage_client()
        try:
            entry = record_dict(cw.callbacks.get(callback_id))
            shown = ", ".join(f"{k} {entry.get(k)!r}" for k in ("type", "level", "objectId", "url", "description"))
            confirm_or_refuse(
                f"Removing callback {callback_id} ({shown}) stops its deliveries.", question="Remove it?", yes=yes
            )
            cw.callbacks.delete(callback_id)
        finally:
            cw.close()
    typer.echo(f"Removed callback {callback_id}.")


def build_receiver() -> tuple[CallbackReceiver, str]:
    """The receiver for the active profile: its source, and signing keys bound to its ConnectWise host."""
    cw = connection.manage_client()
    try:
        server = str(cw.credentials.server)
        source = source_of(cw)
    finally:
        cw.close()
    transport, async_transport = connection.sandbox_transports()
    keys = SigningKeys(server, transport=transport, async_transport=async_transport)
    return CallbackReceiver(open_database(), source=source, keys=keys), server


@app.command("serve")
def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (put a TLS proxy in front)."),
    port: int = typer.Option(8787, "--port", min=1, max=65535, help="Port to listen on."),
    path: str = typer.Option("/callbacks", "--path", help="The URL path deliveries are POSTed to."),
) -> None:
    """Run the callback receiver: verify each delivery's signature and apply it to the local database."""
    import uvicorn

    with connection.reporting_errors():
        receiver, server = build_receiver()
    app_: Any = create_app(receiver, path=path)
    typer.echo(
        f"Receiving callbacks on http://{host}:{port}{path}; signing keys accepted only from {server}.", err=True
    )
    uvicorn.run(app_, host=host, port=port, log_level="warning")
