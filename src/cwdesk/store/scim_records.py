"""What the SCIM bridge keeps about a ConnectWise record that ConnectWise has no field for (migration ``0008``).

One row per member (``kind`` ``member``) or security role (``role``) the bridge has touched, by ConnectWise id:

- ``external_id``: the identity provider's own id (SCIM ``externalId``; Entra ID and Okta send it), which
  ConnectWise cannot hold;
- ``deleted_at``: when an identity provider DELETEd the user. ConnectWise keeps the member (deactivated: a delete
  of a member with history is refused), but RFC 7644 §3.6 says a deleted resource answers 404 from then on, so
  the bridge hides the member while this is set;
- ``email_primary`` / ``phone_primary``: which email and phone the identity provider last marked ``primary``
  (a ConnectWise slot, ``Office``/``Home``/``Mobile``, or ``none`` when it marked none). ConnectWise's
  ``defaultEmail``/``defaultPhone`` always name a slot, so without this an answer could not repeat a
  provider's "no primary"; a slot that is no longer ConnectWise's default is ignored (someone changed it there).

No secret and no personal data beyond the provider's id. Not for: the fields ConnectWise does hold (read from
ConnectWise every time) or SCIM protocol rules (``cwdesk.scim``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

import sqlalchemy as sa

from cwdesk.store.database import metadata

__all__ = ["Kind", "ScimLink", "ScimRecords", "scim_records"]

EXTERNAL_ID_MAX = 200
Kind = Literal["member", "role"]

scim_records = sa.Table(
    "scim_records",
    metadata,
    sa.Column("kind", sa.String(10), primary_key=True),
    sa.Column("record_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("external_id", sa.String(EXTERNAL_ID_MAX), nullable=True, index=True),
    sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("email_primary", sa.String(10), nullable=True),
    sa.Column("phone_primary", sa.String(10), nullable=True),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)


@dataclass(frozen=True)
class ScimLink:
    """The row of one record (all ``None`` when the bridge never touched it)."""

    external_id: str | None = None
    deleted: bool = False
    email_primary: str | None = None
    phone_primary: str | None = None


def _now() -> datetime:
    return datetime.now(UTC)


class ScimRecords:
    """The ``scim_records`` rows of one kind on the app's database."""

    def __init__(self, engine: sa.Engine, kind: Kind, *, clock: Callable[[], datetime] = _now) -> None:
        self._engine = engine
        self._kind = kind
        self._clock = clock

    def _where(self, record_id: int) -> sa.ColumnElement[bool]:
        return sa.and_(scim_records.c.kind == self._kind, scim_records.c.record_id == record_id)

    def save(self, record_id: int, **values: object) -> None:
        """Write these columns of the record's row (made when missing)."""
        now = self._clock()
        change = scim_records.update().where(self._where(record_id)).values(updated_at=now, **values)
        try:
            with self._engine.begin() as conn:
                if conn.execute(change).rowcount == 0:
                    conn.execute(
                        scim_records.insert().values(kind=self._kind, record_id=record_id, updated_at=now, **values)
                    )
        except sa.exc.IntegrityError:
            # Another request made the row between our update and insert: it exists now, so update it.
            with self._engine.begin() as conn:
                conn.execute(change)

    def links(self, record_ids: Iterable[int]) -> dict[int, ScimLink]:
        """The rows of these records (records without one are left out)."""
        wanted = sorted({int(i) for i in record_ids})
        if not wanted:
            return {}
        c = scim_records.c
        query = sa.select(c.record_id, c.external_id, c.deleted_at, c.email_primary, c.phone_primary).where(
            c.kind == self._kind, c.record_id.in_(wanted)
        )
        with self._engine.connect() as conn:
            return {int(row[0]): ScimLink(row[1], row[2] is not None, row[3], row[4]) for row in conn.execute(query)}

    def link(self, record_id: int) -> ScimLink:
        return self.links([record_id]).get(int(record_id), ScimLink())

    def with_external_id(self, external_id: str) -> list[int]:
        """The records carrying this external id (exact match: RFC 7643 makes externalId case-exact)."""
        c = scim_records.c
        query = sa.select(c.record_id).where(c.kind == self._kind, c.external_id == external_id)
        with self._engine.connect() as conn:
            return sorted(int(row[0]) for row in conn.execute(query))

    def mark_deleted(self, record_id: int) -> None:
        self.save(record_id, deleted_at=self._clock())

    def deleted(self) -> set[int]:
        """The records an identity provider deleted (hidden from SCIM)."""
        c = scim_records.c
        query = sa.select(c.record_id).where(c.kind == self._kind, c.deleted_at.is_not(None))
        with self._engine.connect() as conn:
            return {int(row[0]) for row in conn.execute(query)}
