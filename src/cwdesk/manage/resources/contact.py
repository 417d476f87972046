"""Contacts, their communication items (``/company/contacts/{id}/communications``), contact types and
relationships and departments. Sync and async classes side by side; the behaviour is in ``collection.py``.

Not for: primary-contact rules (``cwdesk.workflows.primary_contact``).
"""

from __future__ import annotations

from cwdesk.manage.models.contact import (
    Contact,
    ContactCommunicationItem,
    ContactDepartment,
    ContactRelationship,
    ContactType,
)
from cwdesk.manage.resources.collection import AsyncCollection, Collection

__all__ = [
    "AsyncContactCommunications",
    "AsyncContactDepartments",
    "AsyncContactRelationships",
    "AsyncContactTypes",
    "AsyncContacts",
    "ContactCommunications",
    "ContactDepartments",
    "ContactRelationships",
    "ContactTypes",
    "Contacts",
]


class ContactCommunications(Collection[ContactCommunicationItem]):
    """``/company/contacts/{contact_id}/communications``: get it with ``client.contacts.communications(id)``."""

    path = "/company/contacts/{parent_id}/communications"
    model = ContactCommunicationItem


class AsyncContactCommunications(AsyncCollection[ContactCommunicationItem]):
    path = ContactCommunications.path
    model = ContactCommunicationItem


class Contacts(Collection[Contact]):
    """``/company/contacts`` (``child_conditions`` searches ``communicationItems``)."""

    path = "/company/contacts"
    model = Contact

    def communications(self, contact_id: int) -> ContactCommunications:
        """The communication items (email, phone...) of one contact."""
        return ContactCommunications(self._client, parent_id=self._id(contact_id))


class AsyncContacts(AsyncCollection[Contact]):
    path = Contacts.path
    model = Contact

    def communications(self, contact_id: int) -> AsyncContactCommunications:
        """The communication items (email, phone...) of one contact."""
        return AsyncContactCommunications(self._client, parent_id=self._id(contact_id))


class ContactTypes(Collection[ContactType]):
    """``/company/contacts/types``."""

    path = "/company/contacts/types"
    model = ContactType


class AsyncContactTypes(AsyncCollection[ContactType]):
    path = ContactTypes.path
    model = ContactType


class ContactRelationships(Collection[ContactRelationship]):
    """``/company/contacts/relationships``."""

    path = "/company/contacts/relationships"
    model = ContactRelationship


class AsyncContactRelationships(AsyncCollection[ContactRelationship]):
    path = ContactRelationships.path
    model = ContactRelationship


class ContactDepartments(Collection[ContactDepartment]):
    """``/company/contacts/departments``: the departments a contact can be in (not ``/system/departments``)."""

    path = "/company/contacts/departments"
    model = ContactDepartment


class AsyncContactDepartments(AsyncCollection[ContactDepartment]):
    path = ContactDepartments.path
    model = ContactDepartment
