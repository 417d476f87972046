"""``store_identity``: one row naming this store, so a replaced or deleted store is noticed (``store.identity``).

The id is made here, once, when the store gets this revision; ``store.identity`` notes it in the config folder
and compares it at every start.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision: str | None = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table(
        "store_identity",
        sa.Column("store_id", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("store_id"),
    )
    op.bulk_insert(table, [{"store_id": uuid.uuid4().hex, "created_at": datetime.now(UTC)}])


def downgrade() -> None:
    op.drop_table("store_identity")
