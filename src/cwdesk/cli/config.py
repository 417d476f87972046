"""``cwdesk config``: save, list, show and remove connection profiles (secrets masked, file 0600 or the keyring).

Secrets never need to be on the command line (where ``ps`` shows them to every local user, and the shell history
keeps them): ``add-profile`` reads the Manage private key and the Automate password from, in this order,
``--private-key-stdin`` / ``--automate-password-stdin`` (one line on standard input), the ``CWM_PRIVATEKEY`` /
``CWA_PASSWORD`` environment variables (readable only by the same user, in ``/proc/PID/environ``), or a hidden
prompt. ``--private-key VALUE`` and ``--automate-password VALUE`` still work, for old scripts, but warn.

Not for: reading or writing the profile file itself (``cwdesk.config`` does, and enforces mode 0600) or choosing
which profile a command uses (``cli/connection.py``).
"""

from __future__ import annotations

import os
import sys
from typing import Any

import typer

from cwdesk import config
from cwdesk.cli.connection import reporting_errors
from cwdesk.cli.output import OutputFormat, emit, emit_object

app = typer.Typer(help="Connection profiles: ConnectWise Manage and Automate credentials.", no_args_is_help=True)

MASK = "***"


def _masked(section: dict[str, Any]) -> dict[str, Any]:
    return {key: (MASK if key in config.SECRET_KEYS and value else value) for key, value in section.items()}


@app.command("add-profile")
def add_profile(
    name: str = typer.Argument(..., help="Profile name (letters, digits, '-' and '_')."),
    server: str | None = typer.Option(None, help="Manage site, e.g. na.myconnectwise.net, or a URL."),
    company: str | None = typer.Option(None, help="Manage company id (as typed at the ConnectWise login)."),
    public_key: str | None = typer.Option(None, help="Manage API member's public key."),
    private_key: str | None = typer.Option(
        None, help="Discouraged (shows in `ps`): use --private-key-stdin, CWM_PRIVATEKEY or the hidden prompt."
    ),
    private_key_stdin: bool = typer.Option(
        False, "--private-key-stdin", help="Read the Manage private key from standard input (one line)."
    ),
    client_id: str | None = typer.Option(None, help="Your clientId (a UUID from developer.connectwise.com)."),
    automate_server: str | None = typer.Option(None, help="Automate server, e.g. automate.example.com."),
    automate_username: str | None = typer.Option(None, help="Automate user name."),
    automate_password: str | None = typer.Option(
        None, help="Discouraged (shows in `ps`): use --automate-password-stdin, CWA_PASSWORD or the hidden prompt."
    ),
    automate_password_stdin: bool = typer.Option(
        False, "--automate-password-stdin", help="Read the Automate password from standard input (one line)."
    ),
    automate_client_id: str | None = typer.Option(None, help="Automate clientId (a UUID)."),
    keyring: bool = typer.Option(False, "--keyring", help="Keep the secrets in the OS keyring, not in the file."),
) -> None:
    """Save a profile. Secrets go to a 0600 file under $CWDESK_HOME, or to the OS keyring with --keyring."""
    if server is None and automate_server is None:
        raise typer.BadParameter("give --server (Manage) and/or --automate-server (Automate)", param_hint="options")
    if private_key_stdin and automate_password_stdin:
        raise typer.BadParameter(
            "standard input can carry one secret: give the other by its environment variable or the prompt",
            param_hint="--private-key-stdin / --automate-password-stdin",
        )
    manage: dict[str, str] | None = None
    automate: dict[str, str] | None = None
    if server is not None:
        missing = [
            flag
            for flag, v in (("--company", company), ("--public-key", public_key), ("--client-id", client_id))
            if not v
        ]
        if missing:
            raise typer.BadParameter(f"a Manage profile also needs {', '.join(missing)}", param_hint="options")
        private_key = _secret(
            "Manage private key", "--private-key", private_key, from_stdin=private_key_stdin, env="CWM_PRIVATEKEY"
        )
        manage = {
            "server": server,
            "company": company or "",
            "public_key": public_key or "",
            "private_key": private_key or "",
            "client_id": client_id or "",
        }
    if automate_server is not None:
        missing = [
            flag
            for flag, v in (("--automate-username", automate_username), ("--automate-client-id", automate_client_id))
            if not v
        ]
        if missing:
            raise typer.BadParameter(f"an Automate profile also needs {', '.join(missing)}", param_hint="options")
        automate_password = _secret(
            "Automate password", "--automate-password", automate_password, from_stdin=automate_password_stdin,
            env="CWA_PASSWORD",
        )  # fmt: skip
        automate = {
            "server": automate_server,
            "username": automate_username or "",
            "password": automate_password or "",
            "client_id": config.validate_client_id(automate_client_id or "", product="ConnectWise Automate")
            if automate_client_id
            else "",
        }
    with reporting_errors():
        path = config.save_profile(name, manage=manage, automate=automate, use_keyring=keyring)
    where = "the OS keyring" if keyring else str(path)
    typer.echo(f"Saved profile {name!r} (secrets in {where}). Use it with `cwdesk --profile {name} ...`.")


def _secret(what: str, flag: str, given: str | None, *, from_stdin: bool, env: str) -> str:
    """A secret from ``FLAG-stdin``, the environment variable, the discouraged ``FLAG VALUE``, or a hidden prompt."""
    if from_stdin:
        value = sys.stdin.readline().strip()
        if not value:
            raise typer.BadParameter(
                f"standard input was empty: pipe the {what.lower()} in", param_hint=f"{flag}-stdin"
            )
        return value
    if given:
        typer.echo(
            f"Warning: {flag} puts the {what.lower()} in the process list (`ps`) for every local user and in your "
            f"shell history. Use {flag}-stdin, the {env} environment variable, or leave it out to be asked.",
            err=True,
        )
        return given
    from_env = os.environ.get(env, "").strip()
    if from_env:
        return from_env
    return str(typer.prompt(what, hide_input=True))


@app.command("list")
def list_profiles(
    output: OutputFormat = typer.Option(OutputFormat.table, "--output", "-o", help="table, json or csv."),
) -> None:
    """List saved profiles (no secrets)."""
    rows = []
    with reporting_errors():
        for name in config.list_profiles():
            manage = _section_or_empty(name, "manage")
            automate = _section_or_empty(name, "automate")
            rows.append(
                {
                    "name": name,
                    "manage_server": manage.get("server", ""),
                    "company": manage.get("company", ""),
                    "automate_server": automate.get("server", ""),
                }
            )
    emit(rows, output=output, columns=["name", "manage_server", "company", "automate_server"])


def _section_or_empty(name: str, section: str) -> dict[str, str]:
    values = config.profile_section(name, section)
    return {key: value for key, value in values.items() if key not in config.SECRET_KEYS}


@app.command("show")
def show(
    name: str = typer.Argument(..., help="Profile name."),
    output: OutputFormat = typer.Option(OutputFormat.table, "--output", "-o", help="table, json or csv."),
) -> None:
    """Show one profile with its secrets masked."""
    with reporting_errors():
        if name not in config.list_profiles():
            config.profile_section(name, "manage")  # raises the "no profile named ..." error with the known names
        data: dict[str, Any] = {"name": name}
        for section in ("manage", "automate"):
            values = _masked(config.profile_section(name, section))
            for key, value in values.items():
                data[f"{section}.{key}"] = value
    emit_object(data, output=output)


@app.command("remove")
def remove(name: str = typer.Argument(..., help="Profile name.")) -> None:
    """Remove a profile and its keyring secrets."""
    with reporting_errors():
        config.delete_profile(name)
    typer.echo(f"Removed profile {name!r}.")
