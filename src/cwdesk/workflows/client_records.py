"""Client records in Manage: finding them by natural key, and the edits of the console (C3).

Lookups by natural key that every workflow's resume relies on (company by identifier, contact by name within a
company, site and agreement by name within a company), create / get / update / delete as plain dicts, and the
three checked edits the console's forms call:

- ``update_company(cw, id, name=, phone=, status=, website=)``
- ``update_contact(cw, id, first_name=, last_name=, title=, inactive=, email=, phone=)``
  (``edit_company`` / ``edit_contact`` do the same and also tell what changed, before → after: ``Edit``)
- ``contact_pick_lists(cw)``: a contact's type, relationship and department lists, which the contact edits take
  by name
- ``add_contact(cw, company_id, first_name=, last_name=, title=, email=, phone=)``

Each checks its input with the rules of ``validation.py`` (the same as onboarding) and raises ``InvalidInput``
before anything is sent; updates go as one JSON Patch with only the fields that change.
Not for: setting the primary contact (``primary_contact.py``), bulk changes (``bulk_contacts.py``) or HTTP (the SDK).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from cwdesk.conditions import C, Condition
from cwdesk.errors import NotFoundError
from cwdesk.manage.client import ManageClient
from cwdesk.manage.models.base import CWModel
from cwdesk.manage.resources.collection import Collection
from cwdesk.workflows.validation import (
    COMPANY_NAME_MAX,
    CONTACT_NAME_MAX,
    InvalidInput,
    Lookup,
    Problem,
    Problems,
    communication_item,
    email_problem,
    name_problem,
    phone_problem,
    record_dict,
    website_problem,
)

__all__ = [
    "CONTACT_PICK_LISTS",
    "Edit",
    "add_contact",
    "agreement_by_name",
    "company_by_identifier",
    "contact_by_name",
    "contact_pick_lists",
    "create",
    "create_site",
    "delete",
    "delete_site",
    "edit_company",
    "edit_contact",
    "first",
    "get",
    "get_site",
    "lookup",
    "picked_references",
    "site_by_name",
    "update",
    "update_company",
    "update_contact",
    "update_site",
]

M = TypeVar("M", bound=CWModel)


def first(resource: Collection[M], where: Condition, *, fields: list[str] | None = None) -> dict[str, Any] | None:
    """The first record (lowest id) of ``resource`` (e.g. ``cw.contacts``) matching ``where``, or ``None``."""
    found = resource.first(where=where, fields=fields, order_by="id asc")
    return None if found is None else record_dict(found)


def get(resource: Collection[M], record_id: int) -> dict[str, Any]:
    """One record as a dict of API field names."""
    return record_dict(resource.get(record_id))


def create(resource: Collection[M], body: Mapping[str, Any]) -> dict[str, Any]:
    """Create a record; the created record as a dict."""
    return record_dict(resource.create(dict(body)))


def update(resource: Collection[M], record_id: int, changes: Mapping[str, Any]) -> dict[str, Any]:
    """Apply ``changes`` (API field names) as one JSON Patch; the updated record as a dict."""
    return record_dict(resource.update(record_id, dict(changes)))


def delete(resource: Collection[M], record_id: int, what: str) -> str:
    """Delete a record; a record already gone counts as deleted (rollback may run twice)."""
    try:
        resource.delete(record_id)
    except NotFoundError:
        return f"{what} {record_id} was already gone"
    return f"deleted {what} {record_id}"


def create_site(cw: ManageClient, company_id: int, body: Mapping[str, Any]) -> dict[str, Any]:
    """Create a site of a company."""
    return create(cw.companies.sites(company_id), body)


def delete_site(cw: ManageClient, company_id: int, site_id: int) -> str:
    """Delete a site of a company (already gone counts as deleted)."""
    return delete(cw.companies.sites(company_id), site_id, "site")


def get_site(cw: ManageClient, company_id: int, site_id: int) -> dict[str, Any] | None:
    """One site of a company, or ``None`` when the company has no such site."""
    try:
        return record_dict(cw.companies.sites(company_id).get(site_id))
    except NotFoundError:
        return None


def update_site(cw: ManageClient, company_id: int, site_id: int, changes: Mapping[str, Any]) -> dict[str, Any]:
    """Apply ``changes`` (API field names) to a site of a company as one JSON Patch; the updated site."""
    return record_dict(cw.companies.sites(company_id).update(site_id, dict(changes)))


def company_by_identifier(cw: ManageClient, identifier: str) -> dict[str, Any] | None:
    """The live company with this identifier (identifiers are unique in ConnectWise), or ``None``.

    A deleted company still answers with ``deletedFlag: true`` (docs/connectwise.md, "Companies"), so it is left out.
    """
    return first(cw.companies, (C("identifier") == identifier) & (C("deletedFlag") == False))  # noqa: E712


def site_by_name(cw: ManageClient, company_id: int, name: str) -> dict[str, Any] | None:
    """The company's site called ``name``, or ``None``."""
    found = cw.companies.sites(company_id).first(where=C("name") == name)
    return None if found is None else record_dict(found)


def contact_by_name(cw: ManageClient, company_id: int, first_name: str, last_name: str) -> dict[str, Any] | None:
    """The company's contact with this first and last name (the natural key of onboarding), or ``None``."""
    where = (C("company/id") == company_id) & (C("firstName") == first_name) & (C("lastName") == last_name)
    return first(cw.contacts, where)


def agreement_by_name(cw: ManageClient, company_id: int, name: str) -> dict[str, Any] | None:
    """The company's agreement called ``name``, or ``None``."""
    return first(cw.agreements, (C("company/id") == company_id) & (C("name") == name))


def lookup(what: str, resource: Collection[M], *, name_field: str = "name") -> Lookup | None:
    """Every name of a lookup list (``cw.company_statuses``...), or ``None`` when this ConnectWise answers 404."""
    try:
        return Lookup.from_resource(what, resource, name_field=name_field)
    except NotFoundError:
        return None


# ---------------------------------------------------------------------------------------------------------------
# The console's edits (C3).

#: A contact's pick lists (issue 15 §6): the field, what ConnectWise calls the list, where it is and which field
#: names an entry. ContactType is named by its ``description`` (manage-core.json); a contact's department is a
#: ContactDepartmentReference, served at /company/contacts/departments (the official GET spec, 2026.4).
CONTACT_PICK_LISTS: tuple[tuple[str, str, Callable[[ManageClient], Collection[Any]], str], ...] = (
    ("type", "contact type", lambda cw: cw.contact_types, "description"),
    ("relationship", "contact relationship", lambda cw: cw.contact_relationships, "name"),
    ("department", "contact department", lambda cw: cw.contact_departments, "name"),
)


def contact_pick_lists(cw: ManageClient) -> dict[str, Lookup | None]:
    """Each pick list of a contact, read from ConnectWise (``None`` for a list this ConnectWise does not serve)."""
    return {field: lookup(what, resource(cw), name_field=name) for field, what, resource, name in CONTACT_PICK_LISTS}


def picked_references(
    cw: ManageClient, problems: Problems, chosen: dict[str, str | None]
) -> dict[str, tuple[dict[str, Any], str]]:
    """The references for the pick-list values given (``{field: name}``): ``{field: (reference, name)}``.

    A name that is not in its list is a problem with suggestions; a list this ConnectWise does not serve sends the
    name as it is (ConnectWise then checks it)."""
    picked: dict[str, tuple[dict[str, Any], str]] = {}
    for field, what, resource, name_field in CONTACT_PICK_LISTS:
        value = (chosen.get(field) or "").strip()
        if not value:
            continue
        names = lookup(what, resource(cw), name_field=name_field)
        found = names.find(value) if names else None
        if names is not None and found is None:
            problems.add(field, names.problem(value))
        elif found is not None:
            picked[field] = ({"id": found.id}, found.name)
        else:
            picked[field] = ({"name": value}, value)
    return picked


def _current_pick(contact: dict[str, Any], field: str) -> str:
    """The name a contact holds now for a pick-list field (its first type, its relationship, its department)."""
    if field == "type":
        types = contact.get("types") or []
        return str((types[0] or {}).get("name") or "") if types else ""
    return str((contact.get(field) or {}).get("name") or "")


def _apply_picks(
    contact: dict[str, Any], picked: dict[str, tuple[dict[str, Any], str]], changes: dict[str, Any]
) -> list[tuple[str, Any, Any]]:
    """Put the picked references that differ from ``contact`` into ``changes``; ``(field, before, after)`` each."""
    told = []
    for field, (reference, name) in picked.items():
        before = _current_pick(contact, field)
        if before.lower() == name.lower():
            continue
        changes["types" if field == "type" else field] = [reference] if field == "type" else reference
        told.append((field, before, name))
    return told


def _check_name(problems: Problems, field: str, value: str | None, *, limit: int) -> None:
    if value is not None:
        problems.add(field, name_problem(value, limit, empty="cannot be empty"))


@dataclass(frozen=True)
class Edit:
    """What an edit did: the record as ConnectWise now holds it, and each value it changed as
    ``(field, before, after)`` in the user's words (what the console shows as "Saved" and the audit log keeps)."""

    record: dict[str, Any]
    changes: tuple[tuple[str, Any, Any], ...]

    @property
    def message(self) -> str:
        if not self.changes:
            return "Nothing changed: the values were already these."
        return "Saved: " + "; ".join(
            f"{field} {_shown(before)} → {_shown(after)}" for field, before, after in self.changes
        )

    def audit_changes(self) -> list[dict[str, Any]]:
        """The changes as the audit log stores them (``store.audit``) and the console answers them:
        ``[{"field", "before", "after"}]``."""
        return [{"field": field, "before": before, "after": after} for field, before, after in self.changes]


def _shown(value: Any) -> str:
    return "(empty)" if value is None or value == "" else str(value)


def update_company(
    cw: ManageClient,
    company_id: int,
    *,
    name: str | None = None,
    phone: str | None = None,
    status: str | None = None,
    website: str | None = None,
) -> dict[str, Any]:
    """Edit a company's name, phone, status (by name) or website; only fields that change are sent."""
    return edit_company(cw, company_id, name=name, phone=phone, status=status, website=website).record


def edit_company(
    cw: ManageClient,
    company_id: int,
    *,
    name: str | None = None,
    phone: str | None = None,
    status: str | None = None,
    website: str | None = None,
) -> Edit:
    """``update_company``, telling what changed (before → after)."""
    problems = Problems(f"the changes to company {company_id}")
    _check_name(problems, "name", name, limit=COMPANY_NAME_MAX)
    if phone:
        problems.add("phone", phone_problem(phone))
    if website:
        problems.add("website", website_problem(website))
    changes: dict[str, Any] = {}
    status_name = status
    if status:
        statuses = lookup("company status", cw.company_statuses)
        found = statuses.find(status) if statuses else None
        if statuses is not None and found is None:
            problems.add("status", statuses.problem(status))
        elif found is not None:
            changes["status"] = {"id": found.id}
            status_name = found.name
        else:
            changes["status"] = {"name": status}
    problems.raise_if_any()
    current = get(cw.companies, company_id)
    told: list[tuple[str, Any, Any]] = []
    for value, api, field in ((name, "name", "name"), (phone, "phoneNumber", "phone"), (website, "website", "website")):
        if value is not None and value.strip() != (current.get(api) or ""):
            changes[api] = value.strip()
            told.append((field, current.get(api) or "", value.strip()))
    current_status = current.get("status") or {}
    if "status" in changes and current_status.get("id") == changes["status"].get("id"):
        del changes["status"]
    elif "status" in changes:
        told.append(("status", current_status.get("name") or "", status_name))
    if not changes:
        return Edit(current, ())
    return Edit(update(cw.companies, company_id, changes), tuple(told))


def _communication_items(
    current: list[dict[str, Any]], *, email: str | None, phone: str | None
) -> list[dict[str, Any]] | None:
    """The contact's communication items with the default email / phone replaced; ``None`` when unchanged."""
    items = [dict(item) for item in current]
    changed = False
    kinds: tuple[tuple[str | None, Literal["Email", "Phone"]], ...] = ((email, "Email"), (phone, "Phone"))
    for value, kind in kinds:
        if value is None:
            continue
        target = next(
            (i for i in items if i.get("communicationType") == kind and i.get("defaultFlag")),
            next((i for i in items if i.get("communicationType") == kind), None),
        )
        if target is None:
            items.append(communication_item(kind, value))
            changed = True
        elif target.get("value") != value:
            target["value"] = value
            changed = True
    return items if changed else None


def update_contact(
    cw: ManageClient,
    contact_id: int,
    *,
    first_name: str | None = None,
    last_name: str | None = None,
    title: str | None = None,
    inactive: bool | None = None,
    email: str | None = None,
    phone: str | None = None,
    contact_type: str | None = None,
    relationship: str | None = None,
    department: str | None = None,
) -> dict[str, Any]:
    """Edit a contact's names, title, inactive flag, default email or phone, type, relationship or department (by
    name, from their pick lists); only changes are sent."""
    return edit_contact(
        cw, contact_id, first_name=first_name, last_name=last_name, title=title, inactive=inactive, email=email,
        phone=phone, contact_type=contact_type, relationship=relationship, department=department,
    ).record  # fmt: skip


def _default_value(items: list[dict[str, Any]], kind: str) -> str:
    """The value of the default (else first) communication item of ``kind`` ("Email" or "Phone")."""
    of_kind = [item for item in items if item.get("communicationType") == kind]
    chosen = next((item for item in of_kind if item.get("defaultFlag")), of_kind[0] if of_kind else None)
    return str(chosen.get("value") or "") if chosen else ""


def edit_contact(
    cw: ManageClient,
    contact_id: int,
    *,
    first_name: str | None = None,
    last_name: str | None = None,
    title: str | None = None,
    inactive: bool | None = None,
    email: str | None = None,
    phone: str | None = None,
    contact_type: str | None = None,
    relationship: str | None = None,
    department: str | None = None,
) -> Edit:
    """``update_contact``, telling what changed (before → after)."""
    problems = Problems(f"the changes to contact {contact_id}")
    _check_name(problems, "first_name", first_name, limit=CONTACT_NAME_MAX)
    _check_name(problems, "last_name", last_name, limit=CONTACT_NAME_MAX)
    if title is not None and len(title) > 50:
        problems.add("title", "is longer than 50 characters")
    if email:
        problems.add("email", email_problem(email))
    if phone:
        problems.add("phone", phone_problem(phone))
    picked = picked_references(
        cw, problems, {"type": contact_type, "relationship": relationship, "department": department}
    )
    problems.raise_if_any()
    current = get(cw.contacts, contact_id)
    changes: dict[str, Any] = {}
    told: list[tuple[str, Any, Any]] = []
    for value, api, field in (
        (first_name, "firstName", "first name"),
        (last_name, "lastName", "last name"),
        (title, "title", "title"),
    ):
        if value is not None and value.strip() != (current.get(api) or ""):
            changes[api] = value.strip()
            told.append((field, current.get(api) or "", value.strip()))
    if inactive is not None and bool(current.get("inactiveFlag")) != inactive:
        changes["inactiveFlag"] = inactive
        told.append(("inactive", bool(current.get("inactiveFlag")), inactive))
    old_items = list(current.get("communicationItems") or [])
    items = _communication_items(old_items, email=email, phone=phone)
    if items is not None:
        changes["communicationItems"] = items
        for kind in ("Email", "Phone"):
            before, after = _default_value(old_items, kind), _default_value(items, kind)
            if before != after:
                told.append((kind.lower(), before, after))
    told.extend(_apply_picks(current, picked, changes))
    if not changes:
        return Edit(current, ())
    return Edit(update(cw.contacts, contact_id, changes), tuple(told))


def add_contact(
    cw: ManageClient,
    company_id: int,
    *,
    first_name: str,
    last_name: str,
    title: str | None = None,
    email: str | None = None,
    phone: str | None = None,
    contact_type: str | None = None,
    relationship: str | None = None,
    department: str | None = None,
) -> dict[str, Any]:
    """Add a contact to a company (not primary: ``primary_contact.set_primary_contact`` does that safely).

    Refuses a second contact with the same first and last name in the company (onboarding's natural key).
    """
    problems = Problems(f"the new contact of company {company_id}")
    if not first_name.strip():
        problems.add("first_name", "is required")
    if not last_name.strip():
        problems.add("last_name", "is required")
    _check_name(problems, "first_name", first_name or None, limit=CONTACT_NAME_MAX)
    _check_name(problems, "last_name", last_name or None, limit=CONTACT_NAME_MAX)
    if email:
        problems.add("email", email_problem(email))
    if phone:
        problems.add("phone", phone_problem(phone))
    picked = picked_references(
        cw, problems, {"type": contact_type, "relationship": relationship, "department": department}
    )
    problems.raise_if_any()
    existing = contact_by_name(cw, company_id, first_name.strip(), last_name.strip())
    if existing is not None:
        raise InvalidInput(
            [Problem("name", f"{first_name} {last_name} is already contact {existing['id']} of this company")]
        )
    body: dict[str, Any] = {
        "firstName": first_name.strip(),
        "lastName": last_name.strip(),
        "company": {"id": company_id},
        "defaultFlag": False,
        "inactiveFlag": False,
    }
    if title:
        body["title"] = title.strip()
    items = []
    if email:
        items.append(communication_item("Email", email))
    if phone:
        items.append(communication_item("Phone", phone))
    if items:
        body["communicationItems"] = items
    _apply_picks({}, picked, body)
    return create(cw.contacts, body)
