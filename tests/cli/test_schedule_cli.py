"""``cwdesk schedule add|list|remove`` and ``--queue`` on ``bulk contacts`` / ``onboard``: what each prints, and
the clear refusals of bad input (exit code 2). Running them in other processes: tests/reliability/
test_queue_and_schedules_across_processes.py."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from cwdesk.cli.app import app
from cwdesk.sandbox import Sandbox


def test_schedule_add_list_and_remove(runner: CliRunner, on_sandbox: Sandbox) -> None:
    added = runner.invoke(app, ["schedule", "add", "sync", "--every", "15m", "--kind", "companies"])
    assert added.exit_code == 0, added.output
    assert "Schedule 1: sync companies every 15m, first run now." in added.output

    listed = runner.invoke(app, ["schedule", "list", "-o", "json"])
    (row,) = json.loads(listed.output)
    assert row["what"] == "sync companies" and row["every"] == "15m" and row["runs"] == 0
    assert row["target"] and "sandbox-private" not in listed.output  # the target names the site, never a key

    removed = runner.invoke(app, ["schedule", "remove", "1"])
    assert removed.exit_code == 0 and "Removed schedule 1 (sync companies every 15m)." in removed.output
    assert "No schedules" in runner.invoke(app, ["schedule", "list"]).output


def test_schedule_add_with_a_bad_period_or_kind_is_refused_with_exit_2(runner: CliRunner, on_sandbox: Sandbox) -> None:
    short = runner.invoke(app, ["schedule", "add", "sync", "--every", "20s"])
    assert short.exit_code == 2 and "shorter than one minute" in short.output
    unitless = runner.invoke(app, ["schedule", "add", "sync", "--every", "15"])
    assert unitless.exit_code == 2 and "like 15m, 2h or 1d" in unitless.output
    kind = runner.invoke(app, ["schedule", "add", "sync", "--every", "15m", "--kind", "tickets"])
    assert kind.exit_code == 2 and "not a kind of sync" in kind.output
    task = runner.invoke(app, ["schedule", "add", "backup", "--every", "15m"])
    assert task.exit_code == 2 and "tasks that can be scheduled are sync" in task.output


def test_removing_a_schedule_that_is_not_there_says_how_to_list_them(runner: CliRunner, on_sandbox: Sandbox) -> None:
    missing = runner.invoke(app, ["schedule", "remove", "7"])
    assert missing.exit_code == 1 and "No schedule 7: `cwdesk schedule list`" in missing.output


def test_bulk_contacts_queue_prints_the_job_id_and_runs_nothing(runner: CliRunner, on_sandbox: Sandbox) -> None:
    before = len(on_sandbox.requests)
    queued = runner.invoke(app, ["bulk", "contacts", "--companies", "1", "--set", "relationship=Owner", "--queue"])

    assert queued.exit_code == 0, queued.output
    assert queued.stdout.strip() == "1"
    shown = json.loads(runner.invoke(app, ["jobs", "show", "1", "-o", "json"]).stdout)
    assert shown["state"] == "queued"
    assert not [r for r in on_sandbox.requests[before:] if r.method == "PATCH"]


def test_queue_with_dry_run_is_refused(runner: CliRunner, on_sandbox: Sandbox) -> None:
    both = runner.invoke(app, ["bulk", "contacts", "--companies", "1", "--set", "type=x", "--queue", "--dry-run"])
    assert both.exit_code == 2 and "--queue and --dry-run do not go together" in both.output
