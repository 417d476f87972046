"""Looking after the store: ``check_store`` (what ``cwdesk store check`` reports) and ``backup_store``.

``check_store`` only reads: it opens no migration and writes no note, so it can look at a store that
``open_database`` refuses (damaged, too new, replaced) and say why. ``backup_store`` copies a SQLite store with
SQLite's online backup API (a consistent copy while the console keeps writing); a PostgreSQL store is dumped by
``pg_dump`` when it is installed (the password goes in ``PGPASSWORD``, never on the command line, where the
process list would show it), else the message says how to run it.
Not for: opening the store for work (``store.database``).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from cwdesk.home import data_dir
from cwdesk.store import identity, schema
from cwdesk.store.database import create_engine, sqlite_file
from cwdesk.store.problems import StoreError, StoreUnavailable, describe_database_error, hide_password


@dataclass(frozen=True)
class Finding:
    """One line of ``cwdesk store check``: ``ok`` / ``warn`` / ``fail``, what was checked, what was found."""

    status: str
    check: str
    detail: str


def check_store(url: str, *, full: bool = False) -> list[Finding]:
    """Every check on the store at ``url``; ``full`` runs SQLite's ``integrity_check`` instead of ``quick_check``."""
    engine = create_engine(url)
    shown = hide_password(engine.url)
    findings = [Finding("ok", "store", shown)]
    try:
        file = sqlite_file(engine.url)
        if file is not None and (not file.exists() or file.stat().st_size == 0):
            known = identity.noted_id(engine.url)
            status = "fail" if known else "warn"
            note = f" (this machine last saw store {known} there)" if known else ""
            return [*findings, Finding(status, "file", f"{file} does not exist{note}")]
        if file is not None:
            findings.append(Finding("ok", "file", f"{file} ({file.stat().st_size:,} bytes)"))
        with engine.connect() as conn:
            if file is not None:
                pragma = "integrity_check" if full else "quick_check"
                rows = [str(row[0]) for row in conn.exec_driver_sql(f"PRAGMA {pragma}").all()]
                good = rows == ["ok"]
                findings.append(Finding("ok" if good else "fail", pragma, "ok" if good else "; ".join(rows[:5])))
            status_now = schema.schema_status(conn)
            store_id = identity.read_store_id(conn) if status_now.has_tables and _has_identity(conn) else None
        findings.append(_revision_finding(status_now))
        findings.append(_identity_finding(engine.url, store_id, status_now.has_tables))
    except Exception as error:
        problem = describe_database_error(error, engine.url)
        if problem is None:
            raise
        findings.append(Finding("fail", "open", str(problem)))
    finally:
        engine.dispose()
    return findings


def _has_identity(conn: sa.Connection) -> bool:
    return sa.inspect(conn).has_table(identity.store_identity.name)


def _revision_finding(status: schema.SchemaStatus) -> Finding:
    head = schema.head_revision()
    if status.revision == head:
        return Finding("ok", "schema", f"revision {head} (the newest this cwdesk knows)")
    if status.revision is None and not status.has_tables:
        return Finding("warn", "schema", "empty database: the next start creates the tables")
    if status.revision is None:
        return Finding("warn", "schema", f"release 44623af's tables, no version: the next start upgrades to {head}")
    if status.revision in schema.known_revisions():
        return Finding("warn", "schema", f"revision {status.revision}: the next start upgrades it to {head}")
    return Finding("fail", "schema", f"revision {status.revision}, from a newer cwdesk (this one knows up to {head})")


def _identity_finding(url: sa.URL, store_id: str | None, has_tables: bool) -> Finding:
    known = identity.noted_id(url)
    if store_id is None:
        if known is not None and not has_tables:
            return Finding("fail", "identity", f"empty, but this machine last saw store {known} here")
        return Finding("warn", "identity", "no store id yet (given at the next start)")
    if known is None:
        return Finding("warn", "identity", f"store {store_id}, not yet noted on this machine")
    if known != store_id:
        return Finding("fail", "identity", f"store {store_id}, but this machine used store {known} here")
    return Finding("ok", "identity", f"store {store_id}")


def default_backup_path(engine: sa.Engine) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    suffix = ".db" if engine.dialect.name == "sqlite" else ".dump"
    return data_dir() / "backups" / f"cwdesk-{stamp}{suffix}"


def backup_store(engine: sa.Engine, target: Path | None = None) -> Path:
    """Copy the store to ``target`` (default: a dated file under ``<data folder>/backups``); return the path."""
    destination = target if target is not None else default_backup_path(engine)
    if destination.exists():
        raise StoreError(f"{destination} already exists: give another path, or move that file away first.")
    destination.parent.mkdir(parents=True, exist_ok=True)
    file = sqlite_file(engine.url)
    if engine.dialect.name == "sqlite":
        if file is None:
            raise StoreError("An in-memory database has nothing to back up.")
        if not file.exists():
            raise StoreError(f"There is no store at {file} to back up (CWDESK_HOME or CWDESK_DATABASE_URL).")
        try:
            schema.backup_sqlite(file, destination)
        except (OSError, sqlite3.Error) as error:
            destination.unlink(missing_ok=True)
            problem = describe_database_error(error, engine.url, raised_by_store=True)
            raise (problem or StoreUnavailable(f"The backup to {destination} failed: {error}.")) from error
        return destination
    if engine.dialect.name == "postgresql":
        return _pg_dump(engine.url, destination)
    raise StoreError(f"cwdesk backs up SQLite and PostgreSQL stores; use your database's own tool for {shown(engine)}.")


def shown(engine: sa.Engine) -> str:
    return hide_password(engine.url)


def libpq_url(url: sa.URL) -> str:
    """The URL ``pg_dump`` understands (no SQLAlchemy driver name), without the password."""
    # (``URL.set(password=None)`` keeps the password: None there means "unchanged", so the URL is made anew.)
    bare = sa.URL.create(
        "postgresql", username=url.username, host=url.host, port=url.port, database=url.database, query=url.query
    )
    return bare.render_as_string(hide_password=False)


def _pg_dump(url: sa.URL, destination: Path) -> Path:
    command = ["pg_dump", "--format=custom", f"--file={destination}", f"--dbname={libpq_url(url)}"]
    if shutil.which("pg_dump") is None:
        raise StoreUnavailable(
            "pg_dump is not installed here: back the PostgreSQL store up with `pg_dump --format=custom "
            f"--file={destination} '{libpq_url(url)}'` on a machine that has it."
        )
    environment = dict(os.environ)
    if url.password is not None:
        environment["PGPASSWORD"] = str(url.password)
    done = subprocess.run(command, env=environment, capture_output=True, text=True, timeout=3600, check=False)
    if done.returncode != 0:
        destination.unlink(missing_ok=True)
        reason = (done.stderr.strip().splitlines() or [f"exit {done.returncode}"])[-1]
        raise StoreUnavailable(f"pg_dump could not back up {hide_password(url)}: {reason}")
    return destination


__all__ = ["Finding", "backup_store", "check_store", "default_backup_path", "libpq_url"]
