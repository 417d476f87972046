"""The ConnectWise Manage SDK: the clients, their credentials, the record models and the generic collection.

``from cwdesk.manage import ManageClient, Company, Collection`` (the clients are also at the root, ``cwdesk``).
Modules: ``client`` (clients and auth), ``paging`` (the one walk over pages), ``resources`` (one collection per
endpoint, the shared behaviour in ``resources/collection.py``), ``models`` (lenient pydantic records), ``patch``
(JSON Patch), ``operations`` (any operation by operationId).
Not for: Automate (``cwdesk.automate``) or business flows (``cwdesk.workflows``).
"""

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
