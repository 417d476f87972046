"""The shared rate limit's state on a Redis server, for throttles on many machines (issue 13 item 2, O2).

Used instead of the app's database when ``CWDESK_RATE_LIMIT_URL`` names a Redis server (``redis://HOST:PORT/DB``,
``rediss://`` for TLS; ``store.shared_throttle.rate_limit_url`` is the rule). It keeps the same thing the SQL
backends keep in ``throttle_state``: one ``PacingState`` text per credential (the schedule, the learned rate, the
``Retry-After`` pause; both lanes plan from it), and ``update(key, change)`` reads, changes and writes it
atomically across every process and machine using the server.

Why WATCH/MULTI and not a Lua script: the pacing and learning arithmetic lives in one place, in Python
(``cwdesk._http.throttle``: the bucket, AIMD, the two lanes). A Lua script would be a second copy of those rules
in another language. Redis's optimistic transaction gives the same guarantee as ``SELECT ... FOR UPDATE``:
``WATCH key`` / ``GET`` / change in Python / ``MULTI SET EX EXEC`` fails with ``WatchError`` when another client
wrote the key in between, and the change is then run again on the new text (redis-py's ``Redis.transaction``
helper does that loop; https://redis.io/docs/latest/develop/interact/transactions/ "Optimistic locking using
check-and-set"). Each reservation holds no lock on the server, so a client that dies mid-update blocks nobody.
A library bucket (``limits``' Redis storage) was set aside: it counts hits in fixed or moving windows and cannot
carry the learned rate, the pause or the lanes.

Keys: ``cwdesk:throttle:`` + the SHA-256 of the credential's identity (host, company, public key; never a private
key), so nothing about the credential is readable in the key either. Each write sets a TTL
(``KEY_TTL_S``): an idle credential's state expires by itself; losing it costs only a few seconds of learning.

A server that does not answer raises ``RateLimitStoreUnavailable`` with one line saying so and what to do; the
throttle then paces from its own process (one warning, never a failed request).

``redis`` is imported only when this module is used (it is an optional extra, ``pip install cwdesk[redis]``), so
short CLI commands never pay for it.

Not for: the pacing arithmetic (``_http.throttle``) or the SQL backends (``store.shared_throttle``).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

from cwdesk._http.throttle import SharedPacingStoreUnavailable
from cwdesk.logs import register_secret

if TYPE_CHECKING:
    import redis

__all__ = ["KEY_PREFIX", "KEY_TTL_S", "RateLimitStoreUnavailable", "RedisPacingStore", "redis_key"]

_T = TypeVar("_T")

KEY_PREFIX = "cwdesk:throttle:"
# An hour without a request on a credential: its state is stale anyway (the server's bucket refilled long ago).
KEY_TTL_S = 3600
# A reservation is one round trip of a few hundred microseconds on a LAN: a server that takes seconds is down for
# our purpose, and waiting longer would stall every request of the process.
SOCKET_TIMEOUT_S = 2.0


class RateLimitStoreUnavailable(SharedPacingStoreUnavailable):
    """The Redis server for the shared rate limit did not answer (the message says which and what to do)."""


def redis_key(key: str) -> str:
    """The Redis key for a credential's identity ``key``: namespaced, and a digest rather than the identity."""
    return KEY_PREFIX + hashlib.sha256(key.encode("utf-8")).hexdigest()


def safe_location(url: str) -> str:
    """``host:port/db`` of a Redis URL, without its user or password (for messages)."""
    parts = urlsplit(url)
    host = parts.hostname or "localhost"
    port = parts.port or 6379
    return f"{parts.scheme}://{host}:{port}{parts.path or '/0'}"


class RedisPacingStore:
    """A ``SharedPacingStore`` on a Redis server (``url``: ``redis://`` or ``rediss://``)."""

    def __init__(self, url: str, *, ttl_s: int = KEY_TTL_S, socket_timeout: float = SOCKET_TIMEOUT_S) -> None:
        try:
            import redis
        except ImportError as exc:
            raise RateLimitStoreUnavailable(
                "CWDESK_RATE_LIMIT_URL names a Redis server but the redis package is not installed: "
                "pip install 'cwdesk[redis]', or unset CWDESK_RATE_LIMIT_URL."
            ) from exc
        if urlsplit(url).scheme not in ("redis", "rediss", "unix"):
            raise RateLimitStoreUnavailable(
                f"CWDESK_RATE_LIMIT_URL must be a redis://HOST:PORT/DB (or rediss://) URL, not {safe_location(url)}."
            )
        self._location = safe_location(url)
        register_secret(urlsplit(url).password)  # (a password in the URL is masked in every log line from now on)
        self._ttl_s = ttl_s
        self._client: redis.Redis = redis.Redis.from_url(
            url,
            socket_timeout=socket_timeout,
            socket_connect_timeout=socket_timeout,
            decode_responses=True,
        )
        self._lock = threading.Lock()  # (redis-py's pool is thread-safe; the lock only keeps close() orderly)

    @property
    def location(self) -> str:
        """Where the state is kept, without credentials."""
        return self._location

    def update(self, key: str, change: Callable[[str | None], tuple[str, _T]]) -> _T:
        """Read ``key``'s state, apply ``change`` and write the result, as one transaction across every client."""
        import redis

        name = redis_key(key)
        outcome: list[_T] = []

        def check_and_set(pipe: Any) -> None:
            current = pipe.get(name)  # (immediate mode: the key is watched)
            text, result = change(str(current) if current else None)
            outcome[:] = [result]
            pipe.multi()
            pipe.set(name, text, ex=self._ttl_s)

        try:
            self._client.transaction(check_and_set, name)
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            raise RateLimitStoreUnavailable(
                f"The Redis server for the shared rate limit ({self._location}) is not answering "
                f"({type(exc).__name__}); start it or fix CWDESK_RATE_LIMIT_URL (unset it to share through the "
                "app's database)."
            ) from None
        return outcome[0]

    def close(self) -> None:
        with self._lock:
            self._client.close()
