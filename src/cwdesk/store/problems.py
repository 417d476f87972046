"""What can go wrong with the app's own database, each as one line that says what happened and what to do.

``StoreError`` (and its kinds) is raised by ``open_database`` at start-up (corrupt, vanished, replaced, too new);
``describe_database_error`` turns a driver error met later (disk full, read-only, a lost PostgreSQL connection) into
the same kind of line. The CLI prints the line and exits (2 when the store must be fixed before anything can run,
1 when one operation failed); the console prints it at start-up. Never a traceback, never a password: URLs are
shown with ``hide_password``.

The SQLite messages matched here are SQLite's own result-code texts (``sqlite3ErrStr`` in sqlite/sqlite
``src/main.c``; each one is also produced for real by tests/store/test_store_faults.py: SQLITE_FULL "database or
disk is full", SQLITE_READONLY "attempt to write a readonly database", SQLITE_NOTADB "file is not a database",
SQLITE_CORRUPT "database disk image is malformed", SQLITE_CANTOPEN "unable to open database file"), which Python's
``sqlite3`` passes through as the exception text. PostgreSQL's lost connection is psycopg's ``OperationalError``
("server closed the connection unexpectedly", "connection refused", "terminating connection due to administrator
command" for a server restart).
Not for: the schema version (``store.schema``) or the store's identity (``store.identity``), which raise these.
"""

from __future__ import annotations

import errno
import sqlite3
from urllib.parse import unquote

import sqlalchemy as sa

EXIT_STORE_UNUSABLE = 2  # the store must be repaired or restored before any command can run
EXIT_STORE_OPERATION = 1  # one operation failed (disk full, read-only, connection lost): retry after the fix


class StoreError(Exception):
    """The app's database cannot be used as it is; ``str()`` is the one line to show."""

    exit_code = EXIT_STORE_UNUSABLE


class StoreCorrupt(StoreError):
    """The integrity check failed, or the file is not a database."""


class StoreVanished(StoreError):
    """The store this machine used before is gone; it is not silently recreated empty."""


class StoreReplaced(StoreError):
    """The database at the configured place is not the store this machine used before."""


class StoreTooNew(StoreError):
    """The store was upgraded by a newer cwdesk; this version does not know its schema."""


class StoreUnavailable(StoreError):
    """The database cannot be reached or written now (disk full, read-only, connection lost)."""

    exit_code = EXIT_STORE_OPERATION


def hide_password(url: str | sa.URL) -> str:
    """The URL as it may be shown: any password replaced by ``***`` (a SQLite path unescaped, as the user typed it)."""
    shown = sa.make_url(url).render_as_string(hide_password=True)
    return unquote(shown) if shown.startswith("sqlite") else shown


def describe_database_error(
    error: BaseException, url: str | sa.URL | None = None, *, raised_by_store: bool = False
) -> StoreError | None:
    """The ``StoreError`` a driver error stands for, or None when it is not a storage problem (a bug: let it show).

    ``raised_by_store``: the error came out of the store's own code (start-up, backup), so a file error (the copy
    before an upgrade, the identity note) or a bare ``sqlite3`` error (the online backup API) is the store's too.
    Elsewhere (any CLI command) those may be anything else's: a missing plan file, the sandbox's own SQLite.
    """
    if isinstance(error, StoreError):
        return error
    where = f" ({hide_password(url)})" if url is not None else ""
    if raised_by_store and isinstance(error, OSError):
        return _describe_os_error(error, where)
    if isinstance(error, sa.exc.DBAPIError):
        driver_error: BaseException = error.orig or error
        invalidated = error.connection_invalidated
    elif raised_by_store and isinstance(error, sqlite3.Error):
        driver_error, invalidated = error, False
    else:
        return None
    # The driver's own first line (SQLAlchemy adds the statement and parameters after it: never shown).
    lines = str(driver_error).strip().splitlines()
    text = lines[0] if lines else type(driver_error).__name__
    lowered = text.lower()
    if "database or disk is full" in lowered or "no space left" in lowered or "disk full" in lowered:
        return StoreUnavailable(
            f"The store{where} could not be written: the disk is full. Free some space (or move the data folder), "
            "then run the command again; nothing was half-written."
        )
    if "readonly database" in lowered or "read-only" in lowered or "read only" in lowered:
        return StoreUnavailable(
            f"The store{where} is read-only: cwdesk can read it but not save changes. Make the file and its folder "
            "writable by this user (or mount them read-write), then run the command again."
        )
    if "file is not a database" in lowered or "malformed" in lowered:
        return StoreCorrupt(
            f"The store{where} is damaged ({text}). Restore it from a backup (`cwdesk store backup` makes one), "
            "or move the file away and run `cwdesk store adopt` to start an empty store."
        )
    if "unable to open database file" in lowered:
        return StoreUnavailable(
            f"The store{where} cannot be opened: its folder is missing or not accessible. Check the path and the "
            "folder's permissions (CWDESK_HOME or CWDESK_DATABASE_URL)."
        )
    # sqlite3 raises OperationalError for a missing table or a syntax error too (bugs, shown as such); from a
    # server's driver (psycopg) it means the connection failed or was cut.
    from_sqlite = type(driver_error).__module__.startswith("sqlite3")
    connection_error = isinstance(error, sa.exc.OperationalError | sa.exc.InterfaceError) and not from_sqlite
    if connection_error or invalidated:
        return StoreUnavailable(
            f"The connection to the store{where} was lost or refused ({_short(text)}). Check that the database "
            "server is running and reachable, then run the command again (a running job can be resumed)."
        )
    return None


def _describe_os_error(error: OSError, where: str) -> StoreError:
    place = f" ({error.filename})" if error.filename else ""
    if error.errno == errno.ENOSPC:
        return StoreUnavailable(
            f"A file of the store{where} could not be written{place}: the disk is full. Free some space, then run "
            "the command again."
        )
    if error.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return StoreUnavailable(
            f"A file of the store{where} could not be written{place}: {error.strerror or 'permission denied'}. Make "
            "the folder writable by this user (or mount it read-write), then run the command again."
        )
    return StoreUnavailable(f"A file of the store{where} could not be used{place}: {error.strerror or error}.")


def _short(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


__all__ = [
    "EXIT_STORE_OPERATION",
    "EXIT_STORE_UNUSABLE",
    "StoreCorrupt",
    "StoreError",
    "StoreReplaced",
    "StoreTooNew",
    "StoreUnavailable",
    "StoreVanished",
    "describe_database_error",
    "hide_password",
]
