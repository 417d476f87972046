"""The adaptive rate limiter and concurrency cap: one per credential, shared by everything in the process.

A ``Throttle`` paces requests so cwdesk runs as close to the server's limit as the server allows:

- **Pacing** (a token bucket in its "virtual scheduling" form): each request reserves the next start time,
  ``60 / rate_per_minute`` seconds after the previous one, with at most ``burst`` requests starting together.
- **AIMD on 429**: each success raises the rate a little (additive increase, fast while far below the last rate
  that was refused, slow when probing near it); a 429 cuts it by ``decrease_factor`` (multiplicative decrease,
  at most once per cool-down so one burst of 429s counts once) and, if the server sent ``Retry-After``, nobody
  starts a request before that time.
- **Concurrency cap**: at most ``max_concurrency`` requests in flight.

One object works for threads and asyncio at once (the SDK's sync and async clients, workflows and the console
share it): state sits behind a ``threading.Lock`` held only for arithmetic; sync callers sleep, async callers
``await asyncio.sleep``. Use ``throttle_for(key)`` to get the process-wide instance for a credential; ``key``
must identify the credential without containing a secret (e.g. ``"manage:host/company/public_key"``).

Typical use (what ``core.py`` does)::

    throttle = throttle_for("manage:api-na.myconnectwise.net/acme/pub", rate_per_minute=200)
    with throttle.slot():                 # or: async with throttle.slot_async():
        response = send()
    throttle.on_rate_limited(retry_after) if response.status_code == 429 else throttle.on_success()

Not for: deciding whether to retry (``retry.py``) or sending anything (``core.py``).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager

__all__ = ["DEFAULT_BURST", "DEFAULT_RATE_PER_MINUTE", "Throttle", "reset_throttles", "throttle_for"]

# ConnectWise publishes no limit; integrators cite ~200 requests/minute as the safe guidance (seed: the PSA
# console pauses 3 s every 10 requests "to respect CW's ~200 req/min guidance"). We start there and adapt.
DEFAULT_RATE_PER_MINUTE = 200.0
# The shared throttles let an idle credential start this many requests at once: a console page or a CLI command
# that reads a few pages then answers at once instead of waiting 300 ms per page at the opening rate, while a long
# job still runs at the paced rate (the bucket refills only at that rate).
DEFAULT_BURST = 10
# Successes in a row after which a recorded limit is taken as stale and probed again.
_FORGET_CEILING_AFTER = 50


class Throttle:
    """Token-bucket pacing + AIMD on 429 + a concurrency cap. Thread- and asyncio-safe."""

    def __init__(
        self,
        *,
        rate_per_minute: float = DEFAULT_RATE_PER_MINUTE,
        max_concurrency: int = 8,
        burst: int = 1,
        min_rate_per_minute: float = 6.0,
        max_rate_per_minute: float = 60_000.0,
        decrease_factor: float = 0.8,
        adaptive: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if rate_per_minute <= 0 or max_concurrency < 1 or burst < 1:
            raise ValueError("rate_per_minute must be > 0, max_concurrency and burst >= 1")
        if not 0 < decrease_factor < 1:
            raise ValueError("decrease_factor must be between 0 and 1")
        self._lock = threading.Lock()
        self._sync_wakeup = threading.Condition(self._lock)
        self._clock = clock
        self._rate = float(rate_per_minute)
        self._min_rate = float(min_rate_per_minute)
        self._max_rate = max(float(max_rate_per_minute), float(rate_per_minute))
        self._decrease = decrease_factor
        self._adaptive = adaptive
        self._burst = burst
        self._max_concurrency = max_concurrency
        self._in_flight = 0
        self._next_start = 0.0
        self._paused_until = 0.0
        self._last_decrease = float("-inf")
        self._ceiling: float | None = None  # the last rate the server refused
        self._streak = 0  # successes since the last 429 that counted
        self._probing = False  # a ceiling was forgotten: grow gently
        self._recent_starts: deque[float] = deque(maxlen=512)  # when requests (will) start, to spot a burst
        self._async_waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = []
        self.rate_limited_count = 0

    # -- introspection -------------------------------------------------------------------------------------
    @property
    def rate_per_minute(self) -> float:
        """The current pacing rate."""
        with self._lock:
            return self._rate

    @property
    def max_concurrency(self) -> int:
        return self._max_concurrency

    @property
    def in_flight(self) -> int:
        with self._lock:
            return self._in_flight

    def __repr__(self) -> str:
        return (
            f"Throttle(rate_per_minute={self._rate:.1f}, max_concurrency={self._max_concurrency}, "
            f"in_flight={self._in_flight})"
        )

    def configure(self, *, rate_per_minute: float | None = None, max_concurrency: int | None = None) -> None:
        """Change the current rate and/or the concurrency cap (e.g. an explicit setting from a client)."""
        with self._lock:
            if rate_per_minute is not None:
                if rate_per_minute <= 0:
                    raise ValueError("rate_per_minute must be > 0")
                self._rate = float(rate_per_minute)
                self._max_rate = max(self._max_rate, self._rate)
                self._ceiling = None
            if max_concurrency is not None:
                if max_concurrency < 1:
                    raise ValueError("max_concurrency must be >= 1")
                self._max_concurrency = max_concurrency
                self._sync_wakeup.notify_all()

    # -- pacing --------------------------------------------------------------------------------------------
    def _reserve_start(self) -> float:
        """Reserve the next start time (caller holds the lock); returns seconds to wait from now."""
        now = self._clock()
        interval = 60.0 / self._rate
        start = max(self._next_start, now - (self._burst - 1) * interval, self._paused_until)
        self._next_start = start + interval
        self._recent_starts.append(max(start, now))
        return max(0.0, start - now)

    def _try_take_slot(self) -> bool:
        if self._in_flight < self._max_concurrency:
            self._in_flight += 1
            return True
        return False

    def acquire(self) -> None:
        """Block until a request may start (a concurrency slot, then its paced start time)."""
        with self._lock:
            while not self._try_take_slot():
                self._sync_wakeup.wait()
            wait = self._reserve_start()
        if wait > 0:
            time.sleep(wait)

    async def acquire_async(self) -> None:
        """Await until a request may start (a concurrency slot, then its paced start time)."""
        loop = asyncio.get_running_loop()
        while True:
            with self._lock:
                if self._try_take_slot():
                    wait = self._reserve_start()
                    break
                future: asyncio.Future[None] = loop.create_future()
                self._async_waiters.append((loop, future))
            try:
                await future
            except asyncio.CancelledError:
                with self._lock:
                    self._async_waiters = [(lp, f) for lp, f in self._async_waiters if f is not future]
                raise
        if wait > 0:
            try:
                await asyncio.sleep(wait)
            except asyncio.CancelledError:
                self.release()
                raise

    def release(self) -> None:
        """Give back the concurrency slot taken by ``acquire``/``acquire_async``."""
        with self._lock:
            self._in_flight = max(0, self._in_flight - 1)
            self._sync_wakeup.notify()
            waiters, self._async_waiters = self._async_waiters, []
        for loop, future in waiters:
            # Wake every async waiter; each re-checks for a free slot (and re-queues if none).
            if not future.done():
                loop.call_soon_threadsafe(_resolve, future)

    @contextmanager
    def slot(self) -> Iterator[None]:
        """``with throttle.slot(): send()`` — acquire, then release whatever happens."""
        self.acquire()
        try:
            yield
        finally:
            self.release()

    @asynccontextmanager
    async def slot_async(self) -> AsyncIterator[None]:
        """``async with throttle.slot_async(): await send()``."""
        await self.acquire_async()
        try:
            yield
        finally:
            self.release()

    # -- learning ------------------------------------------------------------------------------------------
    def on_success(self) -> None:
        """A request went through: raise the rate a little (fast far below the last refusal, slow near it)."""
        if not self._adaptive:
            return
        with self._lock:
            if self._paused_until > self._clock():
                return  # answers to requests sent before a pause say nothing about the current rate
            self._streak += 1
            if self._ceiling is not None and self._streak >= _FORGET_CEILING_AFTER:
                # A long run without a refusal: the recorded limit may have been a moment's (an empty server
                # bucket, another client's burst). Forget it and probe upwards again, more carefully than at first.
                self._ceiling = None
                self._probing = True
            if self._ceiling is None:
                # "Slow start": grow 5% per success until the server first refuses (2% once it has refused).
                step = max(1.0, self._rate * (0.02 if self._probing else 0.05))
            elif self._rate < 0.85 * self._ceiling:
                step = self._rate * 0.01  # recover quickly to just below the rate that was refused
            else:
                step = self._rate * 0.0005  # then probe gently
            self._rate = min(self._max_rate, self._rate + step)

    def _bursting(self, now: float) -> bool:
        """Whether the last second's starts ran at more than twice the paced rate (caller holds the lock)."""
        recent = sum(1 for t in self._recent_starts if now - 1.0 <= t <= now)
        return recent >= 3 and recent * 60.0 > 2 * self._rate

    def on_rate_limited(self, retry_after: float | None = None) -> None:
        """The server answered 429: slow down (once per cool-down) and honour ``Retry-After`` for everyone."""
        with self._lock:
            self.rate_limited_count += 1
            now = self._clock()
            if retry_after is not None and retry_after > 0:
                self._paused_until = max(self._paused_until, now + retry_after)
            if not self._adaptive:
                return
            if self._bursting(now):
                # Requests went out faster than the paced rate (an idle credential's burst): the 429 refused the
                # burst, not this rate, so the rate is neither cut nor recorded as the limit. Paced requests that
                # are refused later will be.
                return
            # Requests already in flight were paced at the old rate: count their 429s as one signal.
            cool_down = max(1.0, (60.0 / self._rate) * self._max_concurrency)
            if now - self._last_decrease >= cool_down:
                self._streak = 0
                self._ceiling = self._rate
                self._rate = max(self._min_rate, self._rate * self._decrease)
                self._last_decrease = now


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


_registry: dict[str, Throttle] = {}
_registry_lock = threading.Lock()


def throttle_for(
    key: str,
    *,
    rate_per_minute: float | None = None,
    max_concurrency: int | None = None,
) -> Throttle:
    """The process-wide ``Throttle`` for one credential, created on first use with the given settings.

    Later calls with the same ``key`` return the same object, so the SDK, the workflows and the console share
    one budget per credential; settings given explicitly on a later call are applied to it (``configure``).
    """
    with _registry_lock:
        found = _registry.get(key)
        if found is None:
            found = Throttle(
                rate_per_minute=rate_per_minute or DEFAULT_RATE_PER_MINUTE,
                max_concurrency=max_concurrency or 8,
                burst=DEFAULT_BURST,
            )
            _registry[key] = found
            return found
    if rate_per_minute is not None or max_concurrency is not None:
        found.configure(rate_per_minute=rate_per_minute, max_concurrency=max_concurrency)
    return found


def reset_throttles() -> None:
    """Forget every shared throttle (tests, or after changing limits)."""
    with _registry_lock:
        _registry.clear()
