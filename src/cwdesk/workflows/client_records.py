"""Client records in Manage: finding them by natural key, and the edits of the console (C3).

Lookups by natural key that every workflow's resume relies on (company by identifier, contact by name within a
company, site and agreement by name within a company), create / get / update / delete as plain dicts, and the
three checked edits the console's forms call:

- ``update_company(cw, id, name=, phone=, status=, website=)``
- ``update_contact(cw, id, first_name=, last_name=, title=, inactive=, email=, phone=)``
- ``add_contact(cw, company_id, first_name=, last_name=, title=, email=, phone=)``

Each checks its input with the rules of ``validation.py`` (the same as onboarding) and raises ``InvalidInput``
before anything is sent; updates go as one JSON Patch with only the fields that change.
Not for: setting the primary contact (``primary_contact.py``), bulk changes (``bulk_contacts.py``) or HTTP (the SDK).
"""

from __future__ import annotations

from collections.abc import Mapping
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
    "add_contact",
    "agreement_by_name",
    "company_by_identifier",
    "contact_by_name",
    "create",
    "create_site",
    "delete",
    "delete_site",
    "first",
    "get",
    "get_site",
    "lookup",
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


def _check_name(problems: Problems, field: str, value: str | None, *, limit: int) -> None:
    if value is not None:
        problems.add(field, name_problem(value, limit, empty="cannot be empty"))


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
    problems = Problems(f"the changes to company {company_id}")
    _check_name(problems, "name", name, limit=COMPANY_NAME_MAX)
    if phone:
        problems.add("phone", phone_problem(phone))
    if website:
        problems.add("website", website_problem(website))
    changes: dict[str, Any] = {}
    if status:
        statuses = lookup("company status", cw.company_statuses)
        found = statuses.find(status) if statuses else None
        if statuses is not None and found is None:
            problems.add("status", statuses.problem(status))
        elif found is not None:
            changes["status"] = {"id": found.id}
        else:
            changes["status"] = {"name": status}
    problems.raise_if_any()
    current = get(cw.companies, company_id)
    if name is not None and name.strip() != current.get("name"):
        changes["name"] = name.strip()
    if phone is not None and phone.strip() != (current.get("phoneNumber") or ""):
        changes["phoneNumber"] = phone.strip()
    if website is not None and website.strip() != (current.get("website") or ""):
        changes["website"] = website.strip()
    if "status" in changes and (current.get("status") or {}).get("id") == changes["status"].get("id"):
        del changes["status"]
    if not changes:
        return current
    return update(cw.companies, company_id, changes)


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
) -> dict[str, Any]:
    """Edit a contact's names, title, inactive flag, default email or phone; only changes are sent."""
    problems = Problems(f"the changes to contact {contact_id}")
    _check_name(problems, "first_name", first_name, limit=CONTACT_NAME_MAX)
    _check_name(problems, "last_name", last_name, limit=CONTACT_NAME_MAX)
    if title is not None and len(title) > 50:
        problems.add("title", "is longer than 50 characters")
    if email:
        problems.add("email", email_problem(email))
    if phone:
        problems.add("phone", phone_problem(phone))
    problems.raise_if_any()
    current = get(cw.contacts, contact_id)
    changes: dict[str, Any] = {}
    for value, api in ((first_name, "firstName"), (last_name, "lastName"), (title, "title")):
        if value is not None and value.strip() != (current.get(api) or ""):
            changes[api] = value.strip()
    if inactive is not None and bool(current.get("inactiveFlag")) != inactive:
        changes["inactiveFlag"] = inactive
    items = _communication_items(list(current.get("communicationItems") or []), email=email, phone=phone)
    if items is not None:
        changes["communicationItems"] = items
    if not changes:
        return current
    return update(cw.contacts, contact_id, changes)


def add_contact(
    cw: ManageClient,
    company_id: int,
    *,
    first_name: str,
    last_name: str,
    title: str | None = None,
    email: str | None = None,
    phone: str | None = None,
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
    return create(cw.contacts, body)
