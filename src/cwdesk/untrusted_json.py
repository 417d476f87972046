"""Reading JSON sent by someone we do not trust yet (callback deliveries, console form posts), within bounds.

``json.loads`` recurses once per nesting level, so a body of a few thousand ``[`` raises ``RecursionError``, which
is not a ``ValueError`` and surfaced as a 500 (issue 14, item 8). ``loads_bounded`` turns that, and any structure
nested deeper than ``MAX_DEPTH``, into ``UntrustedJSONError`` (a ``ValueError``) with a message fit to answer 400.
No real ConnectWise callback or console request nests more than a handful of levels (a callback body is
``{Metadata: {key_url}}`` with the record as a JSON *string*, NOTES §10; an onboarding plan is a dict of sections
holding lists of dicts), so 32 leaves ample room.

Not for: validating the *shape* of what was read (the callers and the workflows do that).
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["MAX_DEPTH", "UntrustedJSONError", "loads_bounded"]

MAX_DEPTH = 32


class UntrustedJSONError(ValueError):
    """The bytes are not JSON, or nest deeper than allowed; ``str()`` says which (no content echoed)."""


def _depth(value: Any) -> int:
    # Iterative on purpose: a recursive walk would hit the very limit this guards against.
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            deepest = max(deepest, level)
            stack.extend((child, level + 1) for child in item.values())
        elif isinstance(item, list):
            deepest = max(deepest, level)
            stack.extend((child, level + 1) for child in item)
    return deepest


def loads_bounded(data: bytes | str, *, max_depth: int = MAX_DEPTH, what: str = "The request body") -> Any:
    """``json.loads(data)``, refusing malformed JSON and nesting deeper than ``max_depth`` objects/arrays."""
    too_deep = f"{what} nests JSON deeper than {max_depth} levels; send a flatter document."
    try:
        value = json.loads(data)
    except RecursionError:
        raise UntrustedJSONError(too_deep) from None
    except ValueError:
        raise UntrustedJSONError(f"{what} is not valid JSON.") from None
    if _depth(value) > max_depth:
        raise UntrustedJSONError(too_deep)
    return value
