"""The app's own database (SQLAlchemy Core): jobs, journal, audit, users, sync cache.

SQLite under ``cwdesk.home.data_dir()`` by default; any SQLAlchemy URL (PostgreSQL) through
``CWDESK_DATABASE_URL``. Each area defines its tables on the shared ``metadata`` in its own module, imported here
so that a new store gets them all; an existing one is upgraded by the Alembic migrations (``store.schema``). See
docs/store.md for the start-up checks, the faults and their messages, backup and check.
Not for: talking to ConnectWise (that is the SDK) or business rules (``workflows``).
"""

from __future__ import annotations

from cwdesk.store import accounts as accounts
from cwdesk.store import identity as identity  # (the store's id, to notice a replaced or deleted store)
from cwdesk.store import jobs as jobs  # (tables of durable jobs and their journal)
from cwdesk.store import schedules as schedules  # (scheduled jobs: what runs every period, when next)
from cwdesk.store import scim_records as scim_records  # (what the SCIM bridge keeps: externalId, deleted)
from cwdesk.store import shared_throttle as shared_throttle  # (one rate limit per credential across processes)
from cwdesk.store import sync_cache as sync_cache  # (synced records, sync state, sync runs, callbacks)
from cwdesk.store import tokens as tokens  # (API tokens for MCP over HTTP and SCIM: digests only)
from cwdesk.store.database import metadata, open_database
from cwdesk.store.problems import StoreError, describe_database_error

__all__ = ["StoreError", "describe_database_error", "metadata", "open_database"]
