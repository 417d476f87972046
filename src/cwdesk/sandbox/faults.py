"""Faults the sandbox injects so clients can prove they cope: a per-credential rate limit and chosen failures.

One ``Faults`` object decides, before a request reaches the emulator, whether it is answered normally, delayed,
refused with 429 (token bucket per credential, ``Retry-After`` in seconds), failed with a 5xx, left hanging (a
timeout) or dropped (the connection closes without an answer). Random faults draw from a seeded generator so a
run repeats exactly. The transports carry out the decision (sleeping, raising, closing).
Not for: the emulators' own errors (400/401/404 ... come from ``manage_api.py`` and ``automate_api.py``).
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from cwdesk.sandbox.http import SandboxRequest


@dataclass
class FaultSettings:
    """The standing faults (``sb.faults.set(...)``, ``--rate-limit``, ``POST /_sandbox/faults``)."""

    rate_limit_per_min: int | None = None
    latency_ms: int = 0
    error_rate: float = 0.0
    hang_rate: float = 0.0
    drop_rate: float = 0.0
    seed: int = 0
    hang_seconds: float = 30.0
    """How long a hung request waits before giving up (in-process: at most the client's read timeout)."""
    rate_limit_burst: int | None = None
    """Requests a credential may send at once before the rate limit applies (default: a whole minute's worth)."""


@dataclass
class TargetedFault:
    """Fail the next ``count`` requests matching a method and a path fragment (``fail_next``)."""

    method: str | None
    path_contains: str
    status: int
    count: int
    action: str = "status"
    """``status`` (answer ``status``), ``hang`` or ``drop``."""


@dataclass(frozen=True)
class Verdict:
    """What to do with one request."""

    action: str
    """``pass``, ``status``, ``rate_limited``, ``hang`` or ``drop``."""
    latency_s: float = 0.0
    status: int = 200
    retry_after: int = 0


@dataclass
class _Bucket:
    tokens: float
    stamp: float


@dataclass
class Faults:
    """The fault plan of one sandbox (thread-safe)."""

    clock: Callable[[], float] = time.monotonic
    settings: FaultSettings = field(default_factory=FaultSettings)
    targeted: list[TargetedFault] = field(default_factory=list)
    _buckets: dict[str, _Bucket] = field(default_factory=dict)
    _rng: random.Random = field(default_factory=lambda: random.Random(0))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def set(
        self,
        rate_limit_per_min: int | None = None,
        latency_ms: int = 0,
        error_rate: float = 0.0,
        hang_rate: float = 0.0,
        drop_rate: float = 0.0,
        seed: int = 0,
        hang_seconds: float = 30.0,
        rate_limit_burst: int | None = None,
    ) -> None:
        """Replace the standing faults (every argument left out goes back to "no fault")."""
        for name, rate in (("error_rate", error_rate), ("hang_rate", hang_rate), ("drop_rate", drop_rate)):
            if not 0.0 <= rate <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, not {rate}.")
        if rate_limit_per_min is not None and rate_limit_per_min < 1:
            raise ValueError("rate_limit_per_min must be at least 1 (or None for no limit).")
        if rate_limit_burst is not None and rate_limit_burst < 1:
            raise ValueError("rate_limit_burst must be at least 1 (or None for a whole minute's worth).")
        if latency_ms < 0:
            raise ValueError("latency_ms cannot be negative.")
        with self._lock:
            self.settings = FaultSettings(
                rate_limit_per_min, latency_ms, error_rate, hang_rate, drop_rate, seed, hang_seconds, rate_limit_burst
            )
            self._rng = random.Random(seed)
            self._buckets.clear()

    def fail_next(
        self,
        method: str | None = None,
        path_contains: str = "",
        status: int = 500,
        count: int = 1,
        action: str = "status",
    ) -> None:
        """Fail the next ``count`` matching requests with ``status`` (or hang/drop them)."""
        if action not in ("status", "hang", "drop"):
            raise ValueError("action must be status, hang or drop.")
        with self._lock:
            fault = TargetedFault(method.upper() if method else None, path_contains, status, count, action)
            self.targeted.append(fault)

    def clear(self) -> None:
        """No faults at all."""
        with self._lock:
            self.settings = FaultSettings()
            self.targeted.clear()
            self._buckets.clear()
            self._rng = random.Random(0)

    def as_dict(self) -> dict[str, Any]:
        with self._lock:
            return {**asdict(self.settings), "targeted": [asdict(t) for t in self.targeted]}

    def decide(self, request: SandboxRequest) -> Verdict:
        """The fate of ``request``; called once per request, before the emulator sees it."""
        with self._lock:
            settings = self.settings
            latency = settings.latency_ms / 1000.0
            for fault in self.targeted:
                if fault.count > 0 and (fault.method in (None, request.method)) and fault.path_contains in request.path:
                    fault.count -= 1
                    self.targeted = [t for t in self.targeted if t.count > 0]
                    return Verdict(fault.action, latency, fault.status)
            if settings.rate_limit_per_min is not None:
                capacity = settings.rate_limit_burst or settings.rate_limit_per_min
                wait = self._take_token(_credential(request), settings.rate_limit_per_min, capacity)
                if wait > 0:
                    return Verdict("rate_limited", 0.0, 429, max(1, math.ceil(wait)))
            if settings.drop_rate and self._rng.random() < settings.drop_rate:
                return Verdict("drop", latency)
            if settings.hang_rate and self._rng.random() < settings.hang_rate:
                return Verdict("hang", latency)
            if settings.error_rate and self._rng.random() < settings.error_rate:
                return Verdict("status", latency, self._rng.choice((500, 502, 503)))
            return Verdict("pass", latency)

    def _take_token(self, credential: str, per_minute: int, capacity: int) -> float:
        """Token bucket: ``capacity`` tokens at most, refilled at ``per_minute``; returns seconds to wait (0 = go)."""
        now = self.clock()
        rate = per_minute / 60.0
        bucket = self._buckets.get(credential)
        if bucket is None:
            bucket = self._buckets[credential] = _Bucket(float(capacity), now)
        bucket.tokens = min(float(capacity), bucket.tokens + (now - bucket.stamp) * rate)
        bucket.stamp = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return 0.0
        return (1.0 - bucket.tokens) / rate


def _credential(request: SandboxRequest) -> str:
    """Whose budget a request spends: its Authorization header (Manage keys or an Automate token)."""
    return request.header("authorization") or "anonymous"
