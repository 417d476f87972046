"""The kinds of Manage records the emulator stores: their URL, spec schema, table, and the columns indexed for search.

Each record is kept whole as JSON (the spec's shape) and the fields people filter, sort and join on are copied by
SQLite into real indexed columns (stored generated columns), so a condition over 100,000 contacts stays fast.
Not for: HTTP (``manage_api.py``) or validation (``records.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Column:
    """A field copied into an indexed SQL column."""

    path: str
    """Spec path, e.g. ``company/id``."""
    sql_type: str
    """``TEXT``, ``INTEGER`` or ``REAL``; booleans are ``INTEGER`` 0/1 with null read as 0."""
    boolean: bool = False

    @property
    def column(self) -> str:
        return "c_" + self.path.replace("/", "_").lower()

    def ddl(self) -> str:
        expr = "json_extract(data, '$." + self.path.replace("/", ".") + "')"
        if self.boolean:
            expr = f"coalesce({expr}, 0)"
        collate = " COLLATE NOCASE" if self.sql_type == "TEXT" else ""
        return f"{self.column} {self.sql_type}{collate} GENERATED ALWAYS AS ({expr}) STORED"


def _text(*paths: str) -> tuple[Column, ...]:
    return tuple(Column(p, "TEXT") for p in paths)


def _int(*paths: str) -> tuple[Column, ...]:
    return tuple(Column(p, "INTEGER") for p in paths)


def _bool(*paths: str) -> tuple[Column, ...]:
    return tuple(Column(p, "INTEGER", boolean=True) for p in paths)


_UPDATED = _text("_info/lastUpdated")


@dataclass(frozen=True)
class Kind:
    """One kind of Manage record."""

    name: str
    """Internal key, also the table suffix (``company``)."""
    path: str
    """Collection path under ``/apis/3.0``, ``{parentId}`` for children (``/company/companies/{parentId}/sites``)."""
    schema: str
    """The spec schema of a record (``Company``)."""
    label: str
    """How ConnectWise names it in messages: ``Company 99 not found``."""
    columns: tuple[Column, ...] = ()
    parent: str | None = None
    """The parent kind for nested collections (sites belong to a company)."""
    unique: tuple[str, ...] = ()
    """Fields whose value must be unique (case-insensitively) among records of this kind."""
    reference_name: tuple[str, ...] = ("name",)
    """Fields joined by a space to form the ``name`` of a reference to this kind."""
    reference_extra: tuple[str, ...] = ()
    """Extra fields copied into references (``identifier`` for companies and members)."""
    callback_type: str | None = None
    """The ``type`` a callback registers for (``company``, ``contact``, ``ticket``, ...)."""
    defaults: dict[str, object] = field(default_factory=dict)
    """Values ConnectWise fills when a create leaves them out."""

    @property
    def table(self) -> str:
        return "mg_" + self.name

    def href_key(self) -> str:
        return self.name.split("_")[-1] + "_href"


KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        # Labels are the server's words in "<label> 99 not found": "company 404 not found", "Service Ticket 404 not
        # found" (rapid7/insightconnect-plugins plugins/connectwise/unit_test/responses/company_not_found.json.resp,
        # ticket_not_found.json.resp). The other kinds' wording is unverified (docs/sandbox.md).
        Kind(
            "company",
            "/company/companies",
            "Company",
            "company",
            columns=(
                *_text("identifier", "name", "status/name", "city", "state", "zip", "phoneNumber"),
                *_int("status/id", "territory/id"),
                *_bool("deletedFlag", "leadFlag"),
                *_UPDATED,
            ),
            unique=("identifier",),
            reference_extra=("identifier",),
            callback_type="company",
            defaults={"deletedFlag": False, "leadFlag": False, "unsubscribeFlag": False, "isVendorFlag": False},
        ),
        Kind(
            "site",
            "/company/companies/{parentId}/sites",
            "CompanySite",
            "Site",
            columns=(*_text("name"), *_int("company/id"), *_bool("inactiveFlag"), *_UPDATED),
            parent="company",
            defaults={"inactiveFlag": False, "primaryAddressFlag": False, "defaultBillingFlag": False},
        ),
        Kind("company_status", "/company/companies/statuses", "CompanyStatus", "CompanyStatus", _text("name")),
        Kind("company_type", "/company/companies/types", "CompanyType", "CompanyType", _text("name")),
        Kind(
            "contact",
            "/company/contacts",
            "Contact",
            "Contact",
            columns=(
                *_text("firstName", "lastName", "title", "company/identifier", "company/name"),
                *_int("company/id", "site/id"),
                *_bool("inactiveFlag", "defaultFlag"),
                *_UPDATED,
            ),
            reference_name=("firstName", "lastName"),
            callback_type="contact",
            defaults={"inactiveFlag": False, "defaultFlag": False, "defaultBillingFlag": False},
        ),
        Kind(
            "contact_type",
            "/company/contacts/types",
            "ContactType",
            "ContactType",
            _text("description"),
            reference_name=("description",),
        ),
        Kind("contact_relationship", "/company/contacts/relationships", "ContactRelationship", "Relationship"),
        Kind(
            "agreement",
            "/finance/agreements",
            "Agreement",
            "Agreement",
            columns=(*_text("name", "type/name"), *_int("company/id", "type/id"), *_bool("cancelledFlag"), *_UPDATED),
            callback_type="agreement",
            defaults={"cancelledFlag": False, "noEndingDateFlag": False},
        ),
        Kind("agreement_type", "/finance/agreements/types", "AgreementType", "AgreementType", _text("name")),
        Kind(
            "ticket",
            "/service/tickets",
            "Ticket",
            "Service Ticket",
            columns=(
                *_text("summary", "status/name", "board/name"),
                *_int("company/id", "board/id", "status/id", "owner/id", "contact/id"),
                *_bool("closedFlag"),
                *_UPDATED,
            ),
            reference_name=("summary",),
            callback_type="ticket",
            defaults={"closedFlag": False},
        ),
        Kind("board", "/service/boards", "Board", "Board", _text("name"), defaults={"inactiveFlag": False}),
        # Not in manage-core.json (the reconstructed spec has it); seeded with ConnectWise's five stock priorities.
        Kind("priority", "/service/priorities", "Priority", "Priority", _text("name"), defaults={"defaultFlag": False}),
        Kind(
            "member",
            "/system/members",
            "Member",
            "Member",
            columns=(*_text("identifier", "firstName", "lastName"), *_bool("inactiveFlag"), *_UPDATED),
            unique=("identifier",),
            reference_name=("firstName", "lastName"),
            reference_extra=("identifier",),
            callback_type="member",
            defaults={"inactiveFlag": False},
        ),
        Kind("security_role", "/system/securityroles", "SecurityRole", "SecurityRole", _text("name")),
        Kind(
            "callback",
            "/system/callbacks",
            "CallbackEntry",
            "Callback",
            _text("type", "url"),
            reference_name=("description",),
            defaults={"inactiveFlag": False},
        ),
        Kind("department", "/system/departments", "Department", "Department", _text("identifier", "name")),
        Kind("location", "/system/locations", "Location", "Location", _text("name")),
        # Not in manage-core.json (the reconstructed spec has it); read-only here, seeded with US and UK zones.
        Kind("time_zone", "/system/timeZoneSetups", "TimeZoneSetup", "TimeZoneSetup", _text("name")),
    )
}

#: Which kind a reference schema points at (``CompanyStatusReference`` -> company_status).
REFERENCE_KINDS: dict[str, str] = {
    "CompanyReference": "company",
    "SiteReference": "site",
    "CompanyStatusReference": "company_status",
    "CompanyTypeReference": "company_type",
    "ContactReference": "contact",
    "ContactTypeReference": "contact_type",
    "RelationshipReference": "contact_relationship",
    "AgreementReference": "agreement",
    "AgreementTypeReference": "agreement_type",
    "TicketReference": "ticket",
    "BoardReference": "board",
    "PriorityReference": "priority",
    "MemberReference": "member",
    "SecurityRoleReference": "security_role",
    "SystemDepartmentReference": "department",
    "SystemLocationReference": "location",
    "TimeZoneSetupReference": "time_zone",
}

#: Small fixed lists ConnectWise keeps in setup tables that the core spec does not expose as paths: references to
#: them are accepted by id or by name and filled in, like references to stored records.
CATALOGS: dict[str, tuple[tuple[int, str], ...]] = {
    "CountryReference": ((1, "United States"), (2, "Canada"), (3, "United Kingdom")),
    "ServiceStatusReference": ((1, "New"), (2, "In Progress"), (3, "Waiting on Client"), (4, "Closed - Resolved")),
    "ServiceTypeReference": ((1, "Incident"), (2, "Request"), (3, "Problem")),
    "CommunicationTypeReference": ((1, "Email"), (2, "Direct"), (3, "Cell"), (4, "Fax")),
    "StateReference": (),
    "CorporateStructureLevelReference": ((1, "Corporate"), (2, "Region")),
    "BillingCycleReference": ((1, "Monthly"), (2, "Quarterly"), (3, "Annually")),
}

#: The communication type each communication type name belongs to (ContactCommunicationItem.communicationType).
COMMUNICATION_TYPES = {"Email": "Email", "Direct": "Phone", "Cell": "Phone", "Fax": "Fax"}


def kind_for_path(collection: str) -> Kind | None:
    """The kind whose collection path is ``collection`` (with ``{parentId}`` in place of a parent id)."""
    for kind in KINDS.values():
        if kind.path == collection:
            return kind
    return None
