"""Scheduled jobs instead of cron: ``cwdesk schedule add sync --every 15m`` and the workers that run what is due.

A schedule is a row of ``store.schedules``: a task (today only ``sync``, with a kind or ``all``), a period, the
ConnectWise it runs against, and ``next_run_at``. ``run_due_schedules`` (called by ``cwdesk worker`` and the live
console's watch) claims each due schedule with one conditional update, ``UPDATE ... SET next_run_at = <next
period> WHERE id = ? AND next_run_at = <the value read>``: of any number of processes on the database, exactly one
moves it on, and only that one runs the period. The same rule as the job claim in ``workflows/jobs/ownership.py``.

Timing rules, and why:

- A new schedule is due at once (the first sync starts at the next look of a worker), then every period.
- Periods stay on the grid of the first run: a worker that was down for three periods runs once, not three times
  (a sync is incremental from its watermark, so one run catches up with all that changed).
- A run that has not finished is not started again in the next period (two syncs of one kind would race over one
  watermark) until it is ``STUCK_AFTER`` old: a worker killed mid-sync then does not block the schedule forever.
  A killed run loses nothing: the watermark moves only when a sync succeeds (``workflows/sync.py``).
- A period is at least ``MIN_EVERY`` (one minute): shorter periods would spend the API budget on empty reads;
  callbacks are the way to hear of changes sooner.

Not for: the sync itself (``workflows/sync.py``), or durable multi-step jobs (``workflows/jobs/``: a sync is one
resumable read, its progress is the watermark).
"""

from __future__ import annotations

import logging
import os
import re
import socket
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from cwdesk.errors import CWDeskError
from cwdesk.manage.client import ManageClient
from cwdesk.store.schedules import schedules
from cwdesk.workflows.jobs import connection_target
from cwdesk.workflows.sync import SYNC_KINDS, sync_kind

__all__ = [
    "MIN_EVERY",
    "SCHEDULE_TASKS",
    "STUCK_AFTER",
    "Schedule",
    "ScheduleError",
    "add_schedule",
    "claim_due_schedules",
    "describe_every",
    "list_schedules",
    "parse_every",
    "remove_schedule",
    "run_due_schedules",
    "run_schedule",
]

_log = logging.getLogger("cwdesk.schedules")

MIN_EVERY = timedelta(minutes=1)
STUCK_AFTER = timedelta(hours=1)
# What a schedule can run: the task names ``cwdesk schedule add`` accepts.
SCHEDULE_TASKS = ("sync",)
SYNC_ALL = "all"

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_EVERY = re.compile(r"^\s*(\d+)\s*([smhd])\s*$")


class ScheduleError(CWDeskError):
    """A schedule cannot be added, found or removed; the message says why and what to do."""


@dataclass(frozen=True)
class Schedule:
    """A schedule as ``cwdesk schedule list`` shows it."""

    id: int
    task: str
    params: Mapping[str, Any]
    every: timedelta
    next_run_at: datetime
    target: str | None
    created_by: str | None
    runs: int
    last_started_at: datetime | None
    last_finished_at: datetime | None
    last_state: str | None
    last_message: str | None

    @property
    def what(self) -> str:
        """The task in the user's words: ``sync companies``."""
        kind = self.params.get("kind")
        return f"{self.task} {kind}" if kind else self.task

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "what": self.what,
            "every": describe_every(self.every),
            "next_run_at": self.next_run_at.isoformat(),
            "target": self.target,
            "created_by": self.created_by,
            "runs": self.runs,
            "last_started_at": self.last_started_at.isoformat() if self.last_started_at else None,
            "last_finished_at": self.last_finished_at.isoformat() if self.last_finished_at else None,
            "last_state": self.last_state,
            "last_message": self.last_message,
        }


def parse_every(text: str) -> timedelta:
    """``"15m"`` -> 15 minutes (units s, m, h, d); at least ``MIN_EVERY``."""
    match = _EVERY.match(text)
    if match is None:
        raise ScheduleError(f"--every {text!r}: give a number and a unit, like 15m, 2h or 1d (units: s, m, h, d).")
    every = timedelta(seconds=int(match.group(1)) * _UNITS[match.group(2)])
    if every < MIN_EVERY:
        raise ScheduleError(
            f"--every {text!r} is shorter than one minute: choose 1m or more (callbacks report changes sooner)."
        )
    return every


def describe_every(every: timedelta) -> str:
    """The period as ``parse_every`` reads it: 900 s -> ``"15m"``."""
    seconds = int(every.total_seconds())
    for unit in ("d", "h", "m"):
        if seconds % _UNITS[unit] == 0:
            return f"{seconds // _UNITS[unit]}{unit}"
    return f"{seconds}s"


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(value: datetime | None) -> datetime | None:
    # SQLite hands timestamps back without a zone; everything written here is UTC.
    if value is None:
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _schedule(row: sa.Row[Any]) -> Schedule:
    m = row._mapping
    next_run_at = _aware(m["next_run_at"])
    assert next_run_at is not None
    return Schedule(
        id=m["id"],
        task=m["task"],
        params=m["params"] or {},
        every=timedelta(seconds=m["every_seconds"]),
        next_run_at=next_run_at,
        target=m["target"],
        created_by=m["created_by"],
        runs=m["runs"] or 0,
        last_started_at=_aware(m["last_started_at"]),
        last_finished_at=_aware(m["last_finished_at"]),
        last_state=m["last_state"],
        last_message=m["last_message"],
    )


def add_schedule(
    engine: sa.Engine, task: str, *, every: timedelta, kind: str, client: object, created_by: str | None
) -> Schedule:
    """Store a schedule that runs ``task`` (``"sync"``) of ``kind`` every ``every`` against ``client``'s
    ConnectWise, due at once."""
    if task not in SCHEDULE_TASKS:
        tasks = ", ".join(SCHEDULE_TASKS)
        raise ScheduleError(f"Cannot schedule {task!r}: the tasks that can be scheduled are {tasks}.")
    kinds = [*SYNC_KINDS, SYNC_ALL]
    if kind not in kinds:
        raise ScheduleError(f"--kind {kind!r} is not a kind of sync: choose one of {', '.join(kinds)}.")
    if every < MIN_EVERY:
        raise ScheduleError("A schedule runs at most once a minute: choose --every 1m or more.")
    now = _now()
    with engine.begin() as conn:
        result = conn.execute(
            schedules.insert().values(
                task=task,
                params={"kind": kind},
                every_seconds=int(every.total_seconds()),
                next_run_at=now,
                target=connection_target(client),
                created_by=created_by,
                created_at=now,
                runs=0,
            )
        )
        key = result.inserted_primary_key
        assert key is not None
        row = conn.execute(sa.select(schedules).where(schedules.c.id == int(key[0]))).one()
    return _schedule(row)


def list_schedules(engine: sa.Engine) -> list[Schedule]:
    """Every schedule, oldest first."""
    with engine.connect() as conn:
        return [_schedule(r) for r in conn.execute(sa.select(schedules).order_by(schedules.c.id)).all()]


def remove_schedule(engine: sa.Engine, schedule_id: int) -> Schedule:
    """Delete a schedule (a run in progress finishes); raises :class:`ScheduleError` when there is none."""
    with engine.begin() as conn:
        row = conn.execute(sa.select(schedules).where(schedules.c.id == schedule_id)).first()
        if row is None:
            raise ScheduleError(f"No schedule {schedule_id}: `cwdesk schedule list` shows the schedules.")
        conn.execute(schedules.delete().where(schedules.c.id == schedule_id))
    return _schedule(row)


def _next_period(due: datetime, every: timedelta, now: datetime) -> datetime:
    """The first time on the schedule's grid after ``now`` (missed periods are run once, not each)."""
    missed = (now - due) // every
    return due + every * (missed + 1)


def _still_running(schedule: Schedule, now: datetime) -> bool:
    started = schedule.last_started_at
    if started is None:
        return False
    finished = schedule.last_finished_at
    if finished is not None and finished >= started:
        return False
    return now - started < STUCK_AFTER


def _read_schedules(engine: sa.Engine) -> list[sa.Row[Any]]:
    # What a claimer plans from; another process may claim between this read and the update (tests replay it).
    with engine.connect() as conn:
        return list(conn.execute(sa.select(schedules).order_by(schedules.c.id)).all())


def claim_due_schedules(engine: sa.Engine, *, target: str | None, runner: str | None = None) -> list[Schedule]:
    """Claim every due schedule for ``target`` (the ConnectWise of this process) and return them.

    A schedule made against another ConnectWise is left (a schedule without a target, and a process without one,
    take any). The conditional update on ``next_run_at`` makes each period go to exactly one claimer.
    """
    runner = runner or f"{socket.gethostname()}:{os.getpid()}"
    now = _now()
    claimed: list[Schedule] = []
    for row in _read_schedules(engine):
        schedule = _schedule(row)
        if schedule.next_run_at > now or _still_running(schedule, now):
            continue
        if target is not None and schedule.target is not None and schedule.target != target:
            continue
        with engine.begin() as conn:
            won = conn.execute(
                schedules.update()
                # The raw value read, not the zone-aware copy: SQLite compares the stored text.
                .where(schedules.c.id == schedule.id, schedules.c.next_run_at == row._mapping["next_run_at"])
                .values(
                    next_run_at=_next_period(schedule.next_run_at, schedule.every, now),
                    runs=schedules.c.runs + 1,
                    last_runner=runner,
                    last_started_at=now,
                    last_finished_at=None,
                    last_state=None,
                    last_message=None,
                )
            )
        if won.rowcount == 1:
            claimed.append(schedule)
    return claimed


def _sync_kinds(schedule: Schedule) -> Sequence[str]:
    kind = str(schedule.params.get("kind") or SYNC_ALL)
    return list(SYNC_KINDS) if kind == SYNC_ALL else [kind]


def run_schedule(engine: sa.Engine, schedule: Schedule, *, manage: ManageClient) -> str:
    """Run one claimed schedule here and record how it went; returns its state (succeeded, partial, failed)."""
    done: list[str] = []
    failed: list[str] = []
    for kind in _sync_kinds(schedule):
        try:
            result = sync_kind(manage, engine, kind)
        except CWDeskError as error:
            failed.append(f"{kind}: {error}")
            continue
        done.append(f"{kind}: {result.fetched} read, {result.changed} changed")
    state = "succeeded" if not failed else "failed" if not done else "partial"
    message = "; ".join(done + [f"failed {f}" for f in failed])
    with engine.begin() as conn:
        conn.execute(
            schedules.update()
            .where(schedules.c.id == schedule.id)
            .values(last_finished_at=_now(), last_state=state, last_message=message[:2000])
        )
    log = _log.info if state == "succeeded" else _log.warning
    log("Schedule %s (%s) %s: %s", schedule.id, schedule.what, state, message)
    return state


def run_due_schedules(engine: sa.Engine, *, manage: Any | None) -> list[tuple[int, threading.Thread]]:
    """Claim the due schedules this process can run and run each on its own thread; returns them."""
    if manage is None:
        return []  # every task today needs Manage
    taken: list[tuple[int, threading.Thread]] = []
    for schedule in claim_due_schedules(engine, target=connection_target(manage)):

        def work(schedule: Schedule = schedule) -> None:
            try:
                run_schedule(engine, schedule, manage=manage)
            except Exception:  # a store fault: the run is unfinished, STUCK_AFTER lets a later period start
                _log.exception("Schedule %s failed", schedule.id)

        thread = threading.Thread(target=work, name=f"cwdesk-schedule-{schedule.id}", daemon=False)
        thread.start()
        taken.append((schedule.id, thread))
    return taken
