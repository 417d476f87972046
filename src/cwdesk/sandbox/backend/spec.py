"""The Manage OpenAPI file as the sandbox reads it: which properties each object has, their types and limits.

The emulator takes its field names, required lists, enums and ``Max length`` limits from ``manage-core.json``
(the real ConnectWise spec), never from what our SDK expects. Field paths in conditions, ``orderBy``, ``fields``
and JSON Patch are resolved here, case-insensitively as ConnectWise does (``Board/Id``, ``ClosedFlag``).
Not for: SQL (``query.py``) or validation of whole records (``records.py``).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

_MAX_LENGTH = re.compile(r"Max length:\s*(\d+)", re.IGNORECASE)

#: ``_info`` is typed as a map of strings; these are the keys ConnectWise fills and lets you filter on.
INFO_KEYS = ("lastUpdated", "dateEntered", "enteredBy", "updatedBy")


def spec_path(name: str) -> Path:
    """Where an OpenAPI file is: the copy bundled in ``cwdesk/spec``, ``$CWDESK_SPEC_DIR``, or a dev checkout."""
    env = os.environ.get("CWDESK_SPEC_DIR")
    if env and (Path(env) / name).is_file():
        return Path(env) / name
    bundled = resources.files("cwdesk").joinpath("spec", name)
    if bundled.is_file():
        return Path(str(bundled))
    # A development checkout keeps the shared spec next to the repository (../shared/spec).
    for parent in Path(__file__).resolve().parents:
        candidate = parent / "shared" / "spec" / name
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"{name} was not found: bundle it in cwdesk/spec or set CWDESK_SPEC_DIR to its folder.")


@cache
def manage_spec() -> dict[str, Any]:
    """The parsed ``manage-core.json`` (loaded once per process)."""
    with spec_path("manage-core.json").open(encoding="utf-8") as handle:
        loaded: dict[str, Any] = json.load(handle)
    return loaded


@cache
def children_spec() -> dict[str, Any]:
    """The parsed ``manage-children.json``: the child collections real clients call that the core spec lacks.

    Board statuses, teams and types, ticket notes, agreement additions, company notes and teams, contact
    communications; its ``info.description`` says which spec file each schema was copied from.
    """
    with spec_path("manage-children.json").open(encoding="utf-8") as handle:
        loaded: dict[str, Any] = json.load(handle)
    return loaded


@dataclass(frozen=True)
class Property:
    """One property of an object schema, with what the emulator needs to check and query it."""

    name: str
    """The spelling of the spec (``identifier``), whatever case the caller used."""
    kind: str
    """``string``, ``integer``, ``number``, ``boolean``, ``datetime``, ``object``, ``reference``, ``map``, ``array``."""
    ref: str | None = None
    """The schema name of a reference/object (or of the array's items)."""
    item_kind: str | None = None
    """For arrays: the kind of one item."""
    enum: tuple[str, ...] = ()
    max_length: int | None = None
    nullable: bool = False


#: Schemas of paths the SDK uses that ``manage-core.json`` lacks, as ``manage-openapi-reconstructed.json`` has them.
EXTRA_SCHEMAS: dict[str, Any] = {
    "TimeZoneSetup": {
        "required": ["name", "timeZone"],
        "type": "object",
        "properties": {
            "id": {"type": "integer", "format": "int32"},
            "name": {"type": "string", "description": "Max length: 50;"},
            "timeZone": {"$ref": "#/components/schemas/TimeZoneReference"},
            "offset": {"type": "number", "format": "double", "nullable": True},
            "defaultFlag": {"type": "boolean", "nullable": True},
            "daylightSavingsFlag": {"type": "boolean", "nullable": True},
            "_info": {"type": "object", "additionalProperties": {"type": "string"}},
        },
    },
    "Priority": {
        "required": ["name", "color"],
        "type": "object",
        "properties": {
            "id": {"type": "integer", "format": "int32"},
            "name": {"type": "string", "description": "Max length: 50;"},
            "color": {"type": "string", "nullable": True},
            "sortOrder": {"type": "integer", "format": "int32", "nullable": True},
            "defaultFlag": {"type": "boolean", "nullable": True},
            "imageLink": {"type": "string"},
            "urgencySortOrder": {"type": "string"},
            "level": {"type": "string", "nullable": True},
            "_info": {"type": "object", "additionalProperties": {"type": "string"}},
        },
    },
    "TimeZoneReference": {
        "type": "object",
        "properties": {
            "id": {"type": "integer", "format": "int32", "nullable": True},
            "name": {"type": "string"},
            "_info": {"type": "object", "additionalProperties": {"type": "string"}},
        },
    },
}


#: The methods of those paths: the reconstructed spec's for priorities; time zone setups are served read-only
#: (the sandbox has no rules for editing them).
EXTRA_PATHS: dict[str, frozenset[str]] = {
    "/service/priorities": frozenset({"GET", "POST"}),
    "/service/priorities/count": frozenset({"GET"}),
    "/service/priorities/{id}": frozenset({"GET", "PUT", "PATCH", "DELETE"}),
    "/system/timeZoneSetups": frozenset({"GET"}),
    "/system/timeZoneSetups/count": frozenset({"GET"}),
    "/system/timeZoneSetups/{id}": frozenset({"GET"}),
}


def path_methods(template: str) -> frozenset[str]:
    """The HTTP methods the spec has on ``template`` (``/company/companies/{id}``), upper case; empty if none."""
    if template in EXTRA_PATHS:
        return EXTRA_PATHS[template]
    children: dict[str, list[str]] = children_spec()["paths"]
    if template in children:
        return frozenset(children[template])
    path = manage_spec()["paths"].get(template, {})
    return frozenset(method.upper() for method in path if method != "parameters")


@cache
def _schemas() -> dict[str, Any]:
    schemas: dict[str, Any] = {
        **EXTRA_SCHEMAS,
        **children_spec()["components"]["schemas"],
        **manage_spec()["components"]["schemas"],
    }
    return schemas


def _ref_name(node: dict[str, Any]) -> str | None:
    ref = node.get("$ref")
    return ref.rsplit("/", 1)[-1] if isinstance(ref, str) else None


def _kind_of(node: dict[str, Any]) -> tuple[str, str | None]:
    ref = _ref_name(node)
    if ref is not None:
        return ("reference" if ref.endswith("Reference") else "object"), ref
    node_type = node.get("type")
    if node_type == "string":
        return ("datetime" if node.get("format") == "date-time" else "string"), None
    if node_type in ("integer", "number", "boolean"):
        return str(node_type), None
    if node_type == "array":
        return "array", None
    if node_type == "object":
        return ("map" if "additionalProperties" in node else "object"), None
    return "object", None


@cache
def properties(schema: str) -> dict[str, Property]:
    """Every property of ``schema`` keyed by its lower-cased name (ConnectWise matches names case-insensitively)."""
    node = _schemas().get(schema)
    if node is None:
        return {}
    found: dict[str, Property] = {}
    for name, prop in node.get("properties", {}).items():
        kind, ref = _kind_of(prop)
        item_kind = None
        if kind == "array":
            item_kind, ref = _kind_of(prop.get("items", {}))
        match = _MAX_LENGTH.search(prop.get("description", "") or "")
        found[name.lower()] = Property(
            name=name,
            kind=kind,
            ref=ref,
            item_kind=item_kind,
            enum=tuple(prop.get("enum", ())),
            max_length=int(match.group(1)) if match else None,
            nullable=bool(prop.get("nullable", False)),
        )
    return found


@cache
def required(schema: str) -> tuple[str, ...]:
    """The spec's ``required`` list of ``schema`` (the fields a POST or PUT must carry)."""
    return tuple(_schemas().get(schema, {}).get("required", ()))


@dataclass(frozen=True)
class FieldPath:
    """A field path (``status/name``, ``_info/lastUpdated``, ``types/id``) resolved against a schema."""

    segments: tuple[str, ...]
    """Spec spellings of each step."""
    kind: str
    """The kind of the final value (``string``, ``integer``, ...; ``reference`` when the path stops at one)."""
    array_at: int | None = None
    """Index of the segment that is an array: the path continues inside each of its items."""

    @property
    def text(self) -> str:
        return "/".join(self.segments)


class UnknownField(LookupError):
    """A field path that names no property (ConnectWise: ``x is not a recognized name.``)."""

    def __init__(self, path: str) -> None:
        super().__init__(f"{path} is not a recognized name.")
        self.path = path


def resolve(schema: str, path: str) -> FieldPath:
    """Resolve ``path`` (``/``-separated, any case) within ``schema``; raises ``UnknownField``."""
    raw = [part for part in path.strip().strip("/").split("/") if part]
    if not raw:
        raise UnknownField(path)
    # ``lastUpdated`` and ``dateEntered`` at the top are accepted by ConnectWise as shorthands for ``_info/...``.
    top = {key.lower(): key for key in INFO_KEYS}
    if len(raw) == 1 and raw[0].lower() in top and raw[0].lower() not in properties(schema):
        return FieldPath(("_info", top[raw[0].lower()]), "datetime" if "date" in raw[0].lower() else "string")
    segments: list[str] = []
    current = schema
    array_at: int | None = None
    for index, part in enumerate(raw):
        prop = properties(current).get(part.lower())
        if prop is None:
            raise UnknownField(path)
        segments.append(prop.name)
        last = index == len(raw) - 1
        if prop.kind == "map":
            if last or index != len(raw) - 2:
                if last:
                    return FieldPath(tuple(segments), "map", array_at)
                raise UnknownField(path)
            key = top.get(raw[-1].lower())
            if key is None:
                raise UnknownField(path)
            kind = "datetime" if key in ("lastUpdated", "dateEntered") else "string"
            return FieldPath((*segments, key), kind, array_at)
        if prop.kind == "array":
            if last:
                return FieldPath(tuple(segments), "array", array_at)
            if array_at is not None or prop.ref is None:
                raise UnknownField(path)
            array_at = index
            current = prop.ref
            continue
        if prop.kind in ("reference", "object"):
            if last:
                return FieldPath(tuple(segments), prop.kind, array_at)
            if prop.ref is None:
                raise UnknownField(path)
            current = prop.ref
            continue
        if not last:
            raise UnknownField(path)
        return FieldPath(tuple(segments), prop.kind, array_at)
    raise UnknownField(path)
