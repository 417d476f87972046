"""Where the app's database is, and whether a SQLite store is ready as it is, answered without SQLAlchemy or Alembic.

``database_url()`` is the one rule for the store's place: ``CWDESK_DATABASE_URL`` when set, else ``cwdesk.db`` in
the data folder. ``ready_sqlite_file()`` tells a command that needs nothing of the store but the shared rate limit
(``cwdesk companies count``, any one-call command) whether it may use the SQLite file directly with the standard
library's ``sqlite3``: the file exists and is private, and its ``alembic_version`` row is the newest revision this
cwdesk ships. Anything else (PostgreSQL, a new, older, newer, locked or damaged store) answers ``None``, and the
caller opens the store the full way (``store.database.open_database``: integrity and identity checks, the upgrade,
or a one-line refusal). Importing SQLAlchemy and Alembic costs 150-250 ms of a command's start (P7c,
docs/cli.md "Start-up"); this module costs none of it.

The newest revision is read from the migration files themselves (``revision = "NNNN"`` and ``down_revision``),
not from a copy: a new migration counts here the moment it is added. tests/store/test_location.py checks that the
answer is Alembic's own ``ScriptDirectory.get_current_head()``.

Not for: opening, checking or upgrading the store (``store.database``, ``store.schema``), or the tables.
"""

from __future__ import annotations

import os
import re
import sqlite3
from contextlib import closing
from functools import cache
from pathlib import Path

from cwdesk.home import data_dir
from cwdesk.private_files import prepare_database, private_folder

__all__ = ["database_url", "migration_head", "ready_sqlite_file", "sqlite_path"]

MIGRATION_VERSIONS = Path(__file__).with_name("migrations") / "versions"
_REVISION = re.compile(r"^revision\s*(?::[^=]*)?=\s*['\"]([^'\"]+)['\"]", re.MULTILINE)
_DOWN_REVISION = re.compile(r"^down_revision\s*(?::[^=]*)?=\s*(?:['\"]([^'\"]+)['\"]|None)", re.MULTILINE)


def database_url() -> str:
    """``CWDESK_DATABASE_URL`` when set, else a SQLite file in the data folder."""
    url = os.environ.get("CWDESK_DATABASE_URL")
    if url:
        return url
    folder = private_folder(data_dir())  # 0700, a wider existing one refused (issue 14)
    return f"sqlite:///{folder / 'cwdesk.db'}"


def sqlite_path(url: str) -> Path | None:
    """The file of a plain ``sqlite:///PATH`` URL; None for anything else (another server, memory, a ``file:`` URI
    or query options: those take the full path, which understands them)."""
    prefix = "sqlite:///"
    if not url.startswith(prefix):
        return None
    database = url[len(prefix) :]
    if not database or database == ":memory:" or database.startswith("file:") or "?" in database:
        return None
    return Path(database)


@cache
def migration_head() -> str | None:
    """The newest revision among the shipped migration files: the one no other names as its ``down_revision``.

    None when the files do not show exactly one (a branch, an unreadable file): the caller then asks Alembic.
    """
    revisions: set[str] = set()
    parents: set[str] = set()
    for script in MIGRATION_VERSIONS.glob("*.py"):
        text = script.read_text(encoding="utf-8")
        found = _REVISION.search(text)
        if found is None:
            continue  # (``__init__.py``)
        revisions.add(found.group(1))
        parent = _DOWN_REVISION.search(text)
        if parent is None:
            return None
        if parent.group(1):
            parents.add(parent.group(1))
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def ready_sqlite_file(url: str | None = None) -> Path | None:
    """The store's SQLite file when it can be used as it is (see the module docstring), else None.

    Raises ``ConfigurationError`` for a file or folder others may read, as the full opening does.
    """
    target = url or database_url()
    file = sqlite_path(target)
    if file is None or not file.is_file() or file.stat().st_size == 0:
        return None
    prepare_database(target)  # the file exists: this only refuses it (or its -wal/-shm) when others may read it
    head = migration_head()
    if head is None:
        return None
    try:
        with closing(sqlite3.connect(file, timeout=5)) as conn:
            versions = [str(row[0]) for row in conn.execute("SELECT version_num FROM alembic_version")]
    except sqlite3.Error:
        return None  # (no version table, locked for long, not a database: the full opening says what it is)
    return file if versions == [head] else None
