"""The retry policy, as pure functions: which failures are retried, and how long to wait before the next try.

Rules (one place for them; ``core.py`` only asks these functions):

- 429 Too Many Requests: retried for every method (the server refused the request, so nothing happened),
  waiting ``Retry-After`` when the server sends it (seconds or an HTTP date), capped at ``max_retry_after``.
- 502, 503, 504, and a 500 whose body says "timeout" (ConnectWise answers a slow query that way): retried only
  for idempotent methods (GET, HEAD, OPTIONS, PUT, DELETE). A POST or PATCH is never blindly retried: its
  outcome is unknown, so the caller must look the record up first (workflows do, by natural key).
- Connection errors: retried for any method when the request never left (connect failed), otherwise only for
  idempotent methods (a read timeout after a POST means the outcome is unknown).
- Backoff: exponential from ``base_delay`` doubling per attempt, capped at ``max_delay``, with "full jitter"
  scaled into [50%, 100%] of the step. The random source is a parameter, so tests pin it.

Not for: sleeping, sending, or rate limiting (``core.py`` sleeps, ``throttle.py`` paces).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

__all__ = [
    "IDEMPOTENT_METHODS",
    "RETRYABLE_STATUSES",
    "RetryPolicy",
    "backoff_delay",
    "is_idempotent",
    "parse_retry_after",
    "retry_delay",
    "should_retry_connection_error",
    "should_retry_status",
]

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
RETRYABLE_STATUSES = frozenset({502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """How many times and how patiently to retry. ``max_retries=0`` turns retries off."""

    max_retries: int = 4
    base_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = 60.0

    def __post_init__(self) -> None:
        if self.max_retries < 0 or self.base_delay < 0 or self.max_delay < 0 or self.max_retry_after < 0:
            raise ValueError("RetryPolicy values must be zero or positive")


def is_idempotent(method: str) -> bool:
    """Whether sending ``method`` twice has the same effect as once (RFC 9110 §9.2.2)."""
    return method.upper() in IDEMPOTENT_METHODS


def _looks_like_server_timeout(body_text: str) -> bool:
    return "timeout" in body_text.lower() or "timed out" in body_text.lower()


def should_retry_status(method: str, status_code: int, body_text: str, *, attempt: int, policy: RetryPolicy) -> bool:
    """Whether an answer with ``status_code`` deserves another try. ``attempt`` counts retries done so far."""
    if attempt >= policy.max_retries:
        return False
    if status_code == 429:
        return True
    if not is_idempotent(method):
        return False
    if status_code in RETRYABLE_STATUSES:
        return True
    return status_code == 500 and _looks_like_server_timeout(body_text)


def should_retry_connection_error(method: str, *, request_sent: bool, attempt: int, policy: RetryPolicy) -> bool:
    """Whether a connection failure deserves another try: always if nothing was sent, else only if idempotent."""
    if attempt >= policy.max_retries:
        return False
    return (not request_sent) or is_idempotent(method)


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP date); None when absent or unreadable."""
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if seconds != seconds:  # NaN
        return None
    return max(0.0, seconds)


def backoff_delay(attempt: int, policy: RetryPolicy, *, jitter: Callable[[], float] = random.random) -> float:
    """Delay before retry number ``attempt + 1``: ``base * 2**attempt`` capped, times a factor in [0.5, 1.0]."""
    step = min(policy.max_delay, policy.base_delay * float(2 ** max(0, attempt)))
    return step * (0.5 + 0.5 * jitter())


def retry_delay(
    attempt: int,
    policy: RetryPolicy,
    *,
    headers: Mapping[str, str] | None = None,
    jitter: Callable[[], float] = random.random,
    now: datetime | None = None,
) -> float:
    """Delay before the next try: the server's ``Retry-After`` when given (capped), else jittered backoff."""
    retry_after = parse_retry_after(headers.get("retry-after") if headers is not None else None, now=now)
    if retry_after is not None:
        return min(retry_after, policy.max_retry_after)
    return backoff_delay(attempt, policy, jitter=jitter)
