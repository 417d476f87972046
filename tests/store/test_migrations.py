"""Schema migrations (issue 13 item 3) on SQLite: a store made by an older release opens, upgraded, with its data.

The old stores are built from those releases' SQL (``tests/store/old_stores.py``), never by importing old code.
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from cwdesk.store import metadata, open_database, schema
from cwdesk.store.database import create_engine
from cwdesk.store.problems import StoreTooNew
from tests.store.old_stores import RECORD, assert_old_rows_kept, build_old_store


@pytest.fixture(autouse=True)
def _home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CWDESK_HOME", str(tmp_path / "home"))


def _url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'cwdesk.db'}"


def _revision(engine: sa.Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def _schema_differences(engine: sa.Engine) -> list[object]:
    with engine.connect() as conn:
        return list(compare_metadata(MigrationContext.configure(conn), metadata))


@pytest.mark.parametrize("release", ["release_44623af", "before_309e49a"])
def test_store_of_an_older_release_opens_upgraded_with_its_data(
    release: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    old = create_engine(_url(tmp_path))
    build_old_store(old, release)
    old.dispose()
    with caplog.at_level(logging.WARNING, logger="cwdesk.store"):
        engine = open_database(_url(tmp_path), check_identity=True)
    assert _revision(engine) == schema.head_revision()
    assert _schema_differences(engine) == []
    assert_old_rows_kept(engine)
    # The copy made before the upgrade is named in the output, and holds the store as it was (no version table).
    copies = sorted(tmp_path.glob("cwdesk.db.before-0001-*"))
    assert len(copies) == 1
    assert f"saved as {copies[0]}" in caplog.text
    assert "from schema revision 0001" in caplog.text
    with sqlite3.connect(copies[0]) as copy:
        tables = {row[0] for row in copy.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert "alembic_version" not in tables and "jobs" in tables
    engine.dispose()


def test_json_records_of_a_store_before_309e49a_become_canonical_text(tmp_path: Path) -> None:
    old = create_engine(_url(tmp_path))
    build_old_store(old, "before_309e49a")
    old.dispose()
    engine = open_database(_url(tmp_path))
    with engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT data FROM sync_records")).scalar_one()
        declared = {c["name"]: str(c["type"]) for c in sa.inspect(conn).get_columns("sync_records")}["data"]
    assert declared == "TEXT"
    assert stored == '{"_info":{"lastUpdated":"2026-11-20T09:00:00Z"},"id":17,"name":"Acme Corp"}'
    assert RECORD["name"] == "Acme Corp"
    engine.dispose()


def test_a_store_at_the_newest_revision_opens_without_a_copy_or_a_note(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    open_database(_url(tmp_path)).dispose()
    with caplog.at_level(logging.WARNING, logger="cwdesk.store"):
        engine = open_database(_url(tmp_path))
    assert caplog.text == ""
    assert list(tmp_path.glob("cwdesk.db.before-*")) == []
    engine.dispose()


def test_a_new_store_has_the_same_schema_as_one_upgraded_from_the_baseline(tmp_path: Path) -> None:
    new = open_database(f"sqlite:///{tmp_path / 'new.db'}")
    assert _revision(new) == schema.head_revision()
    assert _schema_differences(new) == []
    replayed = create_engine(f"sqlite:///{tmp_path / 'replayed.db'}")
    with replayed.begin() as conn:
        from alembic import command

        command.upgrade(schema.alembic_config(conn), "head")
    assert _schema_differences(replayed) == []
    new.dispose()
    replayed.dispose()


def test_a_store_from_a_newer_release_is_refused_with_one_line(tmp_path: Path) -> None:
    open_database(_url(tmp_path)).dispose()
    with sqlite3.connect(tmp_path / "cwdesk.db") as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0099'")
    with pytest.raises(StoreTooNew) as refused:
        open_database(_url(tmp_path))
    message = str(refused.value)
    assert "\n" not in message
    assert "revision 0099, made by a newer cwdesk" in message
    assert f"up to {schema.head_revision()}" in message
    assert "Upgrade cwdesk" in message


def test_two_processes_opening_an_old_store_at_once_upgrade_it_once(tmp_path: Path) -> None:
    import threading

    old = create_engine(_url(tmp_path))
    build_old_store(old, "before_309e49a")
    old.dispose()
    engines: list[sa.Engine] = []
    errors: list[BaseException] = []

    def start() -> None:
        try:
            engines.append(open_database(_url(tmp_path)))
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=start) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert len(engines) == 3
    assert len(list(tmp_path.glob("cwdesk.db.before-*"))) == 1  # one upgrade, one copy
    assert_old_rows_kept(engines[0])
    with engines[0].connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM store_identity")).scalar_one() == 1
    for engine in engines:
        engine.dispose()


def test_a_failed_upgrade_leaves_the_store_as_it_was(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    old = create_engine(_url(tmp_path))
    build_old_store(old, "before_309e49a")
    old.dispose()
    from alembic import command

    real_upgrade = command.upgrade

    def upgrade_then_fail(config: object, revision: str) -> None:
        real_upgrade(config, revision)  # type: ignore[arg-type]
        raise RuntimeError("the power went out")

    monkeypatch.setattr(command, "upgrade", upgrade_then_fail)
    with pytest.raises(RuntimeError, match="power went out"):
        open_database(_url(tmp_path))
    monkeypatch.undo()
    check = create_engine(_url(tmp_path))
    with check.connect() as conn:
        tables = set(sa.inspect(conn).get_table_names())
        declared = {c["name"]: str(c["type"]) for c in sa.inspect(conn).get_columns("sync_records")}["data"]
    check.dispose()
    assert "alembic_version" not in tables and "store_identity" not in tables
    assert declared == "JSON"
    engine = open_database(_url(tmp_path))
    assert_old_rows_kept(engine)
    engine.dispose()
