"""The store's identity: a replaced or deleted database is noticed, never silently recreated empty.

Each store holds one ``store_identity`` row (made by migration 0003). The first time this machine opens a store,
its id is noted in ``<config folder>/stores.json`` under the store's URL (password hidden). At every later start:

- the database is missing (SQLite file gone) or empty (PostgreSQL without tables) while a note names a store for
  that URL: ``StoreVanished`` (users, jobs and the audit log would be gone);
- the database holds another id: ``StoreReplaced``;
- ``cwdesk store adopt`` accepts the database now at the URL (a deliberate restore or a new empty store) by
  rewriting the note.

Not for: the schema version (``store.schema``) or integrity (``store.problems``).
"""

from __future__ import annotations

import json
import os
import uuid
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from cwdesk.home import config_dir
from cwdesk.store.database import metadata
from cwdesk.store.problems import StoreReplaced, StoreVanished, hide_password

store_identity = sa.Table(
    "store_identity",
    metadata,
    sa.Column("store_id", sa.String(32), primary_key=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

NOTES_FILE = "stores.json"


def notes_path() -> Path:
    return config_dir() / NOTES_FILE


def _key(url: sa.URL) -> str:
    return hide_password(url)


def _read_notes() -> dict[str, str]:
    path = notes_path()
    try:
        notes = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError):
        # An unreadable note must not lock the user out: it is rewritten on this start.
        return {}
    return {str(k): str(v) for k, v in notes.items()} if isinstance(notes, dict) else {}


def _write_notes(notes: dict[str, str]) -> None:
    path = notes_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps(notes, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(temporary, path)


def noted_id(url: sa.URL) -> str | None:
    """The store id this machine last saw at ``url``, if any."""
    return _read_notes().get(_key(url))


def refuse_if_vanished(url: sa.URL) -> None:
    """Called when the database at ``url`` is missing or empty, before anything is created there."""
    known = noted_id(url)
    if known is not None:
        raise StoreVanished(
            f"The store at {hide_password(url)} is gone (this machine last saw store {known} there): its users, "
            "jobs and audit log are not in it. Restore it from a backup, or run `cwdesk store adopt` to start an "
            "empty store there on purpose."
        )


def read_store_id(conn: sa.Connection) -> str | None:
    return conn.execute(sa.select(store_identity.c.store_id).limit(1)).scalar_one_or_none()


def new_identity(conn: sa.Connection) -> str:
    """Give a store without one its id (a new store; migration 0003 does the same for an upgraded one)."""
    store_id = uuid.uuid4().hex
    conn.execute(store_identity.insert().values(store_id=store_id, created_at=datetime.now(UTC)))
    return store_id


def confirm_identity(engine: sa.Engine) -> str:
    """Check the store against the note (noting it on first sight); return its id."""
    with engine.begin() as conn:
        store_id = read_store_id(conn)
        if store_id is None:  # (an identity row deleted by hand: give the store a new one)
            store_id = new_identity(conn)
    known = noted_id(engine.url)
    if known is None:
        remember(engine.url, store_id)
    elif known != store_id:
        raise StoreReplaced(
            f"The store at {hide_password(engine.url)} is not the one this machine used (store {store_id} found, "
            f"{known} expected). Put the right database back, or run `cwdesk store adopt` to use this one."
        )
    return store_id


def remember(url: sa.URL, store_id: str) -> None:
    notes = _read_notes()
    notes[_key(url)] = store_id
    _write_notes(notes)


def forget(url: sa.URL) -> bool:
    """Drop the note for ``url`` (``cwdesk store adopt``); True when there was one."""
    notes = _read_notes()
    found = notes.pop(_key(url), None) is not None
    if found:
        _write_notes(notes)
    return found


__all__ = ["confirm_identity", "forget", "noted_id", "read_store_id", "refuse_if_vanished", "store_identity"]
