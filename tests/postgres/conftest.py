"""Fixtures of the PostgreSQL runs (O2): a fresh database per test on one real PostgreSQL server.

The server is ``tests/store/conftest.py``'s ``postgres_url`` (``CWDESK_TEST_POSTGRES_URL``, which ``.ci/run`` sets
to a PostgreSQL 15 it starts on loopback, or a throwaway server from local binaries). ``postgres_database`` creates
a database for one test and drops it after, so tests stay independent while the server is shared.

The ``engine`` and ``console`` fixtures here shadow the SQLite ones of ``tests/workflows`` and ``tests/console`` for
the test modules of this folder, which re-run those folders' tests on PostgreSQL without copying them.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi import FastAPI

from cwdesk.console.app import ConsoleSettings, create_app
from cwdesk.console.connections import Connections
from cwdesk.sandbox import Sandbox
from cwdesk.store import open_database
from tests.console.conftest import anonymous, console_sandbox, sign_in  # noqa: F401  (fixtures, re-used as they are)
from tests.store.conftest import postgres_url  # noqa: F401  (the session's server)


@pytest.fixture
def postgres_database(postgres_url: str) -> Iterator[str]:  # noqa: F811
    """The URL of a database made for this test (dropped after, even if a connection was left open)."""
    name = f"cwdesk_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield postgres_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def engine(postgres_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[sa.Engine]:
    monkeypatch.setenv("CWDESK_HOME", str(tmp_path))
    monkeypatch.setenv("CWDESK_DATABASE_URL", postgres_database)
    db = open_database(postgres_database)
    yield db
    db.dispose()


@pytest.fixture
def console(
    console_sandbox: Sandbox,  # noqa: F811
    engine: sa.Engine,
) -> FastAPI:
    return create_app(ConsoleSettings(connections=Connections.on_sandbox(console_sandbox), engine=engine))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).is_relative_to(here):
            item.add_marker(pytest.mark.postgres)
