"""The queue and the schedules across real processes on PostgreSQL (issue 13, item 1): a job queued by one CLI
process runs on ``cwdesk worker --once`` in another, and a due schedule runs once across two workers started
together. The checks are those of tests/reliability/test_queue_and_schedules_across_processes.py; only the
database differs (``CWDESK_DATABASE_URL`` in every process)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.loopback import Served, serve
from tests.reliability.harness import Cli
from tests.reliability.test_queue_and_schedules_across_processes import (
    check_a_due_schedule_runs_once_across_two_workers,
    check_bulk_queued_by_one_process_runs_on_a_worker,
    check_onboarding_queued_by_one_process_runs_on_a_worker,
)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    with serve(tmp_path / "server-home", "--seed", "demo", "--latency", "40") as served:
        yield served


@pytest.fixture
def cli(tmp_path: Path, served: Served, postgres_database: str) -> Cli:
    return Cli.on(served, tmp_path / "cli-home", CWDESK_DATABASE_URL=postgres_database)


def test_onboarding_queued_on_postgresql_runs_on_a_worker_process(tmp_path: Path, cli: Cli, served: Served) -> None:
    check_onboarding_queued_by_one_process_runs_on_a_worker(tmp_path, cli, served)


def test_bulk_contacts_queued_on_postgresql_runs_on_a_worker_process(cli: Cli, served: Served) -> None:
    check_bulk_queued_by_one_process_runs_on_a_worker(cli, served)


def test_a_due_schedule_on_postgresql_runs_once_across_two_worker_processes(cli: Cli) -> None:
    check_a_due_schedule_runs_once_across_two_workers(cli)
