"""``cwdesk console``: start the web console on this machine.

``--demo`` runs it on the embedded sandbox (``--seed N`` for N generated companies, e.g. 10000; ``--demo-db PATH``
keeps its data in a file, so it survives restarts); otherwise it
connects to the ConnectWise given by ``--profile`` or the ``CWM_*`` / ``CWA_*`` variables (the same rule as every
command, ``cli/connection.py``). On first start it prints a one-time sign-in link for the ``admin`` user.
Not for: the console itself (``cwdesk.console``).
"""

from __future__ import annotations

import asyncio
import os
import socket
import sqlite3
from pathlib import Path
from typing import Any

import typer

from cwdesk.cli import connection
from cwdesk.cli.output import EXIT_USAGE
from cwdesk.workflows.validation import is_loopback

# A client must send a request's head and body within this many seconds, or the connection is closed: uvicorn has
# no such timeout (only keep-alive), so 100 slow clients could hold 100 connections for as long as they liked.
READ_TIMEOUT_SECONDS = 10.0


def _read_timeout_protocol(seconds: float) -> type[asyncio.Protocol]:
    """uvicorn's h11 protocol with a deadline for reading each request (head and body), for slow-client floods.

    A timer starts when a request's first bytes arrive (or the connection opens) and ends when its body is read;
    a request still incomplete at the deadline has its connection closed. Responses (SSE streams included) are
    not limited. Built on ``uvicorn.protocols.http.h11_impl.H11Protocol`` (its ``cycle`` is the request being
    served; ``more_body`` turns False when h11 reports the end of the body).
    """
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class ReadTimeoutH11(H11Protocol):
        _read_timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            self._arm()

        def data_received(self, data: bytes) -> None:
            if self._read_timer is None and self._between_requests():
                self._arm()  # the next request on a kept-alive connection
            super().data_received(data)
            if self.cycle is not None and not self.cycle.more_body:
                self._disarm()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def _between_requests(self) -> bool:
            return self.cycle is None or self.cycle.response_complete

        def _arm(self) -> None:
            self._read_timer = self.loop.call_later(seconds, self._too_slow)

        def _disarm(self) -> None:
            if self._read_timer is not None:
                self._read_timer.cancel()
                self._read_timer = None

        def _too_slow(self) -> None:
            self._read_timer = None
            if self._between_requests() or (self.cycle is not None and self.cycle.more_body):
                self.transport.close()

    return ReadTimeoutH11


#: What the console prints, and the sign-in page shows, to let an admin in again.
NEW_LINK_COMMAND = "cwdesk console --new-signin-link"


def _port_is_free(host: str, port: int) -> bool:
    """Whether ``host:port`` can be listened on now (checked before the console starts, for a one-line error)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def _demo_db(path: Path | None) -> str | None:
    """The sandbox's database file for ``--demo-db`` (its folder must exist), or None (in memory), said aloud."""
    if path is None:
        typer.echo("Starting the sandbox in memory: its data resets at every start (--demo-db PATH keeps it)…",
                   err=True)  # fmt: skip
        return None
    target = path.expanduser()
    if not target.parent.is_dir():
        connection.fail(f"--demo-db {path}: the folder {target.parent} does not exist; create it first.",
                        code=EXIT_USAGE)  # fmt: skip
    if target.is_dir():
        connection.fail(f"--demo-db {path} is a folder: give a file name, e.g. {target / 'demo.sqlite'}.",
                        code=EXIT_USAGE)  # fmt: skip
    existed = target.exists()
    # A new file is the sandbox's own, readable by this user only (as cwdesk's other data files: private_files.py).
    if not existed:
        target.touch(mode=0o600)
    if existed and target.stat().st_size > 0:
        typer.echo(f"Reopening the sandbox in {target} (its data as it was left; --seed applies to a new file)…",
                   err=True)  # fmt: skip
    else:
        typer.echo(f"Creating and seeding the sandbox in {target} (its data is kept across restarts)…", err=True)
    return str(target)


def _seed(value: str) -> str | int:
    if value == "demo":
        return "demo"
    try:
        count = int(value)
    except ValueError:
        connection.fail(f"--seed {value!r} is not valid: use 'demo' or a number of companies, e.g. 10000.",
                        code=EXIT_USAGE)  # fmt: skip
    if count < 1:
        connection.fail("--seed must be at least 1 company.", code=EXIT_USAGE)
    return count


def console(
    demo: bool = typer.Option(False, "--demo", help="Run on the embedded sandbox (no ConnectWise account needed)."),
    seed: str = typer.Option("demo", "--seed", help="With --demo: 'demo' (8 clients) or a number of companies."),
    demo_db: Path | None = typer.Option(
        None,
        "--demo-db",
        help="With --demo: keep the sandbox's data in this SQLite file, so it survives restarts (seeded once).",
    ),
    profile: str | None = typer.Option(None, "--profile", help="Saved connection profile (default: env vars)."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (loopback unless behind HTTPS)."),
    port: int = typer.Option(8765, "--port", help="Port to listen on."),
    read_timeout: float = typer.Option(
        READ_TIMEOUT_SECONDS, "--read-timeout", min=1.0, help="Seconds a client has to send each request."
    ),
    new_signin_link: bool = typer.Option(
        False,
        "--new-signin-link",
        help="Make the 'admin' user an active admin again and print a new one-time sign-in link for it, then start.",
    ),
) -> None:
    """Start the web console. Prints a one-time sign-in link on first start (and every start of --demo)."""
    import uvicorn

    if not _port_is_free(host, port):
        connection.fail(
            f"Port {port} on {host} is in use (another console, or another program): stop it, or pass --port N.",
            code=EXIT_USAGE,
        )
    from cwdesk.console.app import ConsoleSettings, create_app
    from cwdesk.console.connections import Connections, automate_summary, manage_summary
    from cwdesk.store import open_database

    if demo_db is not None and not demo:
        connection.fail("--demo-db keeps the sandbox's data: use it with --demo.", code=EXIT_USAGE)
    if demo:
        db_path = _demo_db(demo_db)
        try:
            connections = Connections.demo(_seed(seed), db_path=db_path)
        except sqlite3.DatabaseError as error:
            connection.fail(f"--demo-db {demo_db} is not a sandbox database ({error}): give a new file name.",
                            code=EXIT_USAGE)  # fmt: skip
    else:
        with connection.reporting_errors():
            connection.audit_cli_writes(False)  # the console audits its own users' changes (console.security.audit)
            manage = connection.manage_client(profile)
            # Automate is optional: without it the Automate view says it is not configured.
            automate = connection.automate_client(profile) if connection.automate_configured(profile) else None
        connections = Connections(
            mode="live",
            manage=manage,
            manage_info=manage_summary(_credentials_of(manage)),
            automate=automate,
            automate_info=automate_summary(_credentials_of(automate)) if automate is not None else None,
        )
    with connection.reporting_errors():  # e.g. a data folder other users can read: the message names the chmod
        engine = open_database()
    app = create_app(ConsoleSettings(connections=connections, engine=engine))
    accounts = app.state.accounts
    base = f"http://{host if ':' not in host else f'[{host}]'}:{port}"
    # Sign-in links an admin issues are built on this address, never on the request's Host header (which a
    # client chooses, and would put an attacker's host in a link the admin passes on).
    app.state.public_base = base
    token = accounts.ensure_first_admin()
    if token is None and demo and not new_signin_link:
        # The demo's data is fresh on every start (unless --demo-db), its users are not: every start lets the
        # newcomer in again.
        accounts.restore_admin("admin")
        token = accounts.issue_signin_token("admin")
    if token is None and new_signin_link:
        # Whoever can start the console on this machine owns it: this is the way back in when no admin is left.
        accounts.restore_admin("admin")
        accounts.record(username="admin", role="admin", action="restore admin by --new-signin-link", result="ok")
        token = accounts.issue_signin_token("admin")
    if token is not None:
        typer.echo("")
        typer.echo("  Sign in as admin with this one-time link (valid for 24 hours):")
        typer.echo(f"      {base}/signin?token={token}")
        typer.echo("  Then set a password on the Account page and add users on the Users page.")
        typer.echo("")
    elif not accounts.admin_has_password():
        # Live mode, no admin can sign in with a password yet (the first link expired or was used): say how.
        typer.echo("")
        typer.echo("  No admin has a password yet. Print a new sign-in link with:")
        typer.echo(f"      {NEW_LINK_COMMAND}")
        typer.echo("")
    if not is_loopback(host):
        typer.echo(
            f"Warning: listening on {host}. Put the console behind HTTPS (a reverse proxy) before others use it: "
            "sign-in and session cookies must not cross a network in clear.",
            err=True,
        )
    mode = "SANDBOX" if connections.mode == "sandbox" else "LIVE"
    typer.echo(f"cwdesk console ({mode}) on {base}  — Ctrl+C to stop", err=True)
    app.state.client_list.warm()
    # log_config=None: uvicorn installs no handlers of its own, so its access and error lines reach cwdesk's handler
    # (configure_logging): redacted (a sign-in link's ?token=) and in the chosen format (--log-format json).
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level=os.environ.get("CWDESK_CONSOLE_LOG_LEVEL", "warning"),
        log_config=None,
        http=_read_timeout_protocol(read_timeout),
    )


def _credentials_of(client: object) -> dict[str, object]:
    """The showable connection fields of an SDK client (its credentials object), for the settings page."""
    credentials = getattr(client, "credentials", None)
    fields = ("server", "company", "public_key", "client_id", "username")
    found: dict[str, object] = {name: getattr(credentials, name, None) for name in fields}
    # Only whether a secret is set is ever read, never its value.
    found["private_key"] = bool(getattr(credentials, "private_key", None))
    found["password"] = bool(getattr(credentials, "password", None))
    return found
