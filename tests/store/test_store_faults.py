"""A store that fails loudly and safely (issue 13 item 4): each fault is one line saying what happened and what to
do; a deleted or replaced store is refused, never recreated empty; a damaged one is caught at start-up."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from cwdesk.store import open_database
from cwdesk.store.accounts import console_audit_log
from cwdesk.store.problems import (
    StoreCorrupt,
    StoreReplaced,
    StoreUnavailable,
    StoreVanished,
    describe_database_error,
)


@pytest.fixture(autouse=True)
def _home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("CWDESK_HOME", str(home))
    monkeypatch.delenv("CWDESK_DATABASE_URL", raising=False)
    return home


def _one_line(error: BaseException) -> str:
    text = str(error)
    assert "\n" not in text and "Traceback" not in text
    return text


def _audit_row(engine: sa.Engine, n: int = 1) -> None:
    from datetime import UTC, datetime

    with engine.begin() as conn:
        for _ in range(n):
            conn.execute(
                console_audit_log.insert().values(
                    at=datetime.now(UTC), username="admin", role="admin", action="x" * 60, target="t" * 200,
                    detail="{}", result="ok", message="m" * 2000,
                )
            )  # fmt: skip


def test_a_deleted_store_is_refused_not_recreated_empty(_home: Path) -> None:
    open_database().dispose()
    (_home / "cwdesk.db").unlink()
    with pytest.raises(StoreVanished) as refused:
        open_database()
    message = _one_line(refused.value)
    assert "is gone" in message and "cwdesk store adopt" in message
    assert not (_home / "cwdesk.db").exists()


def test_a_replaced_store_is_refused(_home: Path, tmp_path: Path) -> None:
    open_database().dispose()
    other = open_database(f"sqlite:///{tmp_path / 'other.db'}")
    other.dispose()
    shutil.copy(tmp_path / "other.db", _home / "cwdesk.db")
    with pytest.raises(StoreReplaced) as refused:
        open_database()
    assert "is not the one this machine used" in _one_line(refused.value)


def test_a_file_replaced_by_garbage_is_reported_damaged(_home: Path) -> None:
    open_database().dispose()
    (_home / "cwdesk.db").write_bytes(b"this is not a database at all " * 100)
    with pytest.raises(StoreCorrupt) as refused:
        open_database()
    assert "is damaged (file is not a database)" in _one_line(refused.value)


def test_damaged_pages_fail_the_integrity_check_at_start_up(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'damaged.db'}"
    engine = open_database(url)
    _audit_row(engine, 200)
    engine.dispose()
    with sqlite3.connect(tmp_path / "damaged.db") as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.close()
    # Keep the header page, scribble over the b-tree pages after it.
    with open(tmp_path / "damaged.db", "r+b") as file:
        for page in range(2, pages, 3):
            file.seek(page * page_size + 8)
            file.write(b"\xff" * 64)
    with pytest.raises(StoreCorrupt) as refused:
        open_database(url)
    message = _one_line(refused.value)
    assert "damaged" in message or "failed its integrity check" in message


def test_a_read_only_store_opens_for_reading_and_a_write_says_read_only(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    open_database(f"sqlite:///{path}").dispose()
    read_only = open_database(f"sqlite:///file:{path}?mode=ro&uri=true")
    with read_only.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(console_audit_log)).scalar_one() == 0
    with pytest.raises(sa.exc.OperationalError) as failed:
        _audit_row(read_only)
    problem = describe_database_error(failed.value, read_only.url)
    assert isinstance(problem, StoreUnavailable)
    assert f"The store (sqlite:///file:{path}?mode=ro&uri=true) is read-only" in _one_line(problem)
    read_only.dispose()


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path | None]:
    """A 1 MiB tmpfs when this process may mount one (root with CAP_SYS_ADMIN), else None."""
    folder = tmp_path / "small-disk"
    folder.mkdir()
    mounted = (
        os.geteuid() == 0
        and shutil.which("mount") is not None
        and subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(folder)], capture_output=True
        ).returncode
        == 0
    )
    yield folder if mounted else None
    if mounted:
        subprocess.run(["umount", str(folder)], check=True)


def test_a_full_disk_is_one_line_and_nothing_half_written(small_disk: Path | None, tmp_path: Path) -> None:
    folder = small_disk or tmp_path
    engine = open_database(f"sqlite:///{folder / 'store.db'}")
    if small_disk is None:
        # No tmpfs here: SQLite's page limit gives the same SQLITE_FULL as a full disk.
        @sa.event.listens_for(engine, "connect")
        def _cap(dbapi_connection: object, _record: object) -> None:
            dbapi_connection.execute("PRAGMA max_page_count = 64")  # type: ignore[attr-defined]

        engine.dispose()
    with pytest.raises(sa.exc.OperationalError) as failed:
        _audit_row(engine, 2000)
    problem = describe_database_error(failed.value, engine.url)
    assert isinstance(problem, StoreUnavailable)
    assert "the disk is full" in _one_line(problem)
    # The transaction was rolled back as a whole: no row of it is in the store.
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(console_audit_log)).scalar_one() == 0
    engine.dispose()


def test_an_unreachable_postgres_is_one_line_naming_the_server_not_the_password() -> None:
    engine = sa.create_engine("postgresql+psycopg://cwdesk:s3cret-pass@127.0.0.1:1/cwdesk")
    with pytest.raises(sa.exc.OperationalError) as failed:
        engine.connect()
    problem = describe_database_error(failed.value, engine.url)
    assert isinstance(problem, StoreUnavailable)
    message = _one_line(problem)
    assert "was lost or refused" in message and "127.0.0.1" in message
    assert "s3cret-pass" not in message and "***" in message


def test_a_bug_is_not_dressed_up_as_a_storage_fault(tmp_path: Path) -> None:
    engine = open_database(f"sqlite:///{tmp_path / 'x.db'}")
    # sqlite3 raises OperationalError for a missing table as well: that is a bug, and keeps its traceback.
    with pytest.raises(sa.exc.OperationalError) as failed, engine.connect() as conn:
        conn.execute(sa.text("SELECT nonsense FROM no_such_table"))
    assert describe_database_error(failed.value, engine.url) is None
    assert describe_database_error(ValueError("not a database error")) is None
    engine.dispose()
