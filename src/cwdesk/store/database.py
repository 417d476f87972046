"""Opening the app's database: the URL rule, the engine, and the start-up checks.

``open_database`` makes the engine, then, before anyone uses it: refuses a vanished store (``store.identity``),
runs SQLite's ``PRAGMA quick_check``, checks and upgrades the schema (``store.schema``, Alembic), and compares the
store's identity with this machine's note. Each refusal is a ``StoreError`` whose text is the one line to show.
Not for: the tables themselves (each area's module defines its own on ``metadata``).
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa

from cwdesk.private_files import prepare_database
from cwdesk.store.location import database_url as database_url  # (its home; re-exported for callers)
from cwdesk.store.problems import StoreCorrupt, describe_database_error, hide_password

if TYPE_CHECKING:
    from cwdesk.store.schema import SchemaStatus

metadata = sa.MetaData()

log = logging.getLogger(__name__)


def create_engine(target: str) -> sa.Engine:
    """The engine on ``target``, with no check and no table made (``open_database`` does those)."""
    if target.startswith("sqlite"):
        # Several threads (the console's job runner, request handlers) share one SQLite file.
        engine = sa.create_engine(target, connect_args={"check_same_thread": False, "timeout": 30})

        @sa.event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
            cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
            cursor.execute("PRAGMA journal_mode=WAL")
            # NORMAL in WAL mode survives a killed process (only a power loss can drop the last commits),
            # and a job writes one commit per step: FULL made that ~18 ms each.
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()
    else:
        # pool_pre_ping: a connection the server dropped (restart, idle timeout) is replaced at checkout instead
        # of failing the next request (SQLAlchemy "Disconnect Handling - Pessimistic").
        engine = sa.create_engine(target, pool_pre_ping=True)
    return engine


def sqlite_file(url: sa.URL) -> Path | None:
    """The file of a SQLite URL (plain path or ``file:`` URI), None for an in-memory database or another server."""
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    database = url.database
    if database.startswith("file:"):
        database = database[len("file:") :].split("?", 1)[0]
        if not database or database == ":memory:" or url.query.get("mode") == "memory":
            return None
    return Path(database)


def open_database(url: str | None = None, *, check_identity: bool | None = None) -> sa.Engine:
    """An engine on ``url`` (default: ``database_url()``), checked and at the newest schema revision.

    ``check_identity`` (default: on for the configured store, off for an explicit ``url`` such as a test's)
    compares the store with this machine's note, so a replaced or deleted store is refused, not recreated.
    Raises ``StoreError`` (its text is the one line to show) when the store cannot be used.
    """
    # (Imported here: both modules build on this one's ``metadata`` and helpers.)
    from cwdesk.store import identity, schema

    target = url or database_url()
    with_identity = url is None if check_identity is None else check_identity
    engine = create_engine(target)
    try:
        file = sqlite_file(engine.url)
        missing = file is not None and (not file.exists() or file.stat().st_size == 0)
        if with_identity and missing:
            identity.refuse_if_vanished(engine.url)
        prepare_database(target)  # a SQLite file created 0600 (its -wal/-shm follow), a wider one refused
        if file is not None and not missing:
            check_integrity(engine)
        status = _first_contact(engine)
        if with_identity and not status.has_tables:
            identity.refuse_if_vanished(engine.url)
        for note in schema.upgrade_store(engine):
            log.warning(note)
        if with_identity:
            identity.confirm_identity(engine)
    except Exception as error:
        engine.dispose()
        problem = describe_database_error(error, engine.url, raised_by_store=True)
        if problem is None:
            raise
        raise problem from error
    return engine


# A PostgreSQL server that is restarting refuses connections for a few seconds: connecting again is always safe.
CONNECT_DELAYS = (0.5, 1.0, 2.0)


def _first_contact(engine: sa.Engine) -> SchemaStatus:
    from cwdesk.store import schema

    for delay in (*CONNECT_DELAYS, None):
        try:
            with engine.connect() as conn:
                return schema.schema_status(conn)
        except sa.exc.OperationalError:
            if delay is None or engine.dialect.name == "sqlite":
                raise
            log.info("The store is not reachable yet; connecting again in %.1f s", delay)
            time.sleep(delay)
    raise AssertionError("unreachable: the last attempt raises")


def check_integrity(engine: sa.Engine) -> None:
    """SQLite's ``PRAGMA quick_check`` (the b-tree structure without the index contents): ``StoreCorrupt`` if bad."""
    with engine.connect() as conn:
        rows = [str(row[0]) for row in conn.exec_driver_sql("PRAGMA quick_check").all()]
    if rows != ["ok"]:
        # One row can hold several problems, one a line; the message stays one line (issue 13: one line, no dump).
        first = " ".join(rows[0].split())
        raise StoreCorrupt(
            f"The store ({hide_password(engine.url)}) failed its integrity check ({first[:120]}). Restore it from a "
            "backup, or move the file away and run `cwdesk store adopt` to start an empty store "
            "(`cwdesk store check --full` lists the damage)."
        )
