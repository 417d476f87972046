"""Table of scheduled jobs: what runs every period (today: ``sync``), when it is next due, and how it last went.

One row per schedule (``cwdesk schedule add``). ``next_run_at`` is the claim: a process runs a due schedule only
if its conditional update moves ``next_run_at`` on from the value it read, so every period runs once across all
processes on the database (``cwdesk.workflows.schedules``). Migration ``0006``.

Portable SQLAlchemy Core only (SQLite and PostgreSQL). Never store secrets here: the target names the ConnectWise
site and company, never a key.
"""

from __future__ import annotations

import sqlalchemy as sa

from cwdesk.store.database import metadata

schedules = sa.Table(
    "schedules",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    # What runs: "sync" (params: {"kind": "companies" | ... | "all"}).
    sa.Column("task", sa.String(40), nullable=False),
    sa.Column("params", sa.JSON, nullable=False),
    sa.Column("every_seconds", sa.Integer, nullable=False),
    sa.Column("next_run_at", sa.DateTime(timezone=True), nullable=False),
    # Which ConnectWise it runs against (as jobs record it): a worker connected elsewhere leaves it.
    sa.Column("target", sa.String(300), nullable=True),
    sa.Column("created_by", sa.String(120), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    # How many periods were claimed, and how the last one went.
    sa.Column("runs", sa.Integer, nullable=False, default=0),
    sa.Column("last_runner", sa.String(200), nullable=True),
    sa.Column("last_started_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("last_finished_at", sa.DateTime(timezone=True), nullable=True),
    # succeeded | partial | failed
    sa.Column("last_state", sa.String(20), nullable=True),
    sa.Column("last_message", sa.Text, nullable=True),
)

__all__ = ["schedules"]
