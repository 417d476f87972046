"""Lazy re-exports for the SDK's packages: each public name is imported from its module on first use (PEP 562).

A package keeps its imports under ``if TYPE_CHECKING:`` (for type checkers and readers) and maps each public name
to the module it lives in; ``__getattr__, __dir__ = lazy_exports(__name__, homes, __all__)`` then resolves a name
the first time it is read (``cwdesk.ManageClient``, ``from cwdesk.manage import Company``) and keeps it in the
package. So ``import cwdesk`` or ``import cwdesk.manage.client`` pays only for the modules it uses (issue 16:
``cwdesk companies count`` imports the company models, not every model of the SDK).

Not for: anything but re-exports (the names live in their own modules).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any


def lazy_exports(
    package: str, homes: Mapping[str, str], public: Sequence[str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The ``__getattr__`` and ``__dir__`` of ``package``, which re-exports ``homes`` (name -> module)."""

    def __getattr__(name: str) -> Any:
        home = homes.get(name)
        if home is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(home), name)
        setattr(sys.modules[package], name, value)  # later look-ups find it directly
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(public))

    return __getattr__, __dir__
