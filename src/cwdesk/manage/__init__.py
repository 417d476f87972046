"""The ConnectWise Manage SDK: the clients, their credentials, the record models and the generic collection.

``from cwdesk.manage import ManageClient, Company, Collection`` (the clients are also at the root, ``cwdesk``).
Modules: ``client`` (clients and auth), ``paging`` (the one walk over pages), ``resources`` (one collection per
endpoint, the shared behaviour in ``resources/collection.py``), ``models`` (lenient pydantic records), ``patch``
(JSON Patch), ``operations`` (any operation by operationId).
Not for: Automate (``cwdesk.automate``) or business flows (``cwdesk.workflows``).
"""

from typing import TYPE_CHECKING

from cwdesk._lazy import lazy_exports

if TYPE_CHECKING:
    from cwdesk.config import ManageCredentials
    from cwdesk.manage.client import DEFAULT_API_VERSION, AsyncManageClient, ManageAuth, ManageClient
    from cwdesk.manage.models import (
        Agreement,
        AgreementType,
        Board,
        CallbackEntry,
        Company,
        CompanySite,
        CompanyStatus,
        CompanyType,
        Contact,
        ContactCommunicationItem,
        ContactDepartment,
        ContactRelationship,
        ContactType,
        CustomFieldValue,
        CWModel,
        Department,
        Location,
        Member,
        Priority,
        Reference,
        SecurityRole,
        SystemInfo,
        Ticket,
        TimeZoneSetup,
    )
    from cwdesk.manage.operations import AsyncManageOperations, ManageOperations
    from cwdesk.manage.paging import DEFAULT_PAGE_SIZE, FORWARD_ONLY_HEADERS
    from cwdesk.manage.patch import PatchOperation
    from cwdesk.manage.resources.collection import AsyncCollection, Collection

__all__ = [
    "DEFAULT_API_VERSION",
    "DEFAULT_PAGE_SIZE",
    "FORWARD_ONLY_HEADERS",
    "Agreement",
    "AgreementType",
    "AsyncCollection",
    "AsyncManageClient",
    "AsyncManageOperations",
    "Board",
    "CWModel",
    "CallbackEntry",
    "Collection",
    "Company",
    "CompanySite",
    "CompanyStatus",
    "CompanyType",
    "Contact",
    "ContactCommunicationItem",
    "ContactDepartment",
    "ContactRelationship",
    "ContactType",
    "CustomFieldValue",
    "Department",
    "Location",
    "ManageAuth",
    "ManageClient",
    "ManageCredentials",
    "ManageOperations",
    "Member",
    "PatchOperation",
    "Priority",
    "Reference",
    "SecurityRole",
    "SystemInfo",
    "Ticket",
    "TimeZoneSetup",
]

# Where each public name lives; imported on first use (``cwdesk/_lazy.py``).
_HOMES: dict[str, str] = {
    "ManageCredentials": "cwdesk.config",
    "DEFAULT_API_VERSION": "cwdesk.manage.client",
    "AsyncManageClient": "cwdesk.manage.client",
    "ManageAuth": "cwdesk.manage.client",
    "ManageClient": "cwdesk.manage.client",
    "Agreement": "cwdesk.manage.models",
    "AgreementType": "cwdesk.manage.models",
    "Board": "cwdesk.manage.models",
    "CallbackEntry": "cwdesk.manage.models",
    "Company": "cwdesk.manage.models",
    "CompanySite": "cwdesk.manage.models",
    "CompanyStatus": "cwdesk.manage.models",
    "CompanyType": "cwdesk.manage.models",
    "Contact": "cwdesk.manage.models",
    "ContactCommunicationItem": "cwdesk.manage.models",
    "ContactDepartment": "cwdesk.manage.models",
    "ContactRelationship": "cwdesk.manage.models",
    "ContactType": "cwdesk.manage.models",
    "CustomFieldValue": "cwdesk.manage.models",
    "CWModel": "cwdesk.manage.models",
    "Department": "cwdesk.manage.models",
    "Location": "cwdesk.manage.models",
    "Member": "cwdesk.manage.models",
    "Priority": "cwdesk.manage.models",
    "Reference": "cwdesk.manage.models",
    "SecurityRole": "cwdesk.manage.models",
    "SystemInfo": "cwdesk.manage.models",
    "Ticket": "cwdesk.manage.models",
    "TimeZoneSetup": "cwdesk.manage.models",
    "AsyncManageOperations": "cwdesk.manage.operations",
    "ManageOperations": "cwdesk.manage.operations",
    "DEFAULT_PAGE_SIZE": "cwdesk.manage.paging",
    "FORWARD_ONLY_HEADERS": "cwdesk.manage.paging",
    "PatchOperation": "cwdesk.manage.patch",
    "AsyncCollection": "cwdesk.manage.resources.collection",
    "Collection": "cwdesk.manage.resources.collection",
}
__getattr__, __dir__ = lazy_exports(__name__, _HOMES, __all__)
