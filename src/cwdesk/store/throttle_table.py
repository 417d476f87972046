"""The ``throttle_state`` table (migration ``0005``): one row per ConnectWise credential, the pacing state that
every process on the store shares (``store.shared_throttle``).

Kept apart from ``shared_throttle`` so that module imports no SQLAlchemy: on a ready SQLite store the CLI reads and
writes this table with the standard library's ``sqlite3`` (docs/cli.md "Start-up"). Rows hold no secret: the key
is the credential's identity (host, company, public key), never a private key.
Not for: reading or writing the state (``store.shared_throttle``).
"""

from __future__ import annotations

import sqlalchemy as sa

from cwdesk.store.database import metadata

throttle_state = sa.Table(
    "throttle_state",
    metadata,
    sa.Column("key", sa.String(400), primary_key=True),
    sa.Column("state", sa.Text, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)
