"""``throttle_state``: one row per ConnectWise credential, the pacing state every process shares (issue 13, item 2).

Live state, not records: a row holds the next free start time, the learned rate and any ``Retry-After`` pause of
one credential (``store.shared_throttle``), never a secret. Dropping the rows loses a few seconds of learning.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision: str | None = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "throttle_state",
        sa.Column("key", sa.String(length=400), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )


def downgrade() -> None:
    op.drop_table("throttle_state")
