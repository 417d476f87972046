"""``cwdesk scim serve|token``: the SCIM 2.0 bridge for identity providers (Okta, Entra ID), and its tokens.

``serve`` runs the SCIM server (``cwdesk.scim``) at ``http://HOST:PORT/scim/v2`` (the same path as in the console);
``--demo`` runs it on the embedded sandbox, to try an identity provider's set-up safely. What an identity provider
does not send comes from options, else ``CWDESK_SCIM_*`` variables, else the defaults (docs/scim.md):
the security role of new members (``--role``, Technician), their licence class (``--license-class``, F), whether
DELETE deletes (``--hard-delete``; without it DELETE deactivates) and each token's requests a minute (``--rate``).
``token create --name okta`` prints a token once (the app's token store keeps only its digest; purpose ``scim``);
``token list`` and ``token revoke`` manage them (the same as ``cwdesk tokens ... --purpose scim``).
Not for: the server itself (``cwdesk.scim``).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, cast

import typer

from cwdesk.cli import connection
from cwdesk.cli.output import EXIT_USAGE, OutputFormat

if TYPE_CHECKING:
    from starlette.types import ASGIApp

app = typer.Typer(
    help="SCIM 2.0 bridge for identity providers (Okta, Entra ID): serve, and its tokens.", no_args_is_help=True
)
token_app = typer.Typer(help="SCIM tokens, one per identity provider: create (shown once), list, revoke.",
                        no_args_is_help=True)  # fmt: skip
app.add_typer(token_app, name="token")

SCIM_PATH = "/scim/v2"


@app.command("serve")
def serve(
    demo: bool = typer.Option(False, "--demo", help="Run on the embedded sandbox (no ConnectWise account needed)."),
    profile: str | None = typer.Option(None, "--profile", help="Saved connection profile (default: env vars)."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (loopback unless behind HTTPS)."),
    port: int = typer.Option(8766, "--port", help="Port to listen on."),
    role: str | None = typer.Option(
        None, "--role", help="Security role of new members (env CWDESK_SCIM_ROLE; default Technician)."
    ),
    license_class: str | None = typer.Option(
        None, "--license-class", help="Licence class of new members: F, A, C or X (env CWDESK_SCIM_LICENSE_CLASS; F)."
    ),
    hard_delete: bool = typer.Option(
        False, "--hard-delete", help="DELETE deletes the member (else deactivates) (env CWDESK_SCIM_HARD_DELETE=1)."
    ),
    rate: int | None = typer.Option(
        None, "--rate", min=1, help="Requests a minute per token (env CWDESK_SCIM_RATE; default 600)."
    ),
) -> None:
    """Serve the SCIM 2.0 bridge (Users = members, Groups = security roles) at /scim/v2."""
    from dataclasses import replace

    import uvicorn
    from starlette.applications import Starlette
    from starlette.routing import Mount

    from cwdesk.cli.console import _port_is_free, _read_timeout_protocol
    from cwdesk.scim.server import create_scim_app, requests_per_minute_from_env
    from cwdesk.scim.storage import ScimSettings, settings_problem
    from cwdesk.scim.tokens import token_check
    from cwdesk.store import open_database
    from cwdesk.workflows.members import LICENSE_CLASSES
    from cwdesk.workflows.validation import is_loopback

    with connection.reporting_errors():  # a bad CWDESK_SCIM_* value: the message names it and the choices
        settings = ScimSettings.from_env()
        per_minute = rate or requests_per_minute_from_env()
    if license_class is not None and license_class.strip().upper() not in LICENSE_CLASSES:
        connection.fail(f"--license-class {license_class!r} is not valid: use F, A, C or X.", code=EXIT_USAGE)
    settings = replace(
        settings,
        security_role=(role or settings.security_role).strip(),
        license_class=(license_class or settings.license_class).strip().upper(),
        hard_delete=hard_delete or settings.hard_delete,
    )
    if not _port_is_free(host, port):
        connection.fail(f"Port {port} on {host} is in use: stop what uses it, or pass --port N.", code=EXIT_USAGE)
    keep_alive: Any = None  # demo: the in-process sandbox lives as long as the server
    if demo:
        from cwdesk.console.connections import Connections

        typer.echo("Starting the sandbox (demo data)…", err=True)
        demo_connections = Connections.demo()
        keep_alive = demo_connections.sandbox
        manage = demo_connections.manage
    else:
        with connection.reporting_errors():
            manage = connection.manage_client(profile)
    with connection.reporting_errors():
        problem = settings_problem(manage, settings)
        engine = open_database()
    if problem:
        connection.fail(f"cwdesk scim serve: {problem}", code=EXIT_USAGE)
    scim = create_scim_app(
        manage, engine, verify=token_check(engine), settings=settings, requests_per_minute=per_minute
    )
    # Mounted at /scim so the base URL is the console's (/scim/v2): one set-up works with either.
    root = Starlette(routes=[Mount("/scim", app=cast("ASGIApp", scim))])
    base = f"http://{host if ':' not in host else f'[{host}]'}:{port}{SCIM_PATH}"
    if not is_loopback(host):
        typer.echo(f"Warning: listening on {host}. Put the bridge behind HTTPS before an identity provider uses it: "
                   "its bearer token must not cross a network in clear.", err=True)  # fmt: skip
    mode = "SANDBOX" if demo else "LIVE"
    typer.echo(f"cwdesk scim ({mode}) on {base}  — new members get role {settings.security_role!r}, "
               f"licence {settings.license_class}; DELETE {'deletes' if settings.hard_delete else 'deactivates'}. "
               "Ctrl+C to stop", err=True)  # fmt: skip
    try:
        uvicorn.run(root, host=host, port=port, log_level=os.environ.get("CWDESK_SCIM_LOG_LEVEL", "warning"),
                    log_config=None, http=_read_timeout_protocol(10.0))  # fmt: skip
    finally:
        del keep_alive


@token_app.command("create")
def token_create(
    name: str = typer.Option(..., "--name", help="The identity provider using it, e.g. okta, entra."),
    output: OutputFormat = typer.Option(OutputFormat.table, "--output", "-o", help="table, json or csv."),
) -> None:
    """Make a SCIM token and print its secret, once: paste it into the identity provider."""
    from cwdesk.cli import tokens

    # role operator: the bridge's changes run as jobs, which is what an operator may do in the console.
    tokens.create(name=name, role="operator", purpose="scim", output=output)


@token_app.command("list")
def token_list(
    active: bool = typer.Option(False, "--active", help="Leave out revoked tokens."),
    output: OutputFormat = typer.Option(OutputFormat.table, "--output", "-o", help="table, json or csv."),
) -> None:
    """The SCIM tokens (never their secrets): who made each, last use, revocation."""
    from cwdesk.cli import tokens

    tokens.list_command(purpose="scim", active=active, output=output)


@token_app.command("revoke")
def token_revoke(
    token: str = typer.Argument(..., help="The token's id or name (`cwdesk scim token list`)."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Revoke without asking (needed without a terminal)."),
) -> None:
    """Revoke a SCIM token: the identity provider is refused from its next request on. Asks first."""
    from cwdesk.cli import tokens

    tokens.revoke(token=token, yes=yes)
