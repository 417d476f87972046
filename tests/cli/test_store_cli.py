"""``cwdesk store check|backup|adopt``, and every command's storage fault as one line with its exit code (issue 13
item 4): 2 when the store must be repaired first (damaged, vanished, replaced, too new), 1 when one operation
failed (read-only, disk full, connection lost)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from typer.testing import CliRunner

from cwdesk.cli.app import app
from cwdesk.store import open_database
from cwdesk.store.jobs import jobs


def _planned_job(cli_home: Path) -> int:
    engine = open_database()
    now = datetime.now(UTC)
    with engine.begin() as conn:
        job_id = conn.execute(
            jobs.insert().values(kind="onboard", title="Onboard Acme", state="planned", params={}, created_at=now,
                                 updated_at=now)
        ).inserted_primary_key[0]  # fmt: skip
    engine.dispose()
    assert (cli_home / "cwdesk.db").exists()
    return int(job_id)


def _one_error_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    assert lines[0].startswith("Error: ")
    return lines[0]


def test_store_check_reports_each_check_and_passes_on_a_good_store(runner: CliRunner, cli_home: Path) -> None:
    _planned_job(cli_home)
    result = runner.invoke(app, ["store", "check"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert [line.split()[:2] for line in lines] == [
        ["ok", "store"],
        ["ok", "file"],
        ["ok", "quick_check"],
        ["ok", "schema"],
        ["ok", "identity"],
    ]


def test_store_check_fails_on_a_damaged_store_without_changing_it(runner: CliRunner, cli_home: Path) -> None:
    _planned_job(cli_home)
    garbage = b"not a database " * 50
    (cli_home / "cwdesk.db").write_bytes(garbage)
    result = runner.invoke(app, ["store", "check"])
    assert result.exit_code == 2
    assert "fail  open" in result.output and "is damaged (file is not a database)" in result.output
    assert (cli_home / "cwdesk.db").read_bytes() == garbage


def test_backup_writes_a_consistent_copy_that_opens_with_the_same_jobs(runner: CliRunner, cli_home: Path) -> None:
    job_id = _planned_job(cli_home)
    target = cli_home / "copies" / "before-upgrade.db"
    result = runner.invoke(app, ["store", "backup", str(target)])
    assert result.exit_code == 0, result.output
    assert f"to {target}" in result.output
    with sqlite3.connect(target) as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert copy.execute("SELECT id, title FROM jobs").fetchall() == [(job_id, "Onboard Acme")]
    again = runner.invoke(app, ["store", "backup", str(target)])
    assert again.exit_code == 2
    assert "already exists" in again.output


def test_backup_without_a_path_goes_to_the_backups_folder(runner: CliRunner, cli_home: Path) -> None:
    _planned_job(cli_home)
    result = runner.invoke(app, ["store", "backup"])
    assert result.exit_code == 0, result.output
    (written,) = (cli_home / "backups").glob("cwdesk-*.db")
    assert str(written) in result.output


def test_a_deleted_store_stops_every_command_until_adopted(runner: CliRunner, cli_home: Path) -> None:
    _planned_job(cli_home)
    (cli_home / "cwdesk.db").unlink()
    listed = runner.invoke(app, ["jobs", "list"])
    assert listed.exit_code == 2
    assert "is gone" in listed.output and "cwdesk store adopt" in listed.output
    assert not (cli_home / "cwdesk.db").exists()
    adopted = runner.invoke(app, ["store", "adopt", "--yes"])
    assert adopted.exit_code == 0, adopted.output
    assert "This machine now uses store" in adopted.output
    assert runner.invoke(app, ["jobs", "list"]).exit_code == 0


def test_adopt_asks_first_and_changes_nothing_when_refused(runner: CliRunner, cli_home: Path) -> None:
    _planned_job(cli_home)
    (cli_home / "cwdesk.db").unlink()
    result = runner.invoke(app, ["store", "adopt"], input="n\n")
    assert result.exit_code == 1
    assert runner.invoke(app, ["jobs", "list"]).exit_code == 2


def test_a_write_to_a_read_only_store_is_one_line_exit_1(runner: CliRunner, cli_home: Path) -> None:
    job_id = _planned_job(cli_home)
    read_only = f"sqlite:///file:{cli_home / 'cwdesk.db'}?mode=ro&uri=true"
    listed = runner.invoke(app, ["jobs", "list", "--output", "json"], env={"CWDESK_DATABASE_URL": read_only})
    assert listed.exit_code == 0, listed.output
    cancelled = runner.invoke(app, ["jobs", "cancel", str(job_id)], env={"CWDESK_DATABASE_URL": read_only})
    assert cancelled.exit_code == 1
    assert "is read-only" in cancelled.output
    with sqlite3.connect(cli_home / "cwdesk.db") as conn:
        assert conn.execute("SELECT state FROM jobs").fetchone() == ("planned",)


def _cwdesk(*args: str, home: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("CWM_", "CWA_", "CWDESK_"))}
    return subprocess.run(
        [sys.executable, "-m", "cwdesk", *args],
        env={**clean, "CWDESK_HOME": str(home), **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_real_process_on_a_damaged_store_prints_one_line_not_a_traceback(cli_home: Path) -> None:
    _planned_job(cli_home)
    (cli_home / "cwdesk.db").write_bytes(b"\x00garbage" * 512)
    done = _cwdesk("jobs", "list", home=cli_home)
    assert done.returncode == 2
    assert "is damaged" in _one_error_line(done.stderr)


def test_console_start_up_on_a_vanished_store_is_one_line(cli_home: Path) -> None:
    _planned_job(cli_home)
    (cli_home / "cwdesk.db").unlink()
    done = _cwdesk("console", "--demo", "--port", "9", home=cli_home)
    assert done.returncode == 2
    line = _one_error_line("\n".join(x for x in done.stderr.splitlines() if not x.startswith("Starting the sandbox")))
    assert "is gone" in line


def test_real_process_on_an_unreachable_postgres_is_one_line(cli_home: Path) -> None:
    done = _cwdesk(
        "jobs", "list", home=cli_home, CWDESK_DATABASE_URL="postgresql+psycopg://cwdesk:pw-123@127.0.0.1:1/cwdesk"
    )
    assert done.returncode == 1
    line = _one_error_line(done.stderr)
    assert "was lost or refused" in line and "pw-123" not in line


def test_a_store_from_a_newer_cwdesk_is_refused_by_every_command(runner: CliRunner, cli_home: Path) -> None:
    _planned_job(cli_home)
    engine = sa.create_engine(f"sqlite:///{cli_home / 'cwdesk.db'}")
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '0099'"))
    engine.dispose()
    result = runner.invoke(app, ["jobs", "list"])
    assert result.exit_code == 2
    assert "made by a newer cwdesk" in result.output
    checked = runner.invoke(app, ["store", "check"])
    assert checked.exit_code == 2 and "fail  schema" in checked.output


def test_backup_of_a_damaged_store_is_one_line_and_leaves_no_half_copy(runner: CliRunner, cli_home: Path) -> None:
    _planned_job(cli_home)
    (cli_home / "cwdesk.db").write_bytes(b"not a database " * 50)
    target = cli_home / "copy.db"
    result = runner.invoke(app, ["store", "backup", str(target)])
    assert result.exit_code == 2
    assert "is damaged (file is not a database)" in result.output
    assert not target.exists()


def test_a_missing_file_of_another_command_is_not_called_a_store_fault(runner: CliRunner, cli_home: Path) -> None:
    result = runner.invoke(app, ["onboard", str(cli_home / "no-such-plan.yaml")])
    assert "store" not in result.output.lower()
