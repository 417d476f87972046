"""Who may use the console and what they did: sign-in, sessions, roles, CSRF and the audit log (C7).

The rules, in one place:
- First start (no users yet) creates the ``admin`` user and prints a one-time sign-in link, as notebook servers do.
  A link is good once and for ``SIGNIN_LINK_HOURS``; an admin can issue a new one for any user.
- Users have a role: ``viewer`` reads, ``operator`` also changes ConnectWise records and starts jobs, ``admin``
  also manages users. Passwords are argon2 hashes; session ids and link tokens are stored as SHA-256 digests.
- The session cookie is HttpOnly and SameSite=Lax, and Secure when the console is served over HTTPS.
- Every request that changes something (any method but GET/HEAD/OPTIONS) carries the session's CSRF token, as
  the ``X-CSRF-Token`` header or the ``csrf_token`` form field, compared in constant time; without it: 403.
- Every change, and every refused attempt, goes to the audit log: who, what, when, result.
Not for: ConnectWise credentials (they never reach this module or the browser), page rendering (``routes/``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from fastapi import Request

from cwdesk.store.accounts import console_audit_log, console_sessions, console_signin_tokens, console_users

Role = Literal["viewer", "operator", "admin"]
ROLES: tuple[Role, ...] = ("viewer", "operator", "admin")
_RANK = {role: rank for rank, role in enumerate(ROLES)}
# Every request reads its session (a disabled user or an ended session counts at once): built once, not per request.
_SESSION_QUERY = (
    sa.select(
        console_sessions.c.csrf_token,
        console_sessions.c.expires_at,
        console_users.c.id,
        console_users.c.username,
        console_users.c.role,
        console_users.c.disabled,
        console_users.c.password_hash,
    )
    .join(console_users, console_users.c.id == console_sessions.c.user_id)
    .where(console_sessions.c.id_digest == sa.bindparam("digest"))
)

SESSION_COOKIE = "cwdesk_session"
LOGIN_CSRF_COOKIE = "cwdesk_login_csrf"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SESSION_HOURS = 12
SIGNIN_LINK_HOURS = 24
MIN_PASSWORD_LENGTH = 10
_USERNAME = re.compile(r"^[A-Za-z0-9._-]{1,64}$")

_hasher = PasswordHasher()
# Verifying against this keeps the time of a failed sign-in the same whether or not the user exists.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


def _now() -> datetime:
    return datetime.now(UTC)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _aware(value: datetime) -> datetime:
    # SQLite hands back naive datetimes even for timezone-aware columns; they were written in UTC.
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class AccountError(ValueError):
    """A user-management request that cannot be done; the message says what to change."""


class NotSignedIn(Exception):
    """The request has no valid session: pages redirect to the sign-in page, API calls get 401."""


class Forbidden(Exception):
    """The signed-in user may not do this (role too low, or the CSRF token missing or wrong): 403."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Principal:
    """The signed-in user of one request. ``csrf_token`` is rendered into pages for their forms."""

    user_id: int
    username: str
    role: Role
    csrf_token: str
    has_password: bool

    def can(self, role: Role) -> bool:
        """True when this user's role is ``role`` or above (viewer < operator < admin)."""
        return _RANK[self.role] >= _RANK[role]


@dataclass(frozen=True)
class UserSummary:
    username: str
    role: Role
    disabled: bool
    has_password: bool
    created_at: datetime


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


def check_role(value: str) -> Role:
    """``value`` as a Role, or an AccountError naming the roles there are."""
    for role in ROLES:
        if value == role:
            return role
    raise AccountError(f"Unknown role {value!r}: choose one of {', '.join(ROLES)}.")


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"The password is too short: use at least {MIN_PASSWORD_LENGTH} characters.")


def tokens_match(expected: str, given: str | None) -> bool:
    """Constant-time comparison of a CSRF token (so its value cannot be guessed byte by byte)."""
    return bool(given) and hmac.compare_digest(expected.encode(), (given or "").encode())


class Accounts:
    """Users, sessions, sign-in links and the audit log, on the app's database."""

    def __init__(self, engine: sa.Engine, *, clock: Callable[[], datetime] = _now) -> None:
        self._engine = engine
        self._clock = clock

    # users -------------------------------------------------------------------------------------------------
    def has_users(self) -> bool:
        with self._engine.connect() as conn:
            return conn.execute(sa.select(sa.func.count()).select_from(console_users)).scalar_one() > 0

    def ensure_first_admin(self) -> str | None:
        """On first start, create ``admin`` and return a one-time sign-in token for it; else None."""
        if self.has_users():
            return None
        self._insert_user("admin", "admin", None)
        return self.issue_signin_token("admin")

    def create_user(self, username: str, role: str, password: str | None) -> None:
        """A new user. Without a password, the user signs in by a link an admin issues."""
        if not _USERNAME.match(username):
            raise AccountError(
                f"User name {username!r} is not allowed: use 1 to 64 letters, digits, dots, dashes or underscores."
            )
        checked_role = check_role(role)
        if password:
            check_password(password)
        with self._engine.connect() as conn:
            exists = conn.execute(sa.select(console_users.c.id).where(console_users.c.username == username)).first()
        if exists:
            raise AccountError(f"A user named {username!r} already exists: choose another name.")
        self._insert_user(username, checked_role, _hasher.hash(password) if password else None)

    def _insert_user(self, username: str, role: Role, password_hash: str | None) -> None:
        with self._engine.begin() as conn:
            conn.execute(
                console_users.insert().values(
                    username=username,
                    role=role,
                    password_hash=password_hash,
                    disabled=False,
                    created_at=self._clock(),
                )
            )

    def _user_id(self, username: str) -> int:
        with self._engine.connect() as conn:
            user_id = conn.execute(
                sa.select(console_users.c.id).where(console_users.c.username == username)
            ).scalar_one_or_none()
        if user_id is None:
            raise AccountError(f"There is no user named {username!r}.")
        return int(user_id)

    def set_role(self, username: str, role: str) -> None:
        checked_role = check_role(role)
        user_id = self._user_id(username)
        if checked_role != "admin":
            self._refuse_removing_last_admin(user_id)
        with self._engine.begin() as conn:
            conn.execute(console_users.update().where(console_users.c.id == user_id).values(role=checked_role))

    def set_disabled(self, username: str, disabled: bool) -> None:
        user_id = self._user_id(username)
        if disabled:
            self._refuse_removing_last_admin(user_id)
        with self._engine.begin() as conn:
            conn.execute(console_users.update().where(console_users.c.id == user_id).values(disabled=disabled))
            if disabled:
                conn.execute(console_sessions.delete().where(console_sessions.c.user_id == user_id))

    def _refuse_removing_last_admin(self, user_id: int) -> None:
        with self._engine.connect() as conn:
            admins = conn.execute(
                sa.select(console_users.c.id).where(
                    console_users.c.role == "admin", console_users.c.disabled.is_(False)
                )
            ).scalars()
            if list(admins) == [user_id]:
                raise AccountError("This is the last active admin: make another user admin first.")

    def set_password(self, user_id: int, password: str) -> None:
        check_password(password)
        with self._engine.begin() as conn:
            conn.execute(
                console_users.update().where(console_users.c.id == user_id).values(password_hash=_hasher.hash(password))
            )

    def list_users(self) -> list[UserSummary]:
        with self._engine.connect() as conn:
            rows = conn.execute(sa.select(console_users).order_by(console_users.c.username)).mappings().all()
        return [
            UserSummary(
                username=row["username"],
                role=check_role(row["role"]),
                disabled=bool(row["disabled"]),
                has_password=row["password_hash"] is not None,
                created_at=_aware(row["created_at"]),
            )
            for row in rows
        ]

    # sign-in -----------------------------------------------------------------------------------------------
    def issue_signin_token(self, username: str) -> str:
        """A one-time sign-in token for ``username`` (shown once; only its digest is stored)."""
        user_id = self._user_id(username)
        token = secrets.token_urlsafe(32)
        now = self._clock()
        with self._engine.begin() as conn:
            conn.execute(
                console_signin_tokens.insert().values(
                    token_digest=_digest(token),
                    user_id=user_id,
                    created_at=now,
                    expires_at=now + timedelta(hours=SIGNIN_LINK_HOURS),
                    used_at=None,
                )
            )
        return token

    def redeem_signin_token(self, token: str) -> str | None:
        """A new session id for the token's user, or None when the token is unknown, used, expired or disabled."""
        now = self._clock()
        table = console_signin_tokens
        with self._engine.begin() as conn:
            row = conn.execute(sa.select(table).where(table.c.token_digest == _digest(token))).mappings().first()
            if row is None or row["used_at"] is not None or _aware(row["expires_at"]) <= now:
                return None
            # Mark used in the same transaction, guarded on used_at, so two tabs cannot both redeem it.
            marked = conn.execute(
                table.update()
                .where(table.c.token_digest == row["token_digest"], table.c.used_at.is_(None))
                .values(used_at=now)
            )
            if marked.rowcount != 1:
                return None
            user_id = int(row["user_id"])
        if self._is_disabled(user_id):
            return None
        return self.start_session(user_id)

    def sign_in_with_password(self, username: str, password: str) -> str | None:
        """A new session id, or None for a wrong name, wrong password, or a disabled user (same answer for all)."""
        with self._engine.connect() as conn:
            row = conn.execute(sa.select(console_users).where(console_users.c.username == username)).mappings().first()
        stored = row["password_hash"] if row is not None else None
        try:
            _hasher.verify(stored or _DUMMY_HASH, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return None
        if row is None or stored is None or row["disabled"]:
            return None
        return self.start_session(int(row["id"]))

    def _is_disabled(self, user_id: int) -> bool:
        with self._engine.connect() as conn:
            disabled = conn.execute(
                sa.select(console_users.c.disabled).where(console_users.c.id == user_id)
            ).scalar_one_or_none()
        return disabled is None or bool(disabled)

    # sessions ----------------------------------------------------------------------------------------------
    def start_session(self, user_id: int) -> str:
        session_id = secrets.token_urlsafe(32)
        now = self._clock()
        with self._engine.begin() as conn:
            conn.execute(
                console_sessions.insert().values(
                    id_digest=_digest(session_id),
                    user_id=user_id,
                    csrf_token=secrets.token_urlsafe(32),
                    created_at=now,
                    expires_at=now + timedelta(hours=SESSION_HOURS),
                )
            )
        return session_id

    def session_principal(self, session_id: str | None) -> Principal | None:
        """The user behind a session cookie, or None when it is missing, unknown, expired or the user disabled."""
        if not session_id:
            return None
        with self._engine.connect() as conn:
            row = conn.execute(_SESSION_QUERY, {"digest": _digest(session_id)}).mappings().first()
        if row is None or row["disabled"] or _aware(row["expires_at"]) <= self._clock():
            return None
        return Principal(
            user_id=int(row["id"]),
            username=row["username"],
            role=check_role(row["role"]),
            csrf_token=row["csrf_token"],
            has_password=row["password_hash"] is not None,
        )

    def end_session(self, session_id: str | None) -> None:
        if not session_id:
            return
        with self._engine.begin() as conn:
            conn.execute(console_sessions.delete().where(console_sessions.c.id_digest == _digest(session_id)))

    # audit -------------------------------------------------------------------------------------------------
    def record(
        self,
        *,
        username: str,
        role: str,
        action: str,
        target: str = "",
        detail: dict[str, Any] | None = None,
        result: Literal["ok", "error", "refused"],
        message: str = "",
    ) -> None:
        """One audit entry: who, what (action, target, what was asked), when, and the result."""
        with self._engine.begin() as conn:
            conn.execute(
                console_audit_log.insert().values(
                    at=self._clock(),
                    username=username,
                    role=role,
                    action=action,
                    target=target[:255],
                    detail=json.dumps(detail or {}, default=str, sort_keys=True),
                    result=result,
                    message=message,
                )
            )

    def audit_entries(self, *, limit: int = 200, offset: int = 0) -> list[AuditEntry]:
        """The newest entries first."""
        table = console_audit_log
        query = sa.select(table).order_by(table.c.id.desc()).limit(limit).offset(offset)
        with self._engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
        return [
            AuditEntry(
                at=_aware(row["at"]),
                username=row["username"],
                role=row["role"],
                action=row["action"],
                target=row["target"],
                detail=json.loads(row["detail"] or "{}"),
                result=row["result"],
                message=row["message"],
            )
            for row in rows
        ]


# FastAPI wiring ---------------------------------------------------------------------------------------------
def accounts_of(request: Request) -> Accounts:
    accounts: Accounts = request.app.state.accounts
    return accounts


async def _submitted_csrf(request: Request) -> str | None:
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()  # Starlette caches it: the route reads the same form afterwards.
        value = form.get(CSRF_FIELD)
        return value if isinstance(value, str) else None
    return None


def require(role: Role) -> Callable[[Request], Awaitable[Principal]]:
    """A FastAPI dependency: the signed-in user, with at least ``role``, and a valid CSRF token on a change."""

    async def dependency(request: Request) -> Principal:
        accounts = accounts_of(request)
        principal = accounts.session_principal(request.cookies.get(SESSION_COOKIE))
        if principal is None:
            raise NotSignedIn()
        changing = request.method not in SAFE_METHODS
        if changing and not tokens_match(principal.csrf_token, await _submitted_csrf(request)):
            accounts.record(
                username=principal.username,
                role=principal.role,
                action=f"{request.method} {request.url.path}",
                result="refused",
                message="missing or wrong CSRF token",
            )
            raise Forbidden("This change was refused: the page's security token is missing or out of date. Reload.")
        if not principal.can(role):
            if changing:
                accounts.record(
                    username=principal.username,
                    role=principal.role,
                    action=f"{request.method} {request.url.path}",
                    result="refused",
                    message=f"needs role {role}",
                )
            raise Forbidden(f"Your role ({principal.role}) cannot do this: it needs {role}. Ask an admin.")
        request.state.principal = principal
        return principal

    return dependency


def audit(
    request: Request,
    principal: Principal,
    action: str,
    *,
    target: str = "",
    detail: dict[str, Any] | None = None,
    result: Literal["ok", "error", "refused"],
    message: str = "",
) -> None:
    """Record a change made by ``principal`` in this request (routes call it after each attempt)."""
    accounts_of(request).record(
        username=principal.username,
        role=principal.role,
        action=action,
        target=target,
        detail=detail,
        result=result,
        message=message,
    )


def is_https(request: Request) -> bool:
    return request.url.scheme == "https"


def new_login_csrf() -> str:
    return secrets.token_urlsafe(32)
