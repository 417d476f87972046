"""Jobs on DBOS Transact: each run of a stored job is a DBOS workflow, each of its steps a DBOS step (issue 13).

What DBOS does here, and what stays ours (docs/architecture.md, "The job engine"):

- A run of a job is the workflow ``cwdesk.job`` with the id ``cwdesk-job-<job id>-<runner token>`` (one id per
  claim: a resumed job is a new run, since DBOS answers a finished workflow id with its recorded result instead of
  running it again). Its arguments are the job id and the runner that claimed it; nothing else.
- Each step of the plan is one call of the step ``cwdesk.job_step``, in plan order (done steps answer "done" at
  once), so DBOS's call order (``function_id``) always names the same step of the plan. Its checkpointed output
  is the verdict (``runner.StepVerdict``): JSON with a user's message, never a client, a key or a record.
- The step itself is ours (``runner.StepRun.step``): the find-first rule on an unknown outcome, the fenced
  journal writes, ``Action.retries`` with the SDK's backoff. DBOS's own step retries stay off: DBOS re-runs a
  step without looking first (``_core.py``: the retry loop calls the function again), which could create twice.
- Serialisation: DBOS's portable JSON (``DBOSPortableJSONSerializer`` in dbos ``_serialization.py``; the default
  is pickle). Exceptions are stored by it as ``{name, message, code, data}``.
- The system database: on PostgreSQL the store's own database, schema ``dbos`` (Alembic's migrations and its
  comparison look at the default schema only); on SQLite a sibling file ``<store>.dbos`` (created 0600, WAL and
  synchronous NORMAL like the store: ``_sqlite_engine``), so DBOS's writers never hold the store's lock and its
  tables stay out of our migrations.
- Executor id: ``<host>:<pid>``, the prefix of our runner ids. ``application_version`` is pinned
  (``APPLICATION_VERSION``): by default DBOS hashes the workflow source, so a new release would leave the old
  one's pending workflows unrecovered; pinning is safe because the steps come from the stored plan, not the code.
- Recovery of a run whose process died (``recover``): our rule says the runner is gone (``orphaned_jobs``); its
  pending DBOS workflows are handed back by DBOS's recovery API for that executor
  (``DBOS._recover_pending_workflows``, dbos ``_recovery.py``: re-enqueued on DBOS's internal queue and dequeued
  ENQUEUED -> PENDING by exactly one live process). The process that dequeues it claims the job again (a
  ``takeover`` in the journal) with the client its ``launch(client_for=...)`` gives; one with no client for the
  job leaves it, and the next round of ``cwdesk worker`` or the console resumes it as a new run.
- Cancel: ``cancel_job`` writes the request in the store (any process's runner sees it before its next step) and,
  in a process where DBOS runs, also cancels the run's workflow (``DBOS.cancel_workflow``).

Not for: the rules of a job (``runner.py``, ``ownership.py``). Importing this module imports DBOS: short CLI
commands never do (``tests/cli/test_app_cli.py`` checks it).
"""

from __future__ import annotations

import atexit
import logging
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from dbos import DBOS, DBOSConfig, DBOSPortableJSONSerializer, SetWorkflowID
from dbos import error as dbos_error  # the package's public name for its _error module

from cwdesk.private_files import private_umask
from cwdesk.store.database import sqlite_file
from cwdesk.workflows.jobs.kinds import JobKind, get_kind
from cwdesk.workflows.jobs.model import RESUMABLE_STATES, JobError, JobState, JobSummary
from cwdesk.workflows.jobs.ownership import (
    _ACTIVE_LOCK,
    _ACTIVE_RUNNERS,
    _claim,
    _finish,
    _Journal,
    _runner_id,
)
from cwdesk.workflows.jobs.records import _load_summary
from cwdesk.workflows.jobs.runner import StepRun, StepVerdict, _run_steps

__all__ = ["APPLICATION_VERSION", "cancel_runs", "launch", "recover", "run_on_dbos", "workflow_id"]

# Pinned, so every release on one database recovers the others' runs (see the module docstring). Change it only
# with a release that cannot replay an older run's checkpoints.
APPLICATION_VERSION = "cwdesk-jobs-1"
WORKFLOW_NAME = "cwdesk.job"
STEP_NAME = "cwdesk.job_step"

ClientFor = Callable[[JobSummary], Any | None]

_log = logging.getLogger("cwdesk.jobs")


@dataclass
class _Launched:
    store_url: str
    engine: sa.Engine
    client_for: ClientFor | None


_LAUNCH_LOCK = threading.RLock()
_LAUNCHED: _Launched | None = None
# The runs of this process, by runner id: what a workflow or step needs that is not stored (client, journal).
_RUNS: dict[str, StepRun] = {}
_RUNS_LOCK = threading.Lock()
# Runs claimed in this process and about to start: runner -> (kind, client, journal).
_PENDING: dict[str, tuple[JobKind, Any, _Journal]] = {}


def executor_id() -> str:
    """This process as DBOS knows it; the prefix of its runner ids (``ownership._runner_id``)."""
    return f"{socket.gethostname()}:{os.getpid()}"


def workflow_id(job_id: int, runner: str) -> str:
    """The DBOS workflow id of one run of a job: one per claim."""
    return f"cwdesk-job-{job_id}-{runner.rsplit(':', 1)[-1]}"


def _system_database(engine: sa.Engine) -> tuple[str, sa.Engine | None]:
    """(the URL DBOS is given, the engine it uses or None): see the module docstring."""
    if engine.url.get_backend_name() == "sqlite":
        path = sqlite_file(engine.url)
        if path is None:
            raise JobError(
                "Jobs need a store on disk (a SQLite file or PostgreSQL): an in-memory store cannot keep DBOS's "
                "record of a run."
            )
        sibling = Path(f"{path}.dbos")
        if not sibling.exists():
            with private_umask():
                os.close(os.open(sibling, os.O_CREAT | os.O_WRONLY, 0o600))
        return f"sqlite:///{sibling}", _sqlite_engine(sibling)
    # PostgreSQL: the store's database; an engine of its own, so DBOS's listener and pollers never take the
    # store's connections. The URL is never logged or stored: DBOS is given the engine, and a placeholder URL that
    # it reads only for the dialect (``_dbos_config.py`` uses the same kind of placeholder for a custom engine).
    own = sa.create_engine(engine.url, pool_size=4, max_overflow=4, pool_pre_ping=True)
    return "postgresql://cwdesk/engine", own


def _sqlite_engine(path: Path) -> sa.Engine:
    """DBOS's SQLite engine, with the store's durability settings.

    DBOS makes its own with SQLite's defaults (``_sys_db_sqlite.py``: IMMEDIATE transactions, busy_timeout 30 s,
    foreign keys; rollback journal, synchronous FULL). FULL costs ~18 ms per commit here and a run commits a
    checkpoint per step: P1 (a rate-limited bulk job) went from ~1.0x to ~1.4x its floor. So this engine keeps
    DBOS's three settings and adds the store's (store/database.py): WAL, and synchronous NORMAL, which in WAL mode
    survives a killed process (only a power loss can drop the last commits).
    """
    engine = sa.create_engine(
        f"sqlite:///{path}", connect_args={"check_same_thread": False}, pool_size=10, max_overflow=10
    )

    @sa.event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: object) -> None:
        dbapi_connection.isolation_level = "IMMEDIATE"
        dbapi_connection.execute("PRAGMA busy_timeout=30000")
        dbapi_connection.execute("PRAGMA foreign_keys=ON")
        dbapi_connection.execute("PRAGMA journal_mode=WAL")
        dbapi_connection.execute("PRAGMA synchronous=NORMAL")

    return engine


def launch(engine: sa.Engine, *, client_for: ClientFor | None = None) -> None:
    """Start DBOS in this process on ``engine``'s store (again only when the store changed); ``client_for`` gives
    the client for a run recovered here from a process that died (``cwdesk worker``, the console), or ``None`` to
    leave it."""
    global _LAUNCHED
    store_url = engine.url.render_as_string(hide_password=False)
    with _LAUNCH_LOCK:
        if _LAUNCHED is not None and _LAUNCHED.store_url == store_url:
            _LAUNCHED.engine = engine
            if client_for is not None:
                _LAUNCHED.client_for = client_for
            return
        if _LAUNCHED is not None:
            DBOS.destroy()  # another store (tests; a process switching databases): DBOS is one per process
            _LAUNCHED = None
        url, own_engine = _system_database(engine)
        config: DBOSConfig = {
            "name": "cwdesk",
            "system_database_url": url,
            "application_version": APPLICATION_VERSION,
            "executor_id": executor_id(),
            "serializer": DBOSPortableJSONSerializer(),
            # Not WARNING: while the database is unreachable DBOS's pollers log a warning, some with a whole
            # traceback, every few seconds (``_scheduler.py``, ``_queue.py``); the store already says it in one line
            # (store/problems.py). Its errors still show.
            "log_level": "ERROR",
            "notification_listener_polling_interval_sec": 0.2,
        }
        if own_engine is not None:
            config["system_database_engine"] = own_engine
        _route_dbos_logs()
        with private_umask():
            DBOS(config=config)
            DBOS.launch()
        if not _EXIT_HOOK:
            atexit.register(_shut_down)  # stop DBOS's pollers before the interpreter (and its store) go away
            _EXIT_HOOK.append(True)
        _LAUNCHED = _Launched(store_url, engine, client_for)


_EXIT_HOOK: list[bool] = []


def _route_dbos_logs() -> None:
    """DBOS's log records go to the process's own logging set-up (``cwdesk.logs``), not to a handler of DBOS's own.

    Why: when the ``dbos`` logger has no handler, ``DBOS()`` adds a ``StreamHandler`` bound to whatever
    ``sys.stderr`` is at that moment and flushes it at every later ``DBOS()`` (dbos 3.4 ``_logger.init_logger``,
    ``_dbos.py``). A DBOS first made inside a captured stream (a CLI run under test, a redirected stderr) then fails
    every later launch with "I/O operation on closed file". A ``NullHandler`` keeps DBOS from adding its own, and
    ``propagate`` hands the records to the root logger, whose handlers follow the current set-up.
    """
    logger = logging.getLogger("dbos")
    for handler in list(logger.handlers):
        if handler.name == "__dbos_console_log_handler__":
            logger.removeHandler(handler)
    if not any(isinstance(handler, logging.NullHandler) for handler in logger.handlers):
        logger.addHandler(logging.NullHandler())
    logger.propagate = True


def _shut_down() -> None:
    global _LAUNCHED
    with _LAUNCH_LOCK:
        if _LAUNCHED is not None:
            DBOS.destroy()
            _LAUNCHED = None


def _launched() -> _Launched:
    if _LAUNCHED is None:
        raise JobError("DBOS is not launched in this process.")
    return _LAUNCHED


@DBOS.step(name=STEP_NAME)
def job_step(runner: str, position: int) -> StepVerdict:
    """One step of a run, checkpointed by DBOS (a replay answers the recorded verdict without calling this)."""
    with _RUNS_LOCK:
        run = _RUNS[runner]
    return run.step(position)


def _run_here(
    engine: sa.Engine, job_id: int, kind: JobKind, client: Any, journal: _Journal, *, resumed: bool
) -> JobSummary:
    run_holder: list[StepRun] = []

    def call_step(run: StepRun, position: int) -> StepVerdict:
        if not run_holder:
            run_holder.append(run)
            with _RUNS_LOCK:
                _RUNS[run.journal.runner] = run
        return job_step(run.journal.runner, position)

    try:
        return _run_steps(engine, job_id, kind, client, journal, resumed=resumed, call_step=call_step)
    except (dbos_error.DBOSWorkflowCancelledError, dbos_error.DBOSAwaitedWorkflowCancelledError):
        # Cancelled through DBOS (``cancel_runs``): raised when the next step starts, or when the step that was
        # running records its verdict (DBOS then waits for the workflow's recorded end: cancelled). The job ends
        # as a store cancel would; the steps done so far are in the journal.
        return _finish(journal, JobState.cancelled, "Cancelled: the remaining steps were not run.")
    except dbos_error.DBOSWorkflowConflictIDError:
        # DBOS refused to record a step's verdict: the workflow is no longer this execution's. After a cancel
        # (``_core.py`` raises this when the step that was running ends) the job ends cancelled; otherwise another
        # runner owns the job and our fencing already stopped this one, or will at its next write.
        if not journal.cancel_requested():
            raise
        return _finish(journal, JobState.cancelled, "Cancelled: the remaining steps were not run.")
    finally:
        with _RUNS_LOCK:
            _RUNS.pop(journal.runner, None)


@DBOS.workflow(name=WORKFLOW_NAME)
def job_workflow(job_id: int, runner: str, resumed: bool) -> str:
    """One run of a stored job. In the process that claimed it, the run's client and journal are waiting under
    ``runner``; anywhere else (recovered after its process died) it claims the job again here."""
    launched = _launched()
    with _RUNS_LOCK:
        pending = _PENDING.pop(runner, None)
    if pending is not None:
        kind, client, journal = pending
        return _run_here(launched.engine, job_id, kind, client, journal, resumed=resumed).state.value
    return _take_over(launched, job_id)


def _take_over(launched: _Launched, job_id: int) -> str:
    """A recovered run: claim the job for this process (its old runner is gone), or leave it ("left")."""
    engine = launched.engine
    with engine.connect() as conn:
        summary = _load_summary(conn, job_id)
    client = launched.client_for(summary) if launched.client_for is not None else None
    if client is None:
        return "left"  # no connection to this job's ConnectWise here: the next worker round resumes it elsewhere
    kind = get_kind(summary.kind)
    runner = _runner_id()
    try:
        _claim(engine, job_id, runner, allowed=RESUMABLE_STATES, force=False)
    except JobError:
        return "left"  # its runner is alive after all, or another process took it first
    journal = _Journal(engine, job_id, runner, None)
    try:
        with journal.beating():
            return _run_here(engine, job_id, kind, client, journal, resumed=True).state.value
    finally:
        with _ACTIVE_LOCK:
            _ACTIVE_RUNNERS.discard(runner)


def run_on_dbos(
    engine: sa.Engine, job_id: int, kind: JobKind, client: Any, journal: _Journal, *, resumed: bool
) -> JobSummary:
    """Run a job this thread claimed (``journal.runner``) as a DBOS workflow, in this thread, to its end."""
    launch(engine)
    runner = journal.runner
    with _RUNS_LOCK:
        _PENDING[runner] = (kind, client, journal)
    try:
        with SetWorkflowID(workflow_id(job_id, runner)):
            job_workflow(job_id, runner, resumed)
    except dbos_error.DBOSAwaitedWorkflowCancelledError:
        pass  # cancelled through DBOS: the run journalled its end (``_run_here``); DBOS records it as cancelled
    finally:
        with _RUNS_LOCK:
            _PENDING.pop(runner, None)
    with engine.connect() as conn:
        return _load_summary(conn, job_id)


def _pending_runs(job_id: int) -> list[Any]:
    return list(
        DBOS.list_workflows(
            workflow_id_prefix=f"cwdesk-job-{job_id}-",
            status="PENDING",
            name=WORKFLOW_NAME,
            load_input=False,
            load_output=False,
        )
    )


def recover(engine: sa.Engine, summary: JobSummary, *, client_for: ClientFor) -> threading.Thread | None:
    """Hand an orphaned job's pending run back through DBOS's recovery for its dead executor; a thread that waits
    for it ends when the run does. ``None`` when DBOS holds no pending run of it (made before DBOS, or left by a
    process without its client): the caller resumes it as a new run."""
    launch(engine, client_for=client_for)
    runs = _pending_runs(summary.id)
    if not runs:
        return None
    dead = sorted({str(run.executor_id) for run in runs if run.executor_id and run.executor_id != executor_id()})
    if not dead:
        return None
    handles = [h for h in DBOS._recover_pending_workflows(dead) if h.get_workflow_id() in {r.workflow_id for r in runs}]
    if not handles:
        return None
    _log.warning("Job %s: its run %s is recovered through DBOS.", summary.id, handles[0].get_workflow_id())

    def wait() -> None:
        for handle in handles:
            handle.get_result()

    thread = threading.Thread(target=wait, name=f"cwdesk-recover-{summary.id}", daemon=False)
    thread.start()
    return thread


def cancel_runs(engine: sa.Engine, job_id: int) -> None:
    """Cancel the job's pending DBOS runs (wherever they run: their next step raises there), when DBOS runs in this
    process on ``engine``'s store (DBOS retries a lost connection without end: never ask it about another store)."""
    launched = _LAUNCHED
    if launched is None or launched.store_url != engine.url.render_as_string(hide_password=False):
        return
    for run in _pending_runs(job_id):
        DBOS.cancel_workflow(str(run.workflow_id))
