"""What ConnectWise fills in a record that a write leaves out: default values, derived fields, custom fields, links.

Every record is completed when it is written (create, replace, patch and the seed generator alike) and stored
complete, so reads serve stored JSON as it is. The defaults are those recorded from real servers:

- tickets: rapid7/insightconnect-plugins ``plugins/connectwise/unit_test/responses/``
  ``create_ticket_few_parameters.json.resp`` (a ticket created with only summary, description, company and
  status) and ``get_ticket_by_id.json.resp``;
- companies: the same repository's ``responses/get_company.json.resp``;
- contacts, members, boards and their statuses and teams, agreements: KerkhoffTechnologies/django-connectwise
  ``djconnectwise/tests/fixtures.py`` (``API_COMPANY_CONTACT_LIST``, ``API_MEMBER``, ``API_BOARD``,
  ``API_BOARD_STATUS_LIST``, ``API_SERVICE_TEAM_LIST``, ``API_AGREEMENT``);
- the member fields pyconnectwise 0.6.1.2's ``Member`` model requires (``agreementInvoicingDisplayOptions``,
  ``invoicingDisplayOptions``, ``invoiceScreenDefaultTabFormat``): no recording shows their values, so they take
  the first value of the spec's enum (listed as unverified in docs/sandbox.md).

ConnectWise leaves null fields out of its answers (no recorded record has a ``null``), and so does the sandbox.
Not for: checking what the caller sent (``records.py``); rules that read other records, such as a ticket's board
statuses or a company's site (``manage.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from cwdesk.sandbox.backend.kinds import Kind, catalog_info
from cwdesk.sandbox.backend.records import HREF_PREFIX, Problems, parse_datetime, timestamp

#: The currency every recorded ticket and company carries (get_ticket_by_id.json.resp, get_company.json.resp).
CURRENCY: dict[str, Any] = {
    "id": 7,
    "symbol": "$",
    "currencyCode": "USD",
    "decimalSeparator": ".",
    "numberOfDecimals": 2,
    "thousandsSeparator": ",",
    "negativeParenthesesFlag": False,
    "displaySymbolFlag": True,
    "currencyIdentifier": "USD",
    "displayIdFlag": False,
    "rightAlign": False,
    "name": "US Dollars",
    "_info": catalog_info("CurrencyReference", 7) or {},
}

_TICKET_ZERO = ("estimatedExpenseCost", "estimatedExpenseRevenue", "estimatedProductCost", "estimatedProductRevenue",
                "estimatedTimeCost", "estimatedTimeRevenue")  # fmt: skip

#: Values a write that leaves a field out gets, per kind.
DEFAULTS: dict[str, dict[str, Any]] = {
    "company": {"leadFlag": False, "unsubscribeFlag": False, "deletedFlag": False, "isVendorFlag": False,
                "annualRevenue": 0.0, "currency": CURRENCY},
    "site": {"inactiveFlag": False, "primaryAddressFlag": False, "defaultBillingFlag": False,
             "defaultShippingFlag": False, "defaultMailingFlag": False},
    "contact": {"inactiveFlag": False, "defaultFlag": False, "defaultBillingFlag": False, "marriedFlag": False,
                "childrenFlag": False, "unsubscribeFlag": False},
    "agreement": {"cancelledFlag": False, "noEndingDateFlag": False, "currency": CURRENCY},
    "ticket": {
        "recordType": "ServiceTicket", "severity": "Medium", "impact": "Medium", "allowAllClientsPortalView": False,
        "customerUpdatedFlag": False, "automaticEmailContactFlag": False, "automaticEmailResourceFlag": False,
        "automaticEmailCcFlag": False, "closedFlag": False, "approved": True, **dict.fromkeys(_TICKET_ZERO, 0.0),
        "billingMethod": "ActualRates", "subBillingMethod": "ActualRates", "resolveMinutes": 0, "resPlanMinutes": 0,
        "respondMinutes": 0, "isInSla": True, "hasChildTicket": False, "hasMergedChildTicketFlag": False,
        "billTime": "NoDefault", "billExpenses": "NoDefault", "billProducts": "NoDefault",
        "minutesBeforeWaiting": 0, "respondedSkippedMinutes": 0, "resplanSkippedMinutes": 0, "currency": CURRENCY,
    },
    "board": {"inactiveFlag": False, "projectFlag": False, "billTime": "NoDefault"},
    "board_status": {"sortOrder": 0, "displayOnBoard": True, "inactive": False, "closedStatus": False,
                     "timeEntryNotAllowed": False, "defaultFlag": False},
    "board_team": {"defaultFlag": False, "notifyOnTicketDelete": False},
    "board_type": {"defaultFlag": False, "inactiveFlag": False, "requestForChangeFlag": False},
    "ticket_note": {"detailDescriptionFlag": False, "internalAnalysisFlag": False, "resolutionFlag": False,
                    "issueFlag": False},
    "agreement_addition": {"quantity": 0.0, "lessIncluded": 0.0, "unitPrice": 0.0, "unitCost": 0.0,
                           "taxableFlag": False},
    "company_note": {"flagged": False},
    "company_team": {"accountManagerFlag": False, "techFlag": False, "salesFlag": False},
    "member": {
        "inactiveFlag": False, "adminFlag": False, "allowExpensesEnteredAgainstCompaniesFlag": True,
        "allowInCellEntryOnTimeSheet": False, "billableForecast": 75.0, "calendarSyncIntegrationFlag": False,
        "dailyCapacity": 8.0, "daysTolerance": 1, "disableOnlineFlag": False, "enableLdapAuthenticationFlag": False,
        "enableMobileFlag": False, "enableMobileGpsFlag": False, "enterTimeAgainstCompanyFlag": True,
        "hideMemberInDispatchPortalFlag": False, "includeInUtilizationReportingFlag": False, "minimumHours": 8.0,
        "requireExpenseEntryFlag": False, "requireStartAndEndTimeOnTimeEntryFlag": False,
        "requireTimeSheetEntryFlag": False, "restrictDefaultSalesTerritoryFlag": False,
        "restrictDefaultWarehouseBinFlag": False, "restrictDefaultWarehouseFlag": False,
        "restrictDepartmentFlag": False, "restrictLocationFlag": False, "restrictProjectDefaultDepartmentFlag": False,
        "restrictProjectDefaultLocationFlag": False, "restrictScheduleFlag": False,
        "restrictServiceDefaultDepartmentFlag": False, "restrictServiceDefaultLocationFlag": False,
        "scheduleCapacity": 8.0, "timeReminderEmailFlag": False,
        "agreementInvoicingDisplayOptions": "RemainOnInvoicingScreen",
        "invoicingDisplayOptions": "RemainOnInvoicingScreen", "invoiceScreenDefaultTabFormat": "ShowInvoicingTab",
    },
    "priority": {"defaultFlag": False},
    "callback": {"inactiveFlag": False},
}  # fmt: skip

#: Kinds whose records carry a ``mobileGuid`` (recorded companies, sites, tickets; contacts and their
#: communications in django-connectwise's fixtures).
_GUID_KINDS = frozenset({"company", "site", "contact", "ticket"})


def _field(field_id: int, caption: str, field_type: str, entry: str = "EntryField") -> dict[str, Any]:
    return {"id": field_id, "caption": caption, "type": field_type, "entryMethod": entry, "numberOfDecimals": 0}


#: The custom fields defined for each kind, listed on every record of it; the shape (``id``, ``caption``, ``type``,
#: ``entryMethod``, ``numberOfDecimals``, and ``value`` only when one is set) is that of get_company.json.resp and
#: get_ticket_by_id.json.resp. Ids are unique across kinds, as ConnectWise numbers its user-defined fields.
CUSTOM_FIELDS: dict[str, tuple[dict[str, Any], ...]] = {
    "company": (
        _field(1, "Account Tier", "Text", "List"),
        _field(2, "Onboarded Date", "Date"),
        _field(3, "Endpoint Count", "Number"),
        _field(4, "Managed Backup", "Checkbox"),
        _field(13, "Backup Vendor", "Text"),
    ),
    "contact": (_field(5, "Preferred Contact Method", "Text", "List"), _field(6, "VIP", "Checkbox")),
    "ticket": (
        _field(7, "Dispatch Billing Required", "Text", "List"),
        _field(8, "Root Cause", "Text"),
        _field(9, "T&M Billing Required", "Checkbox"),
    ),
    "agreement": (_field(10, "Contract Number", "Text"), _field(11, "Auto Renew", "Checkbox")),
    "member": (_field(12, "Certifications", "Text"),),
}


def fill(kind: Kind, record: dict[str, Any], problems: Problems, *, now: datetime, guid: Callable[[], str]) -> None:
    """Complete ``record`` in place: defaults for what is missing, derived fields, the custom field list."""
    for name, value in DEFAULTS.get(kind.name, {}).items():
        if name not in record:
            record[name] = _copy(value) if isinstance(value, dict) else value
    if kind.name in _GUID_KINDS and "mobileGuid" not in record:
        record["mobileGuid"] = guid()
    if kind.name in CUSTOM_FIELDS:
        record["customFields"] = custom_fields(kind.name, record.get("customFields"), problems)
    if kind.name == "ticket":
        _ticket(record)
    elif kind.name == "agreement":
        record["agreementStatus"] = agreement_status(record, now)
    elif kind.name == "contact":
        _contact(record)
    elif kind.name == "agreement_addition":
        _addition(record)


def _copy(value: dict[str, Any]) -> dict[str, Any]:
    # A plain recursive copy (the defaults are JSON): several times faster than copy.deepcopy on 60,000 records.
    return {key: _copy(inner) if isinstance(inner, dict) else inner for key, inner in value.items()}


def _ticket(record: dict[str, Any]) -> None:
    # ``resources`` names the ticket's owner by identifier ("resources": "userint" beside owner userint in
    # get_ticket_by_id.json.resp); contactName is the contact reference's name there.
    owner = record.get("owner")
    if isinstance(owner, dict) and owner.get("identifier"):
        record["resources"] = owner["identifier"]
    else:
        record.pop("resources", None)
    contact = record.get("contact")
    if isinstance(contact, dict) and contact.get("name") and "contactName" not in record:
        record["contactName"] = contact["name"]


def agreement_status(record: dict[str, Any], now: datetime) -> str:
    """``Active``, ``Cancelled`` or ``Expired`` (the spec's enum, less ``Inactive``), from the agreement's flags."""
    if record.get("cancelledFlag"):
        return "Cancelled"
    end = parse_datetime(str(record.get("endDate") or "")) if record.get("endDate") else None
    if end is not None and not record.get("noEndingDateFlag") and end < now:
        return "Expired"
    return "Active"


def _contact(record: dict[str, Any]) -> None:
    # A contact's default phone is shown flat (defaultPhoneType/Nbr/Extension in django-connectwise's
    # API_COMPANY_CONTACT_LIST): the default item whose communicationType is Phone.
    for item in record.get("communicationItems") or []:
        if item.get("communicationType") == "Phone" and item.get("defaultFlag"):
            record["defaultPhoneType"] = (item.get("type") or {}).get("name")
            record["defaultPhoneNbr"] = item.get("value")
            if item.get("extension"):
                record["defaultPhoneExtension"] = item["extension"]
            return


def _addition(record: dict[str, Any]) -> None:
    quantity = float(record.get("quantity") or 0)
    record["extPrice"] = round(quantity * float(record.get("unitPrice") or 0), 2)
    record["extCost"] = round(quantity * float(record.get("unitCost") or 0), 2)


def custom_fields(kind_name: str, given: Any, problems: Problems) -> list[dict[str, Any]]:
    """Every custom field of the kind, with the values ``given`` (items matched by ``id``, else ``caption``)."""
    definitions = CUSTOM_FIELDS[kind_name]
    values: dict[int, Any] = {}
    for item in given or []:
        if not isinstance(item, dict):
            continue
        found = next((d for d in definitions if d["id"] == item.get("id")), None)
        if found is None and isinstance(item.get("caption"), str):
            found = next((d for d in definitions if d["caption"].lower() == item["caption"].lower()), None)
        if found is None:
            shown = item.get("id", item.get("caption"))
            known = ", ".join(f"{d['id']} ({d['caption']})" for d in definitions)
            problems.add("InvalidField", "customFields", f"Custom field {shown!r} does not exist; known: {known}.")
            continue
        if item.get("value") is not None:
            values[found["id"]] = _custom_value(found, item["value"], problems)
    listed = []
    for definition in definitions:
        entry = dict(definition)
        if values.get(definition["id"]) is not None:
            entry["value"] = values[definition["id"]]
        listed.append(entry)
    return listed


def _custom_value(definition: dict[str, Any], value: Any, problems: Problems) -> Any:
    caption, kind = definition["caption"], definition["type"]
    if kind == "Checkbox":
        if isinstance(value, bool):
            return value
        problems.add("InvalidField", "customFields", f"Custom field '{caption}' is a checkbox: send true or false.")
    elif kind == "Number":
        if isinstance(value, int | float) and not isinstance(value, bool):
            return value
        problems.add("InvalidField", "customFields", f"Custom field '{caption}' takes a number.")
    elif kind == "Date":
        moment = parse_datetime(value) if isinstance(value, str) else None
        if moment is not None:
            return timestamp(moment)
        problems.add("InvalidField", "customFields", f"Custom field '{caption}' takes a date like 2024-01-31T00:00:00Z")
    elif isinstance(value, str):
        return value
    else:
        problems.add("InvalidField", "customFields", f"Custom field '{caption}' takes text.")
    return None


def links(kind: Kind, record_id: int) -> dict[str, str]:
    """The ``*_href`` entries of a record's ``_info`` (kept in stored JSON behind ``HREF_PREFIX``)."""
    return {key: HREF_PREFIX + path.replace("{id}", str(record_id)) for key, path in kind.links}


def new_info(kind: Kind, now: str, who: str, record_id: int) -> dict[str, str]:
    """The ``_info`` of a new record. Ticket notes show only the last update there: their creation is in
    ``dateCreated``/``createdBy`` (create_ticket_note_few_parameters.json.resp, rapid7/insightconnect-plugins)."""
    if kind.name == "ticket_note":
        return {"lastUpdated": now, "updatedBy": who}
    return {"lastUpdated": now, "updatedBy": who, "dateEntered": now, "enteredBy": who, **links(kind, record_id)}
