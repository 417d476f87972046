"""``scim_records``: what the SCIM bridge keeps that ConnectWise cannot (issue 19): the identity provider's
externalId of a member or security role, whether a provider deleted a member, and which email and phone it marked
primary. A new table, nothing else changes: an older cwdesk never reads it. It follows ``0007`` (api tokens).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision: str | None = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scim_records",
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("record_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("email_primary", sa.String(length=10), nullable=True),
        sa.Column("phone_primary", sa.String(length=10), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("kind", "record_id"),
    )
    op.create_index(op.f("ix_scim_records_external_id"), "scim_records", ["external_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_scim_records_external_id"), table_name="scim_records")
    op.drop_table("scim_records")
