"""``/company/contacts/{id}/communications``: a contact's communication items as records of their own.

ConnectWise shows the same e-mail addresses and phone numbers twice: inside the contact (``communicationItems``)
and at this path, one ``ContactCommunication`` per item with ``contactId`` and its own ``_info`` (shape from
``manage-openapi-reconstructed.json``; christaylorcodes/ConnectWiseManageAPI ``New-CWMContactCommunication`` posts
``type`` and ``value`` here). The contact stays the one place they are kept: every write here is a write of the
contact's ``communicationItems`` through ``ManageBackend.patch``, so it is checked, indexed for childConditions and
announced to callbacks as the contact's update.
Not for: the contact itself (``manage.py``).
"""

from __future__ import annotations

from typing import Any

from cwdesk.sandbox.backend.kinds import KINDS
from cwdesk.sandbox.backend.manage import ManageBackend
from cwdesk.sandbox.backend.records import ManageError, apply_patch, known_property, unknown_member

_CONTACT = KINDS["contact"]
_SCHEMA = "ContactCommunication"
#: Fields of a communication that live in the contact's item (the rest are shown, never stored twice).
_ITEM_FIELDS = ("type", "value", "extension", "defaultFlag", "communicationType", "domain")


def _shown(contact: dict[str, Any], item: dict[str, Any]) -> dict[str, Any]:
    record: dict[str, Any] = {"id": item["id"], "contactId": contact["id"]}
    record.update({name: item[name] for name in _ITEM_FIELDS if item.get(name) is not None})
    info = contact.get("_info") or {}
    record["_info"] = {"lastUpdated": info.get("lastUpdated", ""), "updatedBy": info.get("updatedBy", "")}
    if contact.get("mobileGuid"):
        record["_info"]["contactMobileGuid"] = contact["mobileGuid"]
    return record


def _item_body(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ManageError(400, "InvalidObject", "The body must be a JSON object describing a communication.")
    item: dict[str, Any] = {}
    for key, value in body.items():
        prop = known_property(_SCHEMA, str(key))
        if prop is None:
            raise unknown_member(str(key), _SCHEMA)
        if prop.name in _ITEM_FIELDS:
            item[prop.name] = value
    return item


class ContactCommunications:
    """List, read and write one contact's communications."""

    def __init__(self, backend: ManageBackend) -> None:
        self.backend = backend

    def find(self, contact_id: int) -> list[dict[str, Any]]:
        contact = self.backend.get(_CONTACT, contact_id)
        return [_shown(contact, item) for item in contact.get("communicationItems") or []]

    def get(self, contact_id: int, item_id: int) -> dict[str, Any]:
        for record in self.find(contact_id):
            if record["id"] == item_id:
                return record
        raise ManageError(404, "NotFound", f"ContactCommunication {item_id} not found")

    def create(self, contact_id: int, body: Any, member: dict[str, Any] | None) -> dict[str, Any]:
        contact = self.backend.get(_CONTACT, contact_id)
        items = [dict(item) for item in contact.get("communicationItems") or []]
        new_id = max((int(item.get("id") or 0) for item in items), default=0) + 1
        item = {"id": new_id, **_item_body(body)}
        self._require(item)
        saved = self._save(contact_id, [*items, item], member)
        return self.get(saved["id"], new_id)

    def replace(self, contact_id: int, item_id: int, body: Any, member: dict[str, Any] | None) -> dict[str, Any]:
        self.get(contact_id, item_id)
        item = {"id": item_id, **_item_body(body)}
        self._require(item)
        return self._swap(contact_id, item_id, lambda _old: item, member)

    def patch(self, contact_id: int, item_id: int, operations: Any, member: dict[str, Any] | None) -> dict[str, Any]:
        current = self.get(contact_id, item_id)
        editable = {name: current[name] for name in _ITEM_FIELDS if name in current}
        patched = apply_patch(editable, operations, _SCHEMA)
        item = {"id": item_id, **_item_body(patched)}
        return self._swap(contact_id, item_id, lambda _old: item, member)

    def delete(self, contact_id: int, item_id: int, member: dict[str, Any] | None) -> None:
        self.get(contact_id, item_id)
        contact = self.backend.get(_CONTACT, contact_id)
        items = [item for item in contact.get("communicationItems") or [] if item.get("id") != item_id]
        self._save(contact_id, items, member)

    def _swap(self, contact_id: int, item_id: int, change: Any, member: dict[str, Any] | None) -> dict[str, Any]:
        contact = self.backend.get(_CONTACT, contact_id)
        items = [
            change(item) if item.get("id") == item_id else item for item in contact.get("communicationItems") or []
        ]
        self._save(contact_id, items, member)
        return self.get(contact_id, item_id)

    @staticmethod
    def _require(item: dict[str, Any]) -> None:
        missing = [name for name in ("type", "value") if item.get(name) in (None, "", {})]
        if missing:
            errors = [
                {"code": "MissingRequiredField", "message": f"{name} is required.", "resource": "contactCommunication",
                 "field": name}
                for name in missing
            ]  # fmt: skip
            raise ManageError(400, "InvalidObject", "ContactCommunication object is invalid", errors)

    def _save(self, contact_id: int, items: list[dict[str, Any]], member: dict[str, Any] | None) -> dict[str, Any]:
        operation = [{"op": "replace", "path": "communicationItems", "value": items}]
        return self.backend.patch(_CONTACT, contact_id, operation, member=member)
