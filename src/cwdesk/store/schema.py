"""The schema version of the app's database: checked at every start, upgraded with Alembic when it is older.

The migrations live in ``cwdesk/store/migrations`` (shipped in the package). At start-up ``upgrade_store``:

- an empty database gets every revision from the baseline up (the tables come from the migrations, never from
  ``create_all``, so a new store and an upgraded one are the same schema);
- a store made by release 44623af or earlier (our tables, no ``alembic_version``) is recognised as the baseline
  (revision ``0001``), stamped, then upgraded;
- an older revision is upgraded; for SQLite a copy of the file is made first (SQLite's online backup API, next to
  the file, named ``<file>.before-<revision>-<UTC time>``), and the returned notes name it;
- a revision this cwdesk does not know (made by a newer release) is refused with ``StoreTooNew``.

On PostgreSQL the check and the upgrade run in one transaction under an advisory lock (PostgreSQL's DDL is
transactional), so two processes starting together upgrade once and a failed upgrade leaves nothing half done.
Not for: the tables themselves (each area's module) or faults and identity (``store.problems``, ``store.identity``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from cwdesk.store.database import sqlite_file
from cwdesk.store.problems import StoreTooNew, hide_password

MIGRATIONS = Path(__file__).with_name("migrations")
BASELINE = "0001"
# A table every store since the first release has: its presence without ``alembic_version`` means "baseline".
_BASELINE_MARK = "jobs"
# Any fixed number: the key of the PostgreSQL advisory lock held while a process checks and upgrades the schema.
_UPGRADE_LOCK = 0x63776465736B  # "cwdesk"


def alembic_config(connection: sa.Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The newest revision this cwdesk knows."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "the package ships at least the baseline migration"
    return head


def known_revisions() -> set[str]:
    return {script.revision for script in ScriptDirectory.from_config(alembic_config()).walk_revisions()}


@dataclass(frozen=True)
class SchemaStatus:
    """Where a store stands: its revision (None: empty or pre-Alembic), and whether it holds our tables."""

    revision: str | None
    has_tables: bool

    @property
    def baseline_without_version(self) -> bool:
        return self.revision is None and self.has_tables


def schema_status(conn: sa.Connection) -> SchemaStatus:
    revision = MigrationContext.configure(conn).get_current_revision()
    return SchemaStatus(revision=revision, has_tables=sa.inspect(conn).has_table(_BASELINE_MARK))


def refuse_if_newer(status: SchemaStatus, url: sa.URL) -> None:
    if status.revision is not None and status.revision not in known_revisions():
        raise StoreTooNew(
            f"The store ({hide_password(url)}) has schema revision {status.revision}, made by a newer cwdesk; this "
            f"cwdesk knows revisions up to {head_revision()}. Upgrade cwdesk, or point it at another store."
        )


def upgrade_store(engine: sa.Engine) -> list[str]:
    """Bring the store to the newest revision; return notes for the user (empty when it was already there)."""
    head = head_revision()
    with engine.connect() as conn:
        status = schema_status(conn)
    refuse_if_newer(status, engine.url)
    if status.revision == head:
        return []
    notes: list[str] = []
    with _upgrade_lock(engine) as conn:
        status = schema_status(conn)  # another process may have upgraded while we waited for the lock
        refuse_if_newer(status, engine.url)
        if status.revision == head:
            return []
        if status.revision is None and not status.has_tables:
            create_new_store(conn)
            return []
        if engine.dialect.name == "sqlite":
            # (Readers may still read while we hold the write lock, so the copy is taken inside it.)
            copy = copy_before_upgrade(engine, status.revision or BASELINE)
            if copy is not None:
                notes.append(f"A copy of the store before the upgrade was saved as {copy}.")
        config = alembic_config(conn)
        if status.baseline_without_version:
            command.stamp(config, BASELINE)
        command.upgrade(config, "head")
    before = status.revision or BASELINE + " (release 44623af, no version table)"
    notes.insert(0, f"Upgraded the store ({hide_password(engine.url)}) from schema revision {before} to {head}.")
    return notes


@contextmanager
def _upgrade_lock(engine: sa.Engine) -> Iterator[sa.Connection]:
    """One transaction holding the store's write lock, so concurrent starts upgrade once and a failure undoes all.

    PostgreSQL: an advisory lock held to the end of the transaction (its DDL is transactional). SQLite: a
    connection of its own on which the driver leaves transactions to us and ``BEGIN IMMEDIATE`` takes the write
    lock at once (SQLAlchemy's pysqlite "serializable isolation / transactional DDL" recipe), so the DDL is part
    of the transaction too.
    """
    file = sqlite_file(engine.url)
    if engine.dialect.name == "sqlite" and file is not None:
        locked = sa.create_engine(engine.url, poolclass=sa.pool.NullPool, connect_args={"timeout": 60})

        @sa.event.listens_for(locked, "connect")
        def _driver_leaves_transactions_to_us(dbapi_connection: Any, _record: object) -> None:
            dbapi_connection.isolation_level = None

        @sa.event.listens_for(locked, "begin")
        def _take_the_write_lock(conn: sa.Connection) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        try:
            with locked.begin() as conn:
                yield conn
        finally:
            locked.dispose()
        return
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _UPGRADE_LOCK})
        yield conn


def create_new_store(conn: sa.Connection) -> None:
    """An empty database gets today's tables and its identity, stamped at the newest revision.

    The Alembic cookbook's "building an up to date database from scratch" (``create_all``, then ``stamp head``):
    faster than replaying every revision, and tests/store/test_migrations.py checks that both give one schema.
    """
    from cwdesk.store import identity, load_tables
    from cwdesk.store.database import metadata

    load_tables()
    metadata.create_all(conn)
    command.stamp(alembic_config(conn), "head")
    identity.new_identity(conn)


def copy_before_upgrade(engine: sa.Engine, revision: str) -> Path | None:
    """A consistent copy of a SQLite store file next to it (None for an in-memory database)."""
    source = sqlite_file(engine.url)
    if source is None:
        return None
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = source.with_name(f"{source.name}.before-{revision}-{stamp}")
    backup_sqlite(source, target)
    return target


def backup_sqlite(source: Path, target: Path) -> None:
    """Copy a SQLite database with its online backup API (consistent even while other processes write)."""
    with sqlite3.connect(source) as live, sqlite3.connect(target) as copy:
        live.backup(copy)
    live.close()
    copy.close()


__all__ = ["BASELINE", "MIGRATIONS", "SchemaStatus", "head_revision", "schema_status", "upgrade_store"]
