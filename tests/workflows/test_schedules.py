"""Scheduled jobs (issue 13, item 1): ``schedule add sync --every 15m`` rows, and the claim that gives each period to
exactly one process."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from cwdesk.manage.client import ManageClient
from cwdesk.sandbox import Sandbox
from cwdesk.store.schedules import schedules
from cwdesk.store.sync_cache import sync_runs
from cwdesk.workflows import schedules as scheduling
from cwdesk.workflows.schedules import (
    ScheduleError,
    add_schedule,
    claim_due_schedules,
    list_schedules,
    parse_every,
    remove_schedule,
    run_due_schedules,
)


def _add(engine: sa.Engine, *, every: str = "15m", kind: str = "companies", client: object = None) -> int:
    return add_schedule(engine, "sync", every=parse_every(every), kind=kind, client=client, created_by="cli:t").id


def _set(engine: sa.Engine, schedule_id: int, **values: Any) -> None:
    with engine.begin() as conn:
        conn.execute(schedules.update().where(schedules.c.id == schedule_id).values(**values))


@pytest.mark.parametrize(("text", "seconds"), [("15m", 900), ("1m", 60), ("2h", 7200), ("1d", 86400), (" 90s ", 90)])
def test_every_reads_a_number_and_a_unit(text: str, seconds: int) -> None:
    assert parse_every(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("15", "a number and a unit"),
        ("m15", "a number and a unit"),
        ("10s", "shorter than one minute"),
        ("0m", "shorter than one minute"),
    ],
)
def test_every_without_a_unit_or_under_a_minute_is_refused(text: str, why: str) -> None:
    with pytest.raises(ScheduleError, match=why):
        parse_every(text)


def test_a_schedule_of_an_unknown_task_or_kind_is_refused(engine: sa.Engine) -> None:
    with pytest.raises(ScheduleError, match="tasks that can be scheduled are sync"):
        add_schedule(engine, "backup", every=timedelta(minutes=5), kind="all", client=None, created_by=None)
    with pytest.raises(ScheduleError, match="not a kind of sync: choose one of companies"):
        _add(engine, kind="tickets")
    assert list_schedules(engine) == []


def test_a_new_schedule_is_due_at_once_and_listed(engine: sa.Engine) -> None:
    schedule_id = _add(engine)

    (schedule,) = list_schedules(engine)
    assert schedule.id == schedule_id and schedule.what == "sync companies"
    assert schedule.as_dict()["every"] == "15m"
    assert schedule.next_run_at <= datetime.now(UTC)
    assert [s.id for s in claim_due_schedules(engine, target=None)] == [schedule_id]


def test_a_claimed_period_is_not_claimed_again_and_the_next_one_is_a_period_later(engine: sa.Engine) -> None:
    schedule_id = _add(engine)
    before = datetime.now(UTC)

    assert len(claim_due_schedules(engine, target=None, runner="a")) == 1
    _set(engine, schedule_id, last_finished_at=datetime.now(UTC))
    assert claim_due_schedules(engine, target=None, runner="b") == []

    (schedule,) = list_schedules(engine)
    assert schedule.runs == 1
    assert before + timedelta(minutes=14) < schedule.next_run_at <= datetime.now(UTC) + timedelta(minutes=15)


def test_of_two_processes_that_read_a_due_schedule_only_one_claims_it(
    engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    schedule_id = _add(engine)
    # Both processes read the row before either writes: the second plans from this stale copy.
    stale = scheduling._read_schedules(engine)

    first = claim_due_schedules(engine, target=None, runner="host:1")
    monkeypatch.setattr(scheduling, "_read_schedules", lambda _engine: stale)
    second = claim_due_schedules(engine, target=None, runner="host:2")

    assert [s.id for s in first] == [schedule_id] and second == []
    with engine.connect() as conn:
        row = conn.execute(sa.select(schedules)).one()
    assert row.runs == 1 and row.last_runner == "host:1"


def test_missed_periods_run_once_on_the_schedule_grid(engine: sa.Engine) -> None:
    schedule_id = _add(engine)
    due = datetime.now(UTC) - timedelta(minutes=47)  # three periods of 15 minutes were missed (worker down)
    _set(engine, schedule_id, next_run_at=due)

    assert len(claim_due_schedules(engine, target=None)) == 1

    (schedule,) = list_schedules(engine)
    assert schedule.runs == 1
    assert abs(schedule.next_run_at - (due + timedelta(minutes=60))) < timedelta(seconds=1)


def test_a_run_still_going_is_not_started_again_until_it_looks_stuck(engine: sa.Engine) -> None:
    schedule_id = _add(engine)
    now = datetime.now(UTC)
    _set(engine, schedule_id, last_started_at=now - timedelta(minutes=20), last_finished_at=None)

    assert claim_due_schedules(engine, target=None) == []

    _set(engine, schedule_id, last_started_at=now - scheduling.STUCK_AFTER - timedelta(minutes=1))
    assert len(claim_due_schedules(engine, target=None)) == 1


def test_a_schedule_of_another_connectwise_is_left_to_its_workers(engine: sa.Engine) -> None:
    schedule_id = _add(engine)
    _set(engine, schedule_id, target="https://other.example/v4_6_release/apis/3.0 (other)")

    assert claim_due_schedules(engine, target="https://here.example/v4_6_release/apis/3.0 (here)") == []
    assert len(claim_due_schedules(engine, target="https://other.example/v4_6_release/apis/3.0 (other)")) == 1


def test_a_removed_schedule_is_gone_and_removing_it_twice_says_so(engine: sa.Engine) -> None:
    schedule_id = _add(engine)

    assert remove_schedule(engine, schedule_id).id == schedule_id
    assert list_schedules(engine) == []
    with pytest.raises(ScheduleError, match=f"No schedule {schedule_id}: `cwdesk schedule list`"):
        remove_schedule(engine, schedule_id)


def test_a_due_sync_schedule_syncs_and_records_how_it_went(engine: sa.Engine, sandbox: Sandbox) -> None:
    with ManageClient(**sandbox.manage_credentials, transport=sandbox.transport()) as cw:
        schedule_id = _add(engine, kind="all", client=cw)

        taken = run_due_schedules(engine, manage=cw)
        for _id, thread in taken:
            thread.join(timeout=60)

    assert [sid for sid, _thread in taken] == [schedule_id]
    (schedule,) = list_schedules(engine)
    assert schedule.last_state == "succeeded", schedule.last_message
    assert schedule.last_finished_at is not None
    assert "companies:" in (schedule.last_message or "") and "members:" in (schedule.last_message or "")
    with engine.connect() as conn:
        kinds = sorted(r.kind for r in conn.execute(sa.select(sync_runs.c.kind, sync_runs.c.state)).all())
    assert kinds == ["agreements", "companies", "contacts", "members"]
