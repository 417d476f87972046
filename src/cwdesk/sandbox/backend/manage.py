"""The Manage emulator's state: find, count, read, create, replace, patch and delete records as ConnectWise does.

Records are stored whole as the JSON ConnectWise returns (with ``id`` and ``_info``), so a page is served by
joining stored text; searchable fields are indexed columns (``kinds.py``). Every change is announced to
``listeners`` (callbacks are delivered from there).
Not for: HTTP (``manage_api.py``), conditions parsing (``cwdesk.conditions``), seeding (``seed.py``).
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from cwdesk.sandbox.backend.defaults import fill, new_info
from cwdesk.sandbox.backend.kinds import (
    BOARD_SCOPED,
    CATALOGS,
    COMMUNICATION_TYPES,
    KINDS,
    REFERENCE_KINDS,
    Kind,
    catalog_info,
    catalog_reference,
)
from cwdesk.sandbox.backend.query import (
    Param,
    child_conditions_sql,
    conditions_sql,
    custom_field_conditions_sql,
    order_by_sql,
)
from cwdesk.sandbox.backend.records import (
    COMPANY_IDENTIFIER,
    MEMBER_IDENTIFIER_MAX,
    ManageError,
    Problems,
    apply_patch,
    bind_number,
    check_scalar,
    known_property,
    max_length_message,
    missing_required,
    timestamp,
    unknown_member,
)
from cwdesk.sandbox.backend.references import default_reference, parent_of
from cwdesk.sandbox.backend.references import reference_to as reference_to  # long imported from here
from cwdesk.sandbox.backend.related import agreement_type_defaults, note_flags, set_parent, ticket_rules
from cwdesk.sandbox.backend.spec import Property, properties

#: Fields a record never shows after a write (spec: "Only available for POST, will not be returned").
_WRITE_ONLY = {
    "ticket": ("initialDescription", "initialInternalAnalysis", "initialResolution"),
    "member": ("password",),
    "contact": ("typeIds", "portalPassword", "ignoreDuplicates"),
}


#: What a real server says when a PUT carries a company's ``types`` (it names the field ``typeIds``): "typeIds can
#: only be used when creating a new company." -- Mwbergamo/SolutionsHub ``register/api/customers.php`` and
#: ``register/api/connectwise.php`` (a live PUT of a record exactly as GET returned it; the error's ``field`` is
#: ``typeIds``). The same message answers a PATCH of ``types``.
COMPANY_TYPES_ON_UPDATE = "typeIds can only be used when creating a new company."
#: A company create without ``site`` (live probe, Mwbergamo/SolutionsHub ``register/api/customers.php``).
COMPANY_SITE_REQUIRED = "Company Site name is required."
#: ``accountNumber``'s real limit (the bundled spec gives none): the same live probe.
ACCOUNT_NUMBER_MAX = 41


@dataclass(frozen=True)
class Change:
    """One record created, updated or deleted (what callbacks are made from)."""

    kind: Kind
    action: str
    """``added``, ``updated`` or ``deleted`` (ConnectWise's callback actions)."""
    record: dict[str, Any]
    member_id: int | None


@dataclass(frozen=True)
class Query:
    """The list parameters of a GET, already checked for shape by the HTTP layer."""

    conditions: str | None = None
    child_conditions: str | None = None
    custom_field_conditions: str | None = None
    order_by: str | None = None


class ManageBackend:
    """All Manage records in one SQLite connection."""

    def __init__(self, db: sqlite3.Connection, clock: Callable[[], datetime]) -> None:
        self.db = db
        self.clock = clock
        self.listeners: list[Callable[[Change], None]] = []

    # ----------------------------------------------------------------------------------------------- reading
    def _where(self, kind: Kind, parent_id: int | None, query: Query, params: list[Param]) -> str:
        clauses: list[str] = []
        if parent_id is not None:
            clauses.append("t.parent_id = ?")
            params.append(parent_id)
        if query.conditions and query.conditions.strip():
            clauses.append(conditions_sql(kind, query.conditions, params))
        if query.child_conditions and query.child_conditions.strip():
            clauses.append(child_conditions_sql(kind, query.child_conditions, params))
        if query.custom_field_conditions and query.custom_field_conditions.strip():
            clauses.append(custom_field_conditions_sql(kind, query.custom_field_conditions, params))
        return " AND ".join(clauses) if clauses else "1"

    def find(self, kind: Kind, query: Query, *, parent_id: int | None = None, limit: int, offset: int = 0) -> list[str]:
        """One page of records as stored JSON text, in ``orderBy`` order (id by default)."""
        params: list[Param] = []
        where = self._where(kind, parent_id, query, params)
        order = order_by_sql(kind, query.order_by) if query.order_by else "t.id ASC"
        sql = f"SELECT t.data FROM {kind.table} AS t WHERE {where} ORDER BY {order} LIMIT ? OFFSET ?"
        return [row[0] for row in self.db.execute(sql, (*params, limit, offset))]

    def find_after(self, kind: Kind, query: Query, *, parent_id: int | None, after_id: int, limit: int) -> list[str]:
        """Forward-only paging: records with ``id > after_id`` in id order."""
        params: list[Param] = []
        where = self._where(kind, parent_id, query, params)
        sql = f"SELECT t.data FROM {kind.table} AS t WHERE {where} AND t.id > ? ORDER BY t.id LIMIT ?"
        return [row[0] for row in self.db.execute(sql, (*params, after_id, limit))]

    def count(self, kind: Kind, query: Query, *, parent_id: int | None = None) -> int:
        params: list[Param] = []
        where = self._where(kind, parent_id, query, params)
        row = self.db.execute(f"SELECT count(*) FROM {kind.table} AS t WHERE {where}", params).fetchone()
        return int(row[0])

    def get(self, kind: Kind, record_id: int, *, parent_id: int | None = None) -> dict[str, Any]:
        """One record; 404 ``NotFound`` as ConnectWise words it (``Service Ticket 99 not found``, see kinds.py)."""
        if parent_id is not None:
            self.get(KINDS[kind.parent or ""], parent_id)
            row = self.db.execute(
                f"SELECT data FROM {kind.table} WHERE id = ? AND parent_id = ?", (record_id, parent_id)
            ).fetchone()
        else:
            row = self.db.execute(f"SELECT data FROM {kind.table} WHERE id = ?", (record_id,)).fetchone()
        if row is None:
            raise ManageError(404, "NotFound", f"{kind.label} {record_id} not found")
        record: dict[str, Any] = json.loads(row[0])
        return record

    def member_by_identifier(self, identifier: str) -> dict[str, Any]:
        """``GET /system/members/{identifier}``; 404 as for an unknown id when no member has it."""
        row = self.db.execute(
            "SELECT data FROM mg_member WHERE c_identifier = ? ORDER BY id LIMIT 1", (identifier,)
        ).fetchone()
        if row is None:
            raise ManageError(404, "NotFound", f"Member {identifier} not found")
        record: dict[str, Any] = json.loads(row[0])
        return record

    def exists(self, kind: Kind, record_id: int) -> bool:
        return self.db.execute(f"SELECT 1 FROM {kind.table} WHERE id = ?", (record_id,)).fetchone() is not None

    # ------------------------------------------------------------------------------------------------ writing
    def create(
        self, kind: Kind, body: Any, *, parent_id: int | None = None, member: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """POST: check, fill defaults, store; returns the full record (201).

        A company is created with its site: ``site: {"name": "Main"}`` is required and the server makes that site
        itself (Mwbergamo/SolutionsHub ``register/api/customers.php``, live probes), so the company's ``site``
        points at a site of its own.
        """
        if parent_id is not None:
            self.get(KINDS[kind.parent or ""], parent_id)
        moment = self.clock()
        record = self._checked(kind, body, record_id=None, parent_id=parent_id, creating=True, now=moment)
        site_name = record.pop("site", {}).get("name") if kind.name == "company" else None
        now = timestamp(moment)
        who = _who(member)
        record_id = self._next_id(kind)
        record = {"id": record_id, **record}
        if kind.name == "ticket_note":
            # A note is written by the member the API key acts as (create_ticket_note_few_parameters.json.resp).
            if member and member.get("id") is not None and "member" not in record:
                record["member"] = reference_to(KINDS["member"], member, "MemberReference")
            record.setdefault("dateCreated", now)
            record.setdefault("createdBy", who)
        record["_info"] = new_info(kind, now, who, record_id)
        site = self._company_site(record, str(site_name), moment, who) if site_name else None
        if site is not None:
            record["site"] = reference_to(KINDS["site"], site, "SiteReference")
        self._store(kind, record, parent_id, insert=True)
        self._announce(kind, "added", record, member)
        if site is not None:
            self._store(KINDS["site"], site, record_id, insert=True)
            self._announce(KINDS["site"], "added", site, member)
        return record

    def _company_site(self, company: dict[str, Any], name: str, moment: datetime, who: str) -> dict[str, Any]:
        """The site a company create makes from ``site: {"name": ...}``. It takes the company's address and phone and
        is the company's primary, billing, shipping and mailing address, as the seeded main sites are (unverified:
        no recording shows a new site's fields; docs/sandbox.md lists it)."""
        site: dict[str, Any] = {"id": self._next_id(KINDS["site"]), "name": name}
        for key in ("addressLine1", "addressLine2", "city", "zip", "country", "phoneNumber", "faxNumber"):
            if company.get(key) not in (None, ""):
                site[key] = company[key]
        if isinstance(company.get("state"), str) and company["state"]:
            site["stateReference"] = {"identifier": company["state"], "name": company["state"]}
        for flag in ("primaryAddressFlag", "defaultBillingFlag", "defaultShippingFlag", "defaultMailingFlag"):
            site[flag] = True
        site_kind = KINDS["site"]
        site["company"] = reference_to(KINDS["company"], company, "CompanyReference")
        fill(site_kind, site, Problems(resource="companySite"), now=moment, guid=lambda: str(uuid.uuid4()))
        site["_info"] = new_info(site_kind, timestamp(moment), who, int(site["id"]))
        return site

    def replace(
        self,
        kind: Kind,
        record_id: int,
        body: Any,
        *,
        parent_id: int | None = None,
        member: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """PUT: the whole record is replaced (required fields again), ``_info`` kept and updated.

        A company's ``types`` cannot be sent (``COMPANY_TYPES_ON_UPDATE``); the company keeps the types it has.
        """
        current = self.get(kind, record_id, parent_id=parent_id)
        if kind.name == "company" and isinstance(body, dict) and any(k.lower() == "types" for k in body):
            _refuse_company_types()
        moment = self.clock()
        record = self._checked(kind, body, record_id=record_id, parent_id=parent_id, creating=False, now=moment)
        if kind.name == "company":
            record["types"] = current.get("types") or []
            for name in ("deletedFlag", "dateDeleted", "deletedBy"):
                if name in current:
                    record[name] = current[name]
        return self._save_update(kind, current, record, parent_id, member, moment)

    def patch(
        self,
        kind: Kind,
        record_id: int,
        operations: Any,
        *,
        parent_id: int | None = None,
        member: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """PATCH with a JSON Patch array; the result is checked like a PUT (a company's ``types`` is refused)."""
        current = self.get(kind, record_id, parent_id=parent_id)
        if kind.name == "company" and isinstance(operations, list):
            for operation in operations:
                path = str((operation or {}).get("path", "") if isinstance(operation, dict) else "")
                if path.strip("/").split("/")[0].lower() == "types":
                    _refuse_company_types()
        editable = {k: v for k, v in current.items() if k not in ("id", "_info")}
        patched = apply_patch(editable, operations, kind.schema)
        moment = self.clock()
        record = self._checked(kind, patched, record_id=record_id, parent_id=parent_id, creating=False, now=moment)
        return self._save_update(kind, current, record, parent_id, member, moment)

    def delete(
        self, kind: Kind, record_id: int, *, parent_id: int | None = None, member: dict[str, Any] | None = None
    ) -> None:
        """DELETE (204). A member who owns tickets cannot be deleted (409).

        A company is not removed: it is marked ``deletedFlag: true`` with ``dateDeleted`` and ``deletedBy`` and
        ``GET`` still answers it, as a real server returned a deleted company (rapid7/insightconnect-plugins
        ``plugins/connectwise/unit_test/responses/get_company.json.resp``). Lists keep it too (clients filter with
        ``deletedFlag=false``); its sites stay.
        """
        current = self.get(kind, record_id, parent_id=parent_id)
        if kind.name == "company":
            if not current.get("deletedFlag"):
                deleted = {**current, "deletedFlag": True, "dateDeleted": timestamp(self.clock())}
                deleted["deletedBy"] = _who(member)
                self._store(kind, deleted, None, insert=False)
                self._announce(kind, "deleted", deleted, member)
            return
        if kind.name == "member":
            owned = self.db.execute("SELECT count(*) FROM mg_ticket WHERE c_owner_id = ?", (record_id,)).fetchone()[0]
            if owned:
                raise ManageError(
                    409,
                    "Conflict",
                    f"Member {current.get('identifier')} owns {owned} ticket(s) and cannot be deleted: reassign the "
                    "tickets or set inactiveFlag instead.",
                )
        self.db.execute(f"DELETE FROM {kind.table} WHERE id = ?", (record_id,))
        if kind.name == "contact":
            self.db.execute("DELETE FROM mg_contact_item WHERE contact_id = ?", (record_id,))
        for child in KINDS.values():
            if child.parent == kind.name:  # a company's sites, notes and teams go with it, a ticket's notes...
                self.db.execute(f"DELETE FROM {child.table} WHERE parent_id = ?", (record_id,))
        self._announce(kind, "deleted", current, member)

    def _save_update(
        self,
        kind: Kind,
        current: dict[str, Any],
        record: dict[str, Any],
        parent_id: int | None,
        member: dict[str, Any] | None,
        moment: datetime,
    ) -> dict[str, Any]:
        info = dict(current.get("_info") or {})
        info["lastUpdated"] = timestamp(moment)
        info["updatedBy"] = _who(member)
        saved = {"id": current["id"], **record, "_info": info}
        self._store(kind, saved, parent_id if parent_id is not None else parent_of(kind, current), insert=False)
        self._announce(kind, "updated", saved, member)
        return saved

    def insert_seeded(self, kind: Kind, records: Iterable[dict[str, Any]]) -> None:
        """Store already-valid records in bulk (the seed generator's fast path; no callbacks)."""
        rows = []
        items: list[tuple[Any, ...]] = []
        for record in records:
            rows.append((record["id"], parent_of(kind, record), orjson.dumps(record).decode()))
            if kind.name == "contact":
                items.extend(_item_rows(record))
        self.db.executemany(f"INSERT INTO {kind.table} (id, parent_id, data) VALUES (?, ?, ?)", rows)
        if items:
            self.db.executemany("INSERT INTO mg_contact_item VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", items)

    def _store(self, kind: Kind, record: dict[str, Any], parent_id: int | None, *, insert: bool) -> None:
        # orjson: the same compact JSON several times faster (non-ASCII kept as UTF-8, which SQLite's JSON reads).
        data = orjson.dumps(record).decode()
        if insert:
            self.db.execute(
                f"INSERT INTO {kind.table} (id, parent_id, data) VALUES (?, ?, ?)", (record["id"], parent_id, data)
            )
        else:
            self.db.execute(f"UPDATE {kind.table} SET data = ? WHERE id = ?", (data, record["id"]))
        if kind.name == "contact":
            self.db.execute("DELETE FROM mg_contact_item WHERE contact_id = ?", (record["id"],))
            self.db.executemany("INSERT INTO mg_contact_item VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", _item_rows(record))

    def _next_id(self, kind: Kind) -> int:
        row = self.db.execute(f"SELECT coalesce(max(id), 0) + 1 FROM {kind.table}").fetchone()
        return int(row[0])

    def _announce(self, kind: Kind, action: str, record: dict[str, Any], member: dict[str, Any] | None) -> None:
        change = Change(kind, action, record, member.get("id") if member else None)
        for listener in list(self.listeners):
            listener(change)

    # ---------------------------------------------------------------------------------------------- checking
    def _checked(
        self, kind: Kind, body: Any, *, record_id: int | None, parent_id: int | None, creating: bool, now: datetime
    ) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise ManageError(400, "InvalidObject", f"The body must be a JSON object describing a {kind.label}.")
        # The resource in messages is the schema's name in camel case: "ticket object is invalid"
        # (rapid7 ticket_company_not_found.json.resp), "serviceNote object is invalid" (create_ticket_note_no_flag).
        problems = Problems(resource=kind.schema[0].lower() + kind.schema[1:])
        record: dict[str, Any] = {}
        type_ids: Any = None
        for key, value in body.items():
            prop = known_property(kind.schema, key)
            if prop is None:
                raise unknown_member(key, kind.schema, top_level=True)
            if prop.name in ("id", "_info"):
                continue
            if prop.name == "typeIds":
                type_ids = value
                continue
            if kind.name == "company" and prop.name == "site":
                record["site"] = self._company_site_given(value, record_id, creating, problems)
                continue
            checked = self._value(prop, value, problems)
            if checked is not None:
                record[prop.name] = checked
        if parent_id is not None and kind.parent_key:
            set_parent(self.db, kind, record, parent_id)
        self._kind_rules(kind, record, problems, creating=creating, type_ids=type_ids, parent_id=parent_id)
        fill(kind, record, problems, now=now, guid=lambda: str(uuid.uuid4()))
        missing_required(kind.schema, record, problems)
        self._unique(kind, record, record_id, problems)
        if kind.name == "company" and record.get("site") is None:
            record.pop("site", None)
        problems.raise_if_any()
        for name in _WRITE_ONLY.get(kind.name, ()):
            record.pop(name, None)
        return record

    def _value(self, prop: Property, value: Any, problems: Problems) -> Any:
        if value is None:
            return None
        if prop.kind == "reference":
            return self.reference(prop.ref or "", value, prop.name, problems)
        if prop.kind == "array":
            if not isinstance(value, list):
                problems.add("InvalidField", prop.name, f"{prop.name} must be a list.")
                return None
            if prop.item_kind == "reference":
                refs = [self.reference(prop.ref or "", item, prop.name, problems) for item in value]
                return [ref for ref in refs if ref is not None]
            if prop.item_kind == "object":
                return [self._sub_object(prop, item, index, problems) for index, item in enumerate(value)]
            item_prop = Property(prop.name, prop.item_kind or "string")
            return [check_scalar(item_prop, item, problems) for item in value]
        if prop.kind == "object" and prop.ref is None:
            return value  # typed "object" with no schema: the spec's way of saying "any JSON value"
        if prop.kind in ("object", "map"):
            if not isinstance(value, dict):
                problems.add("InvalidField", prop.name, f"{prop.name} must be an object.")
                return None
            return value
        return check_scalar(prop, value, problems)

    def _sub_object(self, prop: Property, item: Any, index: int, problems: Problems) -> dict[str, Any]:
        if not isinstance(item, dict):
            problems.add("InvalidField", prop.name, f"{prop.name}[{index}] must be an object.")
            return {}
        schema = prop.ref or ""
        out: dict[str, Any] = {}
        for key, value in item.items():
            sub = known_property(schema, key)
            if sub is None:
                raise unknown_member(key, schema)
            checked = self._value(sub, value, problems)
            if checked is not None:
                out[sub.name] = checked
        if schema == "ContactCommunicationItem":
            out.setdefault("id", index + 1)
            kind_name = (out.get("type") or {}).get("name")
            if kind_name is None:
                problems.add("MissingRequiredField", "communicationItems", "Each communication item needs a type.")
            else:
                out["communicationType"] = COMMUNICATION_TYPES.get(kind_name, out.get("communicationType", "Email"))
            out.setdefault("defaultFlag", False)
        return out

    def reference(self, schema: str, value: Any, field_name: str, problems: Problems) -> dict[str, Any] | None:
        """A reference given by id, identifier or name, returned as ConnectWise shows it (``{id, name, _info}``)."""
        if isinstance(value, bool) or not isinstance(value, int | dict):
            problems.add("InvalidField", field_name, f'{field_name} must be a reference like {{"id": 1}}.')
            return None
        given: dict[str, Any] = {"id": value} if isinstance(value, int) else _bound_id(value)
        kind_name = REFERENCE_KINDS.get(schema)
        if kind_name in BOARD_SCOPED:
            return {str(key): val for key, val in given.items() if str(key).lower() in ("id", "name")}
        if kind_name is not None:
            kind = KINDS[kind_name]
            record = self._lookup(kind, given)
            if record is None:
                self._not_found(kind, given, field_name, problems)
                return None
            return reference_to(kind, record, schema)
        catalog = CATALOGS.get(schema)
        allowed = properties(schema)
        if catalog:
            for entry_id, name in catalog:
                if given.get("id") == entry_id or str(given.get("name", "")).lower() == name.lower():
                    return catalog_reference(schema, entry_id, name)
            shown = given.get("id", given.get("name"))
            problems.add("InvalidField", field_name, f"{field_name}: {shown!r} is not one of the known values.")
            return None
        free = {key: val for key, val in given.items() if key.lower() in allowed and key != "_info"}
        info = catalog_info(schema, free.get("id"))
        if info:
            free["_info"] = info
        return free

    @staticmethod
    def _not_found(kind: Kind, given: dict[str, Any], field_name: str, problems: Problems) -> None:
        """A reference to a record that does not exist: one ``NotFound`` error on the key it was given by, worded as
        a real server words it (``company/id``, "company 19299 not found": rapid7/insightconnect-plugins
        ``plugins/connectwise/unit_test/responses/ticket_company_not_found.json.resp``)."""
        lowered = {str(k).lower(): (k, v) for k, v in given.items()}
        for key in ("id", "identifier", "name"):
            if key in lowered:
                _, shown = lowered[key]
                problems.add("NotFound", f"{field_name}/{key}", f"{kind.label} {shown} not found")
                return
        problems.add("InvalidField", field_name, f'{field_name} must name a record by id, e.g. {{"id": 1}}.')

    def _company_site_given(
        self, value: Any, company_id: int | None, creating: bool, problems: Problems
    ) -> dict[str, Any] | None:
        """A company's ``site``: on create ``{"name": ...}`` names the site to make; on update it is one of the
        company's own sites, by id or name (a site of another company is refused as not found)."""
        if value is None:
            return None
        if not isinstance(value, dict):
            problems.add("InvalidField", "site", 'site must be an object like {"name": "Main"}.')
            return None
        given = {str(k).lower(): v for k, v in _bound_id(value).items()}
        if creating:
            name = given.get("name")
            if not isinstance(name, str) or not name.strip():
                # A site id cannot point at a site of a company that does not exist yet (unverified, docs/sandbox.md).
                problems.add("MissingRequiredField", "site", COMPANY_SITE_REQUIRED)
                return None
            return {"name": name.strip()}
        site_kind = KINDS["site"]
        if isinstance(given.get("id"), int):
            row = self.db.execute(
                "SELECT data FROM mg_site WHERE id = ? AND parent_id = ?", (given["id"], company_id)
            ).fetchone()
        elif isinstance(given.get("name"), str):
            row = self.db.execute(
                "SELECT data FROM mg_site WHERE parent_id = ? AND c_name = ? ORDER BY id LIMIT 1",
                (company_id, given["name"]),
            ).fetchone()
        else:
            row = None
        if row is None:
            self._not_found(site_kind, given, "site", problems)
            return None
        return reference_to(site_kind, json.loads(row[0]), "SiteReference")

    def _lookup(self, kind: Kind, given: dict[str, Any]) -> dict[str, Any] | None:
        lowered = {str(k).lower(): v for k, v in given.items()}
        if isinstance(lowered.get("id"), int):
            row = self.db.execute(f"SELECT data FROM {kind.table} WHERE id = ?", (lowered["id"],)).fetchone()
        elif isinstance(lowered.get("identifier"), str) and "identifier" in kind.unique:
            row = self.db.execute(
                f"SELECT data FROM {kind.table} WHERE c_identifier = ? ORDER BY id LIMIT 1", (lowered["identifier"],)
            ).fetchone()
        elif isinstance(lowered.get("name"), str):
            parts = " || ' ' || ".join(f"coalesce(json_extract(data, '$.{n}'), '')" for n in kind.reference_name)
            row = self.db.execute(
                f"SELECT data FROM {kind.table} WHERE ({parts}) = ? COLLATE NOCASE ORDER BY id LIMIT 1",
                (lowered["name"],),
            ).fetchone()
        else:
            return None
        if row is None:
            return None
        found: dict[str, Any] = json.loads(row[0])
        return found

    def _kind_rules(
        self,
        kind: Kind,
        record: dict[str, Any],
        problems: Problems,
        *,
        creating: bool,
        type_ids: Any,
        parent_id: int | None,
    ) -> None:
        if kind.name == "company":
            if creating and not record.get("site") and not problems.has("site"):
                problems.add("MissingRequiredField", "site", COMPANY_SITE_REQUIRED)
            account = record.get("accountNumber")
            if isinstance(account, str) and len(account) > ACCOUNT_NUMBER_MAX:
                problems.add("InvalidField", "accountNumber", max_length_message("accountNumber", ACCOUNT_NUMBER_MAX))
            identifier = record.get("identifier")
            if isinstance(identifier, str) and identifier and not COMPANY_IDENTIFIER.match(identifier):
                problems.add(
                    "InvalidField",
                    "identifier",
                    f"Company identifier '{identifier}' is invalid: use letters and digits only.",
                )
            if creating and "status" not in record:
                record["status"] = self._default_reference("company_status", "CompanyStatusReference")
            if creating and not record.get("types"):
                default_type = self._default_reference("company_type", "CompanyTypeReference")
                if default_type:
                    record["types"] = [default_type]
        elif kind.name == "contact" and type_ids is not None:
            if not isinstance(type_ids, list) or not all(isinstance(t, int) for t in type_ids):
                problems.add("InvalidField", "typeIds", "typeIds must be a list of contact type ids.")
            else:
                refs = [self.reference("ContactTypeReference", t, "typeIds", problems) for t in type_ids]
                record["types"] = [ref for ref in refs if ref]
        elif kind.name == "member":
            identifier = record.get("identifier")
            if isinstance(identifier, str) and len(identifier) > MEMBER_IDENTIFIER_MAX:
                problems.add(
                    "InvalidField",
                    "identifier",
                    f"Member identifier '{identifier}' is too long: at most {MEMBER_IDENTIFIER_MAX} characters.",
                )
        elif kind.name == "ticket":
            ticket_rules(self.db, record, problems, creating=creating)
        elif kind.name == "agreement" and creating:
            agreement_type_defaults(self.db, record)
        elif kind.name == "ticket_note":
            note_flags(record, problems)

    def _default_reference(self, kind_name: str, schema: str) -> dict[str, Any] | None:
        return default_reference(self.db, kind_name, schema)

    def _unique(self, kind: Kind, record: dict[str, Any], record_id: int | None, problems: Problems) -> None:
        for name in kind.unique:
            value = record.get(name)
            if not isinstance(value, str) or not value:
                continue
            # A deleted company's identifier is free again (unverified, docs/sandbox.md).
            alive = " AND c_deletedflag = 0" if kind.name == "company" else ""
            row = self.db.execute(
                f"SELECT id FROM {kind.table} WHERE c_{name.lower()} = ? AND id != ?{alive}", (value, record_id or 0)
            ).fetchone()
            if row is not None:
                problems.add("ObjectExists", name, _in_use_message(kind, name, value, int(row[0])))

    # ------------------------------------------------------------------------------------------------- auth
    def api_member(self, company: str, public_key: str, private_key: str) -> dict[str, Any] | None:
        """The member an API key pair acts as, or None when the keys or the company do not match."""
        row = self.db.execute(
            "SELECT private_key, member_id, company FROM mg_api_key WHERE public_key = ?", (public_key,)
        ).fetchone()
        if row is None or row[0] != private_key or str(row[2]).lower() != company.lower():
            return None
        if row[1] is None or not self.exists(KINDS["member"], int(row[1])):
            return {"id": None, "identifier": "APIMember", "securityRole": {"name": "Admin"}}
        return self.get(KINDS["member"], int(row[1]))

    def add_api_key(self, company: str, public_key: str, private_key: str, member_id: int | None) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO mg_api_key VALUES (?, ?, ?, ?)", (company, public_key, private_key, member_id)
        )

    def is_read_only(self, member: dict[str, Any]) -> bool:
        """Whether the member's security role only allows reading (role name contains "Read Only")."""
        role = member.get("securityRole") or {}
        return "read only" in str(role.get("name", "")).lower()


def _in_use_message(kind: Kind, name: str, value: str, other_id: int) -> str:
    if kind.name == "company" and name == "identifier":
        # The live answer to a duplicate company identifier (Mwbergamo/SolutionsHub register/api/connectwise.php).
        return "Company ID already in use."
    return f"The {name} '{value}' is already in use by {kind.label} {other_id}."


def _refuse_company_types() -> None:
    error = {"code": "InvalidField", "message": COMPANY_TYPES_ON_UPDATE, "resource": "company", "field": "typeIds"}
    raise ManageError(400, "InvalidObject", "company object is invalid", [error])


def _bound_id(given: dict[str, Any]) -> dict[str, Any]:
    """A reference whose ``id`` came as a string of digits, with the id as a number (Json.NET binding, records.py)."""
    out = dict(given)
    for key, value in given.items():
        if str(key).lower() == "id" and isinstance(value, str):
            number = bind_number(value)
            if isinstance(number, int):
                out[key] = number
    return out


def _who(member: dict[str, Any] | None) -> str:
    return str((member or {}).get("identifier") or "APIMember")


def _item_rows(record: dict[str, Any]) -> list[tuple[Any, ...]]:
    rows = []
    for item in record.get("communicationItems") or []:
        item_type = item.get("type") or {}
        rows.append(
            (
                record["id"],
                item.get("id"),
                item_type.get("id"),
                item_type.get("name"),
                item.get("communicationType"),
                item.get("value"),
                item.get("extension"),
                item.get("domain"),
                1 if item.get("defaultFlag") else 0,
            )
        )
    return rows
