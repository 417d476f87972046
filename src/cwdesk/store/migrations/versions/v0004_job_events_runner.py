"""``job_events.runner``: which runner (``host:pid:token``) wrote each journal entry (issue 13, item 5).

Nullable: entries written before this revision, and those written outside a runner (a cancel from the CLI or the
console), have none.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision: str | None = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("job_events") as batch:
        batch.add_column(sa.Column("runner", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("job_events") as batch:
        batch.drop_column("runner")
