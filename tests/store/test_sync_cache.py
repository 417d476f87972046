"""The sync cache keeps one copy per record, tells changes from re-reads, and remembers runs and deliveries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from cwdesk.store import open_database
from cwdesk.store import sync_cache as cache

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
SOURCE = "cw.example/acme"


@pytest.fixture
def engine(tmp_path: Path) -> sa.Engine:
    return open_database(f"sqlite:///{tmp_path / 'cache.db'}")


def record(record_id: int, name: str, minutes: int = 0) -> cache.CachedRecord:
    updated = NOW + timedelta(minutes=minutes)
    return cache.CachedRecord(
        record_id, {"id": record_id, "name": name, "_info": {"lastUpdated": updated.isoformat()}}, updated
    )


def test_saving_records_counts_new_changed_and_unchanged(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        first = cache.save_records(conn, SOURCE, "companies", [record(1, "Acme"), record(2, "Globex")], now=NOW)
    with engine.begin() as conn:
        second = cache.save_records(
            conn, SOURCE, "companies", [record(1, "Acme"), record(2, "Globex Corp", 5), record(3, "Initech")], now=NOW
        )
        names = [r["name"] for r in cache.cached_records(conn, SOURCE, "companies")]
    assert (first.created, first.updated, first.unchanged) == (2, 0, 0)
    assert (second.created, second.updated, second.unchanged) == (1, 1, 1)
    assert names == ["Acme", "Globex Corp", "Initech"]


def test_sources_are_kept_apart(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        cache.save_records(conn, SOURCE, "companies", [record(1, "Acme")], now=NOW)
        cache.save_records(conn, "other.example/beta", "companies", [record(1, "Beta Co")], now=NOW)
        assert [r["name"] for r in cache.cached_records(conn, SOURCE, "companies")] == ["Acme"]
        assert [r["name"] for r in cache.cached_records(conn, "other.example/beta", "companies")] == ["Beta Co"]


def test_deleted_records_leave_the_live_set_and_come_back_when_seen_again(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        cache.save_records(conn, SOURCE, "contacts", [record(1, "Jane"), record(2, "John")], now=NOW)
        assert cache.mark_deleted(conn, SOURCE, "contacts", [2, 99], now=NOW) == 1
        assert cache.live_record_ids(conn, SOURCE, "contacts") == {1}
        assert len(list(cache.cached_records(conn, SOURCE, "contacts", include_deleted=True))) == 2
        again = cache.save_records(conn, SOURCE, "contacts", [record(2, "John")], now=NOW)
        assert again.updated == 1
        assert cache.live_record_ids(conn, SOURCE, "contacts") == {1, 2}


def test_sync_state_keeps_the_watermark_in_utc(engine: sa.Engine) -> None:
    mark = NOW - timedelta(hours=1)
    with engine.begin() as conn:
        assert cache.get_state(conn, SOURCE, "members") is None
        cache.save_state(conn, SOURCE, "members", watermark=mark, now=NOW, full=True)
        cache.save_state(conn, SOURCE, "members", watermark=NOW, now=NOW + timedelta(minutes=1), full=False)
        state = cache.get_state(conn, SOURCE, "members")
    assert state is not None
    assert state.watermark == NOW
    assert state.last_full_sync_at == NOW
    assert state.last_sync_at == NOW + timedelta(minutes=1)


def test_last_runs_gives_the_newest_run_of_each_kind(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        old = cache.start_run(conn, SOURCE, "members", "full", now=NOW)
        cache.finish_run(conn, old, state="failed", now=NOW, message="boom")
        new = cache.start_run(conn, SOURCE, "members", "incremental", now=NOW + timedelta(minutes=1))
        cache.finish_run(conn, new, state="succeeded", now=NOW + timedelta(minutes=2), fetched=3, updated=2)
        other = cache.start_run(conn, SOURCE, "companies", "full", now=NOW)
        cache.finish_run(conn, other, state="succeeded", now=NOW, fetched=8, created=8)
        runs = {run["kind"]: run for run in cache.last_runs(conn)}
    assert set(runs) == {"members", "companies"}
    assert runs["members"]["id"] == new
    assert runs["members"]["state"] == "succeeded"
    assert runs["members"]["finished_at"] == NOW + timedelta(minutes=2)
    assert runs["companies"]["created"] == 8


def test_a_delivery_is_remembered_once(engine: sa.Engine) -> None:
    kwargs: dict[str, Any] = {
        "source": SOURCE,
        "kind": "companies",
        "action": "updated",
        "record_id": 1,
        "outcome": "applied",
    }
    with engine.begin() as conn:
        assert cache.remember_delivery(conn, "f" * 64, now=NOW, **kwargs) is True
        assert cache.remember_delivery(conn, "f" * 64, now=NOW, **kwargs) is False
        assert cache.remember_delivery(conn, "e" * 64, now=NOW, **kwargs) is True


def test_fingerprint_ignores_key_order_but_not_values() -> None:
    assert cache.fingerprint_of({"a": 1, "b": 2}) == cache.fingerprint_of({"b": 2, "a": 1})
    assert cache.fingerprint_of({"a": 1}) != cache.fingerprint_of({"a": 2})
