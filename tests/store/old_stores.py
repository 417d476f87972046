"""Stores as older releases made them, built from their SQL (no old code imported), with a few rows in each area.

``old_schemas/release_44623af.*.sql`` is the DDL ``metadata.create_all`` emitted at release 44623af (no
``alembic_version`` table); ``before_309e49a.*.sql`` the same before commit 309e49a, when ``sync_records.data`` was
a JSON column. Both were produced by compiling those commits' ``cwdesk.store.metadata`` (``git archive <commit>``)
for each dialect, once, and are kept here as plain SQL.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

SCHEMAS = Path(__file__).with_name("old_schemas")
AT = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)

# A record as SQLAlchemy's JSON type wrote it before 309e49a: json.dumps defaults, keys in insertion order.
RECORD = {"name": "Acme Corp", "id": 17, "_info": {"lastUpdated": "2026-11-20T09:00:00Z"}}
FINGERPRINT = "f" * 64


def build_old_store(engine: sa.Engine, release: str) -> None:
    """Create ``release``'s tables (``release_44623af`` or ``before_309e49a``) and fill each area with rows."""
    ddl = (SCHEMAS / f"{release}.{engine.dialect.name}.sql").read_text(encoding="utf-8")
    with engine.begin() as conn:
        for statement in filter(None, (part.strip() for part in ddl.split(";"))):
            conn.exec_driver_sql(statement)
        conn.execute(
            sa.text(
                "INSERT INTO console_users (username, password_hash, role, disabled, created_at) "
                "VALUES ('admin', 'argon2-hash', 'admin', false, :at), ('ops', NULL, 'operator', false, :at)"
            ),
            {"at": AT},
        )
        conn.execute(
            sa.text(
                "INSERT INTO console_audit_log (at, username, role, action, target, detail, result, message) "
                "VALUES (:at, 'admin', 'admin', 'create user', 'ops', '{}', 'ok', '')"
            ),
            {"at": AT},
        )
        # (ids left to the database, so its sequences stay in step for the rows the new code adds: this job is 1)
        conn.execute(
            sa.text(
                "INSERT INTO jobs (kind, title, state, params, created_at, updated_at, cancel_requested) "
                "VALUES ('onboard', 'Onboard Acme', 'partial', :params, :at, :at, false)"
            ),
            {"params": json.dumps({"company": "Acme"}), "at": AT},
        )
        conn.execute(
            sa.text(
                "INSERT INTO job_steps (job_id, position, key, action, label, params, state, created, attempts) "
                "VALUES (1, 1, 'company:Acme', 'company', 'Company Acme', '{}', 'ok', true, 1), "
                "(1, 2, 'site:Main', 'site', 'Site Main', '{}', 'error', false, 1)"
            )
        )
        conn.execute(
            sa.text(
                "INSERT INTO job_events (job_id, at, type, step_key, message, data) VALUES "
                "(1, :at, 'job_created', NULL, 'Onboard Acme', NULL), "
                "(1, :at, 'step_ok', 'company:Acme', 'Company Acme', :data)"
            ),
            {"at": AT, "data": json.dumps({"created": True})},
        )
        conn.execute(
            sa.text(
                "INSERT INTO sync_records (source, kind, record_id, data, fingerprint, deleted, synced_at) "
                "VALUES ('cw.example/acme', 'companies', 17, :data, :fp, false, :at)"
            ),
            {"data": json.dumps(RECORD), "fp": FINGERPRINT, "at": AT},
        )
    if engine.url.database and engine.dialect.name == "sqlite":
        # That release made the file 0644; today's refuses it until its owner runs the chmod it names (issue 14,
        # tests/security/test_private_files.py). These tests are about the upgrade that follows.
        for path in Path(engine.url.database).parent.glob(Path(engine.url.database).name + "*"):
            path.chmod(0o600)


def assert_old_rows_kept(engine: sa.Engine) -> None:
    """The rows ``build_old_store`` wrote, read back through today's code, and a new row written in each area."""
    from cwdesk.store import sync_cache
    from cwdesk.store.accounts import console_audit_log, console_users
    from cwdesk.workflows import jobs as job_runner

    with engine.connect() as conn:
        users = conn.execute(sa.select(console_users.c.username).order_by(console_users.c.id)).scalars().all()
        audit = conn.execute(sa.select(console_audit_log.c.action)).scalars().all()
        records = list(sync_cache.cached_records(conn, "cw.example/acme", "companies"))
    assert users == ["admin", "ops"]
    assert audit == ["create user"]
    assert records == [RECORD]
    detail = job_runner.get_job(engine, 1)
    assert (detail.summary.title, detail.summary.state.value, detail.params) == (
        "Onboard Acme",
        "partial",
        {"company": "Acme"},
    )
    assert [(s.key, s.state.value, s.created) for s in detail.steps] == [
        ("company:Acme", "ok", True),
        ("site:Main", "error", False),
    ]
    assert [e.type for e in job_runner.read_events(engine, 1)] == ["job_created", "step_ok"]
    # Today's code writes to the upgraded store: the sync that failed with DatatypeMismatch on PostgreSQL.
    changed = {**RECORD, "name": "Acme Corporation"}
    with engine.begin() as conn:
        counts = sync_cache.save_records(
            conn,
            "cw.example/acme",
            "companies",
            [sync_cache.CachedRecord(17, changed, AT), sync_cache.CachedRecord(18, {"id": 18, "name": "Globex"}, AT)],
            now=AT,
        )
        conn.execute(console_users.insert().values(username="viewer", role="viewer", disabled=False, created_at=AT))
    assert (counts.created, counts.updated) == (1, 1)
