"""API tokens: the secrets programs present instead of a console session (MCP over HTTP, SCIM identity providers).

One table, ``api_tokens`` (migration ``0007``), one rule for every kind of token:

- A token has a name (``okta``, ``claude-desktop``), a purpose (``api``: the console's API and ``/mcp``; ``scim``:
  an identity provider's provisioning calls), a role (the console's roles, ``store.accounts.ROLES``), who made it
  and when, when it was last used, and when it was revoked.
- The secret is ``cwd_`` followed by ``secrets.token_urlsafe(32)`` (256 random bits): the prefix lets secret
  scanners and people recognise a leaked cwdesk token. It is shown once, by ``create``; the store keeps only its
  SHA-256 digest (``token_digest``), like the console's session ids and sign-in links (``store.accounts``), so a
  copy of the database does not let anyone in. A slow password hash is not needed: the secret is random, not a
  word someone chose, so nothing is gained by guessing against the digest.
- ``verify`` finds the token by the digest of what was presented, compares the digests with
  ``hmac.compare_digest``, refuses a revoked token or one of another purpose, and notes the use (``last_used_at``,
  written at most once a minute per token so that a busy client does not write the database on every request).
- Names are unique among the tokens not revoked (a partial unique index), so ``revoke("okta")`` means one token;
  a revoked token's name can be given to a new one.
- ``TokenInfo`` never holds the secret (nor its digest): its repr, logs and pages cannot show it.
Not for: who may do what with a role (``cwdesk.console.security``), the HTTP headers (console, ``cwdesk.mcp``).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import sqlalchemy as sa

from cwdesk.errors import ConfigurationError
from cwdesk.store.accounts import ROLES, Role
from cwdesk.store.database import metadata

Purpose = Literal["api", "scim"]
PURPOSES: tuple[Purpose, ...] = ("api", "scim")

#: How every cwdesk token starts (recognisable in a leaked file or a secret scanner's rules).
SECRET_PREFIX = "cwd_"
#: Random bytes behind each secret (``secrets.token_urlsafe``: 43 characters).
SECRET_BYTES = 32
#: ``last_used_at`` is written again only when it is older than this (one write a minute, not one per request).
LAST_USED_EVERY = timedelta(minutes=1)
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")

api_tokens = sa.Table(
    "api_tokens",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(64), nullable=False),
    sa.Column("purpose", sa.String(16), nullable=False),  # api | scim
    sa.Column("role", sa.String(16), nullable=False),  # viewer | operator | admin
    # SHA-256 of the secret, hex: the secret itself is never stored.
    sa.Column("token_digest", sa.String(64), nullable=False, unique=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("created_by", sa.String(120), nullable=False),
    sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("revoked_by", sa.String(120), nullable=True),
)

sa.Index(
    "ix_api_tokens_active_name",
    api_tokens.c.name,
    unique=True,
    sqlite_where=api_tokens.c.revoked_at.is_(None),
    postgresql_where=api_tokens.c.revoked_at.is_(None),
)


class TokenError(ConfigurationError):
    """A token request that cannot be done (bad name, unknown role, no such token...); the message says why."""


@dataclass(frozen=True)
class TokenInfo:
    """What is known of a token: everything but its secret (which is never stored)."""

    id: int
    name: str
    purpose: Purpose
    role: Role
    created_at: datetime
    created_by: str
    last_used_at: datetime | None
    revoked_at: datetime | None
    revoked_by: str | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "purpose": self.purpose,
            "role": self.role,
            "created_at": self.created_at.isoformat(),
            "created_by": self.created_by,
            "last_used_at": self.last_used_at.isoformat() if self.last_used_at else None,
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
            "revoked_by": self.revoked_by,
        }


def digest_of(secret: str) -> str:
    """The SHA-256 hex digest a secret is stored and looked up by."""
    return hashlib.sha256(secret.encode("utf-8", "surrogateescape")).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(value: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes even for timezone-aware columns; they were written in UTC.
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def check_purpose(value: str) -> Purpose:
    for purpose in PURPOSES:
        if value == purpose:
            return purpose
    raise TokenError(f"Unknown token purpose {value!r}: choose one of {', '.join(PURPOSES)}.")


def check_token_role(value: str) -> Role:
    for role in ROLES:
        if value == role:
            return role
    raise TokenError(f"Unknown role {value!r}: choose one of {', '.join(ROLES)}.")


def _info(row: Any) -> TokenInfo:
    created_at = _aware(row["created_at"])
    assert created_at is not None
    return TokenInfo(
        id=int(row["id"]),
        name=row["name"],
        purpose=check_purpose(row["purpose"]),
        role=check_token_role(row["role"]),
        created_at=created_at,
        created_by=row["created_by"],
        last_used_at=_aware(row["last_used_at"]),
        revoked_at=_aware(row["revoked_at"]),
        revoked_by=row["revoked_by"],
    )


_INFO_COLUMNS = [c for c in api_tokens.c if c.name != "token_digest"]


class Tokens:
    """The API tokens on the app's database."""

    def __init__(self, engine: sa.Engine, *, clock: Callable[[], datetime] = _now) -> None:
        self._engine = engine
        self._clock = clock

    def create(self, name: str, purpose: str, role: str, created_by: str) -> tuple[TokenInfo, str]:
        """A new token and its secret. The secret is returned this once and never stored: show it, then drop it."""
        name = name.strip()
        if not _NAME.match(name):
            raise TokenError(
                f"Token name {name!r} is not allowed: use 1 to 64 letters, digits, dots, dashes or underscores, "
                "starting with a letter or digit (e.g. okta, claude-desktop)."
            )
        checked_purpose = check_purpose(purpose)
        checked_role = check_token_role(role)
        secret = SECRET_PREFIX + secrets.token_urlsafe(SECRET_BYTES)
        now = self._clock()
        try:
            with self._engine.begin() as conn:
                inserted = conn.execute(
                    api_tokens.insert().values(
                        name=name,
                        purpose=checked_purpose,
                        role=checked_role,
                        token_digest=digest_of(secret),
                        created_at=now,
                        created_by=created_by[:120],
                        last_used_at=None,
                        revoked_at=None,
                        revoked_by=None,
                    )
                )
                token_id = int(inserted.inserted_primary_key[0])  # type: ignore[index]
        except sa.exc.IntegrityError:
            # The only constraint a new random digest can meet is the active-name index (a 256-bit clash is not).
            raise TokenError(
                f"A token named {name!r} already exists and is not revoked: choose another name, or revoke it first."
            ) from None
        return self.get(token_id), secret

    def get(self, token_id: int) -> TokenInfo:
        with self._engine.connect() as conn:
            row = conn.execute(sa.select(*_INFO_COLUMNS).where(api_tokens.c.id == token_id)).mappings().first()
        if row is None:
            raise TokenError(f"There is no token with id {token_id}: `cwdesk tokens list` shows them.")
        return _info(row)

    def verify(self, secret: str | None, purpose: str) -> TokenInfo | None:
        """The token ``secret`` belongs to, if it is of ``purpose`` and not revoked; else None (the same for all)."""
        wanted = check_purpose(purpose)
        if not secret or not secret.startswith(SECRET_PREFIX) or len(secret) > 200:
            return None
        presented = digest_of(secret)
        with self._engine.connect() as conn:
            row = (
                conn.execute(
                    sa.select(*_INFO_COLUMNS, api_tokens.c.token_digest).where(api_tokens.c.token_digest == presented)
                )
                .mappings()
                .first()
            )
        if row is None or not hmac.compare_digest(str(row["token_digest"]), presented):
            return None
        if row["revoked_at"] is not None or row["purpose"] != wanted:
            return None
        info = _info(row)
        now = self._clock()
        if info.last_used_at is None or now - info.last_used_at >= LAST_USED_EVERY:
            with self._engine.begin() as conn:
                conn.execute(api_tokens.update().where(api_tokens.c.id == info.id).values(last_used_at=now))
            info = TokenInfo(**{**info.__dict__, "last_used_at": now})
        return info

    def list(self, purpose: str | None = None, *, include_revoked: bool = True) -> list[TokenInfo]:
        """The tokens (of ``purpose``, or all), oldest first."""
        query = sa.select(*_INFO_COLUMNS).order_by(api_tokens.c.id)
        if purpose is not None:
            query = query.where(api_tokens.c.purpose == check_purpose(purpose))
        if not include_revoked:
            query = query.where(api_tokens.c.revoked_at.is_(None))
        with self._engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
        return [_info(row) for row in rows]

    def find(self, id_or_name: int | str) -> TokenInfo:
        """The token with this id, or the token not revoked with this name."""
        if isinstance(id_or_name, int) or id_or_name.strip().isdigit():
            return self.get(int(id_or_name))
        name = id_or_name.strip()
        with self._engine.connect() as conn:
            row = (
                conn.execute(
                    sa.select(*_INFO_COLUMNS).where(api_tokens.c.name == name, api_tokens.c.revoked_at.is_(None))
                )
                .mappings()
                .first()
            )
        if row is None:
            raise TokenError(f"There is no token named {name!r} that is not revoked: `cwdesk tokens list` shows them.")
        return _info(row)

    def revocable(self, id_or_name: int | str) -> TokenInfo:
        """The token ``revoke`` would revoke (asked before a confirmation); a TokenError if it cannot be."""
        found = self.find(id_or_name)
        if found.revoked_at is not None:
            raise TokenError(
                f"Token {found.id} ({found.name}) was already revoked at {found.revoked_at:%Y-%m-%d %H:%M} UTC."
            )
        return found

    def revoke(self, id_or_name: int | str, *, revoked_by: str = "") -> TokenInfo:
        """Revoke a token (by id, or by the name of a token not revoked): it stops working at once."""
        found = self.revocable(id_or_name)
        with self._engine.begin() as conn:
            conn.execute(
                api_tokens.update()
                .where(api_tokens.c.id == found.id, api_tokens.c.revoked_at.is_(None))
                .values(revoked_at=self._clock(), revoked_by=revoked_by[:120] or None)
            )
        return self.get(found.id)


__all__ = [
    "PURPOSES",
    "SECRET_PREFIX",
    "Purpose",
    "TokenError",
    "TokenInfo",
    "Tokens",
    "api_tokens",
    "digest_of",
]
