"""Where the store is, and whether a SQLite store is ready as it is, answered without SQLAlchemy (``store.location``).

A command that only paces from the shared rate limit uses a ready store's file directly; any other store (new,
older, not ours, damaged, PostgreSQL) is left to the full opening, which creates, upgrades or refuses it.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from cwdesk.errors import ConfigurationError
from cwdesk.store import open_database, schema
from cwdesk.store.location import migration_head, ready_sqlite_file, sqlite_path


def _store(folder: Path) -> tuple[str, Path]:
    folder.mkdir(mode=0o700, exist_ok=True)
    file = folder / "cwdesk.db"
    url = f"sqlite:///{file}"
    open_database(url).dispose()
    return url, file


def test_the_newest_revision_read_from_the_migration_files_is_alembics_head() -> None:
    assert migration_head() == schema.head_revision()


def test_a_store_at_the_newest_revision_is_ready(tmp_path: Path) -> None:
    url, file = _store(tmp_path / "data")
    assert ready_sqlite_file(url) == file


def test_a_missing_or_empty_file_is_not_ready_and_is_not_created(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir(mode=0o700)
    missing = folder / "cwdesk.db"
    assert ready_sqlite_file(f"sqlite:///{missing}") is None
    assert not missing.exists()  # (the full opening decides: a new store, or a vanished one refused)
    missing.touch(mode=0o600)
    assert ready_sqlite_file(f"sqlite:///{missing}") is None


def test_an_older_store_is_not_ready_so_the_full_opening_upgrades_it(tmp_path: Path) -> None:
    url, file = _store(tmp_path / "data")
    with sqlite3.connect(file) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0004'")
    assert ready_sqlite_file(url) is None


def test_a_file_that_is_not_a_store_is_not_ready(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir(mode=0o700)
    other = folder / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE t (x)")
    other.chmod(0o600)
    assert ready_sqlite_file(f"sqlite:///{other}") is None
    garbage = folder / "garbage.db"
    garbage.write_bytes(b"not a database at all" * 100)
    garbage.chmod(0o600)
    assert ready_sqlite_file(f"sqlite:///{garbage}") is None


def test_a_store_others_may_read_is_refused_as_by_the_full_opening(tmp_path: Path) -> None:
    url, file = _store(tmp_path / "data")
    file.chmod(0o644)
    with pytest.raises(ConfigurationError):
        ready_sqlite_file(url)


def test_urls_other_than_a_plain_sqlite_file_take_the_full_path() -> None:
    assert sqlite_path("sqlite:////var/lib/cwdesk/cwdesk.db") == Path("/var/lib/cwdesk/cwdesk.db")
    assert sqlite_path("postgresql+psycopg://cwdesk@db/cwdesk") is None
    assert sqlite_path("sqlite://") is None
    assert sqlite_path("sqlite:///:memory:") is None
    assert sqlite_path("sqlite:///file:x.db?mode=ro&uri=true") is None
    assert sqlite_path("sqlite:///x.db?timeout=5") is None


def test_pacing_from_a_ready_store_imports_no_sqlalchemy_or_alembic(tmp_path: Path) -> None:
    url, _ = _store(tmp_path / "data")
    probe = (
        "import sys\n"
        "from cwdesk.store.location import ready_sqlite_file\n"
        "from cwdesk.store.shared_throttle import SqlitePacingStore\n"
        f"file = ready_sqlite_file({url!r})\n"
        "store = SqlitePacingStore(file)\n"
        "assert store.update('k', lambda old: ('{}', old)) is None\n"
        "assert store.update('k', lambda old: ('{}', old)) == '{}'\n"
        "print(sorted(m for m in ('sqlalchemy', 'alembic') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout.split() == ["[]"]
