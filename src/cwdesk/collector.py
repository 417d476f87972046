"""Pausing Python's cyclic garbage collector while a big answer is parsed or decoded into models.

Parsing a 1,000-record page makes tens of thousands of containers and no cycles; with the collector on, those
allocations trigger collections that scan them (and, as an export keeps what it read, an ever larger heap): parsing
a page with orjson took 16-29 ms with the collector on and 7 ms with it off. ``paused()`` turns it off for a block;
blocks may overlap across threads, and the last one to end turns it back on, unless the application had turned it
off itself. Nothing is leaked: reference counting still frees everything, and cycles made elsewhere meanwhile are
collected at the next collection after the pause.

Not for: anything but short, allocation-heavy blocks (parsing and decoding).
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["paused"]

_lock = threading.Lock()
_pauses = 0
_was_on = False


@contextmanager
def paused() -> Iterator[None]:
    """``gc`` off for the block; the last of overlapping blocks turns it back on if it was on before the first."""
    global _pauses, _was_on
    with _lock:
        if _pauses == 0:
            _was_on = gc.isenabled()
            gc.disable()
        _pauses += 1
    try:
        yield
    finally:
        with _lock:
            _pauses -= 1
            if _pauses == 0 and _was_on:
                gc.enable()
