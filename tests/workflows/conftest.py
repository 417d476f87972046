"""Fixtures of the workflow tests: a fresh app database per test, under a temporary CWDESK_HOME; an Automate
client on the demo sandbox."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from cwdesk._http.throttle import reset_throttles
from cwdesk.automate import AutomateClient
from cwdesk.sandbox.server import Sandbox
from cwdesk.store import open_database


@pytest.fixture
def engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[sa.Engine]:
    monkeypatch.setenv("CWDESK_HOME", str(tmp_path))
    monkeypatch.delenv("CWDESK_DATABASE_URL", raising=False)
    db = open_database(f"sqlite:///{tmp_path / 'jobs.db'}")
    yield db
    db.dispose()


@pytest.fixture
def cwa(sandbox: Sandbox) -> Iterator[AutomateClient]:
    """An Automate SDK client on the demo sandbox (no waiting between retries)."""
    reset_throttles()
    with AutomateClient(**sandbox.automate_credentials, transport=sandbox.transport(), sleep=lambda _: None) as client:
        yield client
