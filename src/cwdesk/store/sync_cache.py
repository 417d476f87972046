"""The sync cache: local copies of ConnectWise records, how far each kind has been synced, and each sync run.

``sync_records`` holds one row per (source, kind, record id): the record as ConnectWise returned it, its
``_info/lastUpdated``, a fingerprint of its content (to tell a real change from a re-read), and a ``deleted`` mark
(set by a full sync that no longer sees the record, or by a ``deleted`` callback). ``sync_state`` holds, per source
and kind, the watermark (the newest ``lastUpdated`` seen) that the next incremental sync starts from.
``sync_runs`` records every run (full, incremental or callback) with its counts, so ``cwdesk health`` can report the
last run of each kind. ``callback_deliveries`` remembers the fingerprint of every accepted callback, so a replayed
delivery is refused.

A *source* names the ConnectWise site and company the records came from (``host/company``, never a credential),
so two profiles can share one database.

Portable SQLAlchemy Core (SQLite and PostgreSQL): upserts are a read then an insert or update in one transaction.
Not for: deciding what to fetch or when (``cwdesk.workflows.sync``) or verifying callbacks
(``cwdesk.workflows.callbacks``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from cwdesk.store.database import metadata

sync_records = sa.Table(
    "sync_records",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("source", sa.String(300), nullable=False),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("record_id", sa.BigInteger, nullable=False),
    # The record as canonical JSON text (sorted keys): serialised once, for both storage and the fingerprint.
    sa.Column("data", sa.Text, nullable=False),
    sa.Column("last_updated", sa.DateTime(timezone=True), nullable=True),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("deleted", sa.Boolean, nullable=False, default=False),
    sa.Column("synced_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("source", "kind", "record_id", name="uq_sync_records_record"),
    sa.Index("ix_sync_records_updated", "source", "kind", "last_updated"),
)

sync_state = sa.Table(
    "sync_state",
    metadata,
    sa.Column("source", sa.String(300), primary_key=True),
    sa.Column("kind", sa.String(40), primary_key=True),
    # The newest _info/lastUpdated seen (server time): the next incremental sync asks for records from there on.
    sa.Column("watermark", sa.DateTime(timezone=True), nullable=True),
    sa.Column("last_sync_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("last_full_sync_at", sa.DateTime(timezone=True), nullable=True),
)

sync_runs = sa.Table(
    "sync_runs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("source", sa.String(300), nullable=False),
    sa.Column("kind", sa.String(40), nullable=False),
    # full | incremental | callback
    sa.Column("mode", sa.String(20), nullable=False),
    # running | succeeded | failed
    sa.Column("state", sa.String(20), nullable=False),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("fetched", sa.Integer, nullable=False, default=0),
    sa.Column("created", sa.Integer, nullable=False, default=0),
    sa.Column("updated", sa.Integer, nullable=False, default=0),
    sa.Column("unchanged", sa.Integer, nullable=False, default=0),
    sa.Column("deleted", sa.Integer, nullable=False, default=0),
    sa.Column("message", sa.Text, nullable=True),
    sa.Index("ix_sync_runs_kind", "source", "kind", "started_at"),
)

callback_deliveries = sa.Table(
    "callback_deliveries",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    # SHA-256 of the signature header and the raw body: the same delivery seen twice is a replay.
    sa.Column("fingerprint", sa.String(64), nullable=False, unique=True),
    sa.Column("source", sa.String(300), nullable=False),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("action", sa.String(20), nullable=False),
    sa.Column("record_id", sa.BigInteger, nullable=True),
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    # applied | stale (older than the cached copy, kept as is)
    sa.Column("outcome", sa.String(20), nullable=False),
)


def utc(value: datetime | None) -> datetime | None:
    """``value`` as an aware UTC datetime (SQLite hands timestamps back without their zone)."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def canonical_json(data: Mapping[str, Any]) -> str:
    """The record as compact JSON with sorted keys: the same content always gives the same text."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def fingerprint_of(data: Mapping[str, Any]) -> str:
    """A stable digest of a record's content, to tell a real change from the same record read again."""
    return _digest(canonical_json(data))


@dataclass(frozen=True)
class CachedRecord:
    """One record to keep: its id, its content, and its ``_info/lastUpdated``."""

    record_id: int
    data: Mapping[str, Any]
    last_updated: datetime | None


@dataclass
class SaveCounts:
    """What ``save_records`` did: new rows, changed rows, and rows whose content was already cached."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass(frozen=True)
class SyncState:
    """Where a kind's sync stands for one source."""

    source: str
    kind: str
    watermark: datetime | None
    last_sync_at: datetime | None
    last_full_sync_at: datetime | None


def save_records(
    conn: sa.Connection, source: str, kind: str, records: Sequence[CachedRecord], *, now: datetime
) -> SaveCounts:
    """Insert new records, update changed ones (clearing a ``deleted`` mark), and count the unchanged."""
    counts = SaveCounts()
    if not records:
        return counts
    ids = [r.record_id for r in records]
    existing: dict[int, tuple[str, bool]] = {}
    for chunk_start in range(0, len(ids), 500):
        chunk = ids[chunk_start : chunk_start + 500]
        rows = conn.execute(
            sa.select(sync_records.c.record_id, sync_records.c.fingerprint, sync_records.c.deleted).where(
                sync_records.c.source == source,
                sync_records.c.kind == kind,
                sync_records.c.record_id.in_(chunk),
            )
        )
        existing.update({row.record_id: (row.fingerprint, row.deleted) for row in rows})
    inserts: list[dict[str, Any]] = []
    for record in records:
        text = canonical_json(record.data)
        digest = _digest(text)
        known = existing.get(record.record_id)
        if known is None:
            inserts.append(
                {
                    "source": source,
                    "kind": kind,
                    "record_id": record.record_id,
                    "data": text,
                    "last_updated": record.last_updated,
                    "fingerprint": digest,
                    "deleted": False,
                    "synced_at": now,
                }
            )
            existing[record.record_id] = (digest, False)
            counts.created += 1
        elif known == (digest, False):
            counts.unchanged += 1
        else:
            conn.execute(
                sa.update(sync_records)
                .where(
                    sync_records.c.source == source,
                    sync_records.c.kind == kind,
                    sync_records.c.record_id == record.record_id,
                )
                .values(
                    data=text,
                    last_updated=record.last_updated,
                    fingerprint=digest,
                    deleted=False,
                    synced_at=now,
                )
            )
            existing[record.record_id] = (digest, False)
            counts.updated += 1
    if inserts:
        conn.execute(sa.insert(sync_records), inserts)
    return counts


def cached_last_updated(conn: sa.Connection, source: str, kind: str, record_id: int) -> datetime | None:
    """The ``lastUpdated`` of the cached copy of one record (None when not cached or not dated)."""
    value = conn.execute(
        sa.select(sync_records.c.last_updated).where(
            sync_records.c.source == source, sync_records.c.kind == kind, sync_records.c.record_id == record_id
        )
    ).scalar_one_or_none()
    return utc(value)


def mark_deleted(conn: sa.Connection, source: str, kind: str, record_ids: Iterable[int], *, now: datetime) -> int:
    """Mark records as deleted at ConnectWise (the row stays, for history); returns how many were live."""
    marked = 0
    ids = list(record_ids)
    for chunk_start in range(0, len(ids), 500):
        chunk = ids[chunk_start : chunk_start + 500]
        result = conn.execute(
            sa.update(sync_records)
            .where(
                sync_records.c.source == source,
                sync_records.c.kind == kind,
                sync_records.c.record_id.in_(chunk),
                sync_records.c.deleted.is_(False),
            )
            .values(deleted=True, synced_at=now)
        )
        marked += result.rowcount
    return marked


def live_record_ids(conn: sa.Connection, source: str, kind: str) -> set[int]:
    """Ids of the cached records of a kind not marked deleted."""
    rows = conn.execute(
        sa.select(sync_records.c.record_id).where(
            sync_records.c.source == source, sync_records.c.kind == kind, sync_records.c.deleted.is_(False)
        )
    )
    return {int(row.record_id) for row in rows}


def cached_records(
    conn: sa.Connection, source: str, kind: str, *, include_deleted: bool = False
) -> Iterator[dict[str, Any]]:
    """The cached records of a kind, by id."""
    query = (
        sa.select(sync_records.c.data)
        .where(sync_records.c.source == source, sync_records.c.kind == kind)
        .order_by(sync_records.c.record_id)
    )
    if not include_deleted:
        query = query.where(sync_records.c.deleted.is_(False))
    for row in conn.execute(query):
        data = json.loads(row.data)
        yield dict(data)


def get_state(conn: sa.Connection, source: str, kind: str) -> SyncState | None:
    """The sync state of a kind, or None before its first sync."""
    row = conn.execute(
        sa.select(sync_state).where(sync_state.c.source == source, sync_state.c.kind == kind)
    ).one_or_none()
    if row is None:
        return None
    return SyncState(
        source=source,
        kind=kind,
        watermark=utc(row.watermark),
        last_sync_at=utc(row.last_sync_at),
        last_full_sync_at=utc(row.last_full_sync_at),
    )


def save_state(
    conn: sa.Connection, source: str, kind: str, *, watermark: datetime | None, now: datetime, full: bool
) -> None:
    """Record that a sync of a kind finished at ``now`` having seen records up to ``watermark``."""
    previous = get_state(conn, source, kind)
    values: dict[str, Any] = {"watermark": watermark, "last_sync_at": now}
    if full:
        values["last_full_sync_at"] = now
    if previous is None:
        values.setdefault("last_full_sync_at", None)
        conn.execute(sa.insert(sync_state).values(source=source, kind=kind, **values))
    else:
        conn.execute(
            sa.update(sync_state).where(sync_state.c.source == source, sync_state.c.kind == kind).values(**values)
        )


def start_run(conn: sa.Connection, source: str, kind: str, mode: str, *, now: datetime) -> int:
    """Record the start of a run; returns its id."""
    result = conn.execute(
        sa.insert(sync_runs).values(source=source, kind=kind, mode=mode, state="running", started_at=now)
    )
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def finish_run(
    conn: sa.Connection,
    run_id: int,
    *,
    state: str,
    now: datetime,
    fetched: int = 0,
    created: int = 0,
    updated: int = 0,
    unchanged: int = 0,
    deleted: int = 0,
    message: str | None = None,
) -> None:
    """Record how a run ended."""
    conn.execute(
        sa.update(sync_runs)
        .where(sync_runs.c.id == run_id)
        .values(
            state=state,
            finished_at=now,
            fetched=fetched,
            created=created,
            updated=updated,
            unchanged=unchanged,
            deleted=deleted,
            message=message,
        )
    )


def last_runs(conn: sa.Connection, source: str | None = None) -> list[dict[str, Any]]:
    """The newest run of each (source, kind), newest first."""
    newest = (
        sa.select(sa.func.max(sync_runs.c.id).label("id")).group_by(sync_runs.c.source, sync_runs.c.kind)
    ).subquery()
    query = sa.select(sync_runs).join(newest, newest.c.id == sync_runs.c.id).order_by(sync_runs.c.id.desc())
    if source is not None:
        query = query.where(sync_runs.c.source == source)
    runs = []
    for row in conn.execute(query):
        run = dict(row._mapping)
        run["started_at"] = utc(run["started_at"])
        run["finished_at"] = utc(run["finished_at"])
        runs.append(run)
    return runs


def remember_delivery(
    conn: sa.Connection,
    fingerprint: str,
    *,
    source: str,
    kind: str,
    action: str,
    record_id: int | None,
    outcome: str,
    now: datetime,
) -> bool:
    """Record an accepted callback delivery; False when the same delivery was already recorded (a replay)."""
    seen = conn.execute(
        sa.select(callback_deliveries.c.id).where(callback_deliveries.c.fingerprint == fingerprint)
    ).first()
    if seen is not None:
        return False
    # Two identical deliveries racing each other: the unique fingerprint makes the second insert raise
    # IntegrityError, which rolls back the caller's whole transaction (nothing applied twice).
    conn.execute(
        sa.insert(callback_deliveries).values(
            fingerprint=fingerprint,
            source=source,
            kind=kind,
            action=action,
            record_id=record_id,
            received_at=now,
            outcome=outcome,
        )
    )
    return True


__all__ = [
    "CachedRecord",
    "SaveCounts",
    "SyncState",
    "cached_last_updated",
    "cached_records",
    "callback_deliveries",
    "canonical_json",
    "fingerprint_of",
    "finish_run",
    "get_state",
    "last_runs",
    "live_record_ids",
    "mark_deleted",
    "remember_delivery",
    "save_records",
    "save_state",
    "start_run",
    "sync_records",
    "sync_runs",
    "sync_state",
    "utc",
]
