"""How a record is embedded in another: the reference ConnectWise writes (``{id, name, _info: {x_href}}``).

Shared by the backend's writes, the rules that read related records (``related.py``) and the seed generator.
Not for: resolving what a caller sent as a reference (``manage.ManageBackend.reference``).
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from cwdesk.sandbox.backend.kinds import KINDS, Kind
from cwdesk.sandbox.backend.records import HREF_PREFIX
from cwdesk.sandbox.backend.spec import properties


def reference_to(kind: Kind, record: dict[str, Any], schema: str) -> dict[str, Any]:
    """The reference ConnectWise embeds for ``record``: id, name (or summary), extras, and an href in ``_info``."""
    allowed = properties(schema)
    name = " ".join(str(record.get(part) or "") for part in kind.reference_name).strip()
    ref: dict[str, Any] = {"id": record["id"]}
    if "identifier" in allowed and record.get("identifier") is not None:
        ref["identifier"] = record["identifier"]
    if "summary" in allowed:
        ref["summary"] = name
    elif "name" in allowed:
        ref["name"] = name
    for source, target in kind.reference_renamed:
        if target in allowed and record.get(source) is not None:
            ref[target] = record[source]
    path = kind.path.replace("{parentId}", str(parent_of(kind, record) or ""))
    # Recorded hrefs have a double slash after apis/3.0 (".../apis/3.0//service/boards/30", every reference in
    # rapid7/insightconnect-plugins plugins/connectwise/unit_test/responses/*.json.resp): the path keeps its slash.
    ref["_info"] = {kind.href_key(): f"{HREF_PREFIX}{path}/{record['id']}"}
    if record.get("mobileGuid"):
        ref["_info"]["mobileGuid"] = record["mobileGuid"]  # as references to companies, sites and contacts show
    return ref


def parent_of(kind: Kind, record: dict[str, Any]) -> int | None:
    """The id of the record's parent (a child names it by reference or by id), or None."""
    if kind.parent_key is None:
        return None
    parent = record.get(kind.parent_key)
    if isinstance(parent, int) and not isinstance(parent, bool):
        return parent
    return int(parent["id"]) if isinstance(parent, dict) and isinstance(parent.get("id"), int) else None


def default_reference(db: sqlite3.Connection, kind_name: str, schema: str) -> dict[str, Any] | None:
    """A reference to the record of ``kind_name`` marked ``defaultFlag`` (else its first), or None if none."""
    kind = KINDS[kind_name]
    row = db.execute(
        f"SELECT data FROM {kind.table} ORDER BY coalesce(json_extract(data, '$.defaultFlag'), 0) DESC, id LIMIT 1"
    ).fetchone()
    return reference_to(kind, json.loads(row[0]), schema) if row else None
