"""The sandbox's SQLite database: one stdlib ``sqlite3`` connection shared by the Manage and Automate emulators.

Manage tables are ``mg_*`` (the record as JSON plus generated, indexed columns from ``kinds.py``); the Automate
emulator creates its own ``cwa_*`` tables on the same connection. Callers hold ``lock`` around each request.
Not for: the app's own database (that is ``cwdesk.store``, SQLAlchemy) or any ConnectWise rule.
"""

from __future__ import annotations

import sqlite3
import threading

from cwdesk.sandbox.backend.kinds import KINDS


def open_sandbox_db(path: str | None = None) -> sqlite3.Connection:
    """Open (and create if needed) the sandbox database; ``None`` keeps it in memory."""
    db = sqlite3.connect(path or ":memory:", check_same_thread=False, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL" if path else "PRAGMA journal_mode = MEMORY")
    db.execute("PRAGMA synchronous = OFF")
    db.execute("PRAGMA foreign_keys = OFF")
    create_manage_tables(db)
    return db


def create_manage_tables(db: sqlite3.Connection) -> None:
    """Create every ``mg_*`` table and index (idempotent)."""
    for kind in KINDS.values():
        columns = ["id INTEGER PRIMARY KEY", "parent_id INTEGER", "data TEXT NOT NULL"]
        columns += [column.ddl() for column in kind.columns]
        db.execute(f"CREATE TABLE IF NOT EXISTS {kind.table} ({', '.join(columns)})")
        # A database file from an older cwdesk lacks the columns indexed since: SQLite can add generated columns
        # only as VIRTUAL (computed on read), which still answer conditions and take an index.
        present = {row[1] for row in db.execute(f"PRAGMA table_xinfo({kind.table})")}
        for column in kind.columns:
            if column.column not in present:
                db.execute(f"ALTER TABLE {kind.table} ADD COLUMN {column.ddl().replace(' STORED', ' VIRTUAL')}")
        if kind.parent:
            db.execute(f"CREATE INDEX IF NOT EXISTS ix_{kind.table}_parent ON {kind.table} (parent_id)")
        for column in kind.columns:
            if column.boolean:
                continue  # a two-valued index misleads the planner more than it helps; flags filter other indexes
            db.execute(f"CREATE INDEX IF NOT EXISTS ix_{kind.table}_{column.column} ON {kind.table} ({column.column})")
    # Contacts' communication items, one row each, so childConditions (find a contact by e-mail) use an index.
    db.execute(
        "CREATE TABLE IF NOT EXISTS mg_contact_item (contact_id INTEGER NOT NULL, id INTEGER, "
        "type_id INTEGER, type_name TEXT COLLATE NOCASE, communication_type TEXT COLLATE NOCASE, "
        "value TEXT COLLATE NOCASE, extension TEXT, domain TEXT COLLATE NOCASE, default_flag INTEGER)"
    )
    db.execute("CREATE INDEX IF NOT EXISTS ix_mg_contact_item_value ON mg_contact_item (value)")
    db.execute("CREATE INDEX IF NOT EXISTS ix_mg_contact_item_contact ON mg_contact_item (contact_id)")
    # API keys: which member a public/private key pair acts as (its security role decides read-only access).
    db.execute(
        "CREATE TABLE IF NOT EXISTS mg_api_key (company TEXT COLLATE NOCASE, public_key TEXT PRIMARY KEY, "
        "private_key TEXT NOT NULL, member_id INTEGER)"
    )
    db.execute("CREATE TABLE IF NOT EXISTS mg_setting (name TEXT PRIMARY KEY, value TEXT)")


def drop_indexes(db: sqlite3.Connection) -> None:
    """Drop the ``mg_*`` indexes (before a bulk load; ``create_manage_tables`` builds them again)."""
    names = [
        row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'ix_mg_%'")
    ]
    for name in names:
        db.execute(f"DROP INDEX IF EXISTS {name}")


def drop_all(db: sqlite3.Connection) -> None:
    """Drop every table (Manage and Automate) so the database can be rebuilt empty."""
    names = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    for name in names:
        if name.startswith(("mg_", "cwa_")):
            db.execute(f"DROP TABLE IF EXISTS {name}")


class DatabaseLock:
    """The one lock serialising requests on the shared connection (sqlite3 connections are not re-entrant)."""

    def __init__(self) -> None:
        self._lock = threading.RLock()

    def __enter__(self) -> None:
        self._lock.acquire()

    def __exit__(self, *exc: object) -> None:
        self._lock.release()
