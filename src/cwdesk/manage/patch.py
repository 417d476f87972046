"""JSON Patch (RFC 6902, ConnectWise's flavour) for Manage updates: from a dict of changes or from a diff.

ConnectWise's ``PATCH {collection}/{id}`` takes ``[{"op": "replace", "path": "phoneNumber", "value": ...}]``
(NOTES §6): ``op`` is ``add``/``replace``/``remove`` in lower case, ``path`` is the API field name with ``/`` for
nested members and no leading slash. Rules here:

- one operation per changed field, all in one call;
- a reference field (``status``, ``company``, ``type``...) is sent as ``{"id": n}`` when an id is known, else
  ``{"name": s}``: an int means an id, a str means a name, a dict/Reference is reduced to its id (or name);
- ``customFields`` is always sent whole: ConnectWise replaces the array, so changes given for some fields are
  merged (by custom field ``id``) into the record's current array first;
- ``None`` removes the value (``remove``), anything else is ``replace``.

Keys must already be API names (``manage/resources`` converts snake_case). Not for: sending (the resources do).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from cwdesk.errors import ConfigurationError

__all__ = ["PatchOperation", "merge_custom_fields", "patch_from_changes", "patch_from_diff", "reference_value"]

PatchOperation = dict[str, Any]

# Bookkeeping fields a diff never sends: the server owns them.
_SERVER_OWNED = frozenset({"id", "_info"})


def reference_value(field: str, value: Any) -> dict[str, Any] | None:
    """A reference as ConnectWise wants it: ``{"id": n}`` or ``{"name": s}`` (None stays None)."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ConfigurationError(f"{field}: a reference needs an id (int) or a name (str), not a boolean")
    if isinstance(value, int):
        return {"id": value}
    if isinstance(value, str):
        return {"name": value}
    data = value.to_api() if hasattr(value, "to_api") else value
    if isinstance(data, Mapping):
        if data.get("id") is not None:
            return {"id": data["id"]}
        if data.get("name"):
            return {"name": data["name"]}
        if data.get("identifier"):
            return {"identifier": data["identifier"]}
    raise ConfigurationError(f"{field}: a reference needs an id or a name, got {value!r}")


def merge_custom_fields(current: Sequence[Mapping[str, Any]] | None, changes: Iterable[Any]) -> list[dict[str, Any]]:
    """The whole ``customFields`` array: the current one with each change (matched by ``id``) applied."""
    merged = [dict(item) for item in (current or [])]
    by_id = {item.get("id"): item for item in merged}
    for change in changes:
        data = dict(change.to_api() if hasattr(change, "to_api") else change)
        field_id = data.get("id")
        if field_id is None:
            raise ConfigurationError("customFields: each change needs the custom field's 'id'")
        if field_id in by_id:
            by_id[field_id].update(data)
        else:
            merged.append(data)
            by_id[field_id] = data
    return merged


def _operation(path: str, value: Any, reference_fields: frozenset[str]) -> PatchOperation:
    top = path.split("/", 1)[0]
    if top in reference_fields and "/" not in path:
        value = reference_value(path, value)
    if value is None:
        return {"op": "remove", "path": path}
    return {"op": "replace", "path": path, "value": value}


def patch_from_changes(
    changes: Mapping[str, Any],
    *,
    reference_fields: frozenset[str] = frozenset(),
    current_custom_fields: Sequence[Mapping[str, Any]] | None = None,
) -> list[PatchOperation]:
    """One operation per changed field. ``current_custom_fields`` is needed when ``customFields`` changes."""
    if not changes:
        raise ConfigurationError("Nothing to update: give at least one field to change")
    operations: list[PatchOperation] = []
    for path, value in changes.items():
        if not path or path.startswith("/"):
            raise ConfigurationError(f"Invalid field path {path!r}: use the API name, e.g. 'phoneNumber' or 'type/id'")
        if path == "customFields":
            if value is None:
                raise ConfigurationError("customFields cannot be removed; change the values of its fields instead")
            operations.append(
                {"op": "replace", "path": "customFields", "value": merge_custom_fields(current_custom_fields, value)}
            )
            continue
        operations.append(_operation(path, value, reference_fields))
    return operations


def _same_reference(a: Any, b: Any) -> bool:
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        if a.get("id") is not None and b.get("id") is not None:
            return bool(a.get("id") == b.get("id"))
        return bool(a.get("name") == b.get("name"))
    return bool(a == b)


def patch_from_diff(
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    *,
    reference_fields: frozenset[str] = frozenset(),
) -> list[PatchOperation]:
    """The operations that turn record ``before`` into ``after`` (API-named dicts). Fields absent from ``after``
    are left alone (a partial ``after`` is a set of changes); ``id`` and ``_info`` are ignored."""
    operations: list[PatchOperation] = []
    for path, new in after.items():
        if path in _SERVER_OWNED:
            continue
        old = before.get(path)
        if path in reference_fields:
            if _same_reference(old, new):
                continue
        elif old == new:
            continue
        if path == "customFields":
            operations.append({"op": "replace", "path": path, "value": list(new or [])})
            continue
        operations.append(_operation(path, new, reference_fields))
    return operations
