"""Opening the app's database: the URL rule, the engine, and table creation.

Not for: the tables themselves (each area's module defines its own on ``metadata``).
"""

from __future__ import annotations

import os

import sqlalchemy as sa

from cwdesk.home import data_dir
from cwdesk.private_files import prepare_database, private_folder

metadata = sa.MetaData()


def database_url() -> str:
    """``CWDESK_DATABASE_URL`` when set, else a SQLite file in the data folder."""
    url = os.environ.get("CWDESK_DATABASE_URL")
    if url:
        return url
    folder = private_folder(data_dir())  # 0700, a wider existing one refused (issue 14)
    return f"sqlite:///{folder / 'cwdesk.db'}"


def open_database(url: str | None = None) -> sa.Engine:
    """An engine on ``url`` (default: ``database_url()``) with every table created."""
    target = url or database_url()
    prepare_database(target)  # a SQLite file created 0600 (its -wal/-shm follow), a wider one refused
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
        engine = sa.create_engine(target, pool_pre_ping=True)
    metadata.create_all(engine)
    return engine
