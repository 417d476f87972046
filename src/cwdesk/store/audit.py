"""The audit log's rows: the one writer and the one reader, for the console and the command line alike.

Both write into ``console_audit_log`` (``store.accounts``), so the console's Audit log page shows changes made
from the CLI next to its own, the CLI's as ``cli:<OS user>`` (issue 15 §6). A change's values go in ``detail``
under ``"changes"`` as a list of ``{"field", "before", "after"}`` (the shape the Automate CLI's entries and the
console's answers use; ``before`` is ``None`` when the writer did not know it, e.g. a CLI write seen only as the
JSON Patch it sent); the page shows them as before → after.
Rules kept here: every text is cut to its column's size and freed of NUL bytes (PostgreSQL refuses both), a
detail longer than ``MAX_DETAIL_CHARS`` is stored as its truncated text, so a row is never lost to its content.
Reading filters by user, action and time on the server, newest first.
Not for: deciding what is audited or who may read it (``console.security``, ``cli.connection``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import sqlalchemy as sa

from cwdesk.store.accounts import console_audit_log

MAX_DETAIL_CHARS = 8_000
MAX_MESSAGE_CHARS = 2_000
Result = Literal["ok", "error", "refused"]


@dataclass(frozen=True)
class AuditEntry:
    at: datetime
    username: str
    role: str
    action: str
    target: str
    detail: dict[str, Any]
    result: str
    message: str

    @property
    def changes(self) -> list[tuple[str, Any, Any]]:
        """``(field, before, after)`` for each value the entry says changed (empty for other entries)."""
        found = self.detail.get("changes")
        if not isinstance(found, list):
            return []
        return [
            (str(change.get("field")), change.get("before"), change.get("after"))
            for change in found
            if isinstance(change, dict) and change.get("field") is not None
        ]

    @property
    def other_detail(self) -> dict[str, Any]:
        """What the entry holds besides its changes (what was asked, a job id...)."""
        return {key: value for key, value in self.detail.items() if key != "changes"}


@dataclass(frozen=True)
class AuditFilter:
    """Which entries to read: all of them when nothing is set. Times are UTC; ``until`` is exclusive."""

    username: str | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def fit(text: str, length: int | None) -> str:
    """``text`` without NUL bytes (PostgreSQL text cannot hold them), cut to ``length`` characters ("…" marks a cut)."""
    text = text.replace("\x00", "\ufffd")
    if length is not None and len(text) > length:
        return text[: length - 1] + "\u2026"
    return text


def record_audit(
    engine: sa.Engine,
    *,
    at: datetime,
    username: str,
    role: str,
    action: str,
    target: str = "",
    detail: dict[str, Any] | None = None,
    result: Result,
    message: str = "",
) -> None:
    """Write one entry: who, what (action, target, detail), when, and the result."""
    text = json.dumps(detail or {}, default=str, sort_keys=True)
    if len(text) > MAX_DETAIL_CHARS:
        text = json.dumps({"truncated": text[:MAX_DETAIL_CHARS]})
    columns = console_audit_log.c
    with engine.begin() as conn:
        conn.execute(
            console_audit_log.insert().values(
                at=at,
                username=fit(username, getattr(columns.username.type, "length", None)),
                role=fit(role, getattr(columns.role.type, "length", None)),
                action=fit(action, getattr(columns.action.type, "length", None)),
                target=fit(target, getattr(columns.target.type, "length", None)),
                detail=text,  # json.dumps writes NUL as \u0000: no NUL byte reaches the column
                result=result,
                message=fit(message, MAX_MESSAGE_CHARS),
            )
        )


def _where(query: sa.Select[Any], where: AuditFilter) -> sa.Select[Any]:
    columns = console_audit_log.c
    if where.username:
        query = query.where(columns.username == where.username)
    if where.action:
        query = query.where(columns.action == where.action)
    if where.since is not None:
        query = query.where(columns.at >= where.since)
    if where.until is not None:
        query = query.where(columns.at < where.until)
    return query


def audit_entries(
    engine: sa.Engine, where: AuditFilter | None = None, *, limit: int = 200, offset: int = 0
) -> list[AuditEntry]:
    """The entries ``where`` selects, newest first."""
    table = console_audit_log
    query = _where(sa.select(table), where or AuditFilter()).order_by(table.c.id.desc()).limit(limit).offset(offset)
    with engine.connect() as conn:
        rows = conn.execute(query).mappings().all()
    return [
        AuditEntry(
            at=_aware(row["at"]),
            username=row["username"],
            role=row["role"],
            action=row["action"],
            target=row["target"],
            detail=_detail(row["detail"]),
            result=row["result"],
            message=row["message"],
        )
        for row in rows
    ]


def audit_choices(engine: sa.Engine) -> tuple[list[str], list[str]]:
    """The user names and the actions the log holds, sorted (what the page's filters offer)."""
    table = console_audit_log
    with engine.connect() as conn:
        users = conn.execute(sa.select(table.c.username).distinct().order_by(table.c.username)).scalars().all()
        actions = conn.execute(sa.select(table.c.action).distinct().order_by(table.c.action)).scalars().all()
    return list(users), list(actions)


def _detail(text: str | None) -> dict[str, Any]:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {"detail": text}
    return value if isinstance(value, dict) else {"detail": value}


def _aware(value: datetime) -> datetime:
    # SQLite hands back naive datetimes even for timezone-aware columns; they were written in UTC.
    return value if value.tzinfo else value.replace(tzinfo=UTC)
