"""Who may use the console and what they did: sign-in, sessions, roles, CSRF and the audit log (C7).

The rules, in one place:
- First start (no users yet) creates the ``admin`` user and prints a one-time sign-in link, as notebook servers do.
  A link is good once and for ``SIGNIN_LINK_HOURS``; an admin can issue a new one for any user, which revokes that
  user's older unused links. ``cwdesk console --new-signin-link`` also makes ``admin`` an active admin again.
- There is always an active admin: demoting or disabling the last one is refused, atomically.
- Users have a role: ``viewer`` reads, ``operator`` also changes ConnectWise records and starts jobs, ``admin``
  also manages users. Passwords are argon2 hashes; session ids and link tokens are stored as SHA-256 digests.
- The session cookie is HttpOnly and SameSite=Lax, and Secure when the console is served over HTTPS; over HTTPS
  the cookies are named with the ``__Host-`` prefix (Secure, Path=/, no Domain: no other host, not even a sibling
  subdomain, can set or shadow them) and every POST must come with an ``Origin`` of the console itself (a
  different or ``null`` Origin: 403). Browsers send ``Origin`` on every POST; a client that sends none (curl, the
  tests) still needs the CSRF token.
- Login CSRF (issue 14, item 5): a sign-in link (``/signin?token=``) only shows a confirmation page, naming the
  account and, when this browser is already signed in, the account it would leave; the switch happens on that
  page's POST. The sign-in forms' token is a nonce plus its HMAC under a secret of this console process, also set
  as a SameSite=Strict cookie: a page elsewhere can neither read nor forge one, so an ``<img>`` or a cross-site form
  cannot sign a victim into someone else's account.
- Every request that changes something (any method but GET/HEAD/OPTIONS) carries the session's CSRF token, as
  the ``X-CSRF-Token`` header or the ``csrf_token`` form field, compared in constant time; without it: 403.
- Every change, and every refused attempt, goes to the audit log: who, what, when, result. Failed sign-ins are
  counted into one row per name (or "(unknown)") per client address per ``AUDIT_WINDOW_MINUTES``, so a guessing
  burst cannot fill the database.
- Password guessing is slowed (``SignInThrottle``): after ``FREE_FAILURES`` failures for one account name or from
  one client address, sign-in answers 429 with ``Retry-After``, doubling per further failure up to
  ``MAX_DELAY_SECONDS``; a success clears it and failures are forgotten after an hour, so nobody is locked out for
  good. At most ``PASSWORD_CHECKS_AT_ONCE`` argon2 checks run at once (each takes ~64 MiB and a CPU core).
- New passwords follow NIST SP 800-63B section 5.1.1.2: at least ``MIN_PASSWORD_LENGTH`` characters, no upper
  limit below 256, and not one of the ~20,000 most common passwords (``common-passwords.txt.gz``, Royce Williams'
  list as shipped by Django), nor such a word with only digits or symbols around it, nor a run of 3 or fewer
  distinct characters. No composition rules (NIST advises against them).
- Changing one's own password needs the current one, ends the user's other sessions and gives this browser a new
  session id.
- Sizes are bounded (issue 14, item 7): a request body is at most ``MAX_REQUEST_BYTES`` (else 413, before the route
  runs: ``BodySizeLimit``); JSON bodies nest at most ``untrusted_json.MAX_DEPTH`` deep (else 400:
  ``read_json_body``); each text value a user submits is at most ``MAX_VALUE_CHARS``, a list at most
  ``MAX_LIST_ITEMS`` items (``check_sizes``); audit rows are cut to their columns' sizes, NUL bytes replaced, and a
  detail longer than ``store.audit.MAX_DETAIL_CHARS`` is stored as its truncated text, so an audit row is never lost to
  "value too long" or a NUL byte on PostgreSQL.
Not for: ConnectWise credentials (they never reach this module or the browser), page rendering (``routes/``).
"""

from __future__ import annotations

import gzip
import hashlib
import hmac
import json
import re
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from importlib import resources
from typing import Any, Literal

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from fastapi import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# (The roles are defined beside the users' table, for the API tokens too; re-exported here for the console.)
from cwdesk.store.accounts import ROLES as ROLES
from cwdesk.store.accounts import Role as Role
from cwdesk.store.accounts import console_audit_log, console_sessions, console_signin_tokens, console_users
from cwdesk.store.audit import AuditEntry, AuditFilter, audit_entries, record_audit
from cwdesk.untrusted_json import UntrustedJSONError, loads_bounded

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
MAX_PASSWORD_LENGTH = 256  # NIST 800-63B: allow at least 64; longer only costs argon2 time
FREE_FAILURES = 5
MAX_DELAY_SECONDS = 900
FORGET_FAILURES_SECONDS = 3600
PASSWORD_CHECKS_AT_ONCE = 2
PASSWORD_CHECK_WAIT_SECONDS = 10.0
AUDIT_WINDOW_MINUTES = 15
_AUDIT_NAME_CHARS = 64
# Sizes (issue 14 item 7: one 10 MB bulk value grew the database by 262 MB; 200,000 company ids took 9.6 s). The
# largest ConnectWise text fields the console edits are a few hundred characters (company name 50, address lines 50,
# notes up to 1,000 in the Manage spec), so 2,000 is ample; a page of onboarding holds a few dozen list items.
MAX_REQUEST_BYTES = 512 * 1024
MAX_VALUE_CHARS = 2_000
MAX_LIST_ITEMS = 500
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


class SignInDeferred(Exception):
    """Sign-in is not tried now: too many recent failures (429) or too many checks at once (503).

    ``retry_after`` is the whole number of seconds to wait, for the ``Retry-After`` header.
    """

    def __init__(self, retry_after: int, message: str, *, status: int = 429) -> None:
        super().__init__(message)
        self.retry_after = max(1, retry_after)
        self.message = message
        self.status = status


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


def check_role(value: str) -> Role:
    """``value`` as a Role, or an AccountError naming the roles there are."""
    for role in ROLES:
        if value == role:
            return role
    raise AccountError(f"Unknown role {value!r}: choose one of {', '.join(ROLES)}.")


@cache
def common_passwords() -> frozenset[str]:
    """The bundled list of common passwords, lower case (read once)."""
    data = resources.files("cwdesk.console").joinpath("common-passwords.txt.gz").read_bytes()
    return frozenset(line.strip().lower() for line in gzip.decompress(data).decode().splitlines() if line.strip())


# A common word with only digits or symbols before or after it ("password12", "!!dragon2024") is as guessable.
_PADDING = re.compile(r"^[\W\d_]*(.*?)[\W\d_]*$")


def check_password(password: str) -> None:
    """Refuse a new password that is too short, too long, or easy to guess, saying which (NIST 800-63B 5.1.1.2)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"The password is too short: use at least {MIN_PASSWORD_LENGTH} characters.")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError(f"The password is too long: use at most {MAX_PASSWORD_LENGTH} characters.")
    lowered = password.lower()
    if len(set(lowered)) <= 3:
        raise AccountError(
            "The password repeats too few characters (like 'aaaaaaaaaa'): use a few unrelated words instead."
        )
    core = _PADDING.match(lowered)
    common = common_passwords()
    if lowered in common or (core is not None and core.group(1) in common):
        raise AccountError(
            "The password is one of the most common passwords (or one with digits added), which attackers try "
            "first: choose another, e.g. a few unrelated words."
        )


def tokens_match(expected: str, given: str | None) -> bool:
    """Constant-time comparison of a CSRF token (so its value cannot be guessed byte by byte)."""
    return bool(given) and hmac.compare_digest(expected.encode(), (given or "").encode())


class SignInThrottle:
    """Failed sign-ins counted per key (an account name, a client address); how long a key must wait.

    A key may fail ``FREE_FAILURES`` times; from then on it waits 1 s after its last failure, doubling with each
    further failure up to ``MAX_DELAY_SECONDS``. A key without a failure for ``FORGET_FAILURES_SECONDS`` starts
    afresh, and at most ``max_keys`` keys are remembered (the oldest forgotten first), so memory stays bounded.
    Hand-written because the rate-limit libraries count requests in windows; this needs a per-key exponential
    delay that only failures grow (a success clears it).
    """

    def __init__(self, *, clock: Callable[[], float] = time.monotonic, max_keys: int = 10_000) -> None:
        self._clock = clock
        self._max_keys = max_keys
        self._failures: OrderedDict[str, tuple[int, float]] = OrderedDict()  # key -> (count, time of last)
        self._lock = threading.Lock()

    @staticmethod
    def _delay(count: int) -> float:
        if count < FREE_FAILURES:
            return 0.0
        return float(min(2 ** (count - FREE_FAILURES), MAX_DELAY_SECONDS))

    def wait_seconds(self, keys: Iterable[str]) -> float:
        """Seconds until every key may try again (0 when all may now)."""
        now = self._clock()
        longest = 0.0
        with self._lock:
            for key in keys:
                entry = self._failures.get(key)
                if entry is None:
                    continue
                count, last = entry
                if now - last > FORGET_FAILURES_SECONDS:
                    del self._failures[key]
                    continue
                longest = max(longest, last + self._delay(count) - now)
        return max(0.0, longest)

    def failed(self, keys: Iterable[str]) -> None:
        now = self._clock()
        with self._lock:
            for key in keys:
                count, last = self._failures.pop(key, (0, now))
                if now - last > FORGET_FAILURES_SECONDS:
                    count = 0
                self._failures[key] = (count + 1, now)
            while len(self._failures) > self._max_keys:
                self._failures.popitem(last=False)

    def succeeded(self, keys: Iterable[str]) -> None:
        with self._lock:
            for key in keys:
                self._failures.pop(key, None)


def _throttle_keys(username: str, client: str) -> tuple[str, str]:
    return f"name:{username.strip().lower()[:_AUDIT_NAME_CHARS]}", f"client:{client}"


class Accounts:
    """Users, sessions, sign-in links and the audit log, on the app's database."""

    def __init__(
        self,
        engine: sa.Engine,
        *,
        clock: Callable[[], datetime] = _now,
        throttle: SignInThrottle | None = None,
        password_checks_at_once: int = PASSWORD_CHECKS_AT_ONCE,
    ) -> None:
        self._engine = engine
        self._clock = clock
        self.throttle = throttle or SignInThrottle()
        self._password_checks = threading.BoundedSemaphore(password_checks_at_once)
        # (name, client, window start) -> (audit row id, failures, throttled attempts): one row per window.
        self._failed_rows: dict[tuple[str, str, datetime], tuple[int, int, int]] = {}
        self._failed_rows_lock = threading.Lock()
        # Signs the sign-in forms' tokens; a restart makes open sign-in forms ask to reload, nothing more.
        self._login_key = secrets.token_bytes(32)

    # login CSRF --------------------------------------------------------------------------------------------
    def new_login_csrf(self) -> str:
        """A sign-in form token: ``nonce.mac``, the mac an HMAC of the nonce under this process's secret."""
        nonce = secrets.token_urlsafe(24)
        return f"{nonce}.{self._login_mac(nonce)}"

    def _login_mac(self, nonce: str) -> str:
        return hmac.new(self._login_key, nonce.encode("ascii", "replace"), hashlib.sha256).hexdigest()

    def login_csrf_valid(self, cookie: str | None, submitted: str | None) -> bool:
        """Whether the form's token is the cookie's, and was made by this console (constant-time compares)."""
        if not cookie or not tokens_match(cookie, submitted):
            return False
        nonce, _, mac = cookie.rpartition(".")
        return bool(nonce) and hmac.compare_digest(self._login_mac(nonce), mac)

    # users -------------------------------------------------------------------------------------------------
    def has_users(self) -> bool:
        with self._engine.connect() as conn:
            return conn.execute(sa.select(sa.func.count()).select_from(console_users)).scalar_one() > 0

    def admin_has_password(self) -> bool:
        """Whether an active admin can sign in with a password (else only a sign-in link lets one in)."""
        with self._engine.connect() as conn:
            found = conn.execute(
                sa.select(console_users.c.id).where(
                    console_users.c.role == "admin",
                    console_users.c.disabled.is_(False),
                    console_users.c.password_hash.is_not(None),
                )
            ).first()
        return found is not None

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
        self._change_user(self._user_id(username), {"role": checked_role}, removes_admin=checked_role != "admin")

    def set_disabled(self, username: str, disabled: bool) -> None:
        user_id = self._user_id(username)
        self._change_user(user_id, {"disabled": disabled}, removes_admin=disabled)
        if disabled:
            with self._engine.begin() as conn:
                conn.execute(console_sessions.delete().where(console_sessions.c.user_id == user_id))

    def _change_user(self, user_id: int, values: dict[str, Any], *, removes_admin: bool) -> None:
        """Update one user; when the change may remove an active admin, only if another active admin remains.

        The check and the update are one guarded UPDATE statement, so two admins demoting each other at the same
        moment cannot both succeed: SQLite runs a writing statement under its single write lock. On PostgreSQL
        (READ COMMITTED) a statement's subquery reads a snapshot, so the active admins' rows are first locked
        (``FOR UPDATE``, in id order, so two such changes queue instead of deadlocking); the second change then
        reads the first one's result.
        """
        users = console_users
        statement = users.update().where(users.c.id == user_id).values(**values)
        if removes_admin:
            others = sa.select(users.c.id).where(
                users.c.role == "admin", users.c.disabled.is_(False), users.c.id != user_id
            )
            statement = statement.where(sa.or_(users.c.role != "admin", users.c.disabled.is_(True), sa.exists(others)))
        with self._engine.begin() as conn:
            if removes_admin and conn.dialect.name != "sqlite":
                conn.execute(
                    sa.select(users.c.id)
                    .where(users.c.role == "admin", users.c.disabled.is_(False))
                    .order_by(users.c.id)
                    .with_for_update()
                ).all()
            changed = conn.execute(statement).rowcount
        if changed != 1:
            raise AccountError("This is the last active admin: make another user admin first.")

    def restore_admin(self, username: str = "admin") -> None:
        """Make ``username`` an active admin again (created without a password if missing).

        For ``cwdesk console --new-signin-link``: whoever can run the console on the server owns it, and must be
        able to get back in even when no active admin is left.
        """
        with self._engine.connect() as conn:
            exists = conn.execute(sa.select(console_users.c.id).where(console_users.c.username == username)).first()
        if exists is None:
            self._insert_user(username, "admin", None)
            return
        with self._engine.begin() as conn:
            conn.execute(
                console_users.update().where(console_users.c.username == username).values(role="admin", disabled=False)
            )

    def set_password(self, user_id: int, password: str) -> None:
        """Set a user's password (no current password asked: for admins and first-start setup)."""
        check_password(password)
        with self._engine.begin() as conn:
            conn.execute(
                console_users.update().where(console_users.c.id == user_id).values(password_hash=_hasher.hash(password))
            )

    def change_own_password(self, session_id: str, current: str, password: str, *, client: str = "-") -> str:
        """The signed-in user's new password; returns the session id that replaces ``session_id``.

        A user who has a password must give it (a stolen session alone cannot take the account over); every other
        session of the user ends, and this one gets a new id (so an old copy of the cookie is worth nothing).
        """
        principal = self.session_principal(session_id)
        if principal is None:
            raise AccountError("Your session has ended: sign in again.")
        with self._engine.connect() as conn:
            stored = conn.execute(
                sa.select(console_users.c.password_hash).where(console_users.c.id == principal.user_id)
            ).scalar_one_or_none()
        if stored is not None:
            # The same throttle as sign-in: a stolen session must not be a way to guess the password.
            keys = _throttle_keys(principal.username, client)
            wait = self.throttle.wait_seconds(keys)
            if wait > 0:
                raise SignInDeferred(int(wait + 0.999), f"Too many wrong passwords: wait {int(wait + 0.999)} s.")
            if not self._verify(stored, current):
                self.throttle.failed(keys)
                raise AccountError("The current password is wrong: type the password you sign in with now.")
        check_password(password)
        new_hash = _hasher.hash(password)
        with self._engine.begin() as conn:
            conn.execute(
                console_users.update().where(console_users.c.id == principal.user_id).values(password_hash=new_hash)
            )
            conn.execute(console_sessions.delete().where(console_sessions.c.user_id == principal.user_id))
        return self.start_session(principal.user_id)

    def _verify(self, stored: str | None, password: str) -> bool:
        """An argon2 check, at most ``PASSWORD_CHECKS_AT_ONCE`` at a time (else ``SignInDeferred``, 503)."""
        if not self._password_checks.acquire(timeout=PASSWORD_CHECK_WAIT_SECONDS):
            raise SignInDeferred(
                5, "Too many sign-ins are being checked at once: try again in a few seconds.", status=503
            )
        try:
            _hasher.verify(stored or _DUMMY_HASH, password[:MAX_PASSWORD_LENGTH])
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
        finally:
            self._password_checks.release()
        return stored is not None

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
            # A new link replaces the user's older unused ones (one that leaked stops working), and expired links
            # of anyone are purged while we are here.
            conn.execute(
                console_signin_tokens.delete().where(
                    sa.or_(
                        sa.and_(console_signin_tokens.c.user_id == user_id, console_signin_tokens.c.used_at.is_(None)),
                        console_signin_tokens.c.expires_at <= now,
                    )
                )
            )
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

    def signin_token_user(self, token: str) -> str | None:
        """The user name a sign-in token is for, without using it; None when it is unknown, used or expired."""
        table = console_signin_tokens
        query = (
            sa.select(console_users.c.username, table.c.used_at, table.c.expires_at)
            .join(console_users, console_users.c.id == table.c.user_id)
            .where(table.c.token_digest == _digest(token))
        )
        with self._engine.connect() as conn:
            row = conn.execute(query).mappings().first()
        if row is None or row["used_at"] is not None or _aware(row["expires_at"]) <= self._clock():
            return None
        return str(row["username"])

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

    def sign_in_with_password(self, username: str, password: str, *, client: str = "-") -> str | None:
        """A new session id, or None for a wrong name, wrong password, or a disabled user (same answer for all).

        ``client`` is the caller's address. Raises ``SignInDeferred`` while the name or the address must wait
        (too many recent failures) or too many checks are running; failures are audited, bounded per window.
        """
        keys = _throttle_keys(username, client)
        wait = self.throttle.wait_seconds(keys)
        if wait > 0:
            self._record_failed_sign_in(username, client, throttled=True)
            raise SignInDeferred(
                int(wait + 0.999),
                f"Too many failed sign-ins for this name or from this address: wait {int(wait + 0.999)} s "
                "and try again (each further failure doubles the wait).",
            )
        with self._engine.connect() as conn:
            row = (
                conn.execute(sa.select(console_users).where(console_users.c.username == username[:_AUDIT_NAME_CHARS]))
                .mappings()
                .first()
            )
        stored = row["password_hash"] if row is not None else None
        if not self._verify(stored, password) or row is None or row["disabled"]:
            self.throttle.failed(keys)
            self._record_failed_sign_in(username, client, throttled=False)
            return None
        self.throttle.succeeded(keys)
        return self.start_session(int(row["id"]))

    def _record_failed_sign_in(self, username: str, client: str, *, throttled: bool) -> None:
        """Count a failed (or throttled) sign-in into this window's one audit row for the name and the address.

        A name that is no user's is recorded as "(unknown)" (what was typed may be a password typed in the wrong
        box, and distinct garbage names must not make distinct rows).
        """
        with self._engine.connect() as conn:
            known = conn.execute(
                sa.select(console_users.c.id).where(console_users.c.username == username[:_AUDIT_NAME_CHARS])
            ).first()
        name = username[:_AUDIT_NAME_CHARS] if known else "(unknown)"
        now = self._clock()
        window = now - timedelta(
            minutes=now.minute % AUDIT_WINDOW_MINUTES, seconds=now.second, microseconds=now.microsecond
        )
        key = (name, client[:64], window)
        with self._failed_rows_lock:
            for old in [k for k in self._failed_rows if k[2] != window]:
                del self._failed_rows[old]
            row_id, failures, deferred = self._failed_rows.get(key, (0, 0, 0))
            if throttled:
                deferred += 1
            else:
                failures += 1
            detail = json.dumps({"client": key[1], "failures": failures, "throttled": deferred}, sort_keys=True)
            with self._engine.begin() as conn:
                if row_id:
                    conn.execute(
                        console_audit_log.update().where(console_audit_log.c.id == row_id).values(at=now, detail=detail)
                    )
                else:
                    inserted = conn.execute(
                        console_audit_log.insert().values(
                            at=now,
                            username=name,
                            role="-",
                            action="sign in",
                            target="",
                            detail=detail,
                            result="refused",
                            message=f"bad credentials (counted per {AUDIT_WINDOW_MINUTES} minutes)",
                        )
                    )
                    row_id = int(inserted.inserted_primary_key[0])  # type: ignore[index]
            self._failed_rows[key] = (row_id, failures, deferred)

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
            # Expired sessions of anyone are purged here (each sign-in), so the table does not grow forever.
            conn.execute(console_sessions.delete().where(console_sessions.c.expires_at <= now))
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
        """One audit entry: who, what (action, target, what was asked), when, and the result (``store.audit``:
        always written, whatever the request held)."""
        record_audit(
            self._engine,
            at=self._clock(),
            username=username,
            role=role,
            action=action,
            target=target,
            detail=detail,
            result=result,
            message=message,
        )

    def audit_entries(self, where: AuditFilter | None = None, *, limit: int = 200, offset: int = 0) -> list[AuditEntry]:
        """The entries ``where`` selects (all by default), newest first."""
        return audit_entries(self._engine, where, limit=limit, offset=offset)


# Sizes of what a request may carry ---------------------------------------------------------------------------
class BodySizeLimit:
    """Refuse (413) a request body over ``max_bytes``, as plain ASGI, before any route reads it.

    A declared ``Content-Length`` over the limit is refused without reading; a chunked body is counted as it
    arrives and refused as soon as it passes the limit."""

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_REQUEST_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def _too_large(self) -> JSONResponse:
        limit = f"{self.max_bytes // 1024} KiB"
        return JSONResponse(
            {"ok": False, "message": f"This request is larger than the console accepts ({limit}); send less.",
             "errors": {}},
            status_code=413,
        )  # fmt: skip

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit() and int(value) > self.max_bytes:
                await self._too_large()(scope, receive, send)
                return
        received = 0
        started = False

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _BodyTooLarge()
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, watched_send)
        except _BodyTooLarge:
            if not started:
                await self._too_large()(scope, receive, send)


class _BodyTooLarge(Exception):
    pass


class RequestRefused(ValueError):
    """A request the console will not act on, with the status and a message that says what to send instead."""

    def __init__(self, message: str, *, status: int = 400, field: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.field = field


async def read_json_body(request: Request, *, what: str = "The request") -> Any:
    """The request's JSON body, parsed within ``untrusted_json``'s depth bound (``RequestRefused`` otherwise)."""
    try:
        return loads_bounded(await request.body(), what=what)
    except UntrustedJSONError as error:
        raise RequestRefused(str(error)) from None


def check_sizes(value: Any, *, where: str = "") -> None:
    """Refuse a text over ``MAX_VALUE_CHARS`` or a list over ``MAX_LIST_ITEMS`` anywhere in ``value``."""
    stack: list[tuple[Any, str]] = [(value, where)]
    while stack:
        item, path = stack.pop()
        if isinstance(item, str) and len(item) > MAX_VALUE_CHARS:
            raise RequestRefused(
                f"{path or 'A value'} is {len(item):,} characters long; at most {MAX_VALUE_CHARS:,} are accepted.",
                field=path,
            )
        if isinstance(item, list):
            if len(item) > MAX_LIST_ITEMS:
                raise RequestRefused(
                    f"{path or 'A list'} has {len(item):,} items; at most {MAX_LIST_ITEMS:,} are accepted at once.",
                    field=path,
                )
            stack.extend((child, f"{path}[{n}]") for n, child in enumerate(item))
        elif isinstance(item, dict):
            stack.extend((child, f"{path}.{key}" if path else str(key)) for key, child in item.items())


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
        principal = accounts.session_principal(session_id_of(request))
        if principal is None:
            raise NotSignedIn()
        check_origin(request)
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


def session_cookie_name(request: Request) -> str:
    """``__Host-cwdesk_session`` over HTTPS (the prefix needs Secure), ``cwdesk_session`` on plain http."""
    return f"__Host-{SESSION_COOKIE}" if is_https(request) else SESSION_COOKIE


def login_cookie_name(request: Request) -> str:
    """The sign-in form token's cookie: ``__Host-`` prefixed over HTTPS (and then Path=/, as the prefix requires)."""
    return f"__Host-{LOGIN_CSRF_COOKIE}" if is_https(request) else LOGIN_CSRF_COOKIE


def login_cookie_path(request: Request) -> str:
    return "/" if is_https(request) else "/signin"


def session_id_of(request: Request) -> str | None:
    """The session id this request's cookie carries (or None)."""
    return request.cookies.get(session_cookie_name(request))


def check_origin(request: Request) -> None:
    """Over HTTPS, refuse (``Forbidden``) a POST whose ``Origin`` is another site or ``null``.

    The console's own origin is the one the request was addressed to (scheme, host and port of its URL)."""
    if not is_https(request) or request.method in SAFE_METHODS:
        return
    origin = request.headers.get("origin")
    if origin is None:
        return
    own = f"{request.url.scheme}://{request.url.netloc}".lower()
    if origin.strip().lower().rstrip("/") != own:
        raise Forbidden("This change was refused: it came from another site (its Origin is not this console).")
