"""``cwdesk jobs list|show|resume|cancel|rollback``, and the progress display every job-running command uses.

``JobProgress`` turns a job's events into a per-record log on stderr (``✓ ok``, ``✕ error``, ``○ skipped``) and,
on a terminal, a Rich progress bar with the ok / error / skipped counts. ``finish_job`` prints the outcome and
ends the command with the matching exit code (0 succeeded, 3 partial, 1 failed or cancelled).
Not for: running or planning jobs (``cwdesk.workflows.jobs`` and the workflows do that).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from cwdesk.cli import connection
from cwdesk.cli.connection import cli_user as cli_user  # (its home: the audit log uses it too)
from cwdesk.cli.output import (
    EXIT_FAILURE,
    EXIT_OK,
    EXIT_PARTIAL,
    EXIT_USAGE,
    OutputFormat,
    confirm_or_refuse,
    emit,
    emit_object,
    say,
    visible,
)
from cwdesk.store import open_database
from cwdesk.workflows import jobs as job_runner
from cwdesk.workflows.jobs import JobError, JobEvent, JobState, JobSummary

app = typer.Typer(help="Durable jobs: list, show, resume, cancel and roll back.", no_args_is_help=True)

_MARKS = {
    "step_ok": "✓ ok     ",
    "step_error": "✕ error  ",
    "step_skipped": "○ skipped",
    "step_rolled_back": "↺ undone ",
    "step_rollback_skipped": "○ left   ",
    "step_not_undone": "! kept   ",
}


class JobProgress:
    """Shows a running job: per-record lines on stderr and, on a terminal, a progress bar with counts."""

    def __init__(self, total: int, *, title: str = "", quiet: bool = False, done: int = 0) -> None:
        self.quiet = quiet
        self.counts = {"ok": 0, "error": 0, "skipped": 0}
        self.console = Console(stderr=True, highlight=False, soft_wrap=True)
        self._progress: Progress | None = None
        self._task: Any = None
        if connection.stderr_is_terminal() and not quiet:
            self._progress = Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("ok {task.fields[ok]} · error {task.fields[error]} · skipped {task.fields[skipped]}"),
                TimeElapsedColumn(),
                console=self.console,
            )
            self._task = self._progress.add_task(title or "job", total=total, completed=done, ok=0, error=0, skipped=0)

    def __enter__(self) -> JobProgress:
        if self._progress is not None:
            self._progress.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()

    def __call__(self, event: JobEvent) -> None:
        mark = _MARKS.get(event.type)
        if mark is None:
            # Only a success is announced here: any other outcome's message is said once, by ``finish_job``
            # (or the command's own summary), so "Stopped at step ..." is not printed twice.
            finished_well = event.type == "job_finished" and (event.data or {}).get("state") == "succeeded"
            if (finished_well or event.type == "cancel_requested") and not self.quiet:
                self.console.print(visible(event.message), markup=False)
            return
        name = {"step_ok": "ok", "step_error": "error", "step_skipped": "skipped"}.get(event.type)
        if name:
            self.counts[name] += 1
        if not self.quiet:
            self.console.print(f"{mark} {visible(event.message)}", markup=False)
        if self._progress is not None and name:
            c = self.counts
            self._progress.update(self._task, advance=1, ok=c["ok"], error=c["error"], skipped=c["skipped"])


def database() -> sa.Engine:
    """The app's database (``CWDESK_DATABASE_URL`` or the SQLite file under ``CWDESK_HOME``)."""
    with connection.reporting_errors():  # e.g. a data folder other users can read: the message names the chmod
        return open_database()


def client_for(kind_name: str) -> Any:
    """The SDK client a job kind's actions expect, chosen by the CLI's connection rule."""
    product = job_runner.get_kind(kind_name).product
    return connection.automate_client() if product == "automate" else connection.manage_client()


def _check_target(summary: JobSummary, client: Any, *, force: bool) -> None:
    """The runner's check, asked before any prompt or progress display so a refusal is the first thing shown."""
    try:
        job_runner.check_target(summary, client, force=force)
    except JobError as error:
        connection.fail(str(error), code=EXIT_USAGE)


def exit_code_of(summary: JobSummary) -> int:
    """0 succeeded or rolled back, 3 partial, 1 failed or cancelled."""
    if summary.state in (JobState.succeeded, JobState.rolled_back):
        return EXIT_OK
    if summary.state is JobState.partial:
        return EXIT_PARTIAL
    return EXIT_FAILURE


def run_with_progress(
    engine: sa.Engine, job_id: int, *, client: Any, quiet: bool = False, force: bool = False
) -> JobSummary:
    """Run or resume a job in this process, showing progress; job errors become a message and exit code."""
    detail = job_runner.get_job(engine, job_id)
    done = sum(1 for s in detail.steps if s.state.value in ("ok", "skipped", "rolled_back"))
    with JobProgress(len(detail.steps), title=detail.summary.title, quiet=quiet, done=done) as progress:
        try:
            return job_runner.run_job(engine, job_id, client=client, on_event=progress, force=force)
        except JobError as error:
            connection.fail(str(error), code=EXIT_USAGE)


def finish_job(summary: JobSummary, *, output: OutputFormat | None = None) -> None:
    """Print the job's summary (``--output json`` for scripts) and exit with its code."""
    if output is not None and output is not OutputFormat.table:
        emit_object(summary.as_dict(), output=output)
    else:
        counts = summary.counts
        typer.echo(
            f"Job {summary.id} ({summary.kind}) {summary.state.value}: ok {counts.ok}, error {counts.error}, "
            f"skipped {counts.skipped}, pending {counts.pending + counts.running}."
        )
        if summary.state is not JobState.succeeded and summary.message:
            say(summary.message, err=True)
    raise typer.Exit(exit_code_of(summary))


def _row(summary: JobSummary) -> dict[str, Any]:
    data = summary.as_dict()
    counts = data.pop("counts")
    return {
        "id": data["id"],
        "kind": data["kind"],
        "state": data["state"],
        "title": data["title"],
        **counts,
        "created_at": data["created_at"],
        "finished_at": data["finished_at"],
    }


@app.command("list")
def list_command(
    kind: str | None = typer.Option(None, "--kind", help="Only jobs of this kind (onboarding, bulk_contacts...)."),
    state: JobState | None = typer.Option(None, "--state", help="Only jobs in this state."),
    limit: int = typer.Option(50, "--limit", min=1, max=10_000, help="At most this many jobs."),
    output: OutputFormat = typer.Option(OutputFormat.table, "--output", "-o", help="table, json or csv."),
) -> None:
    """Jobs, newest first, with their counts of ok / error / skipped / pending steps."""
    summaries = job_runner.list_jobs(database(), kind=kind, state=state, limit=limit)
    if output is OutputFormat.json:
        emit([s.as_dict() for s in summaries], output=output)
        return
    if output is OutputFormat.csv:
        emit(
            [_row(s) for s in summaries],
            output=output,
            columns=["id", "kind", "state", "title", "ok", "error", "skipped", "pending", "created_at"],
        )
        return
    # The table fits 80 columns: the counts share one column (only those that are not 0), the title takes the rest.
    rows = [{**_row(s), "steps": _steps_text(s)} for s in summaries]
    emit(rows, output=output, columns=["id", "kind", "state", "steps", "created_at", "title"])


def _steps_text(summary: JobSummary) -> str:
    counts = summary.counts
    parts = [
        (counts.ok, "ok"),
        (counts.error, "error"),
        (counts.skipped, "skipped"),
        (counts.pending + counts.running, "pending"),
    ]
    return ", ".join(f"{n} {label}" for n, label in parts if n) or "0"


@app.command("show")
def show_command(
    job_id: int = typer.Argument(..., help="The job's id (see `cwdesk jobs list`)."),
    events: bool = typer.Option(False, "--events", help="Also print the job's journal."),
    output: OutputFormat = typer.Option(OutputFormat.table, "--output", "-o", help="table, json or csv."),
) -> None:
    """One job: its state, counts and each step with its outcome."""
    engine = database()
    try:
        detail = job_runner.get_job(engine, job_id)
    except JobError as error:
        connection.fail(str(error), code=EXIT_USAGE)
    journal = job_runner.read_events(engine, job_id, limit=100_000) if events else []
    if output is OutputFormat.json:
        data = detail.as_dict()
        if events:
            data["events"] = [e.as_dict() for e in journal]
        emit_object(data, output=output)
        return
    summary = detail.summary
    counts = summary.counts
    if output is OutputFormat.table:
        say(f"Job {summary.id} · {summary.kind} · {summary.state.value} · {summary.title}")
        typer.echo(
            f"ok {counts.ok} · error {counts.error} · skipped {counts.skipped} · "
            f"pending {counts.pending + counts.running} · of {counts.total}"
        )
        if summary.message:
            say(summary.message)
    emit(
        [
            {
                "step": s.position,
                "key": s.key,
                "action": s.action,
                "state": s.state.value,
                "created": s.created,
                "message": s.message or "",
            }
            for s in detail.steps
        ],
        output=output,
        columns=["step", "key", "action", "state", "created", "message"],
    )
    if events:
        emit(
            [{"id": e.id, "at": e.at.isoformat(), "type": e.type, "message": e.message} for e in journal],
            output=output,
            columns=["id", "at", "type", "message"],
        )


@app.command("resume")
def resume_command(
    job_id: int = typer.Argument(..., help="The job to continue."),
    force: bool = typer.Option(False, "--force", help="Take over a job whose process is gone but looks alive."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No per-record lines, only the summary."),
    output: OutputFormat = typer.Option(OutputFormat.table, "--output", "-o", help="table or json summary."),
) -> None:
    """Continue a failed, partial, cancelled or interrupted job: done steps are skipped, unknown ones looked up."""
    engine = database()
    try:
        summary = job_runner.get_job(engine, job_id).summary
        client = client_for(summary.kind)
    except JobError as error:
        connection.fail(str(error), code=EXIT_USAGE)
    _check_target(summary, client, force=force)
    with connection.reporting_errors():
        summary = run_with_progress(engine, job_id, client=client, quiet=quiet, force=force)
    finish_job(summary, output=output)


@app.command("cancel")
def cancel_command(job_id: int = typer.Argument(..., help="The job to stop.")) -> None:
    """Stop a job: a running job stops before its next step; its finished steps stay done."""
    try:
        summary = job_runner.cancel_job(database(), job_id)
    except JobError as error:
        connection.fail(str(error), code=EXIT_USAGE)
    if summary.cancel_requested:
        typer.echo(f"Job {job_id}: cancel requested; it stops before its next step.")
    else:
        typer.echo(f"Job {job_id} cancelled. `cwdesk jobs resume {job_id}` continues it later.")


def _record_id(step: job_runner.StepRecord) -> str:
    """`` (id 17)``: the record a step made or changed, so the user can find it before confirming."""
    record_id = (step.outcome or {}).get("id") or step.params.get("contact_id")
    return f" (id {record_id})" if record_id is not None else ""


def describe_rollback(plan: job_runner.RollbackPlan) -> str:
    """The preview a user confirms: what will be deleted, put back, undone with its record, or left."""
    lines = [f"Rolling back job {plan.job_id}, newest first:"]
    for title, steps in (
        ("deletes", plan.delete),
        ("puts back the value it replaced on", plan.restore),
        ("undoes by deleting the record it is in", plan.covered),
    ):
        if steps:
            lines.append(f"  {title} ({len(steps)}):")
            lines.extend(f"    - {s.label or s.key}{_record_id(s)}" for s in steps[:20])
            if len(steps) > 20:
                lines.append(f"    ... and {len(steps) - 20} more")
    if plan.cannot:
        lines.append(f"  cannot undo ({len(plan.cannot)}):")
        lines.extend(f"    - {s.label or s.key}: {why}" for s, why in plan.cannot[:20])
    lines.append("  A record changed since the job is left as it is and reported.")
    return "\n".join(lines)


@app.command("rollback")
def rollback_command(
    job_id: int = typer.Argument(..., help="The job to undo."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
    force: bool = typer.Option(False, "--force", help="Take over a job whose process is gone but looks alive."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No per-record lines, only the summary."),
) -> None:
    """Undo the job: delete what it created and put back what it changed, newest first, after a preview.

    Records it found already existing are left alone, and so is any record changed since the job.
    """
    engine = database()
    try:
        detail = job_runner.get_job(engine, job_id)
        client = client_for(detail.summary.kind)
    except JobError as error:
        connection.fail(str(error), code=EXIT_USAGE)
    _check_target(detail.summary, client, force=force)
    plan = job_runner.plan_rollback(detail)
    if not plan.undoable:
        connection.fail(plan.refusal(), code=EXIT_USAGE)
    confirm_or_refuse(describe_rollback(plan).splitlines(), question="Roll back as listed?", yes=yes)
    targets = len(plan.delete) + len(plan.restore)
    left: list[str] = []

    with connection.reporting_errors(), JobProgress(targets, title=f"rollback {job_id}", quiet=quiet) as progress:

        def follow(event: JobEvent) -> None:
            if event.type == "step_rollback_skipped":
                left.append(event.message)
            progress(event)

        try:
            summary = job_runner.rollback_job(engine, job_id, client=client, on_event=follow, force=force)
        except JobError as error:
            connection.fail(str(error), code=EXIT_USAGE)
    typer.echo(summary.message or "")
    if summary.state is not JobState.rolled_back:
        raise typer.Exit(EXIT_FAILURE)  # nothing was undone
    raise typer.Exit(EXIT_PARTIAL if left or plan.cannot else EXIT_OK)
