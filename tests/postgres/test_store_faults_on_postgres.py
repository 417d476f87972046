"""The store on a real PostgreSQL when connections are cut (issue 13 item 4): pool_pre_ping replaces a connection
the server dropped (a restart, an admin's pg_terminate_backend); ``cwdesk store backup`` runs pg_dump without the
password on its command line; ``cwdesk store check`` reads the store without changing it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from cwdesk.cli.app import app
from cwdesk.store import open_database
from cwdesk.store.jobs import jobs
from cwdesk.store.maintenance import libpq_url


@pytest.fixture(autouse=True)
def _home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CWDESK_HOME", str(tmp_path / "home"))


def _terminate_other_connections(url: str) -> int:
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with admin.connect() as conn:
        ended = conn.execute(
            sa.text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ).scalar_one()
    admin.dispose()
    return int(ended)


def test_connections_cut_by_the_server_are_replaced_not_reported(postgres_database: str) -> None:
    engine = open_database(postgres_database)
    with engine.connect() as conn:
        conn.execute(sa.select(sa.func.count()).select_from(jobs)).scalar_one()
    # The pooled connection is now idle in the pool; the server ends it (as a restart would).
    assert _terminate_other_connections(postgres_database) >= 1
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(jobs)).scalar_one() == 0
    engine.dispose()


def test_store_check_and_backup_on_postgres(postgres_database: str, tmp_path: Path) -> None:
    open_database(postgres_database, check_identity=True).dispose()
    runner = CliRunner()
    env = {"CWDESK_DATABASE_URL": postgres_database}
    checked = runner.invoke(app, ["store", "check"], env=env)
    assert checked.exit_code == 0, checked.output
    assert [line.split()[:2] for line in checked.output.splitlines()] == [
        ["ok", "store"],
        ["ok", "schema"],
        ["ok", "identity"],
    ]
    target = tmp_path / "store.dump"
    backed_up = runner.invoke(app, ["store", "backup", str(target)], env=env)
    if shutil.which("pg_dump") is None:
        assert backed_up.exit_code == 1 and "pg_dump is not installed here" in backed_up.output
        return
    assert backed_up.exit_code == 0, backed_up.output
    listing = subprocess.run(["pg_restore", "--list", str(target)], capture_output=True, text=True, check=True)
    assert "TABLE public jobs" in listing.stdout and "TABLE public store_identity" in listing.stdout


def test_pg_dump_gets_the_url_without_the_password() -> None:
    url = sa.make_url("postgresql+psycopg://cwdesk:s3cret@db.example:5432/cwdesk")
    assert libpq_url(url) == "postgresql://cwdesk@db.example:5432/cwdesk"
