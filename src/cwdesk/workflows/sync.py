"""Incremental sync of ConnectWise Manage records (companies, contacts, agreements, members) into the local store.

``sync_kind(cw, engine, "members")`` brings the cache up to date through the SDK:

- The **first** run of a kind (or ``full=True``) reads every record, keeps each one, and marks cached records that
  ConnectWise no longer returns as deleted (an incremental read cannot see deletions; callbacks and full runs do).
- **Later** runs ask only for ``_info/lastUpdated >= watermark``. The watermark is kept in the store
  (``sync_state``); it is the newest ``lastUpdated`` seen, but never later than this run's start minus
  ``overlap`` (default 60 s). Why: a record read early in a run and changed while the run goes on has a
  ``lastUpdated`` *older* than records read later, and ConnectWise's clock may differ from ours; starting the next
  run a little earlier and comparing with ``>=`` loses nothing. Records read again without a change are recognised
  by their fingerprint and counted as ``unchanged``, so ``created + updated`` is exactly what changed.
- Pages are saved as they arrive (one transaction per page), so a failed run keeps what it read; the watermark
  moves only when a run succeeds. Each run is recorded in ``sync_runs`` (``cwdesk health`` shows the last one).

``source_key(server, company)`` names the ConnectWise site a record came from (no secrets), so several profiles
can share one database. ``kind_for_callback_type`` and ``last_updated_of`` are shared with the callback receiver.

Not for: receiving callbacks (``workflows/callbacks.py``) or the table layout (``store/sync_cache.py``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa

from cwdesk.conditions import C, Condition
from cwdesk.manage.client import AsyncManageClient, ManageClient
from cwdesk.manage.resources.collection import AsyncCollection, Collection
from cwdesk.store import sync_cache

__all__ = [
    "DEFAULT_OVERLAP",
    "SYNC_KINDS",
    "SyncKind",
    "SyncResult",
    "async_sync_kind",
    "kind_for_callback_type",
    "last_updated_of",
    "source_key",
    "source_of",
    "sync_kind",
]

logger = logging.getLogger(__name__)

DEFAULT_OVERLAP = timedelta(seconds=60)
PAGE_SIZE = 1000


@dataclass(frozen=True)
class SyncKind:
    """A kind of record that can be synced: the SDK resource listing it (sync and async) and its callback ``Type``."""

    name: str
    collection: Callable[[ManageClient], Collection[Any]]
    async_collection: Callable[[AsyncManageClient], AsyncCollection[Any]]
    callback_type: str


SYNC_KINDS: dict[str, SyncKind] = {
    "companies": SyncKind("companies", lambda cw: cw.companies, lambda cw: cw.companies, "company"),
    "contacts": SyncKind("contacts", lambda cw: cw.contacts, lambda cw: cw.contacts, "contact"),
    "agreements": SyncKind("agreements", lambda cw: cw.agreements, lambda cw: cw.agreements, "agreement"),
    "members": SyncKind("members", lambda cw: cw.members, lambda cw: cw.members, "member"),
}


def kind_for_callback_type(callback_type: str) -> str:
    """The cache kind of a callback's ``Type`` (``company`` -> ``companies``; unknown types get a plural too)."""
    text = callback_type.strip().lower()
    for kind in SYNC_KINDS.values():
        if kind.callback_type == text:
            return kind.name
    if text.endswith("y"):
        return text[:-1] + "ies"
    return text if text.endswith("s") else text + "s"


def last_updated_of(record: Mapping[str, Any]) -> datetime | None:
    """``_info.lastUpdated`` of a record as an aware UTC datetime (None when absent or unreadable)."""
    info = record.get("_info")
    raw = info.get("lastUpdated") if isinstance(info, Mapping) else None
    if not isinstance(raw, str) or not raw:
        return None
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def source_key(server: str, company: str) -> str:
    """``host/company`` in lower case: which ConnectWise site and company records came from."""
    text = server if "://" in server else f"https://{server}"
    parts = urlsplit(text)
    host = (parts.hostname or server).lower()
    if parts.port:
        host = f"{host}:{parts.port}"
    return f"{host}/{company.strip().lower()}"


def source_of(client: ManageClient | AsyncManageClient) -> str:
    """The source key of a Manage client (from its server and company; never its keys)."""
    return source_key(client.credentials.server, client.credentials.company)


@dataclass
class SyncResult:
    """What one sync run did."""

    kind: str
    mode: str
    fetched: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    since: datetime | None = None
    watermark: datetime | None = None
    run_id: int | None = None

    @property
    def changed(self) -> int:
        """Records that were new or different from the cached copy."""
        return self.created + self.updated

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["since"] = self.since.isoformat() if self.since else None
        data["watermark"] = self.watermark.isoformat() if self.watermark else None
        data["changed"] = self.changed
        return data


def _kind(name: str) -> SyncKind:
    try:
        return SYNC_KINDS[name]
    except KeyError:
        raise ValueError(f"Cannot sync {name!r}: choose one of {', '.join(SYNC_KINDS)}.") from None


def _as_dict(record: Any) -> dict[str, Any]:
    if isinstance(record, Mapping):
        return dict(record)
    dumped = record.model_dump(mode="json", by_alias=True, exclude_none=True)
    return dict(dumped)


@dataclass
class _Run:
    """The bookkeeping of one run, shared by the sync and async twins."""

    engine: sa.Engine
    source: str
    kind: SyncKind
    full: bool
    overlap: timedelta
    started: datetime
    since: datetime | None = None
    run_id: int = 0
    max_seen: datetime | None = None
    seen_ids: set[int] | None = None
    result: SyncResult = field(init=False)

    @classmethod
    def begin(cls, engine: sa.Engine, source: str, kind: SyncKind, *, full: bool, overlap: timedelta) -> _Run:
        started = datetime.now(UTC)
        with engine.begin() as conn:
            state = sync_cache.get_state(conn, source, kind.name)
            since = None if full or state is None else state.watermark
            full = full or state is None
            run_id = sync_cache.start_run(conn, source, kind.name, "full" if full else "incremental", now=started)
        run = cls(engine, source, kind, full, overlap, started, since=since, run_id=run_id)
        run.seen_ids = set() if full else None
        return run

    def __post_init__(self) -> None:
        self.result = SyncResult(kind=self.kind.name, mode="full" if self.full else "incremental", since=self.since)

    def condition(self) -> Condition | None:
        return None if self.since is None else C("_info/lastUpdated") >= self.since

    def save_page(self, page: Iterable[Any]) -> None:
        records = []
        for item in page:
            data = _as_dict(item)
            record_id = data.get("id")
            if not isinstance(record_id, int):
                continue
            updated = last_updated_of(data)
            if updated is not None and (self.max_seen is None or updated > self.max_seen):
                self.max_seen = updated
            if self.seen_ids is not None:
                self.seen_ids.add(record_id)
            records.append(sync_cache.CachedRecord(record_id, data, updated))
        if not records:
            return
        with self.engine.begin() as conn:
            counts = sync_cache.save_records(conn, self.source, self.kind.name, records, now=datetime.now(UTC))
        self.result.fetched += len(records)
        self.result.created += counts.created
        self.result.updated += counts.updated
        self.result.unchanged += counts.unchanged

    def succeed(self) -> SyncResult:
        now = datetime.now(UTC)
        watermark = self.since
        if self.max_seen is not None:
            ceiling = self.started - self.overlap
            watermark = min(self.max_seen, ceiling)
            if self.since is not None and watermark < self.since:
                watermark = self.since
        with self.engine.begin() as conn:
            if self.seen_ids is not None:
                gone = sync_cache.live_record_ids(conn, self.source, self.kind.name) - self.seen_ids
                self.result.deleted = sync_cache.mark_deleted(conn, self.source, self.kind.name, gone, now=now)
            sync_cache.save_state(conn, self.source, self.kind.name, watermark=watermark, now=now, full=self.full)
            sync_cache.finish_run(
                conn,
                self.run_id,
                state="succeeded",
                now=now,
                fetched=self.result.fetched,
                created=self.result.created,
                updated=self.result.updated,
                unchanged=self.result.unchanged,
                deleted=self.result.deleted,
            )
        self.result.watermark = watermark
        self.result.run_id = self.run_id
        logger.info("sync finished", extra={"sync": self.result.as_dict()})
        return self.result

    def fail(self, error: BaseException) -> None:
        message = str(error).strip() or type(error).__name__
        with self.engine.begin() as conn:
            sync_cache.finish_run(
                conn,
                self.run_id,
                state="failed",
                now=datetime.now(UTC),
                fetched=self.result.fetched,
                created=self.result.created,
                updated=self.result.updated,
                unchanged=self.result.unchanged,
                message=message[:2000],
            )
        logger.warning("sync of %s failed: %s", self.kind.name, message)


def sync_kind(
    client: ManageClient,
    engine: sa.Engine,
    kind: str,
    *,
    full: bool = False,
    overlap: timedelta = DEFAULT_OVERLAP,
    source: str | None = None,
) -> SyncResult:
    """Bring the cached ``kind`` up to date from ConnectWise (full the first time, then incremental)."""
    spec = _kind(kind)
    run = _Run.begin(engine, source or source_of(client), spec, full=full, overlap=overlap)
    resource = spec.collection(client)
    try:
        for page in resource.iter_pages(where=run.condition(), page_size=PAGE_SIZE):
            run.save_page(page)
    except BaseException as error:
        run.fail(error)
        raise
    return run.succeed()


async def async_sync_kind(
    client: AsyncManageClient,
    engine: sa.Engine,
    kind: str,
    *,
    full: bool = False,
    overlap: timedelta = DEFAULT_OVERLAP,
    source: str | None = None,
) -> SyncResult:
    """The async twin of ``sync_kind`` (store writes are short and stay on the loop's thread)."""
    spec = _kind(kind)
    run = _Run.begin(engine, source or source_of(client), spec, full=full, overlap=overlap)
    resource = spec.async_collection(client)
    try:
        async for page in resource.iter_pages(where=run.condition(), page_size=PAGE_SIZE):
            run.save_page(page)
    except BaseException as error:
        run.fail(error)
        raise
    return run.succeed()
