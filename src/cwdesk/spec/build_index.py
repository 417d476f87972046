"""Rebuild the bundled operation indexes from the full OpenAPI files (run by hand when the specs change).

    python -m cwdesk.spec.build_index ../shared/spec

Reads ``manage-openapi-reconstructed.json`` (every Manage operation, 2025.1) and ``automate-openapi.json`` and writes
``manage-operations.json`` / ``automate-operations.json`` beside this file. Not for: use at run time.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

# The query parameters nearly every Manage GET takes (docs/connectwise.md, "Query parameters of lists"): stored
# once as "std" to keep the index small.
MANAGE_STANDARD_QUERY = [
    "conditions",
    "childConditions",
    "customFieldConditions",
    "orderBy",
    "fields",
    "page",
    "pageSize",
    "pageId",
]
# The list options of Automate (docs/connectwise.md, "Automate"), likewise.
AUTOMATE_STANDARD_QUERY = [
    "options.orderBy.name",
    "options.orderBy.type",
    "options.page",
    "options.pageSize",
    "options.condition",
    "options.expands",
    "options.includedFields",
    "options.excludedFields",
    "options.ids",
    "options.timeout",
]


def _is_list(operation: dict[str, Any], spec: dict[str, Any]) -> bool:
    for status in ("200", "201"):
        response = operation.get("responses", {}).get(status) or {}
        content = response.get("content") or {}
        media: dict[str, Any] = content.get("application/json") or next(iter(content.values()), {})
        schema = media.get("schema") or {}
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[-1]
            schema = spec.get("components", {}).get("schemas", {}).get(name, {})
        if schema.get("type") == "array":
            return True
    return False


def build(spec: dict[str, Any], source: str, standard: list[str]) -> dict[str, Any]:
    """The slim index of one OpenAPI document; ``standard`` is the usual query list, stored as ``"std"``."""
    operations = []
    for path, item in spec["paths"].items():
        shared = item.get("parameters", [])
        for method, operation in item.items():
            if not isinstance(operation, dict) or "operationId" not in operation:
                continue
            params = [*shared, *operation.get("parameters", [])]
            query = [p["name"] for p in params if p.get("in") == "query"]
            entry: dict[str, Any] = {
                "id": operation["operationId"],
                "method": method.upper(),
                "path": path,
                "path_params": [p["name"] for p in params if p.get("in") == "path"],
                "query": "std" if query == standard else query,
                "list": _is_list(operation, spec),
                "body": "requestBody" in operation,
            }
            operations.append(entry)
    operations.sort(key=lambda e: e["id"].lower())
    return {"source": source, "standard_query": standard, "operations": operations}


def main(folder: str) -> None:
    here = Path(__file__).resolve().parent
    base = Path(folder)
    for product, name, standard in (
        ("manage", "manage-openapi-reconstructed.json", MANAGE_STANDARD_QUERY),
        ("automate", "automate-openapi.json", AUTOMATE_STANDARD_QUERY),
    ):
        spec = json.loads((base / name).read_text())
        index = build(spec, name, standard)
        target = here / f"{product}-operations.json"
        target.write_text(json.dumps(index, separators=(",", ":")) + "\n")
        print(f"{target.name}: {len(index['operations'])} operations")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "../shared/spec")
