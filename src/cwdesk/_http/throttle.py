"""The adaptive rate limiter and concurrency cap: one per credential, shared by everything in the process.

A ``Throttle`` paces requests so cwdesk runs as close to the server's limit as the server allows:

- **Pacing** (a token bucket in its "virtual scheduling" form): each request reserves the next start time,
  ``60 / rate_per_minute`` seconds after the previous one, with at most ``burst`` requests starting together.
- **AIMD on 429**: each success raises the rate a little (additive increase, fast while far below the last rate
  that was refused, slow when probing near it); a 429 cuts it by ``decrease_factor`` (multiplicative decrease,
  at most once per cool-down so one burst of 429s counts once) and, if the server sent ``Retry-After``, nobody
  starts a request before that time.
- **Concurrency cap**: at most ``max_concurrency`` requests in flight.
- **Two lanes, so a bulk job cannot starve a person** (issue 13, item 2): a request is ``interactive`` (the default:
  a console page, a single CLI command) or ``background`` (everything a durable job sends: the job runner wraps its
  steps in ``background_calls()``, the one place the lane is set). Both take start times from the one schedule,
  so the total stays at the rate; but a background request may reserve a start at most ``BACKGROUND_AHEAD_S``
  ahead of now (when the schedule is fuller it waits, unreserved, and tries again), while an interactive one takes
  the next free start whatever is queued. However many background callers share a credential, across processes
  too, a person's read waits at most about ``BACKGROUND_AHEAD_S`` plus one interval; when nobody reads, the
  background callers keep the schedule full, so a job loses nothing. One concurrency slot of each process is kept
  for interactive requests (when the cap is above 1).

One object works for threads and asyncio at once (the SDK's sync and async clients, workflows and the console
share it): state sits behind a ``threading.Lock`` held only for arithmetic; sync callers sleep, async callers
``await asyncio.sleep``. Use ``throttle_for(key)`` to get the process-wide instance for a credential; ``key``
must identify the credential without containing a secret (e.g. ``"manage:host/company/public_key"``).

Typical use (what ``core.py`` does)::

    throttle = throttle_for("manage:api-na.myconnectwise.net/acme/pub", rate_per_minute=200)
    with throttle.slot():                 # or: async with throttle.slot_async():
        response = send()
    throttle.on_rate_limited(retry_after) if response.status_code == 429 else throttle.on_success()

Shared across processes: by default the state above lives in the process. ``share_throttles(store)`` moves the
pacing and learning state of every throttle into ``store`` (a :class:`SharedPacingStore`: the app's database, see
``cwdesk.store.shared_throttle``), so the console, a scheduled ``cwdesk sync`` and four bulk jobs on one credential
reserve their start times from one schedule and learn one rate, on one machine (SQLite) or many (PostgreSQL). Each
reservation is one short transaction in the store; the clock is then the wall clock, since a monotonic one means
nothing across processes. The concurrency cap stays per process. If the store cannot answer, the throttle paces
from its own state (and says so once in the log) rather than failing a request, and tries the store again every
``SHARED_RETRY_S`` seconds.

Not for: deciding whether to retry (``retry.py``) or sending anything (``core.py``).
"""

from __future__ import annotations

import enum
import json
import logging
import math
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Protocol, TypeVar

if TYPE_CHECKING:
    # asyncio is imported by the async twins' methods, not here: a sync client (``cwdesk companies count``) never
    # loads it (~10-20 ms of start-up with the ``ssl`` it pulls in; docs/cli.md "Start-up").
    import asyncio

__all__ = [
    "BACKGROUND_AHEAD_S",
    "DEFAULT_BURST",
    "DEFAULT_RATE_PER_MINUTE",
    "SHARED_RETRY_S",
    "Lane",
    "PacingState",
    "SharedPacingStore",
    "SharedPacingStoreUnavailable",
    "Throttle",
    "background_calls",
    "current_lane",
    "reset_throttles",
    "share_throttles",
    "throttle_for",
]

_log = logging.getLogger("cwdesk.throttle")
_T = TypeVar("_T")

# ConnectWise publishes no limit; integrators cite ~200 requests/minute as the safe guidance (seed: the PSA
# console pauses 3 s every 10 requests "to respect CW's ~200 req/min guidance"). We start there and adapt.
DEFAULT_RATE_PER_MINUTE = 200.0
# The shared throttles let an idle credential start this many requests at once: a console page or a CLI command
# that reads a few pages then answers at once instead of waiting 300 ms per page at the opening rate, while a long
# job still runs at the paced rate (the bucket refills only at that rate).
DEFAULT_BURST = 10
# Successes in a row after which a recorded limit is taken as stale and probed again.
_FORGET_CEILING_AFTER = 50
# Start times remembered to tell a burst from paced traffic (one second's worth at any sane rate).
_RECENT_STARTS = 64
# How far ahead of now a background request may reserve its start: the most a person's request waits behind
# background ones (plus one interval). Long enough that background callers, waking up to try again, never leave the
# schedule empty (one process's step takes a few ms between its requests); short enough for a console page.
BACKGROUND_AHEAD_S = 1.0
# How long a throttle whose shared store failed paces alone before it tries the store again: a store that is down
# costs one failed attempt (a refused connection, or the store's timeout) per this period, not one per request.
SHARED_RETRY_S = 30


class Lane(enum.StrEnum):
    """Who waits for a request: a person (``interactive``) or a durable job (``background``)."""

    interactive = "interactive"
    background = "background"


_lane: ContextVar[Lane] = ContextVar("cwdesk_throttle_lane", default=Lane.interactive)


def current_lane() -> Lane:
    """The lane of requests sent from here (this thread or task): ``interactive`` unless inside ``background_calls``."""
    return _lane.get()


@contextmanager
def background_calls() -> Iterator[None]:
    """Requests sent inside the block (this thread or task, and tasks it starts) go in the background lane."""
    token = _lane.set(Lane.background)
    try:
        yield
    finally:
        _lane.reset(token)


@dataclass
class PacingState:
    """Everything a throttle remembers between requests: the schedule and what it learned from the server.

    Kept apart from the locks and waiters so the same arithmetic runs on a process's own copy or on a copy loaded
    from a shared store inside its transaction (``SharedPacingStore``).
    """

    rate: float
    """The current pacing rate, requests per minute."""
    next_start: float = 0.0
    paused_until: float = 0.0
    last_decrease: float | None = None
    ceiling: float | None = None
    """The last rate the server refused."""
    streak: int = 0
    """Successes since the last 429 that counted."""
    probing: bool = False
    """A ceiling was forgotten: grow gently."""
    recent_starts: list[float] = field(default_factory=list)
    rate_limited: int = 0
    """429 answers seen (by every process sharing the state)."""

    def to_text(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_text(cls, text: str) -> PacingState:
        data = json.loads(text)
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


class SharedPacingStore(Protocol):
    """Where throttles of many processes keep one ``PacingState`` per credential key.

    ``update(key, change)`` runs ``change(text_or_None) -> (new_text, result)`` atomically with respect to every
    other process using the store (read, change and write in one transaction) and returns ``result``.
    """

    def update(self, key: str, change: Callable[[str | None], tuple[str, _T]]) -> _T: ...


class SharedPacingStoreUnavailable(Exception):
    """A shared store that cannot answer; its message is one line for the log saying what to do (no secret)."""


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
        clock: Callable[[], float] | None = None,
        key: str = "",
        shared: SharedPacingStore | None = None,
    ) -> None:
        if rate_per_minute <= 0 or max_concurrency < 1 or burst < 1:
            raise ValueError("rate_per_minute must be > 0, max_concurrency and burst >= 1")
        if not 0 < decrease_factor < 1:
            raise ValueError("decrease_factor must be between 0 and 1")
        self._lock = threading.Lock()
        self._sync_wakeup = threading.Condition(self._lock)
        self._clock = clock or time.monotonic
        self._own_clock = clock is not None
        self._min_rate = float(min_rate_per_minute)
        self._max_rate = max(float(max_rate_per_minute), float(rate_per_minute))
        self._decrease = decrease_factor
        self._adaptive = adaptive
        self._burst = burst
        self._max_concurrency = max_concurrency
        self._in_flight = 0
        self._deferred = 0  # background callers of this process waiting to try again (``_plan_with_lock``)
        self._state = PacingState(rate=float(rate_per_minute))
        self._async_waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = []
        self.rate_limited_count = 0
        self._key = key
        self._shared: SharedPacingStore | None = None
        self._shared_failed = False
        self._shared_retry_at = 0.0
        if shared is not None:
            self.share(shared, key=key)

    # -- where the state lives ------------------------------------------------------------------------------
    def share(self, store: SharedPacingStore | None, *, key: str | None = None) -> None:
        """Keep the pacing state in ``store`` under ``key`` (``None``: back to this process's own state)."""
        if store is not None and not (key or self._key):
            raise ValueError("a shared throttle needs the credential's key")
        with self._lock:
            self._key = key or self._key
            self._shared = store
            self._shared_failed = False
            if store is not None:
                # Shared start times must mean the same in every process (a clock given by a test is kept).
                if not self._own_clock:
                    self._clock = time.time
                self._state.next_start = self._state.paused_until = 0.0
                self._state.last_decrease = None

    def _apply(self, change: Callable[[PacingState, float], _T]) -> _T:
        """Run ``change(state, now)`` on the state where it lives (caller holds the lock)."""
        shared = self._shared
        if shared is not None and (not self._shared_failed or self._clock() >= self._shared_retry_at):

            def in_store(text: str | None) -> tuple[str, _T]:
                state = PacingState.from_text(text) if text else PacingState(rate=self._state.rate)
                result = change(state, self._clock())
                self._state = state  # the latest copy, for introspection and as the fallback
                return state.to_text(), result

            try:
                result = shared.update(self._key, in_store)
            except Exception as exc:  # any store failure: pace on, from this process's own copy
                self._shared_retry_at = self._clock() + SHARED_RETRY_S
                if not self._shared_failed:  # one line per outage, not one per request
                    # A store's own one-line explanation is kept; any other error is named by type only (its text
                    # might carry a connection string).
                    reason = str(exc) if isinstance(exc, SharedPacingStoreUnavailable) else type(exc).__name__
                    _log.warning(
                        "The shared rate limit store failed (%s); pacing %s from this process alone until it "
                        "answers again (tried every %d s).",
                        reason,
                        self._key,
                        SHARED_RETRY_S,
                    )
                self._shared_failed = True
            else:
                if self._shared_failed:
                    self._shared_failed = False
                    _log.warning("The shared rate limit store answers again; %s paces with the others.", self._key)
                return result
        return change(self._state, self._clock())

    # -- introspection -------------------------------------------------------------------------------------
    @property
    def shared(self) -> bool:
        """Whether the pacing state is kept in a shared store (and the store is answering)."""
        return self._shared is not None and not self._shared_failed

    @property
    def rate_per_minute(self) -> float:
        """The current pacing rate (as last read from the shared store, when shared)."""
        with self._lock:
            return self._state.rate

    @property
    def max_concurrency(self) -> int:
        return self._max_concurrency

    @property
    def in_flight(self) -> int:
        with self._lock:
            return self._in_flight

    def __repr__(self) -> str:
        return (
            f"Throttle(rate_per_minute={self._state.rate:.1f}, max_concurrency={self._max_concurrency}, "
            f"in_flight={self._in_flight})"
        )

    def configure(self, *, rate_per_minute: float | None = None, max_concurrency: int | None = None) -> None:
        """Change the current rate and/or the concurrency cap (e.g. an explicit setting from a client)."""
        with self._lock:
            if rate_per_minute is not None:
                if rate_per_minute <= 0:
                    raise ValueError("rate_per_minute must be > 0")
                rate = float(rate_per_minute)
                self._max_rate = max(self._max_rate, rate)

                def set_rate(state: PacingState, _now: float) -> None:
                    state.rate = rate
                    state.ceiling = None

                self._apply(set_rate)
            if max_concurrency is not None:
                if max_concurrency < 1:
                    raise ValueError("max_concurrency must be >= 1")
                self._max_concurrency = max_concurrency
                self._sync_wakeup.notify_all()

    # -- pacing --------------------------------------------------------------------------------------------
    def _reserve_start(self) -> float:
        """Reserve the next start time (caller holds the lock); returns seconds to wait from now."""
        return self._apply(self._reserve)

    def _reserve_with_lock(self) -> float:
        with self._lock:
            return self._reserve_start()

    def _reserve(self, state: PacingState, now: float) -> float:
        """An interactive reservation (always made): seconds to wait from now."""
        return self._plan(state, now, Lane.interactive)[1]

    def _plan(self, state: PacingState, now: float, lane: Lane) -> tuple[bool, float]:
        """Reserve the next start for ``lane``: (True, seconds to wait), or (False, seconds until a background
        request should try again) when its start would be more than ``BACKGROUND_AHEAD_S`` away."""
        interval = 60.0 / state.rate
        start = max(state.next_start, now - (self._burst - 1) * interval, state.paused_until)
        if lane is Lane.background and start - now > BACKGROUND_AHEAD_S:
            return False, start - now - BACKGROUND_AHEAD_S
        state.next_start = start + interval
        state.recent_starts = [t for t in state.recent_starts[-(_RECENT_STARTS - 1) :] if t >= now - 1.0]
        state.recent_starts.append(max(start, now))
        return True, max(0.0, start - now)

    def _plan_with_lock(self, lane: Lane) -> tuple[bool, float]:
        with self._lock:
            reserved, wait = self._apply(lambda state, now: self._plan(state, now, lane))
            if reserved:
                return True, wait
            # Background callers of this process that are waiting too try again one interval apart, not all at
            # once (one store transaction each).
            later = wait + self._deferred * 60.0 / self._state.rate
            self._deferred += 1
        return False, max(later, 0.001)

    def _done_waiting(self) -> None:
        with self._lock:
            self._deferred = max(0, self._deferred - 1)

    def _try_take_slot(self, lane: Lane = Lane.interactive) -> bool:
        # One slot is kept for people: background requests never fill the last one (when there is more than one).
        cap = self._max_concurrency - (1 if lane is Lane.background and self._max_concurrency > 1 else 0)
        if self._in_flight < cap:
            self._in_flight += 1
            return True
        return False

    def acquire(self) -> None:
        """Block until a request may start (a concurrency slot, then its paced start time)."""
        lane = current_lane()
        with self._lock:
            while not self._try_take_slot(lane):
                self._sync_wakeup.wait()
        try:
            while True:
                reserved, wait = self._plan_with_lock(lane)
                if reserved:
                    break
                try:
                    time.sleep(wait)  # (background: the schedule is full for now)
                finally:
                    self._done_waiting()
        except BaseException:
            self.release()
            raise
        if wait > 0:
            time.sleep(wait)

    async def acquire_async(self) -> None:
        """Await until a request may start (a concurrency slot, then its paced start time)."""
        import asyncio

        lane = current_lane()
        loop = asyncio.get_running_loop()
        while True:
            with self._lock:
                if self._try_take_slot(lane):
                    break
                future: asyncio.Future[None] = loop.create_future()
                self._async_waiters.append((loop, future))
            try:
                await future
            except asyncio.CancelledError:
                with self._lock:
                    self._async_waiters = [(lp, f) for lp, f in self._async_waiters if f is not future]
                raise
        try:
            while True:
                if self.shared:
                    # A shared reservation is a transaction in the store: not on the event loop's thread.
                    reserved, wait = await asyncio.to_thread(self._plan_with_lock, lane)
                else:
                    reserved, wait = self._plan_with_lock(lane)
                if reserved:
                    break
                try:
                    await asyncio.sleep(wait)
                finally:
                    self._done_waiting()
            if wait > 0:
                await asyncio.sleep(wait)
        except asyncio.CancelledError:
            self.release()
            raise

    def release(self) -> None:
        """Give back the concurrency slot taken by ``acquire``/``acquire_async``."""
        with self._lock:
            self._in_flight = max(0, self._in_flight - 1)
            self._sync_wakeup.notify_all()  # (all: a freed slot may be one only an interactive waiter may take)
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
            self._apply(self._learn_success)

    def _learn_success(self, state: PacingState, now: float) -> None:
        if state.paused_until > now:
            return  # answers to requests sent before a pause say nothing about the current rate
        state.streak += 1
        if state.ceiling is not None and state.streak >= _FORGET_CEILING_AFTER:
            # A long run without a refusal: the recorded limit may have been a moment's (an empty server
            # bucket, another client's burst). Forget it and probe upwards again, more carefully than at first.
            state.ceiling = None
            state.probing = True
        if state.ceiling is None:
            # "Slow start": grow 5% per success until the server first refuses (2% once it has refused).
            step = max(1.0, state.rate * (0.02 if state.probing else 0.05))
        elif state.rate < 0.85 * state.ceiling:
            step = state.rate * 0.01  # recover quickly to just below the rate that was refused
        else:
            step = state.rate * 0.0005  # then probe gently
        state.rate = min(self._max_rate, state.rate + step)

    def _bursting(self, state: PacingState, now: float) -> bool:
        """Whether the last second's starts ran at more than twice the paced rate."""
        recent = sum(1 for t in state.recent_starts if now - 1.0 <= t <= now)
        return recent >= 3 and recent * 60.0 > 2 * state.rate

    def on_rate_limited(self, retry_after: float | None = None) -> None:
        """The server answered 429: slow down (once per cool-down) and honour ``Retry-After`` for everyone."""
        with self._lock:
            self.rate_limited_count += 1
            self._apply(lambda state, now: self._learn_rate_limited(state, now, retry_after))

    def _learn_rate_limited(self, state: PacingState, now: float, retry_after: float | None) -> None:
        state.rate_limited += 1
        if retry_after is not None and retry_after > 0:
            state.paused_until = max(state.paused_until, now + retry_after)
        if not self._adaptive:
            return
        if self._bursting(state, now):
            # Requests went out faster than the paced rate (an idle credential's burst): the 429 refused the
            # burst, not this rate, so the rate is neither cut nor recorded as the limit. Paced requests that
            # are refused later will be.
            return
        # Requests already in flight were paced at the old rate: count their 429s as one signal.
        cool_down = max(1.0, (60.0 / state.rate) * self._max_concurrency)
        last = -math.inf if state.last_decrease is None else state.last_decrease
        if now - last >= cool_down:
            state.streak = 0
            state.ceiling = state.rate
            state.rate = max(self._min_rate, state.rate * self._decrease)
            state.last_decrease = now


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


_registry: dict[str, Throttle] = {}
_registry_lock = threading.Lock()
_shared_store: SharedPacingStore | None = None


def share_throttles(store: SharedPacingStore | None) -> None:
    """Keep every process-wide throttle's state in ``store`` (``None``: each process paces alone again).

    The CLI and the console call this at start with the app's database, so every process on one credential paces
    from one schedule; throttles made later are shared too.
    """
    global _shared_store
    with _registry_lock:
        _shared_store = store
        throttles = list(_registry.items())
    for key, throttle in throttles:
        throttle.share(store, key=key)


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
                key=key,
                shared=_shared_store,
            )
            _registry[key] = found
            return found
    if rate_per_minute is not None or max_concurrency is not None:
        found.configure(rate_per_minute=rate_per_minute, max_concurrency=max_concurrency)
    return found


def reset_throttles() -> None:
    """Forget every shared throttle (tests, or after changing limits)."""
    global _shared_store
    with _registry_lock:
        _registry.clear()
        _shared_store = None
