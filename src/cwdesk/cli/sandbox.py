"""``cwdesk sandbox serve``: the ConnectWise Manage + Automate emulator as a standalone server on this machine;
``cwdesk sandbox diff``: where the sandbox answers differently from a real ConnectWise.

Not for: the emulator itself (``cwdesk.sandbox``) or the diff's battery and comparison
(``cwdesk.workflows.sandbox_diff``); this module only reads options, builds the clients, prints and runs uvicorn.
"""

from __future__ import annotations

import re
import shutil
import signal
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from cwdesk.cli.output import EXIT_PARTIAL, EXIT_USAGE, OutputFormat

if TYPE_CHECKING:
    from cwdesk.automate.client import AutomateClient
    from cwdesk.manage.client import ManageClient
    from cwdesk.workflows.sandbox_diff import DiffReport

EXIT_DIFFERENCES = EXIT_PARTIAL
"""``cwdesk sandbox diff`` ends with 3 when the two servers differ (0 when they agree)."""

app = typer.Typer(help="Run a local ConnectWise Manage and Automate emulator (the sandbox).", no_args_is_help=True)


def _seed(value: str) -> str | int | None:
    if value.lower() == "demo":
        return "demo"
    if value.lower() in ("none", "empty"):
        return None
    if value.isdigit():
        return int(value)
    raise typer.BadParameter("use demo, a number of companies (e.g. 10000), or none")


def _rate(value: str | None) -> int | None:
    if value is None:
        return None
    match = re.fullmatch(r"\s*(\d+)\s*(/\s*min)?\s*", value)
    if match is None or int(match.group(1)) < 1:
        raise typer.BadParameter("write requests per minute, e.g. 60 or 60/min")
    return int(match.group(1))


def _exit_on_signal(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on (keep it on loopback)."),
    port: int = typer.Option(8901, help="Port to listen on."),
    seed: str = typer.Option("demo", help="demo (8 clients), a number of companies (e.g. 10000), or none."),
    db: Path | None = typer.Option(None, help="SQLite file to keep the data in (default: in memory)."),
    tls: bool = typer.Option(False, "--tls", help="Serve HTTPS with a generated certificate; prints the CA to trust."),
    rate_limit: str | None = typer.Option(None, "--rate-limit", help="Requests/minute per credential, e.g. 60/min."),
    rate_burst: int | None = typer.Option(
        None, "--rate-burst", help="Requests a credential may send at once under --rate-limit (default: a minute's)."
    ),
    latency: int = typer.Option(0, "--latency", help="Milliseconds added to every answer."),
    fault_rate: float = typer.Option(0.0, "--fault-rate", help="Share of requests answered with a 5xx (0 to 1)."),
    random_seed: int = typer.Option(0, "--random-seed", help="Seed of the data generator and of random faults."),
) -> None:
    """Serve the sandbox until Ctrl+C."""
    import uvicorn

    from cwdesk.home import data_dir
    from cwdesk.private_files import private_folder
    from cwdesk.sandbox import Sandbox
    from cwdesk.sandbox.manage_api import API_ROOT
    from cwdesk.sandbox.tls import make_certificates, run_folder

    try:
        seed_value = _seed(seed)
        per_minute = _rate(rate_limit)
        if not 0.0 <= fault_rate <= 1.0:
            raise typer.BadParameter("--fault-rate is a share between 0 and 1, e.g. 0.05")
        if latency < 0:
            raise typer.BadParameter("--latency cannot be negative")
        if rate_burst is not None and rate_burst < 1:
            raise typer.BadParameter("--rate-burst must be at least 1")
    except typer.BadParameter as exc:
        typer.echo(f"Error: {exc}", err=True)
        raise typer.Exit(EXIT_USAGE) from None
    scheme = "https" if tls else "http"
    shown_host = "localhost" if tls and host in ("127.0.0.1", "::1") else host
    base_url = f"{scheme}://{shown_host}:{port}"
    sandbox = Sandbox(seed=seed_value, db_path=str(db) if db else None, random_seed=random_seed, base_url=base_url)
    sandbox.faults.set(
        rate_limit_per_min=per_minute,
        latency_ms=latency,
        error_rate=fault_rate,
        seed=random_seed,
        rate_limit_burst=rate_burst,
    )
    ssl: dict[str, str] = {}
    ca_pem = None
    tls_folder = None
    if tls:
        # A folder per run, inside cwdesk's private data folder (0700; private_files.py): a second sandbox never
        # overwrites the CA that clients of the first one trust.
        tls_folder = run_folder(private_folder(data_dir()) / "sandbox-tls", port)
        files = make_certificates(tls_folder, [shown_host, host])
        ssl = {"ssl_certfile": str(files.cert_pem), "ssl_keyfile": str(files.key_pem)}
        ca_pem = files.ca_pem
    manage = sandbox.manage_credentials
    automate = sandbox.automate_credentials
    typer.echo(f"cwdesk sandbox (seed: {seed}) listening on {base_url}")
    typer.echo(f"  Manage:    {base_url}{API_ROOT}   (company info: {base_url}/login/companyinfo/{manage['company']})")
    typer.echo(
        f"             company={manage['company']} public_key={manage['public_key']} "
        f"private_key={manage['private_key']} clientId={manage['client_id']}"
    )
    typer.echo(f"  Automate:  {base_url}/cwa/api/v1   username={automate['username']} password={automate['password']}")
    typer.echo(f"  Control:   {base_url}/_sandbox/requests | /_sandbox/faults | /_sandbox/reset")
    typer.echo("             (changes need the header X-Sandbox-Control: 1 and a JSON body)")
    if ca_pem is not None:
        typer.echo(f"  TLS:       trust the CA certificate {ca_pem}")
        typer.echo(f"             (this run's own files, removed when it stops: {tls_folder})")
    typer.echo("These are sandbox-only credentials. Press Ctrl+C to stop.")
    if tls_folder is not None:
        # uvicorn shuts down gracefully on SIGTERM and then raises the signal again with the handler it found
        # (uvicorn/server.py, capture_signals); with this one that ends in SystemExit, so the folder is removed.
        signal.signal(signal.SIGTERM, _exit_on_signal)
    try:
        uvicorn.run(sandbox.asgi_app(), host=host, port=port, log_level="warning", **ssl)  # type: ignore[arg-type]
    finally:
        if tls_folder is not None:
            shutil.rmtree(tls_folder, ignore_errors=True)


def _sandbox_clients(url: str | None) -> tuple[ManageClient, AutomateClient]:
    """Manage and Automate clients of the sandbox side: an embedded demo sandbox, or a running one at ``url``."""
    from cwdesk.automate.client import AutomateClient
    from cwdesk.automate.credentials import AutomateCredentials
    from cwdesk.config import ManageCredentials
    from cwdesk.manage.client import ManageClient
    from cwdesk.sandbox import Sandbox
    from cwdesk.sandbox.server import DEFAULT_BASE_URL

    sandbox = Sandbox(seed="demo" if url is None else None, base_url=url or DEFAULT_BASE_URL)
    manage = ManageCredentials(**sandbox.manage_credentials)  # the sandbox's fixed keys, on either side
    automate = AutomateCredentials(**sandbox.automate_credentials)
    if url is not None:
        sandbox.close()  # only its credentials were needed: the running sandbox answers
        return ManageClient(credentials=manage), AutomateClient(credentials=automate)
    return (
        ManageClient(credentials=manage, transport=sandbox.transport()),
        AutomateClient(credentials=automate, transport=sandbox.transport()),
    )


def print_report(report: DiffReport, output: OutputFormat) -> None:
    """The differences as a table (or the whole report as JSON): names, types and rels only, never values."""
    import json

    from cwdesk.cli.output import emit

    if output is OutputFormat.json:
        typer.echo(json.dumps(report.as_dict(), indent=2, ensure_ascii=False))
        return
    if output is not OutputFormat.table:
        emit(
            (vars(d) for d in report.differences), output=output, columns=["probe", "aspect", "name", "real", "sandbox"]
        )
        return
    if report.differences:
        rows = (vars(d) for d in report.differences)
        emit(rows, output=output, columns=["probe", "aspect", "name", "real", "sandbox"], title="Differences")
    probed = len(report.probes)
    differing = len({d.probe for d in report.differences})
    typer.echo(f"{probed} probes, {differing} with differences, {len(report.differences)} differences in all.")
    for note in report.skipped:
        typer.echo(f"Skipped {note}.")


@app.command()
def diff(
    profile: str | None = typer.Option(
        None, "--profile", "-p", help="Profile of the real ConnectWise (default: CWM_*/CWA_* env, or 'default')."
    ),
    sandbox_url: str | None = typer.Option(
        None, "--sandbox-url", help="A running `cwdesk sandbox serve` to compare (default: an embedded demo sandbox)."
    ),
    output: OutputFormat = typer.Option(OutputFormat.table, "--output", "-o", help="table, json or csv."),
) -> None:
    """Run a fixed read-only battery (GETs, pages of 2) on a real ConnectWise and the sandbox; print what differs.

    Only field names, JSON types, header presence, Link rels, statuses and error messages are printed, never a
    record's values. Exit code 0 when both answer alike, 3 when they differ.
    """
    from cwdesk.cli import connection
    from cwdesk.workflows.sandbox_diff import diff_servers

    with connection.reporting_errors():
        real_manage = connection.manage_client(profile)
        real_automate = connection.automate_client(profile) if connection.automate_configured(profile) else None
        sandbox_manage, sandbox_automate = _sandbox_clients(sandbox_url)
        try:
            report = diff_servers(
                real_manage.request,
                sandbox_manage.request,
                real_automate.core.request if real_automate is not None else None,
                sandbox_automate.core.request,
            )
        finally:
            for client in (real_manage, real_automate, sandbox_manage, sandbox_automate):
                if client is not None:
                    client.close()
    print_report(report, output)
    raise typer.Exit(EXIT_DIFFERENCES if report.differences else 0)
