"""Fixtures of the workflow tests: a fresh app database per test, under a temporary CWDESK_HOME."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from cwdesk.store import open_database


@pytest.fixture
def engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[sa.Engine]:
    monkeypatch.setenv("CWDESK_HOME", str(tmp_path))
    monkeypatch.delenv("CWDESK_DATABASE_URL", raising=False)
    db = open_database(f"sqlite:///{tmp_path / 'jobs.db'}")
    yield db
    db.dispose()
