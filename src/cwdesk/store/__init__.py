"""The app's own database (SQLAlchemy Core): jobs, journal, audit, users, sync cache.

SQLite under ``cwdesk.home.data_dir()`` by default; any SQLAlchemy URL (PostgreSQL) through
``CWDESK_DATABASE_URL``. Each area defines its tables on the shared ``metadata`` in its own module, listed in
``TABLE_MODULES``: ``open_database`` and ``metadata`` load them all, so that a new store gets them all; an existing
one is upgraded by the Alembic migrations (``store.schema``). See docs/store.md for the start-up checks, the faults
and their messages, backup and check.

The names below load on first use (PEP 562), so importing a light module of the package (``store.location``,
``store.shared_throttle``) imports no SQLAlchemy: a one-call command on a ready SQLite store never pays for it
(docs/cli.md "Start-up").
Not for: talking to ConnectWise (that is the SDK) or business rules (``workflows``).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cwdesk.store import accounts as accounts
    from cwdesk.store import identity as identity
    from cwdesk.store import jobs as jobs
    from cwdesk.store import schedules as schedules
    from cwdesk.store import scim_records as scim_records
    from cwdesk.store import shared_throttle as shared_throttle
    from cwdesk.store import sync_cache as sync_cache
    from cwdesk.store import throttle_table as throttle_table
    from cwdesk.store import tokens as tokens
    from cwdesk.store.database import metadata, open_database
    from cwdesk.store.problems import StoreError, describe_database_error

__all__ = ["TABLE_MODULES", "StoreError", "describe_database_error", "load_tables", "metadata", "open_database"]

# Every module that defines tables on ``metadata`` (a new store is made from them: ``schema.create_new_store``).
TABLE_MODULES = (
    "accounts",  # users, sessions, audit
    "identity",  # the store's id, to notice a replaced or deleted store
    "jobs",  # durable jobs and their journal
    "schedules",  # scheduled jobs: what runs every period, when next
    "scim_records",  # what the SCIM bridge keeps: externalId, deleted
    "sync_cache",  # synced records, sync state, sync runs, callbacks
    "throttle_table",  # one rate limit per credential across processes
    "tokens",  # API tokens for MCP over HTTP and SCIM: digests only
)
_HOMES = {
    "metadata": "cwdesk.store.database",
    "open_database": "cwdesk.store.database",
    "StoreError": "cwdesk.store.problems",
    "describe_database_error": "cwdesk.store.problems",
}


def load_tables() -> None:
    """Import every table module, so ``metadata`` holds every table."""
    for name in TABLE_MODULES:
        importlib.import_module(f"{__name__}.{name}")


# The package's other modules, reachable as attributes once the package is imported (as they were when it
# imported them all).
_MODULES = (*TABLE_MODULES, "database", "location", "maintenance", "problems", "schema", "shared_throttle")


def __getattr__(name: str) -> Any:
    if name in _MODULES:
        return importlib.import_module(f"{__name__}.{name}")
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    load_tables()  # (what the store's names work on: every table)
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__) | set(_MODULES))
