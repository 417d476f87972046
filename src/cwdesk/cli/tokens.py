"""``cwdesk tokens create|list|revoke``: API tokens for the console's ``/mcp`` (purpose ``api``) and SCIM (``scim``).

``create`` prints the secret once (only its digest is stored: it cannot be shown again; a lost secret is revoked
and a new token made). ``revoke`` asks first on a terminal, and without one needs ``--yes`` (the CLI's rule,
``output.confirm_or_refuse``). Each creation and revocation is written to the console's audit log, as made from
the command line. Not for: how tokens are stored and checked (``cwdesk.store.tokens``).
"""

from __future__ import annotations

import typer

from cwdesk.cli import connection
from cwdesk.cli.jobs import cli_user, database
from cwdesk.cli.output import EXIT_USAGE, OutputFormat, confirm_or_refuse, emit, emit_object, say
from cwdesk.console.security import Accounts
from cwdesk.store.tokens import PURPOSES, TokenError, TokenInfo, Tokens

app = typer.Typer(help="API tokens for /mcp and SCIM: create (secret shown once), list, revoke.", no_args_is_help=True)

COLUMNS = ["id", "name", "purpose", "role", "created_at", "created_by", "last_used_at", "revoked_at", "revoked_by"]
NARROW = ["id", "name", "purpose", "role", "last_used_at", "revoked_at"]


def _audit(action: str, info: TokenInfo) -> None:
    Accounts(database()).record(
        username=cli_user(),
        role="cli",
        action=action,
        target=f"token {info.id} ({info.name})",
        detail={"token_id": info.id, "name": info.name, "purpose": info.purpose, "role": info.role},
        result="ok",
    )


@app.command("create")
def create(
    name: str = typer.Option(..., "--name", help="What uses the token, e.g. claude-desktop, okta."),
    role: str = typer.Option(..., "--role", help="viewer (reads only), operator (plans and runs jobs) or admin."),
    purpose: str = typer.Option("api", "--purpose", help=f"What it is for: {', '.join(PURPOSES)}."),
    output: OutputFormat = typer.Option(OutputFormat.table, "--output", "-o", help="table, json or csv."),
) -> None:
    """Make a token and print its secret, once: store it in the program that will use it."""
    try:
        info, secret = Tokens(database()).create(name, purpose, role, created_by=cli_user())
    except TokenError as error:
        connection.fail(str(error), code=EXIT_USAGE)
    _audit("create API token", info)
    if output is OutputFormat.table:
        typer.echo(secret)
        say(
            f"Token {info.id} ({info.name}, {info.purpose}, role {info.role}) made. The secret above is shown this "
            "once and is not stored: put it in the program that uses it (as `Authorization: Bearer <secret>`). "
            f"If it is lost, `cwdesk tokens revoke {info.name}` and make a new one.",
            err=True,
        )
    else:
        emit_object({**info.as_dict(), "secret": secret}, output=output)


@app.command("list")
def list_command(
    purpose: str | None = typer.Option(None, "--purpose", help=f"Only tokens for: {', '.join(PURPOSES)}."),
    active: bool = typer.Option(False, "--active", help="Leave out revoked tokens."),
    output: OutputFormat = typer.Option(OutputFormat.table, "--output", "-o", help="table, json or csv."),
) -> None:
    """The tokens (never their secrets): role, who made each, last use, revocation."""
    try:
        found = Tokens(database()).list(purpose, include_revoked=not active)
    except TokenError as error:
        connection.fail(str(error), code=EXIT_USAGE)
    if not found and output is OutputFormat.table:
        typer.echo("No tokens: `cwdesk tokens create --name NAME --role viewer` makes one.")
        return
    emit([t.as_dict() for t in found], output=output, columns=COLUMNS, narrow=NARROW)


@app.command("revoke")
def revoke(
    token: str = typer.Argument(..., help="The token's id or name (`cwdesk tokens list`)."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Revoke without asking (needed without a terminal)."),
) -> None:
    """Revoke a token: whatever uses it is refused from the next request on. Asks first."""
    tokens = Tokens(database())
    try:
        found = tokens.revocable(token)
    except TokenError as error:
        connection.fail(str(error), code=EXIT_USAGE)
    confirm_or_refuse(
        f"Token {found.id} ({found.name}, {found.purpose}, role {found.role}) will stop working at once.",
        question="Revoke it?",
        yes=yes,
    )
    try:
        revoked = tokens.revoke(found.id, revoked_by=cli_user())
    except TokenError as error:  # (revoked meanwhile by someone else)
        connection.fail(str(error), code=EXIT_USAGE)
    _audit("revoke API token", revoked)
    say(f"Revoked token {revoked.id} ({revoked.name}).")
