"""Lenient pydantic models of ConnectWise Manage records, one module per area; the base and decoder in ``base``.

Not for: requests (``manage/resources``).
"""

from cwdesk.manage.models.base import CustomFieldValue, CWModel, Reference, decode_page, decode_record
from cwdesk.manage.models.company import Company, CompanySite, CompanyStatus, CompanyType
from cwdesk.manage.models.contact import Contact, ContactCommunicationItem, ContactRelationship, ContactType
from cwdesk.manage.models.finance import Agreement, AgreementType
from cwdesk.manage.models.service import Board, Priority, Ticket
from cwdesk.manage.models.system import (
    CallbackEntry,
    Department,
    LicenseBit,
    Location,
    Member,
    MemberOffice365,
    SecurityRole,
    SystemInfo,
    TimeZoneSetup,
)

__all__ = [
    "Agreement",
    "AgreementType",
    "Board",
    "CWModel",
    "CallbackEntry",
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
    "LicenseBit",
    "Location",
    "Member",
    "MemberOffice365",
    "Priority",
    "Reference",
    "SecurityRole",
    "SystemInfo",
    "Ticket",
    "TimeZoneSetup",
    "decode_page",
    "decode_record",
]
