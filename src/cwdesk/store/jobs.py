"""Tables of durable jobs: the job, its planned steps, and the journal of what happened.

``jobs`` holds one row per job (kind, parameters, state, who runs it). ``job_steps`` holds the plan: one row per
step with its natural key, its action name, its parameters and, once known, its outcome. ``job_events`` is the
append-only journal (step started, step ok, step failed, job finished...), read by the CLI's ``jobs show`` and
followed by the console's progress stream from any process that shares the database.

Portable SQLAlchemy Core only (SQLite and PostgreSQL): integer keys, JSON columns, timezone-aware timestamps.
Not for: the rules of running a job (``cwdesk.workflows.jobs``) or anything ConnectWise-specific. Never store
secrets here: parameters and outcomes are shown to users and written to the journal.
"""

from __future__ import annotations

import sqlalchemy as sa

from cwdesk.store.database import metadata

jobs = sa.Table(
    "jobs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("kind", sa.String(80), nullable=False, index=True),
    sa.Column("title", sa.String(300), nullable=False, default=""),
    # planned | queued | running | succeeded | partial | failed | cancelled | rolled_back (a string: new states need
    # no migration)
    sa.Column("state", sa.String(20), nullable=False, index=True),
    sa.Column("params", sa.JSON, nullable=False),
    # Which ConnectWise site and company the job talks to (no secrets): resume warns on a mismatch.
    sa.Column("target", sa.String(300), nullable=True),
    sa.Column("created_by", sa.String(120), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
    # "host:pid:token" of the process running the job, and when it last showed a sign of life.
    sa.Column("runner", sa.String(200), nullable=True),
    sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("cancel_requested", sa.Boolean, nullable=False, default=False),
    sa.Column("message", sa.Text, nullable=True),
)

job_steps = sa.Table(
    "job_steps",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("job_id", sa.Integer, sa.ForeignKey("jobs.id", ondelete="CASCADE"), nullable=False),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("key", sa.String(300), nullable=False),
    sa.Column("action", sa.String(80), nullable=False),
    sa.Column("label", sa.String(300), nullable=False, default=""),
    sa.Column("params", sa.JSON, nullable=False),
    # pending | running | ok | skipped | error | rolled_back
    sa.Column("state", sa.String(20), nullable=False),
    # True when this job created the record (rollback deletes only those).
    sa.Column("created", sa.Boolean, nullable=False, default=False),
    sa.Column("outcome", sa.JSON, nullable=True),
    sa.Column("message", sa.Text, nullable=True),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
    sa.UniqueConstraint("job_id", "position", name="uq_job_steps_position"),
    sa.UniqueConstraint("job_id", "key", name="uq_job_steps_key"),
)

job_events = sa.Table(
    "job_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("job_id", sa.Integer, sa.ForeignKey("jobs.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    # job_started | step_started | step_ok | step_skipped | step_error | step_rolled_back | job_finished | ...
    sa.Column("type", sa.String(40), nullable=False),
    sa.Column("step_key", sa.String(300), nullable=True),
    sa.Column("message", sa.Text, nullable=False, default=""),
    sa.Column("data", sa.JSON, nullable=True),
    # "host:pid:token" of the runner that wrote the entry (migration 0004); None outside a runner (a cancel).
    sa.Column("runner", sa.String(200), nullable=True),
)

__all__ = ["job_events", "job_steps", "jobs"]
