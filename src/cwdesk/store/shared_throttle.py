"""One rate limit per ConnectWise credential for every process that uses the app's database (M6, O2).

The SDK's throttle (``cwdesk._http.throttle``) paces requests and learns the server's limit from its 429s. Alone,
each process does that on its own, so four bulk jobs on one credential each think they have the whole budget. This
module keeps each credential's pacing state (the next free start time, the learned rate, a ``Retry-After`` pause)
in one row of the app's database, and every reservation reads and writes it in one short transaction:

- SQLite (one machine): ``BEGIN IMMEDIATE`` takes the database's write lock before the row is read, so two
  processes never plan from the same copy; waiting for the lock uses SQLite's busy timeout.
- PostgreSQL (many machines): ``SELECT ... FOR UPDATE`` on the credential's row.

The table (migration ``0005``) holds live state, not records: dropping its rows loses nothing but a few seconds of
learning. Rows hold no secret: the key is the credential's identity (host, company, public key), never a private
key.

Not for: the pacing arithmetic (the throttle), nor a cap on requests in flight across processes (each process keeps
its own concurrency cap).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from cwdesk.store.database import metadata

__all__ = ["DatabasePacingStore", "share_rate_limits"]

_T = TypeVar("_T")

throttle_state = sa.Table(
    "throttle_state",
    metadata,
    sa.Column("key", sa.String(400), primary_key=True),
    sa.Column("state", sa.Text, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)


class DatabasePacingStore:
    """A ``SharedPacingStore`` on the app's database (SQLite file or PostgreSQL)."""

    def __init__(self, engine: sa.Engine) -> None:
        """On the store ``engine`` opened (checked and upgraded) by ``open_database``."""
        self._sqlite = engine.url.get_backend_name() == "sqlite"
        if self._sqlite:
            # Its own engine on the same file: transactions here begin IMMEDIATE, which the store's must not do.
            self._engine = sa.create_engine(engine.url, connect_args={"check_same_thread": False, "timeout": 30})

            @sa.event.listens_for(self._engine, "connect")
            def _manual_transactions(dbapi_connection: object, _record: object) -> None:
                # pysqlite would otherwise begin a deferred transaction by itself on the first write.
                dbapi_connection.isolation_level = None  # type: ignore[attr-defined]

            @sa.event.listens_for(self._engine, "begin")
            def _begin_immediate(connection: sa.Connection) -> None:
                connection.exec_driver_sql("BEGIN IMMEDIATE")

        else:
            self._engine = engine

    def update(self, key: str, change: Callable[[str | None], tuple[str, _T]]) -> _T:
        """Read ``key``'s state, apply ``change`` and write the result, as one transaction across processes."""
        now = datetime.now(UTC)
        with self._engine.begin() as conn:
            query = sa.select(throttle_state.c.state).where(throttle_state.c.key == key)
            if not self._sqlite:
                # The row must exist to be locked: make it (a no-op if another process just did).
                conn.execute(
                    postgresql.insert(throttle_state)
                    .values(key=key, state="", updated_at=now)
                    .on_conflict_do_nothing(index_elements=["key"])
                )
                query = query.with_for_update()
            current = conn.execute(query).scalar_one_or_none()
            text, result = change(current or None)
            if current is None and self._sqlite:
                conn.execute(throttle_state.insert().values(key=key, state=text, updated_at=now))
            else:
                conn.execute(
                    throttle_state.update().where(throttle_state.c.key == key).values(state=text, updated_at=now)
                )
        return result

    def close(self) -> None:
        if self._sqlite:
            self._engine.dispose()


_shared: DatabasePacingStore | None = None
_shared_lock = threading.Lock()


def share_rate_limits(engine: sa.Engine) -> bool:
    """Make every throttle of this process pace from the store ``engine`` (once per process).

    Off when ``CWDESK_SHARED_RATE_LIMIT=0``; returns whether the rate limits are shared.
    """
    global _shared
    from cwdesk._http.throttle import share_throttles

    if os.environ.get("CWDESK_SHARED_RATE_LIMIT", "1").strip().lower() in ("0", "false", "no", "off"):
        return False
    with _shared_lock:
        if _shared is None:
            _shared = DatabasePacingStore(engine)
            share_throttles(_shared)
    return True
