"""Lenient pydantic models of ConnectWise Manage records, one module per area; the base and decoder in ``base``.

Not for: requests (``manage/resources``).
"""

from typing import TYPE_CHECKING

from cwdesk._lazy import lazy_exports

if TYPE_CHECKING:
    from cwdesk.manage.models.base import CustomFieldValue, CWModel, Reference, decode_page, decode_record
    from cwdesk.manage.models.company import Company, CompanySite, CompanyStatus, CompanyType
    from cwdesk.manage.models.contact import (
        Contact,
        ContactCommunicationItem,
        ContactDepartment,
        ContactRelationship,
        ContactType,
    )
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
    "ContactDepartment",
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

# Where each public name lives; imported on first use (``cwdesk/_lazy.py``).
_HOMES: dict[str, str] = {
    "CustomFieldValue": "cwdesk.manage.models.base",
    "CWModel": "cwdesk.manage.models.base",
    "Reference": "cwdesk.manage.models.base",
    "decode_page": "cwdesk.manage.models.base",
    "decode_record": "cwdesk.manage.models.base",
    "Company": "cwdesk.manage.models.company",
    "CompanySite": "cwdesk.manage.models.company",
    "CompanyStatus": "cwdesk.manage.models.company",
    "CompanyType": "cwdesk.manage.models.company",
    "Contact": "cwdesk.manage.models.contact",
    "ContactCommunicationItem": "cwdesk.manage.models.contact",
    "ContactDepartment": "cwdesk.manage.models.contact",
    "ContactRelationship": "cwdesk.manage.models.contact",
    "ContactType": "cwdesk.manage.models.contact",
    "Agreement": "cwdesk.manage.models.finance",
    "AgreementType": "cwdesk.manage.models.finance",
    "Board": "cwdesk.manage.models.service",
    "Priority": "cwdesk.manage.models.service",
    "Ticket": "cwdesk.manage.models.service",
    "CallbackEntry": "cwdesk.manage.models.system",
    "Department": "cwdesk.manage.models.system",
    "LicenseBit": "cwdesk.manage.models.system",
    "Location": "cwdesk.manage.models.system",
    "Member": "cwdesk.manage.models.system",
    "MemberOffice365": "cwdesk.manage.models.system",
    "SecurityRole": "cwdesk.manage.models.system",
    "SystemInfo": "cwdesk.manage.models.system",
    "TimeZoneSetup": "cwdesk.manage.models.system",
}
__getattr__, __dir__ = lazy_exports(__name__, _HOMES, __all__)
