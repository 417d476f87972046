"""Alembic's environment for cwdesk: always run on the connection ``store.schema`` hands over.

cwdesk never runs Alembic from an ``alembic.ini``: ``store.schema.upgrade_store`` builds the ``Config`` in code
and passes its open connection as ``config.attributes["connection"]`` (the "sharing a connection" recipe of the
Alembic cookbook), so the upgrade runs in the caller's transaction and under its PostgreSQL lock.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

connection = context.config.attributes.get("connection")
if not isinstance(connection, sa.Connection):
    raise RuntimeError("cwdesk's migrations run through `cwdesk.store.schema`, not the alembic command line.")
context.configure(connection=connection, target_metadata=None, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
