"""``cwdesk health``: can we connect, can we read data, and did the scheduled work run (the best-practices seed).

Checks, each ``pass``, ``warn``, ``fail`` or ``skip``:

- **Manage connection**: ``GET /system/info`` with the active credentials (shows the server version).
- **Manage data retrieval**: one company read back (``fields=id``, ``limit=1``).
- **Automate connection**: a token and one client read, when Automate is configured (else ``skip``).
- **Last run of each job kind** (onboarding, bulk updates, members...) and **of each sync kind**: ``fail`` when
  it failed, ``warn`` when it ended partial or is older than ``--max-age`` hours (default 25, a daily schedule
  with an hour's slack), else ``pass``.

Exit code 0 when everything passes, 3 when something needs attention (warnings only), 1 when a check failed.
Not for: running jobs (``cwdesk jobs``) or syncing (``cwdesk sync``).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
import typer

from cwdesk import config
from cwdesk.cli import connection
from cwdesk.cli.output import EXIT_FAILURE, EXIT_OK, EXIT_PARTIAL, OutputFormat, emit
from cwdesk.errors import CWDeskError
from cwdesk.store import open_database, sync_cache
from cwdesk.workflows import jobs as job_runner

app = typer.Typer(help="Health checks: connection, data retrieval, last run of each job.")

COLUMNS = ["check", "status", "detail", "ms"]


@dataclass
class Check:
    """One line of the health report."""

    check: str
    status: str
    detail: str = ""
    ms: int | None = None


def _timed(name: str, probe: Callable[[], str]) -> Check:
    started = time.perf_counter()
    try:
        detail = probe()
    except (CWDeskError, typer.Exit) as error:
        message = "no connection configured" if isinstance(error, typer.Exit) else connection.describe(error)
        return Check(name, "fail", message, int((time.perf_counter() - started) * 1000))
    return Check(name, "pass", detail, int((time.perf_counter() - started) * 1000))


def manage_checks() -> list[Check]:
    """The Manage connection and data retrieval checks (the second is skipped when the first fails)."""
    try:
        cw = connection.manage_client()
    except typer.Exit:
        return [Check("Manage connection", "fail", "no Manage connection configured (see `cwdesk config`)")]

    def system_info() -> str:
        info = cw.system.info()
        version = getattr(info, "version", None) or "unknown version"
        return f"{cw.credentials.server} ({cw.credentials.company}), {version}"

    def data_retrieval() -> str:
        found = list(cw.companies.list(fields=["id"], limit=1))
        return "read a company" if found else "connected, but no companies are visible to this API member"

    try:
        first = _timed("Manage connection", system_info)
        if first.status != "pass":
            return [first, Check("Manage data retrieval", "skip", "no connection")]
        return [first, _timed("Manage data retrieval", data_retrieval)]
    finally:
        cw.close()


def automate_checks() -> list[Check]:
    """The Automate check when Automate is configured (env vars or the profile's automate section)."""
    profile = connection.selected_profile() or (
        connection.DEFAULT_PROFILE if connection.DEFAULT_PROFILE in config.list_profiles() else None
    )
    configured = connection.sandbox_transports()[0] is not None or any(
        os.environ.get(name) for name in connection.AUTOMATE_ENV_VARS
    )
    if not configured and profile is not None:
        configured = bool(config.profile_section(profile, "automate"))
    if not configured:
        return [Check("Automate connection", "skip", "Automate is not configured")]
    try:
        client = connection.automate_client()
    except typer.Exit:
        return [Check("Automate connection", "fail", "Automate credentials are incomplete")]

    def one_client() -> str:
        found = next(iter(client.clients.iter(page_size=1)), None)
        return "signed in and read a client" if found is not None else "signed in; no clients visible"

    try:
        return [_timed("Automate connection", one_client)]
    finally:
        client.close()


def _age(finished: datetime | None, now: datetime) -> str:
    if finished is None:
        return "not finished"
    hours = (now - finished).total_seconds() / 3600
    return f"{hours:.1f} h ago" if hours >= 1 else f"{int(hours * 60)} min ago"


def run_checks(engine: sa.Engine, *, max_age: timedelta, now: datetime | None = None) -> list[Check]:
    """The last-run checks of every job kind and every sync kind recorded in the app's database."""
    now = now or datetime.now(UTC)
    checks: list[Check] = []
    for kind, summary in sorted(job_runner.last_runs(engine).items()):
        finished = summary.finished_at or summary.updated_at
        state = summary.state.value
        detail = f"job {summary.id} {state}, {_age(finished, now)}"
        if state in ("failed", "cancelled"):
            status = "fail"
        elif state in ("partial", "running", "planned", "queued") or now - finished > max_age:
            status = "warn"
        else:
            status = "pass"
        if summary.message and status != "pass":
            detail += f": {summary.message}"
        checks.append(Check(f"last job: {kind}", status, detail))
    with engine.connect() as conn:
        runs = sync_cache.last_runs(conn)
    for run in sorted(runs, key=lambda r: (r["kind"], r["source"])):
        finished = run["finished_at"] or run["started_at"]
        state = run["state"]
        detail = f"{run['mode']} {state} ({run['source']}), {_age(run['finished_at'], now)}"
        if state == "failed":
            status = "fail"
            detail += f": {run['message'] or 'failed'}"
        elif state == "running" or now - finished > max_age:
            status = "warn"
        else:
            status = "pass"
        checks.append(Check(f"last sync: {run['kind']}", status, detail))
    if not checks:
        checks.append(Check("scheduled jobs", "skip", "no job or sync has run yet"))
    return checks


def exit_code(checks: list[Check]) -> int:
    """1 if any check failed, 3 if any warned, else 0."""
    statuses = {c.status for c in checks}
    if "fail" in statuses:
        return EXIT_FAILURE
    return EXIT_PARTIAL if "warn" in statuses else EXIT_OK


@app.callback(invoke_without_command=True)
def health(
    max_age: float = typer.Option(25.0, "--max-age", min=0.0, help="Hours after which a last run is stale."),
    offline: bool = typer.Option(False, "--offline", help="Only the local checks (no call to ConnectWise)."),
    output: OutputFormat = typer.Option(OutputFormat.table, "--output", "-o", help="table, json or csv."),
) -> None:
    """Check the connection, data retrieval and the last run of each job and sync."""
    checks: list[Check] = []
    if not offline:
        checks += manage_checks()
        with connection.reporting_errors():
            checks += automate_checks()
    with connection.reporting_errors():
        checks += run_checks(open_database(), max_age=timedelta(hours=max_age))
    rows: list[dict[str, Any]] = [asdict(c) for c in checks]
    emit(rows, output=output, columns=COLUMNS)
    raise typer.Exit(exit_code(checks))
