"""Durable jobs: the one runner every workflow (CLI and console) uses to change ConnectWise safely.

What a job is
    A job is a *kind* (``"onboarding"``, ``"bulk_contacts"``...), its *params* (JSON, never secrets) and a *plan*:
    an ordered list of :class:`Step`. Each step has a natural ``key`` that names the record it touches
    (``"company:AcmeCorp"``, ``"contact:1234:inactiveFlag"``), an ``action`` name and JSON ``params``. The kind's
    module registers a :class:`JobKind` that maps each action name to an :class:`Action` (``get_kind`` finds it
    through ``BUILTIN_KINDS`` or the ``cwdesk.job_kinds`` entry-point group, also in a fresh process):

    - ``run(ctx) -> Outcome``: do the work through the SDK (``ctx.client``). Return ``Outcome.made(...)``,
      ``Outcome.done(...)`` or ``Outcome.skipped(...)``; raise (any exception, or :class:`StepFailed` for a
      message written for the user) to fail the step.
    - ``find(ctx) -> Outcome | None``: look the record up by its natural key. The runner calls it *before*
      ``run`` whenever an earlier attempt's outcome is unknown (the process died mid-call, a timeout), so a
      resumed job never creates twice or patches twice; and always when ``find_first=True`` (onboarding: the
      same plan run twice creates nothing new).
    - ``undo(ctx) -> str``: reverse a step this job created (rollback), given ``ctx.step.outcome``.
    - ``restore(ctx) -> str``: put back what a step changed on a record that already existed (rollback of an
      update), from the value it replaced; raise :class:`ChangedSince` when the record no longer holds what the
      job wrote (someone changed it since), so another person's change is never overwritten.
    - ``covered_by``: the param naming the step whose created record holds this change (a site updated inside a
      company the job created): deleting that record undoes the change, when the job did create it.

    Steps read what earlier steps produced with ``ctx.outcome_of("company:AcmeCorp")["id"]``.

How it runs
    ``job_id = start_job(engine, plan, client=cw, created_by=user)`` stores the job and its steps (state
    ``planned``) with the ConnectWise it is made against and its creator (``create_job`` is the bare store call).
    ``enqueue(engine, plan, client=cw, created_by=user)`` stores it ``queued`` instead: left for ``cwdesk worker``
    (any process on the same database, ``take_up_queued_jobs``), which claims it with the same conditional update
    as a resume, so two workers never both run it.
    ``run_job(engine, job_id, client=cw, on_event=print)`` refuses a client for another ConnectWise than the job
    was made on (``check_target``, unless ``force``), claims the job (only one process runs a job at a time), then
    for each step
    writes ``running`` to the store *before* the call and its outcome (``ok``/``skipped``/``error``) *after*, so
    the store always knows which steps are done, which failed, and which one's outcome is unknown.
    The same call resumes a failed, partial, cancelled or crashed job: recorded steps are skipped. Kinds that
    ``stop_on_error`` (onboarding) stop at the first failing step; the others (bulk updates) record the error and
    go on, ending ``partial``. Calls go at the SDK throttle's pace: the runner adds no pauses, except before
    retrying a step that failed transiently (``Action.retries``, with the SDK's backoff).

Control and reading
    ``cancel_job`` (the runner stops before its next step), ``plan_rollback`` (what a rollback would delete,
    restore and leave, before anything is done), ``rollback_job`` (undo it, newest first: a rollback that can
    undo nothing is refused and changes no state), ``list_jobs`` (newest first, with counts), ``get_job`` (with
    steps), ``last_runs`` (for health).

Progress events
    Every change is journalled as a :class:`JobEvent` (``job_started``, ``step_started``, ``step_ok``,
    ``step_skipped``, ``step_error``, ``step_rolled_back``, ``job_finished``...). ``on_event`` receives them in the
    running thread (the CLI's progress bar). ``follow_events`` / ``afollow_events`` yield them from *any* thread or
    process sharing the database (the console's SSE endpoint), waking at once for jobs run in the same process
    and polling the store otherwise; they end when the job reaches a final state. ``start_in_background`` runs a
    job on its own thread, so closing a browser never stops it.

Not for: knowing ConnectWise (the workflows' actions do, through the SDK), retries of single calls (the SDK's
retry policy) or rate limiting (the SDK's throttle). Never put secrets in params or outcomes: they are journalled.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import importlib
import importlib.metadata
import os
import socket
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Generic, TypeVar

import sqlalchemy as sa

from cwdesk._http.retry import RetryPolicy, backoff_delay
from cwdesk._http.throttle import background_calls
from cwdesk.automate.client import AutomateClient
from cwdesk.errors import APIConnectionError, CWDeskError, RateLimitError, ServerError
from cwdesk.manage.client import ManageClient
from cwdesk.store.jobs import job_events, job_steps, jobs

__all__ = [
    "BUILTIN_KINDS",
    "KIND_ENTRY_POINTS",
    "Action",
    "ChangedSince",
    "JobBusy",
    "JobDetail",
    "JobError",
    "JobEvent",
    "JobKind",
    "JobNotFound",
    "JobState",
    "JobStateError",
    "JobSummary",
    "JobTargetError",
    "LostOwnership",
    "Outcome",
    "Plan",
    "RollbackPlan",
    "Step",
    "StepContext",
    "StepCounts",
    "StepFailed",
    "StepRecord",
    "StepState",
    "adopt_orphaned_jobs",
    "afollow_events",
    "cancel_job",
    "check_target",
    "connection_target",
    "create_job",
    "enqueue",
    "follow_events",
    "get_job",
    "get_kind",
    "last_runs",
    "list_jobs",
    "orphaned_jobs",
    "plan_rollback",
    "queued_jobs",
    "read_events",
    "register_kind",
    "resume_job",
    "rollback_job",
    "run_job",
    "start_in_background",
    "start_job",
    "take_up_queued_jobs",
]

# A running job whose process shows no sign of life for this long may be taken over by another process.
STALE_AFTER = timedelta(minutes=2)
# How often a runner says it is alive while a step runs (a long step must not look like a dead process).
HEARTBEAT_EVERY = STALE_AFTER / 4
# Failures after which a step may be tried again (``Action.retries``): nothing says the server refused for good.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (APIConnectionError, ServerError, RateLimitError)
STEP_RETRY_POLICY = RetryPolicy()
_sleep = time.sleep  # tests replace it to keep retries instant


class JobState(StrEnum):
    """Where a job stands."""

    planned = "planned"
    queued = "queued"  # made by one process, left for a worker to run (``enqueue``)
    running = "running"
    succeeded = "succeeded"
    partial = "partial"  # finished, some steps failed (bulk jobs); resume retries them
    failed = "failed"  # stopped at a failing step (onboarding); resume continues from it
    cancelled = "cancelled"
    rolled_back = "rolled_back"


FINAL_STATES = frozenset(
    {JobState.succeeded, JobState.partial, JobState.failed, JobState.cancelled, JobState.rolled_back}
)
RESUMABLE_STATES = frozenset({JobState.planned, JobState.queued, JobState.partial, JobState.failed, JobState.cancelled})


class StepState(StrEnum):
    """Where a step stands. ``running`` in the store after a crash means "outcome unknown"."""

    pending = "pending"
    running = "running"
    ok = "ok"
    skipped = "skipped"
    error = "error"
    rolled_back = "rolled_back"


DONE_STEP_STATES = frozenset({StepState.ok, StepState.skipped, StepState.rolled_back})


class JobError(CWDeskError):
    """A job cannot be found, started, resumed, cancelled or rolled back; the message says why and what to do."""


class JobNotFound(JobError):
    """No job has this id."""


class JobBusy(JobError):
    """Another live process is running this job."""


class LostOwnership(JobBusy):
    """Another runner took the job over: this one stopped before its next write (fencing)."""


class JobStateError(JobError):
    """The job's state does not allow the request (e.g. resuming a job that succeeded)."""


class JobTargetError(JobError):
    """The job was made against another ConnectWise than the client given to resume or roll it back."""


class ChangedSince(Exception):
    """Raised by ``Action.restore``: the record changed after the job wrote it, so it is left as it is."""


class StepFailed(CWDeskError):
    """Raised by an action for a failure whose message is written for the user (what happened, how to repair).

    ``data`` is kept in the step's outcome (JSON, no secrets), e.g. the state a partial change left behind.
    """

    def __init__(self, message: str, *, data: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.data = dict(data or {})


@dataclass(frozen=True)
class Step:
    """One planned step: a natural key naming the record, an action name of the job's kind, JSON params."""

    key: str
    action: str
    params: Mapping[str, Any] = field(default_factory=dict)
    label: str = ""


@dataclass(frozen=True)
class Plan:
    """What a workflow hands to ``create_job``: the kind, a title, the job's params and its steps in order."""

    kind: str
    title: str
    params: Mapping[str, Any]
    steps: Sequence[Step]


@dataclass(frozen=True)
class Outcome:
    """What a step did. ``created`` marks records this job made (rollback deletes only those)."""

    state: StepState
    message: str = ""
    data: Mapping[str, Any] = field(default_factory=dict)
    created: bool = False

    @classmethod
    def done(cls, message: str = "", **data: Any) -> Outcome:
        """The step changed something that already existed (an update)."""
        return cls(StepState.ok, message, data)

    @classmethod
    def made(cls, message: str = "", **data: Any) -> Outcome:
        """The step created a record (keep its ``id`` in ``data`` so ``undo`` can delete it)."""
        return cls(StepState.ok, message, data, created=True)

    @classmethod
    def skipped(cls, message: str = "", **data: Any) -> Outcome:
        """Nothing to do (already in the wanted state, already exists, filtered out)."""
        return cls(StepState.skipped, message, data)


@dataclass(frozen=True)
class StepRecord:
    """A step as stored."""

    position: int
    key: str
    action: str
    label: str
    params: Mapping[str, Any]
    state: StepState
    created: bool
    outcome: Mapping[str, Any] | None
    message: str | None
    attempts: int
    started_at: datetime | None
    finished_at: datetime | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "position": self.position,
            "key": self.key,
            "action": self.action,
            "label": self.label,
            "state": self.state.value,
            "created": self.created,
            "message": self.message,
            "attempts": self.attempts,
            "outcome": dict(self.outcome) if self.outcome is not None else None,
            "params": dict(self.params),
            "started_at": self.started_at.isoformat() if self.started_at else None,
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
        }


@dataclass(frozen=True)
class StepCounts:
    """How many steps are in each state."""

    total: int = 0
    pending: int = 0
    running: int = 0
    ok: int = 0
    skipped: int = 0
    error: int = 0
    rolled_back: int = 0

    @property
    def done(self) -> int:
        """Steps with a final outcome (ok, skipped, error, rolled back)."""
        return self.ok + self.skipped + self.error + self.rolled_back

    def as_dict(self) -> dict[str, int]:
        return {
            "total": self.total,
            "ok": self.ok,
            "error": self.error,
            "skipped": self.skipped,
            "pending": self.pending + self.running,
            "rolled_back": self.rolled_back,
        }


@dataclass(frozen=True)
class JobSummary:
    """A job as ``jobs list`` shows it."""

    id: int
    kind: str
    title: str
    state: JobState
    counts: StepCounts
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    message: str | None
    created_by: str | None
    target: str | None
    runner: str | None
    cancel_requested: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "title": self.title,
            "state": self.state.value,
            "counts": self.counts.as_dict(),
            "message": self.message,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
            "started_at": self.started_at.isoformat() if self.started_at else None,
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "created_by": self.created_by,
            "target": self.target,
        }


@dataclass(frozen=True)
class JobDetail:
    """A job with its params and steps, as ``jobs show`` prints it."""

    summary: JobSummary
    params: Mapping[str, Any]
    steps: Sequence[StepRecord]

    def as_dict(self) -> dict[str, Any]:
        data = self.summary.as_dict()
        data["params"] = dict(self.params)
        data["steps"] = [step.as_dict() for step in self.steps]
        return data


@dataclass(frozen=True)
class JobEvent:
    """One journal entry. ``id`` grows monotonically: follow from the last id seen."""

    id: int
    job_id: int
    at: datetime
    type: str
    step_key: str | None
    message: str
    data: Mapping[str, Any] | None
    # "host:pid:token" of the runner that wrote it (None: written outside a runner, or before the store had it).
    runner: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "job_id": self.job_id,
            "at": self.at.isoformat(),
            "type": self.type,
            "step_key": self.step_key,
            "message": self.message,
            "data": dict(self.data) if self.data is not None else None,
            "runner": self.runner,
        }


ClientT = TypeVar("ClientT")
"""The SDK client a kind's actions take (``ManageClient`` or ``AutomateClient``): ``StepContext[ManageClient]``."""


@dataclass(frozen=True)
class StepContext(Generic[ClientT]):
    """What an action sees: the SDK client, the job's params, its own step, and earlier steps' outcomes."""

    client: ClientT
    job_id: int
    job_params: Mapping[str, Any]
    step: StepRecord
    outcomes: Mapping[str, Mapping[str, Any]]
    # True when an earlier attempt of this step may have reached the server (crash, timeout).
    outcome_unknown: bool = False

    @property
    def params(self) -> Mapping[str, Any]:
        """The step's own params."""
        return self.step.params

    def outcome_of(self, key: str) -> Mapping[str, Any]:
        """The data an earlier step recorded (``ctx.outcome_of("company:AcmeCorp")["id"]``)."""
        try:
            return self.outcomes[key]
        except KeyError:
            raise StepFailed(f"Step {key!r} has no recorded outcome yet; it must succeed before this step.") from None


@dataclass(frozen=True)
class Action(Generic[ClientT]):
    """How to perform one kind of step. See the module docstring."""

    run: Callable[[StepContext[ClientT]], Outcome]
    find: Callable[[StepContext[ClientT]], Outcome | None] | None = None
    undo: Callable[[StepContext[ClientT]], str] | None = None
    # Call ``find`` before ``run`` on every attempt, not only after an unknown outcome.
    find_first: bool = False
    # ``run`` creates a record: one found after an unknown outcome is taken as made by this job.
    creates: bool = False
    # Extra tries after a transient failure (connection lost, 5xx, 429 after the SDK gave up), each preceded by
    # ``find`` since the failed call may have landed; waits follow the SDK's backoff (``_http/retry.py``).
    retries: int = 0
    # Turns a final failure into the user's words (e.g. which state a half-done change left, how to repair it).
    explain: Callable[[StepContext[ClientT], BaseException], str] | None = None
    # Rollback of an update: put back the value the step replaced (see the module docstring).
    restore: Callable[[StepContext[ClientT]], str] | None = None
    # The param holding the key of the step whose created record contains this step's change.
    covered_by: str | None = None
    # Why a change of this action cannot be undone, in the user's words (shown by the rollback preview).
    not_undoable: str = "this kind of change cannot be undone automatically"
    # The step only reads (a verification): rollback has nothing of it to undo.
    reads_only: bool = False


@dataclass(frozen=True)
class JobKind:
    """A kind of job: its actions by name and whether a failing step stops the job."""

    name: str
    # The client type is the kind's ``product``; the runner hands each kind the client chosen for it.
    actions: Mapping[str, Action[Any]]
    stop_on_error: bool = True
    description: str = ""
    # Which SDK client the actions expect in ``ctx.client``: "manage" (ManageClient) or "automate".
    product: str = "manage"


_KINDS: dict[str, JobKind] = {}
_KINDS_LOCK = threading.Lock()

# The kinds cwdesk ships, and the module that registers each: ``get_kind`` imports it on first use, so a fresh
# process (``cwdesk jobs resume``) finds every kind without importing every workflow up front.
BUILTIN_KINDS: Mapping[str, str] = {
    "onboarding": "cwdesk.workflows.onboarding",
    "bulk_contacts": "cwdesk.workflows.bulk_contacts",
    "primary_contact": "cwdesk.workflows.primary_contact",
    "members.provision": "cwdesk.workflows.members",
    "members.deprovision": "cwdesk.workflows.members",
    "automate_clients.onboard": "cwdesk.workflows.automate_clients",
}
# Kinds from other packages: an entry point in this group named after the kind, pointing at a ``JobKind`` or at the
# module that registers it, e.g. in that package's pyproject.toml:
#   [project.entry-points."cwdesk.job_kinds"]
#   my_kind = "my_package.jobs:MY_KIND"
KIND_ENTRY_POINTS = "cwdesk.job_kinds"


def register_kind(kind: JobKind) -> JobKind:
    """Make a kind known to the runner (each workflow module does this when imported)."""
    with _KINDS_LOCK:
        _KINDS[kind.name] = kind
    return kind


def _registered(name: str) -> JobKind | None:
    with _KINDS_LOCK:
        return _KINDS.get(name)


def _load_entry_point(name: str) -> None:
    for entry in importlib.metadata.entry_points(group=KIND_ENTRY_POINTS, name=name):
        loaded = entry.load()
        if isinstance(loaded, JobKind):
            if loaded.name != name:
                raise JobError(
                    f"The entry point {entry.value!r} in {KIND_ENTRY_POINTS!r} is named {name!r} but gives the "
                    f"kind {loaded.name!r}: name the entry point after its kind."
                )
            register_kind(loaded)


def get_kind(name: str) -> JobKind:
    """The kind ``name``: registered in this process, else one of ``BUILTIN_KINDS`` (its module imported), else
    from the ``cwdesk.job_kinds`` entry-point group. A broken import of the kind's module is raised as it is."""
    kind = _registered(name)
    if kind is None and name in BUILTIN_KINDS:
        importlib.import_module(BUILTIN_KINDS[name])
        kind = _registered(name)
    if kind is None:
        _load_entry_point(name)
        kind = _registered(name)
    if kind is None:
        raise JobError(
            f"Unknown job kind {name!r}: this version of cwdesk cannot run it. A kind from another package must be "
            f"registered with register_kind() or declared in the {KIND_ENTRY_POINTS!r} entry-point group."
        )
    return kind


def connection_target(client: object) -> str | None:
    """Which ConnectWise a client talks to, as a job records it (API base and company, or the Automate root; never
    keys). ``None`` for anything else (a test double): such a job is not tied to a server."""
    if isinstance(client, ManageClient):
        return f"{client.base_url} ({client.credentials.company})"
    if isinstance(client, AutomateClient):
        return f"automate:{client.root}"
    return None


def start_job(engine: sa.Engine, plan: Plan, *, client: object, created_by: str | None) -> int:
    """Store ``plan`` as a new job made by ``created_by`` against ``client``'s ConnectWise and return its id.

    The one way the workflows, the CLI and the console create jobs: the target recorded here is what
    :func:`run_job` and :func:`rollback_job` check before touching a server. Run it with ``run_job`` (this thread)
    or ``start_in_background``.
    """
    return create_job(engine, plan, created_by=created_by, target=connection_target(client))


def enqueue(engine: sa.Engine, plan: Plan, *, client: object, created_by: str | None) -> int:
    """Store ``plan`` as a new ``queued`` job for a worker to run (``take_up_queued_jobs``) and return its id.

    Like :func:`start_job`, the job records the ConnectWise of ``client``: a worker connected elsewhere leaves it.
    """
    return create_job(engine, plan, created_by=created_by, target=connection_target(client), queued=True)


def check_target(summary: JobSummary, client: object, *, force: bool = False) -> None:
    """Refuse (:class:`JobTargetError`) to resume or roll back a job against another ConnectWise than the one it
    was made on. ``run_job`` and ``rollback_job`` always call it; a caller may call it earlier (before asking the
    user to confirm). ``force`` is for a server that moved."""
    if force or not summary.target:
        return
    here = connection_target(client)
    if here is not None and here != summary.target:
        raise JobTargetError(
            f"Job {summary.id} was made against {summary.target}, but this connection is {here}: choose the right "
            "connection (CLI: --profile), or force it (CLI: --force) if the server moved."
        )


# ---------------------------------------------------------------------------------------------------------------
# In-process notification: wakes followers at once when a job runs in this process (others poll the store).


class _EventHub:
    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._version = 0

    def notify(self) -> None:
        with self._condition:
            self._version += 1
            self._condition.notify_all()

    @property
    def version(self) -> int:
        with self._condition:
            return self._version

    def wait(self, seen: int, timeout: float) -> None:
        with self._condition:
            if self._version == seen:
                self._condition.wait(timeout)


_HUB = _EventHub()


# ---------------------------------------------------------------------------------------------------------------
# Store helpers.


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(value: datetime | None) -> datetime | None:
    # SQLite hands timestamps back without a zone; everything we write is UTC.
    if value is None:
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _runner_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _runner_is_alive(runner: str | None) -> bool | None:
    """True/False when the runner ran on this host (its pid can be checked), None when it is unknown."""
    if not runner:
        return False
    parts = runner.split(":")
    if len(parts) != 3 or parts[0] != socket.gethostname():
        return None
    try:
        pid = int(parts[1])
    except ValueError:
        return None
    if pid == os.getpid():
        # This process: alive only if one of our own threads holds it.
        with _ACTIVE_LOCK:
            return runner in _ACTIVE_RUNNERS
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _runner_is_gone(alive: bool | None, stale: bool) -> bool:
    """The one rule for taking a running job from its runner: its process is dead on this host, or (another host,
    ``alive`` unknown) its heartbeat is older than ``STALE_AFTER``."""
    return alive is False or (alive is None and stale)


_ACTIVE_RUNNERS: set[str] = set()
_ACTIVE_LOCK = threading.Lock()


def _add_event(
    conn: sa.Connection,
    job_id: int,
    type_: str,
    message: str = "",
    *,
    step_key: str | None = None,
    data: Mapping[str, Any] | None = None,
    runner: str | None = None,
) -> None:
    conn.execute(
        job_events.insert().values(
            job_id=job_id,
            at=_now(),
            type=type_,
            step_key=step_key,
            message=message,
            data=dict(data) if data is not None else None,
            runner=runner,
        )
    )


def _step_record(row: sa.Row[Any]) -> StepRecord:
    m = row._mapping
    return StepRecord(
        position=m["position"],
        key=m["key"],
        action=m["action"],
        label=m["label"] or "",
        params=m["params"] or {},
        state=StepState(m["state"]),
        created=bool(m["created"]),
        outcome=m["outcome"],
        message=m["message"],
        attempts=m["attempts"] or 0,
        started_at=_aware(m["started_at"]),
        finished_at=_aware(m["finished_at"]),
    )


def _counts_for(conn: sa.Connection, job_ids: Sequence[int]) -> dict[int, StepCounts]:
    if not job_ids:
        return {}
    rows = conn.execute(
        sa.select(job_steps.c.job_id, job_steps.c.state, sa.func.count())
        .where(job_steps.c.job_id.in_(list(job_ids)))
        .group_by(job_steps.c.job_id, job_steps.c.state)
    ).all()
    tallies: dict[int, dict[str, int]] = {job_id: {} for job_id in job_ids}
    for job_id, state, count in rows:
        tallies[job_id][state] = count
    return {
        job_id: StepCounts(
            total=sum(t.values()),
            pending=t.get("pending", 0),
            running=t.get("running", 0),
            ok=t.get("ok", 0),
            skipped=t.get("skipped", 0),
            error=t.get("error", 0),
            rolled_back=t.get("rolled_back", 0),
        )
        for job_id, t in tallies.items()
    }


def _summary(row: sa.Row[Any], counts: StepCounts) -> JobSummary:
    m = row._mapping
    created_at = _aware(m["created_at"])
    updated_at = _aware(m["updated_at"])
    assert created_at is not None and updated_at is not None
    return JobSummary(
        id=m["id"],
        kind=m["kind"],
        title=m["title"] or "",
        state=JobState(m["state"]),
        counts=counts,
        created_at=created_at,
        updated_at=updated_at,
        started_at=_aware(m["started_at"]),
        finished_at=_aware(m["finished_at"]),
        message=m["message"],
        created_by=m["created_by"],
        target=m["target"],
        runner=m["runner"],
        cancel_requested=bool(m["cancel_requested"]),
    )


def _load_summary(conn: sa.Connection, job_id: int) -> JobSummary:
    row = conn.execute(sa.select(jobs).where(jobs.c.id == job_id)).first()
    if row is None:
        raise JobNotFound(f"No job {job_id}: `cwdesk jobs list` shows the jobs in this database.")
    return _summary(row, _counts_for(conn, [job_id])[job_id])


# ---------------------------------------------------------------------------------------------------------------
# Creating and reading jobs.


def create_job(
    engine: sa.Engine,
    plan: Plan,
    *,
    created_by: str | None = None,
    target: str | None = None,
    queued: bool = False,
) -> int:
    """Store ``plan`` as a new job in state ``planned`` (``queued``: for a worker) and return its id. Nothing runs
    yet."""
    kind = get_kind(plan.kind)
    keys: set[str] = set()
    for step in plan.steps:
        if step.action not in kind.actions:
            raise JobError(f"Job kind {plan.kind!r} has no action {step.action!r} (step {step.key!r}).")
        if step.key in keys:
            raise JobError(f"Two steps share the key {step.key!r}: each step must name a different record.")
        keys.add(step.key)
    now = _now()
    with engine.begin() as conn:
        result = conn.execute(
            jobs.insert().values(
                kind=plan.kind,
                title=plan.title[:300],
                state=(JobState.queued if queued else JobState.planned).value,
                params=dict(plan.params),
                target=target,
                created_by=created_by,
                created_at=now,
                updated_at=now,
                cancel_requested=False,
            )
        )
        key = result.inserted_primary_key
        assert key is not None
        job_id = int(key[0])
        if plan.steps:
            conn.execute(
                job_steps.insert(),
                [
                    {
                        "job_id": job_id,
                        "position": position,
                        "key": step.key,
                        "action": step.action,
                        "label": step.label[:300],
                        "params": dict(step.params),
                        "state": StepState.pending.value,
                        "created": False,
                        "attempts": 0,
                    }
                    for position, step in enumerate(plan.steps, start=1)
                ],
            )
        _add_event(conn, job_id, "job_created", plan.title, data={"kind": plan.kind, "steps": len(plan.steps)})
        if queued:
            _add_event(conn, job_id, "job_queued", "Queued: a `cwdesk worker` on this database will run it.")
    _HUB.notify()
    return job_id


def get_job(engine: sa.Engine, job_id: int) -> JobDetail:
    """The job with its params and steps; raises :class:`JobNotFound`."""
    with engine.connect() as conn:
        summary = _load_summary(conn, job_id)
        params = conn.execute(sa.select(jobs.c.params).where(jobs.c.id == job_id)).scalar_one()
        rows = conn.execute(
            sa.select(job_steps).where(job_steps.c.job_id == job_id).order_by(job_steps.c.position)
        ).all()
    return JobDetail(summary=summary, params=params or {}, steps=[_step_record(r) for r in rows])


def list_jobs(
    engine: sa.Engine, *, kind: str | None = None, state: JobState | str | None = None, limit: int = 50
) -> list[JobSummary]:
    """Jobs newest first, with their step counts."""
    query = sa.select(jobs).order_by(jobs.c.id.desc()).limit(limit)
    if kind:
        query = query.where(jobs.c.kind == kind)
    if state:
        query = query.where(jobs.c.state == JobState(state).value)
    with engine.connect() as conn:
        rows = conn.execute(query).all()
        counts = _counts_for(conn, [r._mapping["id"] for r in rows])
    return [_summary(r, counts[r._mapping["id"]]) for r in rows]


def last_runs(engine: sa.Engine) -> dict[str, JobSummary]:
    """The newest job of each kind (``cwdesk health`` shows when each workflow last ran and how it ended)."""
    latest = sa.select(sa.func.max(jobs.c.id)).group_by(jobs.c.kind).scalar_subquery()
    with engine.connect() as conn:
        rows = conn.execute(sa.select(jobs).where(jobs.c.id.in_(latest))).all()
        counts = _counts_for(conn, [r._mapping["id"] for r in rows])
    return {r._mapping["kind"]: _summary(r, counts[r._mapping["id"]]) for r in rows}


def read_events(engine: sa.Engine, job_id: int, *, after_id: int = 0, limit: int = 1000) -> list[JobEvent]:
    """Journal entries of a job with ``id > after_id``, oldest first."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(job_events)
            .where(job_events.c.job_id == job_id, job_events.c.id > after_id)
            .order_by(job_events.c.id)
            .limit(limit)
        ).all()
    events = []
    for row in rows:
        m = row._mapping
        at = _aware(m["at"])
        assert at is not None
        events.append(
            JobEvent(
                id=m["id"],
                job_id=m["job_id"],
                at=at,
                type=m["type"],
                step_key=m["step_key"],
                message=m["message"] or "",
                data=m["data"],
                runner=m["runner"],
            )
        )
    return events


def _job_state(engine: sa.Engine, job_id: int) -> JobState:
    with engine.connect() as conn:
        state = conn.execute(sa.select(jobs.c.state).where(jobs.c.id == job_id)).scalar_one_or_none()
    if state is None:
        raise JobNotFound(f"No job {job_id}: `cwdesk jobs list` shows the jobs in this database.")
    return JobState(state)


def follow_events(
    engine: sa.Engine,
    job_id: int,
    *,
    after_id: int = 0,
    poll_seconds: float = 0.5,
    timeout: float | None = None,
) -> Iterator[JobEvent]:
    """Yield the job's events as they are written, from any thread or process; end once the job is final.

    A job that is ``planned``, ``queued`` or ``running`` is waited for (up to ``timeout`` seconds overall, if given).
    """
    deadline = None if timeout is None else _now() + timedelta(seconds=timeout)
    last = after_id
    while True:
        seen = _HUB.version
        # State first, then events: a final state is committed together with the job's last event.
        state = _job_state(engine, job_id)
        batch = read_events(engine, job_id, after_id=last)
        for event in batch:
            last = event.id
            yield event
        if batch:
            continue
        if state in FINAL_STATES:
            return
        if deadline is not None and _now() >= deadline:
            return
        _HUB.wait(seen, poll_seconds)


async def afollow_events(
    engine: sa.Engine,
    job_id: int,
    *,
    after_id: int = 0,
    poll_seconds: float = 0.5,
    timeout: float | None = None,
) -> AsyncIterator[JobEvent]:
    """The async twin of :func:`follow_events` (for an SSE endpoint); store reads run in a worker thread."""
    loop = asyncio.get_running_loop()
    deadline = None if timeout is None else loop.time() + timeout
    last = after_id
    while True:
        state = await asyncio.to_thread(_job_state, engine, job_id)
        batch = await asyncio.to_thread(read_events, engine, job_id, after_id=last)
        for event in batch:
            last = event.id
            yield event
        if batch:
            continue
        if state in FINAL_STATES:
            return
        if deadline is not None and loop.time() >= deadline:
            return
        await asyncio.sleep(poll_seconds)


# ---------------------------------------------------------------------------------------------------------------
# Running.

EventCallback = Callable[[JobEvent], None]


class _Journal:
    """Writes step and job changes with their event in one transaction, then tells listeners."""

    def __init__(self, engine: sa.Engine, job_id: int, runner: str, on_event: EventCallback | None) -> None:
        self.engine = engine
        self.job_id = job_id
        self.runner = runner
        self.on_event = on_event
        self._last_event_id = 0

    def write(
        self,
        type_: str,
        message: str = "",
        *,
        step_key: str | None = None,
        data: Mapping[str, Any] | None = None,
        job_values: Mapping[str, Any] | None = None,
        step_values: Mapping[str, Any] | None = None,
    ) -> None:
        now = _now()
        with self.engine.begin() as conn:
            values: dict[str, Any] = {"updated_at": now, "heartbeat_at": now}
            if job_values:
                values.update(job_values)
            # Fencing: only the job's current runner may write. One that lost the job (taken over while it looked
            # dead) stops here, before its step or event is written and before its next call to ConnectWise.
            owned = conn.execute(
                jobs.update().where(jobs.c.id == self.job_id, jobs.c.runner == self.runner).values(**values)
            )
            if owned.rowcount != 1:
                holder = conn.execute(sa.select(jobs.c.runner).where(jobs.c.id == self.job_id)).scalar_one_or_none()
                raise LostOwnership(
                    f"Job {self.job_id} was taken over by {holder or 'another process'}: this process "
                    f"({self.runner}) stopped before writing {type_!r}. `cwdesk jobs show {self.job_id}` shows it."
                )
            if step_values is not None:
                assert step_key is not None
                conn.execute(
                    job_steps.update()
                    .where(job_steps.c.job_id == self.job_id, job_steps.c.key == step_key)
                    .values(**step_values)
                )
            _add_event(conn, self.job_id, type_, message, step_key=step_key, data=data, runner=self.runner)
        _HUB.notify()
        if self.on_event is not None:
            for event in read_events(self.engine, self.job_id, after_id=self._last_event_id):
                self._last_event_id = event.id
                self.on_event(event)

    @contextmanager
    def beating(self) -> Iterator[None]:
        """Say the runner is alive every ``HEARTBEAT_EVERY`` while the block runs (long steps included)."""
        stop = threading.Event()

        def beat() -> None:
            while not stop.wait(HEARTBEAT_EVERY.total_seconds()):
                with self.engine.begin() as conn:
                    alive = conn.execute(
                        jobs.update()
                        .where(jobs.c.id == self.job_id, jobs.c.runner == self.runner)
                        .values(heartbeat_at=_now())
                    )
                if alive.rowcount != 1:
                    return  # taken over: the next journal write stops the runner

        thread = threading.Thread(target=beat, name=f"cwdesk-heartbeat-{self.job_id}", daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join(timeout=5)

    def cancel_requested(self) -> bool:
        with self.engine.connect() as conn:
            return bool(conn.execute(sa.select(jobs.c.cancel_requested).where(jobs.c.id == self.job_id)).scalar_one())


def _claim(engine: sa.Engine, job_id: int, runner: str, *, allowed: frozenset[JobState], force: bool) -> JobSummary:
    """Take the job for this process, or explain who holds it."""
    now = _now()
    # Alive before the claim commits: another thread of this process that reads the job between the commit and
    # this registration would otherwise take the runner for dead and take the job over (two runs of one job).
    with _ACTIVE_LOCK:
        _ACTIVE_RUNNERS.add(runner)
    try:
        summary = _claim_in_store(engine, job_id, runner, now, allowed=allowed, force=force)
    except BaseException:
        with _ACTIVE_LOCK:
            _ACTIVE_RUNNERS.discard(runner)
        raise
    return summary


def _claim_in_store(
    engine: sa.Engine, job_id: int, runner: str, now: datetime, *, allowed: frozenset[JobState], force: bool
) -> JobSummary:
    takeover: dict[str, Any] | None = None
    with engine.begin() as conn:
        summary = _load_summary(conn, job_id)
        if summary.state is JobState.running:
            alive = _runner_is_alive(summary.runner)
            heartbeat = _aware(conn.execute(sa.select(jobs.c.heartbeat_at).where(jobs.c.id == job_id)).scalar_one())
            stale = heartbeat is None or now - heartbeat > STALE_AFTER
            takeover = {
                "from": summary.runner,
                "to": runner,
                "forced": force,
                "previous_alive": alive,
                "heartbeat_age_s": round((now - heartbeat).total_seconds(), 1) if heartbeat is not None else None,
            }
            if not force and not _runner_is_gone(alive, stale):
                raise JobBusy(
                    f"Job {job_id} is running in another process ({summary.runner}); wait for it, "
                    "`cwdesk jobs cancel` it, or resume with --force if that process is gone."
                )
            condition = sa.and_(jobs.c.state == JobState.running.value, jobs.c.runner == summary.runner)
        elif summary.state in allowed:
            condition = jobs.c.state == summary.state.value
        else:
            raise JobStateError(_not_allowed_message(job_id, summary.state))
        result = conn.execute(
            jobs.update()
            .where(jobs.c.id == job_id, condition)
            .values(
                state=JobState.running.value,
                runner=runner,
                heartbeat_at=now,
                updated_at=now,
                started_at=summary.started_at or now,
                finished_at=None,
                cancel_requested=False,
            )
        )
        if result.rowcount != 1:
            raise JobBusy(f"Job {job_id} was taken by another process just now; `cwdesk jobs show {job_id}`.")
        if takeover is not None:
            # Which runner took the job from which, and why it was allowed (issue 13: takeovers are journalled).
            reason = "forced" if force else ("its process is gone" if takeover["previous_alive"] is False else "stale")
            _add_event(
                conn,
                job_id,
                "takeover",
                f"Taken over from runner {summary.runner} ({reason})",
                data=takeover,
                runner=runner,
            )
    return summary


def _not_allowed_message(job_id: int, state: JobState) -> str:
    if state is JobState.succeeded:
        return f"Job {job_id} already succeeded: nothing to resume."
    if state is JobState.rolled_back:
        return f"Job {job_id} was rolled back: start a new job instead."
    if state in (JobState.planned, JobState.queued):
        return f"Job {job_id} has not run yet: nothing to roll back."
    return f"Job {job_id} is {state.value}: that request does not apply."


def _describe_error(exc: BaseException) -> str:
    if isinstance(exc, StepFailed):
        return exc.message
    text = str(exc).strip() or type(exc).__name__
    return text if type(exc).__name__ in text else f"{type(exc).__name__}: {text}"


def run_job(
    engine: sa.Engine,
    job_id: int,
    *,
    client: Any,
    on_event: EventCallback | None = None,
    force: bool = False,
) -> JobSummary:
    """Run (or resume) a job to its end in this thread; return its summary.

    Steps already ``ok``/``skipped`` are not repeated; a step whose earlier attempt may have reached the server is
    looked up by its natural key first. Raises :class:`JobBusy` if a live process holds the job, and
    :class:`JobStateError` if it succeeded or was rolled back. Step failures do not raise: they are recorded and
    the summary's state says ``failed`` or ``partial``.
    """
    return _take_for_run(engine, job_id, client, force=force)(client, on_event)


# A job claimed by this process, waiting to run: call it with the client and an optional event callback.
_TakenJob = Callable[[Any, EventCallback | None], JobSummary]


def _take_for_run(engine: sa.Engine, job_id: int, client: object, *, force: bool) -> _TakenJob:
    """Check the client's ConnectWise, then claim the job now (raising as :func:`run_job` does); the returned
    function runs its steps."""
    with engine.connect() as conn:
        summary = _load_summary(conn, job_id)
    kind = get_kind(summary.kind)
    check_target(summary, client, force=force)
    runner = _runner_id()
    previous = _claim(engine, job_id, runner, allowed=RESUMABLE_STATES, force=force)

    def run(client: Any, on_event: EventCallback | None) -> JobSummary:
        journal = _Journal(engine, job_id, runner, on_event)
        try:
            with journal.beating(), background_calls():  # (a person's reads go first: _http/throttle.py lanes)
                return _run_steps(
                    engine,
                    job_id,
                    kind,
                    client,
                    journal,
                    resumed=previous.state not in (JobState.planned, JobState.queued),
                )
        finally:
            with _ACTIVE_LOCK:
                _ACTIVE_RUNNERS.discard(runner)

    return run


def resume_job(
    engine: sa.Engine,
    job_id: int,
    *,
    client: Any,
    on_event: EventCallback | None = None,
    force: bool = False,
) -> JobSummary:
    """Continue a failed, partial, cancelled or interrupted job (the same rules as :func:`run_job`)."""
    return run_job(engine, job_id, client=client, on_event=on_event, force=force)


def _run_steps(
    engine: sa.Engine, job_id: int, kind: JobKind, client: Any, journal: _Journal, *, resumed: bool
) -> JobSummary:
    detail = get_job(engine, job_id)
    outcomes: dict[str, Mapping[str, Any]] = {
        s.key: (s.outcome or {}) for s in detail.steps if s.state in (StepState.ok, StepState.skipped)
    }
    todo = [s for s in detail.steps if s.state not in DONE_STEP_STATES]
    journal.write(
        "job_resumed" if resumed else "job_started",
        f"{'Resuming' if resumed else 'Starting'} {detail.summary.title}: {len(todo)} of {len(detail.steps)} "
        "steps to do",
        data={"todo": len(todo), "total": len(detail.steps)},
    )
    errors = 0
    for step in todo:
        if journal.cancel_requested():
            return _finish(journal, JobState.cancelled, "Cancelled: the remaining steps were not run.")
        action = kind.actions.get(step.action)
        if action is None:
            return _finish(journal, JobState.failed, f"Step {step.key!r}: unknown action {step.action!r}.")
        # An earlier attempt that never recorded a result (crash) or failed (perhaps a timeout after the server
        # acted) may have changed ConnectWise: look before acting again.
        unknown = step.attempts > 0 and step.state in (StepState.running, StepState.error)
        journal.write(
            "step_started",
            step.label or step.key,
            step_key=step.key,
            step_values={
                "state": StepState.running.value,
                "attempts": step.attempts + 1,
                "started_at": _now(),
                "finished_at": None,
            },
        )
        ctx = StepContext(
            client=client,
            job_id=job_id,
            job_params=detail.params,
            step=step,
            outcomes=outcomes,
            outcome_unknown=unknown,
        )
        try:
            outcome = _attempt(action, ctx)
        except Exception as exc:
            errors += 1
            message = _describe_error(exc)
            if action.explain is not None:
                message = action.explain(ctx, exc)
            data = exc.data if isinstance(exc, StepFailed) else {}
            journal.write(
                "step_error",
                f"{step.label or step.key}: {message}",
                step_key=step.key,
                data={"error": message, **data},
                step_values={
                    "state": StepState.error.value,
                    "message": message,
                    "outcome": data or None,
                    "finished_at": _now(),
                },
            )
            if kind.stop_on_error:
                return _finish(
                    journal,
                    JobState.failed,
                    f"Stopped at step {step.position} ({step.label or step.key}): {message}. "
                    f"Fix the cause, then `cwdesk jobs resume {job_id}`; or `cwdesk jobs rollback {job_id}`.",
                )
            continue
        outcomes[step.key] = dict(outcome.data)
        journal.write(
            "step_ok" if outcome.state is StepState.ok else "step_skipped",
            f"{step.label or step.key}: {outcome.message}" if outcome.message else (step.label or step.key),
            step_key=step.key,
            data={"created": outcome.created, **dict(outcome.data)},
            step_values={
                "state": outcome.state.value,
                "created": outcome.created,
                "message": outcome.message,
                "outcome": dict(outcome.data),
                "finished_at": _now(),
            },
        )
    if errors:
        return _finish(
            journal,
            JobState.partial,
            f"Finished with {errors} failed step(s); fix the cause and `cwdesk jobs resume {job_id}` to retry them.",
        )
    return _finish(journal, JobState.succeeded, "Finished.")


def _attempt(action: Action[Any], ctx: StepContext[Any]) -> Outcome:
    """One step: look first when the outcome may be unknown, then run; transient failures retried with backoff."""
    tries = 0
    while True:
        try:
            outcome = None
            if action.find is not None and (ctx.outcome_unknown or action.find_first):
                outcome = action.find(ctx)
                if outcome is not None and ctx.outcome_unknown and action.creates:
                    # Found after an interrupted create of this very step: this job made it (rollback may undo it).
                    outcome = Outcome(
                        StepState.ok,
                        f"{outcome.message} (created by an earlier, interrupted attempt)".strip(),
                        outcome.data,
                        created=True,
                    )
            return outcome if outcome is not None else action.run(ctx)
        except TRANSIENT_ERRORS:
            if tries >= action.retries:
                raise
            _sleep(backoff_delay(tries, STEP_RETRY_POLICY))
            tries += 1
            ctx = dataclasses.replace(ctx, outcome_unknown=True)


def _finish(journal: _Journal, state: JobState, message: str) -> JobSummary:
    with journal.engine.connect() as conn:
        counts = _counts_for(conn, [journal.job_id])[journal.job_id]
    journal.write(
        "job_finished",
        message,
        data={"state": state.value, "counts": counts.as_dict()},
        job_values={
            "state": state.value,
            "finished_at": _now(),
            "message": message,
            "runner": None,
            "cancel_requested": False,
        },
    )
    with journal.engine.connect() as conn:
        return _load_summary(conn, journal.job_id)


def start_in_background(
    engine: sa.Engine,
    job_id: int,
    *,
    client: Any,
    on_event: EventCallback | None = None,
) -> threading.Thread:
    """Run the job on a new (non-daemon) thread and return it; failures to start are journalled, not raised.

    The console calls this and then follows the job with :func:`follow_events`: the job does not depend on any
    browser connection, and another process on the same database sees it in ``list_jobs``.
    """

    def work() -> None:
        try:
            run_job(engine, job_id, client=client, on_event=on_event)
        except JobError as exc:
            with engine.begin() as conn:
                _add_event(conn, job_id, "job_not_started", str(exc))
            _HUB.notify()

    thread = threading.Thread(target=work, name=f"cwdesk-job-{job_id}", daemon=False)
    thread.start()
    return thread


def resume_in_background(engine: sa.Engine, job_id: int, *, client: Any, force: bool = False) -> threading.Thread:
    """Claim the job in this thread, then run it on a new one: a refused resume raises here, not in the thread.

    The console answers a resume with this, so a refusal (:class:`JobBusy`, :class:`JobStateError`) reaches the
    user and the audit log as ``refused`` instead of being journalled after a "resume requested".
    """
    run = _take_for_run(engine, job_id, client, force=force)
    thread = threading.Thread(target=run, args=(client, None), name=f"cwdesk-job-{job_id}", daemon=False)
    thread.start()
    return thread


def orphaned_jobs(engine: sa.Engine) -> list[JobSummary]:
    """Jobs left ``running`` by a runner that is gone: its process died on this host, or (another host) its
    heartbeat is older than ``STALE_AFTER``. A live runner's heartbeat beats during its steps, so it is never one."""
    now = _now()
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(jobs.c.id, jobs.c.runner, jobs.c.heartbeat_at).where(jobs.c.state == JobState.running.value)
        ).all()
        found: list[JobSummary] = []
        for row in rows:
            heartbeat = _aware(row.heartbeat_at)
            stale = heartbeat is None or now - heartbeat > STALE_AFTER
            if _runner_is_gone(_runner_is_alive(row.runner), stale):
                found.append(_load_summary(conn, int(row.id)))
    return found


def adopt_orphaned_jobs(
    engine: sa.Engine, *, client_for: Callable[[JobSummary], Any | None]
) -> list[tuple[int, threading.Thread]]:
    """Resume each orphaned job this process can run, on its own thread; returns the jobs taken and their threads.

    ``client_for(summary)`` gives the SDK client for the job, or ``None`` to leave it (another product, another
    ConnectWise than the job's target). A job another process adopts first is left to it.
    """
    taken: list[tuple[int, threading.Thread]] = []
    for summary in orphaned_jobs(engine):
        client = client_for(summary)
        if client is None:
            continue
        try:
            taken.append((summary.id, resume_in_background(engine, summary.id, client=client)))
        except JobError:
            continue  # adopted by another process just now, or no longer orphaned
    return taken


def queued_jobs(engine: sa.Engine) -> list[JobSummary]:
    """Jobs waiting for a worker, oldest first."""
    with engine.connect() as conn:
        ids = conn.execute(
            sa.select(jobs.c.id).where(jobs.c.state == JobState.queued.value).order_by(jobs.c.id)
        ).scalars()
        return [_load_summary(conn, int(job_id)) for job_id in ids.all()]


def take_up_queued_jobs(
    engine: sa.Engine, *, client_for: Callable[[JobSummary], Any | None], limit: int | None = None
) -> list[tuple[int, threading.Thread]]:
    """Run queued jobs this process can run, each on its own thread (at most ``limit``); returns them.

    The claim is the conditional update of every resume (``queued`` -> ``running``): of two workers, one wins and
    the other leaves the job. ``client_for`` is as for :func:`adopt_orphaned_jobs`.
    """
    taken: list[tuple[int, threading.Thread]] = []
    for summary in queued_jobs(engine):
        if limit is not None and len(taken) >= limit:
            break
        client = client_for(summary)
        if client is None:
            continue
        try:
            taken.append((summary.id, resume_in_background(engine, summary.id, client=client)))
        except JobError:
            continue  # another worker claimed it first, or it was cancelled meanwhile
    return taken


def rollback_in_background(engine: sa.Engine, job_id: int, *, client: Any, force: bool = False) -> threading.Thread:
    """Claim the job for its rollback in this thread (refusals raise here), then undo on a new thread."""
    undo = _take_for_rollback(engine, job_id, client, force=force)

    def work() -> None:
        # Why a rollback stopped is journalled by the runner; the job page shows it.
        with contextlib.suppress(JobError):
            undo(client, None)

    thread = threading.Thread(target=work, name=f"cwdesk-rollback-{job_id}", daemon=False)
    thread.start()
    return thread


def cancel_job(engine: sa.Engine, job_id: int) -> JobSummary:
    """Stop a job: a running one stops before its next step; a waiting or stopped one is marked cancelled."""
    now = _now()
    with engine.begin() as conn:
        summary = _load_summary(conn, job_id)
        if summary.state is JobState.running and _runner_is_alive(summary.runner) is not False:
            conn.execute(jobs.update().where(jobs.c.id == job_id).values(cancel_requested=True, updated_at=now))
            _add_event(conn, job_id, "cancel_requested", "Cancel requested: the job stops before its next step.")
        elif summary.state in (JobState.planned, JobState.queued, JobState.failed, JobState.partial, JobState.running):
            conn.execute(
                jobs.update()
                .where(jobs.c.id == job_id)
                .values(
                    state=JobState.cancelled.value,
                    updated_at=now,
                    finished_at=now,
                    runner=None,
                    message="Cancelled.",
                )
            )
            _add_event(conn, job_id, "job_finished", "Cancelled.", data={"state": JobState.cancelled.value})
        else:
            raise JobStateError(f"Job {job_id} is {summary.state.value}: there is nothing to cancel.")
    _HUB.notify()
    with engine.connect() as conn:
        return _load_summary(conn, job_id)


@dataclass(frozen=True)
class RollbackPlan:
    """What rolling a job back would do, newest step first, before anything is done.

    ``delete``: records the job created (undone by deleting them). ``restore``: records that already existed and
    that the job changed (undone by putting back the value it replaced, unless changed since). ``covered``: changes
    inside a record the job created (undone when that record is deleted). ``cannot``: changes nothing can undo,
    each with the reason.
    """

    job_id: int
    delete: Sequence[StepRecord]
    restore: Sequence[StepRecord]
    covered: Sequence[StepRecord]
    cannot: Sequence[tuple[StepRecord, str]]

    @property
    def undoable(self) -> bool:
        return bool(self.delete or self.restore)

    def refusal(self) -> str:
        """Why this job cannot be rolled back (only meaningful when nothing is undoable)."""
        if self.cannot:
            reasons = "; ".join(f"{step.label or step.key}: {why}" for step, why in self.cannot[:5])
            more = f" (and {len(self.cannot) - 5} more)" if len(self.cannot) > 5 else ""
            return f"Job {self.job_id} cannot be rolled back: nothing it did can be undone ({reasons}{more})."
        return f"Job {self.job_id} changed nothing that is still there: there is nothing to roll back."

    def as_dict(self) -> dict[str, Any]:
        def rows(steps: Sequence[StepRecord]) -> list[dict[str, Any]]:
            return [{"key": s.key, "label": s.label or s.key, "outcome": dict(s.outcome or {})} for s in steps]

        return {
            "job_id": self.job_id,
            "undoable": self.undoable,
            "delete": rows(self.delete),
            "restore": rows(self.restore),
            "covered": rows(self.covered),
            "cannot": [{"key": s.key, "label": s.label or s.key, "reason": why} for s, why in self.cannot],
        }


def plan_rollback(detail: JobDetail) -> RollbackPlan:
    """Sort the job's done steps into what a rollback deletes, restores, undoes by a deletion, or cannot undo."""
    kind = get_kind(detail.summary.kind)
    created_keys = {s.key for s in detail.steps if s.created and s.state is StepState.ok}
    delete: list[StepRecord] = []
    restore: list[StepRecord] = []
    covered: list[StepRecord] = []
    cannot: list[tuple[StepRecord, str]] = []
    for step in reversed(detail.steps):
        if step.state is not StepState.ok:
            continue  # skipped, failed, pending or already undone: nothing of it to undo
        action = kind.actions.get(step.action)
        if action is not None and action.reads_only:
            continue
        if action is None:
            cannot.append((step, f"this version of cwdesk does not know the step action {step.action!r}"))
        elif step.created:
            if action.undo is not None:
                delete.append(step)
            else:
                cannot.append((step, action.not_undoable))
        elif action.covered_by and str(step.params.get(action.covered_by)) in created_keys:
            covered.append(step)
        elif action.restore is not None:
            restore.append(step)
        else:
            cannot.append((step, action.not_undoable))
    return RollbackPlan(detail.summary.id, delete, restore, covered, cannot)


def rollback_job(
    engine: sa.Engine,
    job_id: int,
    *,
    client: Any,
    on_event: EventCallback | None = None,
    force: bool = False,
) -> JobSummary:
    """Undo what the job did, newest first: delete what it created, put back what it changed.

    A record changed since the job (by someone else) is left as it is and reported. A job with nothing to undo is
    refused (:class:`JobStateError`) before anything is claimed or written. The job ends ``rolled_back`` only when
    something was undone; its message says what was deleted, restored, left as it is and could not be undone.
    Stops at the first undo that fails (the job ends ``failed``: run rollback again after fixing the cause).
    """
    return _take_for_rollback(engine, job_id, client, force=force)(client, on_event)


ROLLBACK_STATES = frozenset({JobState.failed, JobState.partial, JobState.cancelled, JobState.succeeded})


def _take_for_rollback(engine: sa.Engine, job_id: int, client: object, *, force: bool) -> _TakenJob:
    """Check the rollback can undo something, then claim the job for it now (raising as :func:`rollback_job`
    does); the returned function undoes."""
    try:
        detail = get_job(engine, job_id)
    except JobNotFound:
        raise JobNotFound(f"No job {job_id}: `cwdesk jobs list` shows the jobs in this database.") from None
    kind = get_kind(detail.summary.kind)
    check_target(detail.summary, client, force=force)
    if detail.summary.state not in ROLLBACK_STATES and detail.summary.state is not JobState.running:
        raise JobStateError(_not_allowed_message(job_id, detail.summary.state))
    plan = plan_rollback(detail)
    if not plan.undoable:
        raise JobStateError(plan.refusal())
    runner = _runner_id()
    before = _claim(engine, job_id, runner, allowed=ROLLBACK_STATES, force=force)

    def undo(client: Any, on_event: EventCallback | None) -> JobSummary:
        journal = _Journal(engine, job_id, runner, on_event)
        with journal.beating():
            return _roll_back(job_id, kind, detail, plan, before.state, client, journal)

    return undo


def _roll_back(
    job_id: int,
    kind: JobKind,
    detail: JobDetail,
    plan: RollbackPlan,
    state_before: JobState,
    client: Any,
    journal: _Journal,
) -> JobSummary:
    runner = journal.runner
    try:
        outcomes = {s.key: (s.outcome or {}) for s in detail.steps if s.state in (StepState.ok, StepState.skipped)}
        to_delete = {s.key for s in plan.delete}
        to_restore = {s.key for s in plan.restore}
        targets = [s for s in reversed(detail.steps) if s.key in to_delete or s.key in to_restore]
        journal.write(
            "rollback_started",
            f"Rolling back: {len(plan.delete)} record(s) to delete, {len(plan.restore)} change(s) to put back",
            data={k: len(v) for k, v in plan.as_dict().items() if isinstance(v, list)},
        )
        deleted: list[str] = []
        restored: list[str] = []
        left: list[str] = []
        for step in targets:
            action = kind.actions[step.action]
            undo = action.undo if step.key in to_delete else action.restore
            assert undo is not None  # plan_rollback only lists steps that have one
            ctx = StepContext(client=client, job_id=job_id, job_params=detail.params, step=step, outcomes=outcomes)
            name = step.label or step.key
            try:
                message = undo(ctx)
            except ChangedSince as changed:
                left.append(name)
                journal.write("step_rollback_skipped", f"Left {name} as it is: {changed}", step_key=step.key)
                continue
            except Exception as exc:
                text = _describe_error(exc)
                journal.write("step_error", f"Undo {name}: {text}", step_key=step.key)
                return _finish(
                    journal,
                    JobState.failed,
                    f"Rollback stopped at {name}: {text} ({_undone(deleted, restored)} before it). "
                    f"Fix the cause and run `cwdesk jobs rollback {job_id}` again.",
                )
            (deleted if step.key in to_delete else restored).append(name)
            journal.write(
                "step_rolled_back",
                message or f"Undid {name}",
                step_key=step.key,
                step_values={"state": StepState.rolled_back.value, "finished_at": _now()},
            )
        for step, why in plan.cannot:
            journal.write("step_not_undone", f"Not undone: {step.label or step.key}: {why}", step_key=step.key)
        message = _rollback_message(deleted, restored, left, plan.cannot)
        if not deleted and not restored:
            # Nothing was undone (every record changed since): the job keeps the state it had.
            return _finish(journal, state_before, message)
        return _finish(journal, JobState.rolled_back, message)
    finally:
        with _ACTIVE_LOCK:
            _ACTIVE_RUNNERS.discard(runner)


def _undone(deleted: Sequence[str], restored: Sequence[str]) -> str:
    return f"{len(deleted)} deleted, {len(restored)} put back"


def _rollback_message(
    deleted: Sequence[str], restored: Sequence[str], left: Sequence[str], cannot: Sequence[tuple[StepRecord, str]]
) -> str:
    parts = [f"Rolled back: {_undone(deleted, restored)}" if deleted or restored else "Nothing was undone"]
    if left:
        names = ", ".join(left[:5]) + (f" and {len(left) - 5} more" if len(left) > 5 else "")
        parts.append(f"{len(left)} left as they are because they changed since the job ({names})")
    if cannot:
        parts.append(f"{len(cannot)} cannot be undone automatically (see the job's journal)")
    return "; ".join(parts) + "."
