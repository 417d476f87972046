"""M6: one adaptive throttle per credential: pacing, AIMD on 429, a concurrency cap, shared process-wide."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from cwdesk._http.throttle import Throttle, throttle_for
from cwdesk.store import open_database
from cwdesk.store.shared_throttle import DatabasePacingStore


def test_requests_are_paced_at_the_configured_rate() -> None:
    throttle = Throttle(rate_per_minute=6000, adaptive=False)  # one start every 10 ms
    started = time.monotonic()
    for _ in range(21):
        with throttle.slot():
            pass
    assert time.monotonic() - started >= 0.19  # 20 intervals after the first start


def test_a_429_cuts_the_rate_once_per_burst_and_successes_raise_it_again() -> None:
    now = [100.0]
    throttle = Throttle(rate_per_minute=600, decrease_factor=0.5, max_concurrency=2, clock=lambda: now[0])
    throttle.on_rate_limited()
    assert throttle.rate_per_minute == 300
    throttle.on_rate_limited()  # the same burst of in-flight requests: not cut again
    assert throttle.rate_per_minute == 300
    now[0] += 5
    throttle.on_rate_limited()
    assert throttle.rate_per_minute == 150
    before = throttle.rate_per_minute
    for _ in range(10):
        throttle.on_success()
    assert throttle.rate_per_minute > before


def test_a_429_after_a_burst_does_not_lower_the_paced_rate() -> None:
    now = [100.0]
    throttle = Throttle(rate_per_minute=200, burst=10, clock=lambda: now[0])
    waits = [throttle._reserve_start() for _ in range(10)]
    assert waits == [0.0] * 10  # an idle credential starts ten requests at once
    throttle.on_rate_limited(retry_after=1.0)  # the server's bucket was empty: the burst, not 200/min, was refused
    assert throttle.rate_per_minute == 200
    now[0] += 60  # later, paced requests are refused: that is the server's limit
    throttle._reserve_start()
    throttle._reserve_start()
    throttle.on_rate_limited()
    assert throttle.rate_per_minute < 200


def test_a_limit_refused_once_is_forgotten_after_a_long_run_of_successes() -> None:
    now = [0.0]
    throttle = Throttle(rate_per_minute=300, decrease_factor=0.8, clock=lambda: now[0])
    throttle.on_rate_limited()  # e.g. the server's bucket was empty at that moment: 300/min recorded as the limit
    for _ in range(40):
        throttle.on_success()
    assert throttle.rate_per_minute < 300  # near the recorded limit: careful
    for _ in range(60):
        throttle.on_success()
    assert throttle.rate_per_minute > 330  # 50 successes in a row later, it probes past it again


def test_growth_slows_near_the_rate_the_server_refused() -> None:
    now = [0.0]
    throttle = Throttle(rate_per_minute=1000, decrease_factor=0.95, clock=lambda: now[0])
    throttle.on_rate_limited()  # ceiling 1000, now 950 (> 90% of the ceiling): probe gently
    throttle.on_success()
    assert throttle.rate_per_minute - 950 < 2


def test_retry_after_pauses_every_caller() -> None:
    now = [50.0]
    throttle = Throttle(rate_per_minute=60000, clock=lambda: now[0])
    throttle.on_rate_limited(retry_after=3.0)
    assert throttle._reserve_start() == pytest.approx(3.0)


def test_concurrency_cap_holds_across_threads() -> None:
    throttle = Throttle(rate_per_minute=60000, max_concurrency=3, adaptive=False)
    peak = [0]
    lock = threading.Lock()

    def work() -> None:
        with throttle.slot():
            with lock:
                peak[0] = max(peak[0], throttle.in_flight)
            time.sleep(0.01)

    threads = [threading.Thread(target=work) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert peak[0] == 3
    assert throttle.in_flight == 0


async def test_concurrency_cap_holds_for_async_tasks() -> None:
    throttle = Throttle(rate_per_minute=60000, max_concurrency=2, adaptive=False)
    active = [0, 0]

    async def work() -> None:
        async with throttle.slot_async():
            active[0] += 1
            active[1] = max(active[1], active[0])
            await asyncio.sleep(0.01)
            active[0] -= 1

    await asyncio.wait_for(asyncio.gather(*(work() for _ in range(10))), timeout=10)
    assert active[1] == 2
    assert throttle.in_flight == 0


def test_one_throttle_per_credential_shared_process_wide() -> None:
    first = throttle_for("manage:h/acme/pub", rate_per_minute=120)
    assert throttle_for("manage:h/acme/pub") is first
    assert throttle_for("manage:h/other/pub") is not first
    throttle_for("manage:h/acme/pub", rate_per_minute=240)
    assert first.rate_per_minute == 240


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError):
        Throttle(rate_per_minute=0)
    with pytest.raises(ValueError):
        Throttle(max_concurrency=0)


# ------------------------------------------------------------------------------------ shared across processes


def _two_processes(tmp_path: Path, now: list[float], **settings: Any) -> tuple[Throttle, Throttle]:
    """Two throttles on one credential, each with its own store connection, as two processes would have."""
    url = f"sqlite:///{tmp_path / 'cwdesk.db'}"
    return tuple(  # type: ignore[return-value]
        Throttle(
            clock=lambda: now[0], key="manage:host/acme/pub", shared=DatabasePacingStore(open_database(url)), **settings
        )
        for _ in range(2)
    )


def test_two_processes_on_one_credential_take_turns_on_one_schedule(tmp_path: Path) -> None:
    now = [1_000.0]
    first, second = _two_processes(tmp_path, now, rate_per_minute=600, adaptive=False)  # one start per 100 ms
    waits = [(first if i % 2 == 0 else second)._reserve_with_lock() for i in range(6)]
    # Alone, each would start its three at 0, 100 and 200 ms; together they share one schedule of six.
    assert waits == pytest.approx([0.0, 0.1, 0.2, 0.3, 0.4, 0.5])
    assert first.shared and second.shared


def test_a_429_seen_by_one_process_slows_and_pauses_the_other(tmp_path: Path) -> None:
    now = [1_000.0]
    first, second = _two_processes(tmp_path, now, rate_per_minute=300, decrease_factor=0.5, max_concurrency=1)
    first._reserve_with_lock()
    now[0] += 1
    first.on_rate_limited(retry_after=2.0)

    wait = second._reserve_with_lock()

    assert wait == pytest.approx(2.0)  # the other process honours the Retry-After too
    assert second.rate_per_minute == pytest.approx(150)  # and paces at the rate learned from the 429
    for _ in range(5):
        second.on_success()  # answers during the pause teach nothing
    now[0] += 3
    second.on_success()
    first._reserve_with_lock()
    assert first.rate_per_minute > 150  # what one learns from successes, the other uses


def test_a_failing_store_leaves_the_throttle_pacing_on_its_own(tmp_path: Path) -> None:
    class Broken:
        def update(self, key: str, change: Any) -> Any:
            raise OSError("disk I/O error")

    now = [0.0]
    throttle = Throttle(rate_per_minute=600, adaptive=False, clock=lambda: now[0], key="k", shared=Broken())
    assert [throttle._reserve_with_lock() for _ in range(3)] == pytest.approx([0.0, 0.1, 0.2])
    assert not throttle.shared


def test_the_shared_state_holds_no_secret(tmp_path: Path) -> None:
    now = [0.0]
    first, _ = _two_processes(tmp_path, now)
    first._reserve_with_lock()
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'cwdesk.db'}")
    with engine.connect() as conn:
        rows = conn.execute(sa.text("select key, state from throttle_state")).all()
    engine.dispose()
    assert [r.key for r in rows] == ["manage:host/acme/pub"]
    assert set(json.loads(rows[0].state)) >= {"rate", "next_start", "paused_until", "ceiling"}
