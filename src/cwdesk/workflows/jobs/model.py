"""What a job is made of: its states, its errors, the plan of steps, outcomes and the records read back.

Plain data (frozen dataclasses, JSON-friendly ``as_dict``); nothing here touches the store or ConnectWise.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from cwdesk.errors import CWDeskError


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


def _describe_error(exc: BaseException) -> str:
    if isinstance(exc, StepFailed):
        return exc.message
    text = str(exc).strip() or type(exc).__name__
    return text if type(exc).__name__ in text else f"{type(exc).__name__}: {text}"
