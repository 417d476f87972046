"""``sync_records.data`` from JSON to TEXT (commit 309e49a), repairing stores made before that commit.

309e49a stores each record as its canonical JSON text (sorted keys, compact) and reads it back with
``json.loads``, but ``create_all`` never changes an existing table: a PostgreSQL store made before it kept a
``json`` column, and ``cwdesk sync`` then failed with ``DatatypeMismatch``. Here the column becomes TEXT (on
PostgreSQL ``USING data::text``, which keeps each value's text) and every value is rewritten as canonical text, so
stored text and fingerprint follow one rule. A store whose column is already TEXT (made at or after 309e49a, e.g.
release 44623af) is left as it is.
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

from cwdesk.store.sync_cache import canonical_json

revision = "0002"
down_revision: str | None = "0001"
branch_labels = None
depends_on = None

_BATCH = 1000


def _data_is_json(bind: sa.Connection) -> bool:
    for column in sa.inspect(bind).get_columns("sync_records"):
        if column["name"] == "data":
            return isinstance(column["type"], sa.JSON) or str(column["type"]).upper() in ("JSON", "JSONB")
    return False


def upgrade() -> None:
    bind = op.get_bind()
    if not _data_is_json(bind):
        return
    if bind.dialect.name == "postgresql":
        op.execute("ALTER TABLE sync_records ALTER COLUMN data TYPE TEXT USING data::text")
    else:
        # SQLite stored the JSON as text already; the batch copy only gives the column its declared TEXT type.
        with op.batch_alter_table("sync_records") as batch:
            batch.alter_column("data", type_=sa.Text(), existing_nullable=False)
    records = sa.table("sync_records", sa.column("id", sa.Integer), sa.column("data", sa.Text))
    last = 0
    while True:
        rows = bind.execute(
            sa.select(records.c.id, records.c.data).where(records.c.id > last).order_by(records.c.id).limit(_BATCH)
        ).all()
        if not rows:
            break
        for row_id, text in rows:
            canonical = canonical_json(json.loads(text))
            if canonical != text:
                bind.execute(records.update().where(records.c.id == row_id).values(data=canonical))
        last = rows[-1][0]


def downgrade() -> None:
    # TEXT holds every value the JSON column held; going back would only bring the DatatypeMismatch back.
    pass
