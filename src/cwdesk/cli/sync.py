"""``cwdesk sync companies|contacts|agreements|members|all``: bring the local copies up to date, incrementally.

Prints what each run did (fetched, created, updated, unchanged, deleted). Exit code 0 when every kind synced, 1 when
all failed, 3 when some did (the others are kept: a failed kind resumes from its last watermark next time).
Not for: the sync rules (``cwdesk.workflows.sync``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import typer

from cwdesk.cli import connection
from cwdesk.cli.output import EXIT_FAILURE, EXIT_OK, EXIT_PARTIAL, OutputFormat, emit
from cwdesk.errors import CWDeskError
from cwdesk.store import open_database
from cwdesk.workflows.sync import SYNC_KINDS, sync_kind

app = typer.Typer(help="Sync ConnectWise records into the local database (incremental).", no_args_is_help=True)

COLUMNS = ["kind", "mode", "state", "fetched", "created", "updated", "unchanged", "deleted", "since", "message"]


def run_sync(kinds: Sequence[str], *, full: bool, output: OutputFormat) -> None:
    """Sync each kind in turn, print one row per kind, and exit with 0, 3 (some failed) or 1 (all failed)."""
    with connection.reporting_errors():  # e.g. a data folder other users can read: the message names the chmod
        engine = open_database()
    rows: list[dict[str, Any]] = []
    failures = 0
    cw = connection.manage_client()
    try:
        for kind in kinds:
            try:
                result = sync_kind(cw, engine, kind, full=full)
            except CWDeskError as error:
                failures += 1
                rows.append({"kind": kind, "state": "failed", "message": connection.describe(error)})
                continue
            row = result.as_dict()
            row["state"] = "succeeded"
            row["message"] = ""
            rows.append(row)
    finally:
        cw.close()
    emit(rows, output=output, columns=COLUMNS)
    if failures:
        for row in rows:
            if row["state"] == "failed":
                typer.echo(f"Error: sync of {row['kind']} failed: {row['message']}", err=True)
    code = EXIT_OK if not failures else EXIT_FAILURE if failures == len(kinds) else EXIT_PARTIAL
    raise typer.Exit(code)


def _command(kind: str) -> Any:
    def command(
        full: bool = typer.Option(False, "--full", help="Read everything again (also finds deleted records)."),
        output: OutputFormat = typer.Option(OutputFormat.table, "--output", "-o", help="table, json or csv."),
    ) -> None:
        run_sync([kind], full=full, output=output)

    command.__doc__ = f"Sync {kind}: full the first time, then only what changed since the last run."
    return command


for _kind in SYNC_KINDS:
    app.command(_kind)(_command(_kind))


@app.command("all")
def sync_all(
    full: bool = typer.Option(False, "--full", help="Read everything again (also finds deleted records)."),
    output: OutputFormat = typer.Option(OutputFormat.table, "--output", "-o", help="table, json or csv."),
) -> None:
    """Sync companies, contacts, agreements and members."""
    run_sync(list(SYNC_KINDS), full=full, output=output)
