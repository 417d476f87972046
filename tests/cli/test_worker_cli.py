"""``cwdesk worker``: what one look prints, ``--max-jobs`` (queued jobs at a time), and refusals of bad options.
Across real processes: tests/reliability/test_queue_and_schedules_across_processes.py."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from cwdesk.cli.app import app
from cwdesk.sandbox import Sandbox


def _queue_bulk(runner: CliRunner, company: int) -> int:
    queued = runner.invoke(
        app, ["bulk", "contacts", "--companies", str(company), "--set", "relationship=Owner", "--queue"]
    )
    assert queued.exit_code == 0, queued.output
    return int(queued.stdout.strip())


def test_a_worker_runs_no_more_queued_jobs_than_max_jobs(runner: CliRunner, on_sandbox: Sandbox) -> None:
    job_ids = [_queue_bulk(runner, company) for company in (1, 2, 3)]

    looked = runner.invoke(app, ["worker", "--once", "--max-jobs", "2"])

    assert looked.exit_code == 0, looked.output
    assert [line for line in looked.stdout.splitlines() if line.startswith("Running queued job")] == [
        f"Running queued job {job_ids[0]}.",
        f"Running queued job {job_ids[1]}.",
    ]
    states = {job["id"]: job["state"] for job in json.loads(runner.invoke(app, ["jobs", "list", "-o", "json"]).stdout)}
    assert states == {job_ids[0]: "succeeded", job_ids[1]: "succeeded", job_ids[2]: "queued"}


def test_a_worker_with_nothing_to_do_says_so(runner: CliRunner, on_sandbox: Sandbox) -> None:
    looked = runner.invoke(app, ["worker", "--once"])
    assert looked.exit_code == 0 and "No queued job, no schedule due." in looked.stdout


def test_max_jobs_below_one_is_refused(runner: CliRunner, on_sandbox: Sandbox) -> None:
    refused = runner.invoke(app, ["worker", "--once", "--max-jobs", "0"])
    assert refused.exit_code == 2 and "--max-jobs must be 1 or more" in refused.output
