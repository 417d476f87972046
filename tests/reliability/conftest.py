"""Fixtures of the reliability tests: fast retries and fresh throttles for every test, a job database, and a
standalone sandbox + CLI in child processes for the SIGKILL column (helpers in ``harness.py``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from cwdesk._http.throttle import reset_throttles
from cwdesk.store import open_database
from cwdesk.workflows.jobs import runner as job_runner
from tests.loopback import Served, serve

from .harness import Cli


@pytest.fixture(autouse=True)
def instant_step_retries(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(job_runner, "_sleep", lambda _seconds: None)
    reset_throttles()
    yield
    reset_throttles()


@pytest.fixture
def engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[sa.Engine]:
    monkeypatch.setenv("CWDESK_HOME", str(tmp_path))
    monkeypatch.delenv("CWDESK_DATABASE_URL", raising=False)
    db = open_database(f"sqlite:///{tmp_path / 'jobs.db'}")
    yield db
    db.dispose()


@pytest.fixture
def served_sandbox(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Served]:
    """``cwdesk sandbox serve`` (demo data, 40 ms latency, unless the test is marked ``sandbox_args``)."""
    marker = request.node.get_closest_marker("sandbox_args")
    extra = list(marker.args) if marker else ["--seed", "demo", "--latency", "40"]
    with serve(tmp_path / "server-home", *extra) as served:
        yield served


@pytest.fixture
def cli(tmp_path: Path, served_sandbox: Served) -> Cli:
    return Cli.on(served_sandbox, tmp_path / "cli-home")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "sandbox_args(*args): arguments of `cwdesk sandbox serve` for served_sandbox")
