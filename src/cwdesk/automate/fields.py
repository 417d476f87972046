"""Which fields of an Automate client or location can be written, from the bundled spec (``automate-core.json``).

``writable_fields("Client")`` maps each writable property of ``LabTech.Models.Client`` (PascalCase, as the API
spells it) to its JSON type (``string``, ``boolean``, ``integer``). Writable means: a scalar property other than
``Id``. Nested records (a location's ``Contact``, ``Router``...) and lists (a client's ``Locations``) are changed
through their own paths, not by a PATCH of the parent. The location's script credentials (``ScriptUsername``,
``ScriptPassword``) are left out on purpose: cwdesk never carries a credential it would then show in a diff.

Not for: sending the change (``automate/resources.py``: ``update`` sends PatchOperations) or deciding what a user
typed means (``cwdesk.workflows.automate_clients``).
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

__all__ = ["CREDENTIAL_FIELDS", "RECORD_SCHEMAS", "writable_fields"]

#: The spec schema of each record kind cwdesk updates.
RECORD_SCHEMAS = {"Client": "LabTech.Models.Client", "Location": "LabTech.Models.Location"}
#: Properties that hold a credential: never offered for update, never shown.
CREDENTIAL_FIELDS = frozenset({"ScriptUsername", "ScriptPassword"})
_SCALARS = frozenset({"string", "boolean", "integer", "number"})


@cache
def _schemas() -> dict[str, Any]:
    text = resources.files("cwdesk.spec").joinpath("automate-core.json").read_text(encoding="utf-8")
    schemas: dict[str, Any] = json.loads(text)["components"]["schemas"]
    return schemas


@cache
def writable_fields(kind: str) -> dict[str, str]:
    """``{PascalCaseName: json type}`` of the writable scalar properties of ``kind`` (``Client`` or ``Location``)."""
    if kind not in RECORD_SCHEMAS:
        raise ValueError(f"no writable fields are known for {kind!r}: choose one of {', '.join(RECORD_SCHEMAS)}")
    properties: dict[str, Any] = _schemas()[RECORD_SCHEMAS[kind]].get("properties", {})
    return {
        name: str(spec["type"])
        for name, spec in properties.items()
        if name != "Id" and name not in CREDENTIAL_FIELDS and spec.get("type") in _SCALARS
    }
