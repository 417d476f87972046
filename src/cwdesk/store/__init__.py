"""The app's own database (SQLAlchemy Core): jobs, journal, audit, users, sync cache.

SQLite under ``cwdesk.home.data_dir()`` by default; any SQLAlchemy URL (PostgreSQL) through
``CWDESK_DATABASE_URL``. Each area defines its tables on the shared ``metadata`` in its own module, imported here
so that ``open_database`` creates them all.
Not for: talking to ConnectWise (that is the SDK) or business rules (``workflows``).
"""

from __future__ import annotations

from cwdesk.store import accounts as accounts
from cwdesk.store import jobs as jobs  # (tables of durable jobs and their journal)
from cwdesk.store import sync_cache as sync_cache  # (synced records, sync state, sync runs, callbacks)
from cwdesk.store.database import metadata, open_database

__all__ = ["metadata", "open_database"]
