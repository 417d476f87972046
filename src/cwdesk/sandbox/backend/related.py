"""What a write takes from the records it refers to: a ticket's board statuses, team and site, an agreement's type;
and the rules of ticket notes.

These rules read other records, so they live beside the backend rather than in ``defaults.py`` (which only looks at
the record itself); the seed generator applies them too, so seeded and created records are alike.
Not for: checking the fields a caller sent (``records.py``, ``manage.py``).
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from cwdesk.sandbox.backend.kinds import KINDS, Kind
from cwdesk.sandbox.backend.records import Problems, known_property
from cwdesk.sandbox.backend.references import default_reference, reference_to


def _record(db: sqlite3.Connection, kind: Kind, record_id: int) -> dict[str, Any] | None:
    row = db.execute(f"SELECT data FROM {kind.table} WHERE id = ?", (record_id,)).fetchone()
    found: dict[str, Any] | None = json.loads(row[0]) if row else None
    return found


#: What a new agreement takes from its type when the create leaves it out (ConnectWise's agreement screen
#: fills these from the type; no recorded API answer shows it, so docs/sandbox.md lists it as unverified).
_FROM_AGREEMENT_TYPE = ("billTime", "billExpenses", "billProducts", "employeeCompRate", "employeeCompNotExceed",
                        "invoicingCycle", "applicationUnits", "applicationLimit", "applicationCycle",
                        "applicationUnlimitedFlag", "billingCycle", "oneTimeFlag")  # fmt: skip


def agreement_type_defaults(db: sqlite3.Connection, record: dict[str, Any]) -> None:
    """Fill what ``record`` leaves out from its agreement type (also used by the seed generator)."""
    agreement_type = record.get("type")
    if not isinstance(agreement_type, dict) or not isinstance(agreement_type.get("id"), int):
        return
    row = db.execute("SELECT data FROM mg_agreement_type WHERE id = ?", (agreement_type["id"],)).fetchone()
    if row is None:
        return
    type_record = json.loads(row[0])
    for name in _FROM_AGREEMENT_TYPE:
        if name not in record and type_record.get(name) is not None:
            record[name] = type_record[name]


def ticket_rules(db: sqlite3.Connection, record: dict[str, Any], problems: Problems, *, creating: bool) -> None:
    """A ticket's status, team and type belong to its board; a new ticket takes the board's defaults.

    Recorded tickets show it: ``status_href`` is ``.../service/boards/30/statuses/550`` and a ticket created
    with only a status name got the board's team, location and department, and its company's site with the
    site's address (create_ticket_few_parameters.json.resp, rapid7/insightconnect-plugins).
    """
    if creating and "board" not in record:
        board_row = db.execute("SELECT data FROM mg_board ORDER BY id LIMIT 1").fetchone()
        if board_row:
            record["board"] = reference_to(KINDS["board"], json.loads(board_row[0]), "BoardReference")
    board_ref = record.get("board")
    board_id = board_ref.get("id") if isinstance(board_ref, dict) else None
    board = _record(db, KINDS["board"], board_id) if isinstance(board_id, int) else None
    if board is not None and isinstance(board_id, int):
        for field_name, kind_name, schema in (
            ("status", "board_status", "ServiceStatusReference"),
            ("team", "board_team", "ServiceTeamReference"),
            ("type", "board_type", "ServiceTypeReference"),
        ):
            _on_board(db, record, field_name, KINDS[kind_name], schema, board, problems)
        if creating and "status" not in record:
            status = _board_default(db, KINDS["board_status"], board_id, "ServiceStatusReference")
            if status:
                record["status"] = status
        if creating and "team" not in record:
            team = _board_default(db, KINDS["board_team"], board_id, "ServiceTeamReference", only_default=True)
            if team:
                record["team"] = team
        if creating:
            for name in ("location", "department"):
                if name not in record and isinstance(board.get(name), dict):
                    record[name] = board[name]
        status_ref = record.get("status")
        if isinstance(status_ref, dict) and isinstance(status_ref.get("id"), int):
            status_row = db.execute(
                "SELECT c_closedstatus FROM mg_board_status WHERE id = ?", (status_ref["id"],)
            ).fetchone()
            if status_row and status_row[0]:
                record["closedFlag"] = True
    if creating and "site" not in record:
        _ticket_site(db, record)
    if "priority" not in record:
        # ConnectWise gives a new ticket the priority marked default ("Priority 3 - Normal Response").
        priority = default_reference(db, "priority", "PriorityReference")
        if priority:
            record["priority"] = priority


def _on_board(
    db: sqlite3.Connection,
    record: dict[str, Any],
    field_name: str,
    kind: Kind,
    schema: str,
    board: dict[str, Any],
    problems: Problems,
) -> None:
    """Keep ``record[field_name]`` only if it is one of the board's: by id when it has one, else by name."""
    ref = {str(key).lower(): val for key, val in (record.get(field_name) or {}).items()}
    if not ref:
        return
    row = None
    if ref.get("id") is not None:
        row = db.execute(
            f"SELECT data FROM {kind.table} WHERE id = ? AND parent_id = ?", (ref["id"], board["id"])
        ).fetchone()
    elif ref.get("name"):
        row = db.execute(
            f"SELECT data FROM {kind.table} WHERE parent_id = ? AND c_name = ? ORDER BY id LIMIT 1",
            (board["id"], ref["name"]),
        ).fetchone()
    if row is not None:
        record[field_name] = reference_to(kind, json.loads(row[0]), schema)
        return
    names = [r[0] for r in db.execute(f"SELECT c_name FROM {kind.table} WHERE parent_id = ?", (board["id"],))]
    shown = ref.get("name") or ref.get("id")
    problems.add(
        "InvalidField",
        field_name,
        f"{field_name}: {kind.label} {shown!r} is not on board '{board.get('name')}'; "
        f"its {kind.label.lower()}s are: {', '.join(names) or 'none'}.",
    )
    record.pop(field_name, None)


def _board_default(
    db: sqlite3.Connection, kind: Kind, board_id: int, schema: str, *, only_default: bool = False
) -> dict[str, Any] | None:
    order = "coalesce(json_extract(data, '$.defaultFlag'), 0) DESC, coalesce(json_extract(data, '$.sortOrder'), 0)"
    where = " AND coalesce(json_extract(data, '$.defaultFlag'), 0) = 1" if only_default else ""
    row = db.execute(
        f"SELECT data FROM {kind.table} WHERE parent_id = ?{where} ORDER BY {order}, id LIMIT 1", (board_id,)
    ).fetchone()
    return reference_to(kind, json.loads(row[0]), schema) if row else None


def _ticket_site(db: sqlite3.Connection, record: dict[str, Any]) -> None:
    company_ref = record.get("company")
    if not isinstance(company_ref, dict) or not isinstance(company_ref.get("id"), int):
        return
    row = db.execute("SELECT data FROM mg_company WHERE id = ?", (company_ref["id"],)).fetchone()
    site_ref = json.loads(row[0]).get("site") if row else None
    if not isinstance(site_ref, dict) or not isinstance(site_ref.get("id"), int):
        return
    site_row = db.execute("SELECT data FROM mg_site WHERE id = ?", (site_ref["id"],)).fetchone()
    if site_row is None:
        return
    site = json.loads(site_row[0])
    record["site"] = reference_to(KINDS["site"], site, "SiteReference")
    record.setdefault("siteName", site.get("name"))
    for name in ("addressLine1", "addressLine2", "city", "zip", "country"):
        if site.get(name) is not None:
            record.setdefault(name, site[name])
    state = site.get("stateReference")
    if isinstance(state, dict) and state.get("identifier"):
        record.setdefault("stateIdentifier", state["identifier"])


def set_parent(db: sqlite3.Connection, kind: Kind, record: dict[str, Any], parent_id: int) -> None:
    """A child names its parent as the URL gave it: a reference (``company``) or an id (``ticketId``)."""
    key = kind.parent_key or ""
    prop = known_property(kind.schema, key)
    if prop is not None and prop.kind == "reference":
        parent_kind = KINDS[kind.parent or ""]
        parent = _record(db, parent_kind, parent_id)
        if parent is not None:
            record[key] = reference_to(parent_kind, parent, prop.ref or "")
    else:
        record[key] = parent_id


#: Where a ticket note is shown; a note must be shown somewhere.
NOTE_FLAGS = ("detailDescriptionFlag", "internalAnalysisFlag", "resolutionFlag")


def note_flags(record: dict[str, Any], problems: Problems) -> None:
    """A ticket note with none of the three flags set is refused, as a real server refuses it
    (rapid7/insightconnect-plugins plugins/connectwise/unit_test/responses/create_ticket_note_no_flag.json.resp)."""
    if not any(record.get(name) for name in NOTE_FLAGS):
        message = "Please choose where to display the notes in order to save this record."
        problems.add("ServiceNote", ", ".join(NOTE_FLAGS), message)
