"""M6 across machines: throttles of several processes on one PostgreSQL store reserve from one schedule."""

from __future__ import annotations

import threading

import pytest

from cwdesk._http.throttle import Throttle
from cwdesk.store import open_database
from cwdesk.store.shared_throttle import DatabasePacingStore


def test_throttles_on_one_postgresql_store_share_one_schedule(postgres_database: str) -> None:
    now = [5_000.0]
    stores = [DatabasePacingStore(open_database(postgres_database)) for _ in range(3)]
    throttles = [
        Throttle(rate_per_minute=600, adaptive=False, clock=lambda: now[0], key="manage:host/acme/pub", shared=store)
        for store in stores
    ]
    waits: list[float] = []
    lock = threading.Lock()

    def reserve(throttle: Throttle) -> None:
        for _ in range(5):
            wait = throttle._reserve_with_lock()
            with lock:
                waits.append(wait)

    threads = [threading.Thread(target=reserve, args=(t,)) for t in throttles]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    # Fifteen reservations from three "machines" at one instant: one schedule, one start every 100 ms.
    assert sorted(waits) == pytest.approx([i * 0.1 for i in range(15)])
    for store in stores:
        store.close()
