"""One rate limit per ConnectWise credential for every process that uses the app's database (M6, O2).

The SDK's throttle (``cwdesk._http.throttle``) paces requests and learns the server's limit from its 429s. Alone,
each process does that on its own, so four bulk jobs on one credential each think they have the whole budget. This
module keeps each credential's pacing state (the next free start time, the learned rate, a ``Retry-After`` pause,
the interactive lane's share) in one row of the app's database (``throttle_state``, ``store.throttle_table``), and
every reservation reads and writes it in one short transaction:

- SQLite (one machine): the standard library's ``sqlite3`` on the store's file, in autocommit mode so that
  ``BEGIN IMMEDIATE`` takes the database's write lock before the row is read: two processes never plan from the
  same copy; waiting for the lock uses SQLite's busy timeout. No SQLAlchemy is needed for it.
- PostgreSQL (many machines): ``SELECT ... FOR UPDATE`` on the credential's row, through SQLAlchemy.
- Redis (many machines, when ``CWDESK_RATE_LIMIT_URL`` names one; ``rate_limit_url()`` is the rule): the same
  state under a per-credential key with a TTL, changed in a WATCH/MULTI transaction (``store.throttle_redis``).
  The app's database is then not opened for the rate limit at all.

``share_rate_limits()`` is what a command calls before its first request. On a SQLite store that is ready as it is
(``store.location.ready_sqlite_file``: it exists, is private and is at the newest revision) it opens only that file,
so a one-call command such as ``cwdesk companies count`` imports neither SQLAlchemy nor Alembic (150-250 ms of its
start, P7c); any other store is opened the full way first (``open_database``: checked, upgraded or refused).

The table holds live state, not records: dropping its rows loses nothing but a few seconds of learning.

Not for: the pacing arithmetic (the throttle), nor a cap on requests in flight across processes (each process keeps
its own concurrency cap).
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from cwdesk._http.throttle import SharedPacingStoreUnavailable

if TYPE_CHECKING:
    import sqlalchemy as sa

    from cwdesk.store.throttle_redis import RedisPacingStore

__all__ = ["DatabasePacingStore", "SqlitePacingStore", "rate_limit_url", "share_rate_limits"]

_log = logging.getLogger("cwdesk.throttle")

_T = TypeVar("_T")

# How long a reservation waits for another process's transaction on the SQLite file (each holds it for well under
# a millisecond; the store's own engine uses the same busy timeout).
SQLITE_BUSY_TIMEOUT_S = 30.0


def _sqlite_time(moment: datetime) -> str:
    # SQLAlchemy's SQLite DateTime storage format, so the store's other readers see the same column either way.
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


class SqlitePacingStore:
    """A ``SharedPacingStore`` on a SQLite store file, with the standard library's driver."""

    def __init__(self, file: Path | str, *, timeout: float = SQLITE_BUSY_TIMEOUT_S) -> None:
        # isolation_level=None: the driver begins no transaction by itself, so ``BEGIN IMMEDIATE`` below is the one.
        self._conn = sqlite3.connect(file, timeout=timeout, isolation_level=None, check_same_thread=False)
        # (WAL is a property of the file, set by the store's engine; NORMAL is per connection, as the store's.)
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._lock = threading.Lock()  # one connection, used by every thread of this process in turn

    def update(self, key: str, change: Callable[[str | None], tuple[str, _T]]) -> _T:
        """Read ``key``'s state, apply ``change`` and write the result, as one transaction across processes."""
        with self._lock:
            conn = self._conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                row = conn.execute("SELECT state FROM throttle_state WHERE key = ?", (key,)).fetchone()
                text, result = change(str(row[0]) if row and row[0] else None)
                now = _sqlite_time(datetime.now(UTC))
                if row is None:
                    conn.execute(
                        "INSERT INTO throttle_state (key, state, updated_at) VALUES (?, ?, ?)", (key, text, now)
                    )
                else:
                    conn.execute("UPDATE throttle_state SET state = ?, updated_at = ? WHERE key = ?", (text, now, key))
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        return result

    def close(self) -> None:
        with self._lock:
            self._conn.close()


class DatabasePacingStore:
    """A ``SharedPacingStore`` on the store ``engine`` opened (checked and upgraded) by ``open_database``.

    A SQLite engine's file is used through ``SqlitePacingStore`` (one implementation for SQLite); PostgreSQL's rows
    are locked with ``SELECT ... FOR UPDATE``.
    """

    def __init__(self, engine: sa.Engine) -> None:
        from cwdesk.store.database import sqlite_file

        self._engine = engine
        self._sqlite: SqlitePacingStore | None = None
        if engine.url.get_backend_name() == "sqlite":
            file = sqlite_file(engine.url)
            if file is None:
                raise ValueError("A shared rate limit needs a SQLite file or a PostgreSQL database, not memory.")
            self._sqlite = SqlitePacingStore(file)

    def update(self, key: str, change: Callable[[str | None], tuple[str, _T]]) -> _T:
        """Read ``key``'s state, apply ``change`` and write the result, as one transaction across processes."""
        if self._sqlite is not None:
            return self._sqlite.update(key, change)
        import sqlalchemy as sa
        from sqlalchemy.dialects import postgresql

        from cwdesk.store.throttle_table import throttle_state

        now = datetime.now(UTC)
        with self._engine.begin() as conn:
            # The row must exist to be locked: make it (a no-op if another process just did).
            conn.execute(
                postgresql.insert(throttle_state)
                .values(key=key, state="", updated_at=now)
                .on_conflict_do_nothing(index_elements=["key"])
            )
            query = sa.select(throttle_state.c.state).where(throttle_state.c.key == key).with_for_update()
            current = conn.execute(query).scalar_one_or_none()
            text, result = change(current or None)
            conn.execute(throttle_state.update().where(throttle_state.c.key == key).values(state=text, updated_at=now))
        return result

    def close(self) -> None:
        if self._sqlite is not None:
            self._sqlite.close()


_shared: SqlitePacingStore | DatabasePacingStore | RedisPacingStore | None = None
_shared_lock = threading.Lock()


def rate_limits_shared_by_setting() -> bool:
    """False when ``CWDESK_SHARED_RATE_LIMIT`` is ``0``/``false``/``no``/``off`` (each process then paces alone)."""
    return os.environ.get("CWDESK_SHARED_RATE_LIMIT", "1").strip().lower() not in ("0", "false", "no", "off")


def rate_limit_url() -> str | None:
    """Where the shared rate limit lives when not in the app's database: ``CWDESK_RATE_LIMIT_URL`` (a Redis URL,
    ``redis://HOST:PORT/DB``), or None (then the app's database, ``CWDESK_DATABASE_URL`` or the SQLite file)."""
    url = os.environ.get("CWDESK_RATE_LIMIT_URL", "").strip()
    return url or None


def share_rate_limits(engine: sa.Engine | None = None) -> bool:
    """Make every throttle of this process pace from the store (once per process); returns whether they do.

    ``engine``: a store already opened with ``open_database`` (the console, the worker). Without it, the configured
    store: its file directly when it is a ready SQLite store, else opened the full way (see the module docstring).
    Off when ``CWDESK_SHARED_RATE_LIMIT=0``, and then nothing is opened.
    """
    global _shared
    from cwdesk._http.throttle import share_throttles

    if not rate_limits_shared_by_setting():
        return False
    with _shared_lock:
        if _shared is None:
            try:
                _shared = _open_store(engine)
            except SharedPacingStoreUnavailable as exc:
                # (a Redis that is configured but cannot be used: say so once, and pace per process)
                _log.warning("%s Pacing each process alone.", exc)
                return False
            share_throttles(_shared)
    return True


def _open_store(engine: sa.Engine | None) -> SqlitePacingStore | DatabasePacingStore | RedisPacingStore:
    url = rate_limit_url()
    if url is not None:
        from cwdesk.store.throttle_redis import RedisPacingStore

        return RedisPacingStore(url)
    if engine is not None:
        return DatabasePacingStore(engine)
    from cwdesk.store.location import ready_sqlite_file

    file = ready_sqlite_file()
    if file is not None:
        return SqlitePacingStore(file)
    from cwdesk.store.database import open_database

    return DatabasePacingStore(open_database())
