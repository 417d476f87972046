"""Schema migrations (issue 13 item 3) on a real PostgreSQL: today's release and a store made before 309e49a open
upgraded with their users, jobs, audit log and synced records; a second process starting at once waits, then finds
nothing left to do."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from cwdesk.store import metadata, open_database, schema
from cwdesk.store.database import create_engine
from cwdesk.store.problems import StoreTooNew, StoreVanished
from tests.store.old_stores import assert_old_rows_kept, build_old_store


@pytest.fixture(autouse=True)
def _home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CWDESK_HOME", str(tmp_path / "home"))


@pytest.mark.parametrize("release", ["release_44623af", "before_309e49a"])
def test_postgres_store_of_an_older_release_opens_upgraded_with_its_data(
    release: str, postgres_database: str, caplog: pytest.LogCaptureFixture
) -> None:
    old = create_engine(postgres_database)
    build_old_store(old, release)
    with old.connect() as conn:
        before = {c["name"]: str(c["type"]) for c in sa.inspect(conn).get_columns("sync_records")}["data"]
    old.dispose()
    assert before == ("TEXT" if release == "release_44623af" else "JSON")
    with caplog.at_level(logging.WARNING, logger="cwdesk.store"):
        engine = open_database(postgres_database, check_identity=True)
    assert f"to {schema.head_revision()}" in caplog.text
    with engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() == schema.head_revision()
        assert list(compare_metadata(MigrationContext.configure(conn), metadata)) == []
    assert_old_rows_kept(engine)
    engine.dispose()


def test_two_processes_opening_an_old_postgres_store_at_once_upgrade_it_once(postgres_database: str) -> None:
    old = create_engine(postgres_database)
    build_old_store(old, "before_309e49a")
    old.dispose()
    engines: list[sa.Engine] = []
    errors: list[BaseException] = []

    def start() -> None:
        try:
            engines.append(open_database(postgres_database))
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=start) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert len(engines) == 2
    assert_old_rows_kept(engines[0])
    with engines[0].connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM store_identity")).scalar_one() == 1
    for engine in engines:
        engine.dispose()


def test_postgres_store_from_a_newer_release_is_refused(postgres_database: str) -> None:
    open_database(postgres_database).dispose()
    db = create_engine(postgres_database)
    with db.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '0099'"))
    db.dispose()
    with pytest.raises(StoreTooNew, match="revision 0099, made by a newer cwdesk"):
        open_database(postgres_database)


def test_emptied_postgres_store_is_refused_not_recreated(postgres_database: str) -> None:
    open_database(postgres_database, check_identity=True).dispose()
    db = create_engine(postgres_database)
    with db.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    db.dispose()
    with pytest.raises(StoreVanished, match="is gone") as refused:
        open_database(postgres_database, check_identity=True)
    assert "cwdesk store adopt" in str(refused.value)
    db = create_engine(postgres_database)
    with db.connect() as conn:
        assert sa.inspect(conn).get_table_names() == []
    db.dispose()
