"""``cwdesk store``: look after the app's own database — ``check``, ``backup [PATH]``, ``adopt``.

The store is ``CWDESK_DATABASE_URL`` or the SQLite file in the data folder (docs/store.md). Every command that
uses the store checks it at start-up (integrity, schema version, identity); these commands are for the times that
check refuses, or before an upgrade. Storage faults met by any command end in one line from
``report_store_problem`` (registered for the whole CLI in ``cli/app.py``), never a traceback.
Not for: the checks and copies themselves (``cwdesk.store.maintenance``).
"""

from __future__ import annotations

from pathlib import Path

import typer

from cwdesk.cli.connection import fail
from cwdesk.cli.output import EXIT_FAILURE, EXIT_USAGE
from cwdesk.errors import CWDeskError
from cwdesk.store import identity, maintenance, open_database
from cwdesk.store.database import create_engine, database_url
from cwdesk.store.problems import describe_database_error, hide_password

app = typer.Typer(help="Check, back up or adopt the app's own database (jobs, users, audit log, sync cache).")


def report_store_problem(error: BaseException) -> int | None:
    """Print the one line a storage fault stands for and return its exit code; None if ``error`` is no such fault."""
    try:
        where: str | None = database_url()
    except (OSError, CWDeskError):  # (the data folder cannot be made or is refused: the error itself says so)
        where = None
    problem = describe_database_error(error, where)
    if problem is None:
        return None
    typer.echo(f"Error: {problem}", err=True)
    return problem.exit_code


@app.command()
def check(
    full: bool = typer.Option(False, "--full", help="SQLite: integrity_check (slower) instead of quick_check."),
) -> None:
    """Check the store without changing it: file, integrity, schema revision and identity. Exit 2 if one fails."""
    findings = maintenance.check_store(database_url(), full=full)
    for finding in findings:
        typer.echo(f"{finding.status:<5} {finding.check:<16} {finding.detail}")
    if any(f.status == "fail" for f in findings):
        raise typer.Exit(EXIT_USAGE)


@app.command()
def backup(
    path: Path | None = typer.Argument(None, help="Where to write the copy (default: <data folder>/backups/…)."),
) -> None:
    """Copy the store (SQLite: the online backup API, safe while the console runs; PostgreSQL: pg_dump)."""
    engine = create_engine(database_url())
    try:
        written = maintenance.backup_store(engine, path)
    finally:
        engine.dispose()
    typer.echo(f"Backed up {hide_password(engine.url)} to {written}")


@app.command()
def adopt(
    yes: bool = typer.Option(False, "--yes", help="Do it without asking."),
) -> None:
    """Use the database now at the configured place as this machine's store (after a restore, or to start empty)."""
    engine = create_engine(database_url())
    url = engine.url
    engine.dispose()
    known = identity.noted_id(url)
    if known is None:
        typer.echo(f"This machine has no note of a store at {hide_password(url)}: nothing to adopt.")
    elif not yes and not typer.confirm(
        f"Forget store {known} and use whatever is at {hide_password(url)} now (an empty one if nothing is)?"
    ):
        fail("Nothing changed.", code=EXIT_FAILURE)
    identity.forget(url)
    adopted = open_database()
    with adopted.connect() as conn:
        store_id = identity.read_store_id(conn)
    adopted.dispose()
    typer.echo(f"This machine now uses store {store_id} at {hide_password(url)}.")
