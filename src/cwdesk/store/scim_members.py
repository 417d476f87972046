"""What the SCIM bridge keeps about a ConnectWise member that ConnectWise has no field for (migration ``0008``).

One row per member the bridge has touched, by ConnectWise member id:

- ``external_id``: the identity provider's own id for the user (SCIM ``externalId``; Entra ID and Okta send it),
  which ConnectWise cannot hold;
- ``deleted_at``: when an identity provider DELETEd the user. ConnectWise keeps the member (deactivated: a delete
  of a member with history is refused), but RFC 7644 §3.6 says a deleted resource answers 404 from then on, so
  the bridge hides the member while this is set.

No secret and no personal data beyond the provider's id. Not for: member fields ConnectWise does hold (those are
read from ConnectWise every time) or SCIM protocol rules (``cwdesk.scim``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime

import sqlalchemy as sa

from cwdesk.store.database import metadata

__all__ = ["ScimMembers", "scim_members"]

EXTERNAL_ID_MAX = 200

scim_members = sa.Table(
    "scim_members",
    metadata,
    sa.Column("member_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("external_id", sa.String(EXTERNAL_ID_MAX), nullable=True, index=True),
    sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)


def _now() -> datetime:
    return datetime.now(UTC)


class ScimMembers:
    """The ``scim_members`` rows on the app's database."""

    def __init__(self, engine: sa.Engine, *, clock: Callable[[], datetime] = _now) -> None:
        self._engine = engine
        self._clock = clock

    def _upsert(self, member_id: int, **values: object) -> None:
        now = self._clock()
        with self._engine.begin() as conn:
            updated = conn.execute(
                scim_members.update().where(scim_members.c.member_id == member_id).values(updated_at=now, **values)
            )
            if updated.rowcount == 0:
                conn.execute(scim_members.insert().values(member_id=member_id, updated_at=now, **values))

    def set_external_id(self, member_id: int, external_id: str | None) -> None:
        self._upsert(member_id, external_id=external_id)

    def external_ids(self, member_ids: Iterable[int]) -> dict[int, str]:
        """The external ids of these members (members without one are left out)."""
        wanted = [int(i) for i in member_ids]
        if not wanted:
            return {}
        query = sa.select(scim_members.c.member_id, scim_members.c.external_id).where(
            scim_members.c.member_id.in_(wanted), scim_members.c.external_id.is_not(None)
        )
        with self._engine.connect() as conn:
            return {int(row[0]): str(row[1]) for row in conn.execute(query)}

    def with_external_id(self, external_id: str) -> list[int]:
        """The members carrying this external id (exact match, as RFC 7643 makes externalId case-exact)."""
        query = sa.select(scim_members.c.member_id).where(scim_members.c.external_id == external_id)
        with self._engine.connect() as conn:
            return sorted(int(row[0]) for row in conn.execute(query))

    def mark_deleted(self, member_id: int) -> None:
        self._upsert(member_id, deleted_at=self._clock())

    def undelete(self, member_id: int) -> None:
        self._upsert(member_id, deleted_at=None)

    def deleted(self) -> set[int]:
        """The members an identity provider deleted (hidden from SCIM)."""
        query = sa.select(scim_members.c.member_id).where(scim_members.c.deleted_at.is_not(None))
        with self._engine.connect() as conn:
            return {int(row[0]) for row in conn.execute(query)}

    def is_deleted(self, member_id: int) -> bool:
        query = sa.select(scim_members.c.deleted_at).where(scim_members.c.member_id == member_id)
        with self._engine.connect() as conn:
            return conn.execute(query).scalar() is not None
