"""W6 from the shell: cwdesk sync KIND|all, incremental, with exit codes 0 / 3 / 1."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from cwdesk.cli.app import app
from cwdesk.sandbox import Sandbox


def test_sync_all_reads_every_kind_then_only_changes(runner: CliRunner, on_sandbox: Sandbox) -> None:
    first = runner.invoke(app, ["sync", "all", "--output", "json"])
    assert first.exit_code == 0, first.stderr
    rows = {row["kind"]: row for row in json.loads(first.stdout)}
    assert set(rows) == {"companies", "contacts", "agreements", "members"}
    assert all(row["mode"] == "full" and row["created"] > 0 for row in rows.values())
    again = runner.invoke(app, ["sync", "companies", "--output", "json"])
    (row,) = json.loads(again.stdout)
    assert row["mode"] == "incremental"
    assert row["created"] + row["updated"] == 0


def test_a_kind_that_fails_makes_the_run_partial(runner: CliRunner, on_sandbox: Sandbox) -> None:
    on_sandbox.faults.fail_next(method="GET", path_contains="/finance/agreements", status=403, count=1)
    result = runner.invoke(app, ["sync", "all", "--output", "json"])
    assert result.exit_code == 3
    rows = {row["kind"]: row for row in json.loads(result.stdout)}
    assert rows["agreements"]["state"] == "failed"
    assert rows["companies"]["state"] == "succeeded"
    assert "agreements" in result.stderr


def test_a_single_failing_kind_exits_1(runner: CliRunner, on_sandbox: Sandbox) -> None:
    on_sandbox.faults.fail_next(method="GET", path_contains="/system/members", status=403, count=1)
    result = runner.invoke(app, ["sync", "members"])
    assert result.exit_code == 1
    assert "members" in result.stderr
