"""The collector pause: overlapping pauses from threads, and the application's own choice is kept."""

from __future__ import annotations

import gc
import threading

from cwdesk import collector


def test_overlapping_pauses_turn_the_collector_back_on_only_at_the_last_end() -> None:
    assert gc.isenabled()
    first_inside = threading.Event()
    release_first = threading.Event()

    def first() -> None:
        with collector.paused():
            first_inside.set()
            release_first.wait(5)

    worker = threading.Thread(target=first)
    worker.start()
    assert first_inside.wait(5)
    with collector.paused():
        assert not gc.isenabled()
    assert not gc.isenabled()  # the other thread's pause is still running
    release_first.set()
    worker.join(5)
    assert gc.isenabled()


def test_a_collector_the_application_turned_off_stays_off() -> None:
    gc.disable()
    try:
        with collector.paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_the_collector_is_back_on_after_an_error_inside() -> None:
    try:
        with collector.paused():
            raise ValueError("boom")
    except ValueError:
        pass
    assert gc.isenabled()
