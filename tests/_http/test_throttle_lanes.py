"""Fairness of the throttle (issue 13, item 2): however many background callers a credential has, a person's request
waits at most about ``BACKGROUND_AHEAD_S`` behind them, and the background ones still fill the schedule.

The arithmetic on a fake clock here; tests/reliability/test_fair_rate_limit.py runs it against a rate-limited
sandbox with real threads and the shared store.
"""

from __future__ import annotations

import asyncio
import itertools
import threading

import pytest

from cwdesk._http.throttle import BACKGROUND_AHEAD_S, Lane, Throttle, background_calls, current_lane


def _plan(throttle: Throttle, lane: Lane) -> tuple[bool, float]:
    return throttle._apply(lambda state, now: throttle._plan(state, now, lane))


def test_requests_are_interactive_unless_sent_from_a_background_block() -> None:
    assert current_lane() is Lane.interactive
    with background_calls():
        assert current_lane() is Lane.background

        async def in_a_task() -> Lane:
            return current_lane()

        assert asyncio.run(in_a_task()) is Lane.background  # (tasks and to_thread calls inherit it)
    assert current_lane() is Lane.interactive


def test_background_requests_reserve_at_most_the_horizon_ahead_and_a_person_goes_next() -> None:
    now = [100.0]
    throttle = Throttle(rate_per_minute=240, adaptive=False, clock=lambda: now[0])  # one start per 250 ms
    planned = [_plan(throttle, Lane.background) for _ in range(20)]
    reserved = [wait for ok, wait in planned if ok]
    # Only the starts within the horizon are taken (0, 0.25 ... 1.0 s); the others are told when to try again.
    assert reserved == pytest.approx([0.0, 0.25, 0.5, 0.75, 1.0])
    assert all(not ok and 0 < wait <= 0.25 for ok, wait in planned[5:])
    ok, wait = _plan(throttle, Lane.interactive)
    assert ok and wait == pytest.approx(1.25)  # behind 5 background starts, not behind all 20
    assert wait <= BACKGROUND_AHEAD_S + 0.25


def test_background_callers_alone_keep_the_schedule_full() -> None:
    now = [0.0]
    throttle = Throttle(rate_per_minute=600, adaptive=False, clock=lambda: now[0])  # one start per 100 ms
    starts: list[float] = []
    while now[0] < 10.0:  # callers that try again whenever they are told to
        ok, wait = _plan(throttle, Lane.background)
        if ok:
            starts.append(now[0] + wait)
        else:
            now[0] += wait
    assert len([t for t in starts if t < 10.0]) == pytest.approx(100, abs=2)  # the whole rate, nothing lost
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert max(gaps) == pytest.approx(0.1)


def test_the_last_concurrency_slot_is_kept_for_a_person() -> None:
    throttle = Throttle(rate_per_minute=60_000, max_concurrency=2, adaptive=False)

    def background_request() -> None:
        with background_calls():  # (a new thread starts in the interactive lane: each job's thread says so)
            throttle.acquire()

    background_request()
    with throttle._lock:
        assert not throttle._try_take_slot(Lane.background)  # the last slot is not for background requests
    blocked = threading.Thread(target=background_request, daemon=True)
    blocked.start()
    blocked.join(0.3)
    assert blocked.is_alive()  # a second background request waits for a slot...
    throttle.acquire()  # ...while a person's takes the last one at once
    assert throttle.in_flight == 2
    throttle.release()
    throttle.release()
    blocked.join(5)
    assert not blocked.is_alive() and throttle.in_flight == 1
    throttle.release()


def test_a_throttle_with_one_slot_still_serves_background_requests() -> None:
    throttle = Throttle(rate_per_minute=60_000, max_concurrency=1, adaptive=False)
    with background_calls(), throttle.slot():
        assert throttle.in_flight == 1


def test_async_background_requests_wait_for_the_horizon_too() -> None:
    throttle = Throttle(rate_per_minute=600, adaptive=False, burst=1)  # one start per 100 ms

    async def background_then_person() -> float:
        with background_calls():
            await asyncio.gather(*(throttle.acquire_async() for _ in range(3)))
            for _ in range(3):
                throttle.release()
        loop = asyncio.get_running_loop()
        started = loop.time()
        await throttle.acquire_async()
        throttle.release()
        return loop.time() - started

    waited = asyncio.run(background_then_person())
    assert waited < BACKGROUND_AHEAD_S + 0.2
