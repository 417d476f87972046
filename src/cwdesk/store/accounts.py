"""The web console's accounts: users, sessions, one-time sign-in tokens and the audit log.

Tables only (SQLAlchemy Core on the shared ``metadata``), so that several console processes on one database see
the same users, sessions and audit trail. Tokens and session ids are stored as SHA-256 digests, never in clear:
a copy of the database does not let anyone sign in. Passwords are argon2 hashes (made in ``console.security``).
Not for: the rules (who may do what, CSRF, hashing): that is ``cwdesk.console.security``.
"""

from __future__ import annotations

from typing import Literal

import sqlalchemy as sa

from cwdesk.store.database import metadata

#: The roles a console user (and an API token, ``store.tokens``) can have, lowest first: ``viewer`` reads,
#: ``operator`` also changes records and starts jobs, ``admin`` also manages users and tokens.
Role = Literal["viewer", "operator", "admin"]
ROLES: tuple[Role, ...] = ("viewer", "operator", "admin")

console_users = sa.Table(
    "console_users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("username", sa.String(64), nullable=False, unique=True),
    # NULL until the user sets one: an admin created on first start signs in by link only.
    sa.Column("password_hash", sa.String(255), nullable=True),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("disabled", sa.Boolean, nullable=False, default=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

console_sessions = sa.Table(
    "console_sessions",
    metadata,
    sa.Column("id_digest", sa.String(64), primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("console_users.id", ondelete="CASCADE"), nullable=False),
    sa.Column("csrf_token", sa.String(64), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
)

console_signin_tokens = sa.Table(
    "console_signin_tokens",
    metadata,
    sa.Column("token_digest", sa.String(64), primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("console_users.id", ondelete="CASCADE"), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
)

console_audit_log = sa.Table(
    "console_audit_log",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False, index=True),
    sa.Column("username", sa.String(64), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("action", sa.String(64), nullable=False),
    sa.Column("target", sa.String(255), nullable=False, default=""),
    # What was asked, as JSON text (field names and values the user entered; never a secret).
    sa.Column("detail", sa.Text, nullable=False, default="{}"),
    sa.Column("result", sa.String(16), nullable=False),  # ok | error | refused
    sa.Column("message", sa.Text, nullable=False, default=""),
)
