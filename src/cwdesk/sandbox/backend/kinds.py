"""The kinds of Manage records the emulator stores: their URL, spec schema, table, and the columns indexed for search.

Each record is kept whole as JSON (the spec's shape) and the fields people filter, sort and join on are copied by
SQLite into real indexed columns (stored generated columns), so a condition over 100,000 contacts stays fast.
Not for: HTTP (``manage_api.py``) or validation (``records.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

from cwdesk.sandbox.backend.records import HREF_PREFIX


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
    reference_renamed: tuple[tuple[str, str], ...] = ()
    """Fields copied into references under another name: a priority's ``sortOrder`` is its reference's ``sort``
    (``"priority": {"id": 8, "name": "Priority 4 - Low", "sort": 4}`` in get_ticket_by_id.json.resp)."""
    callback_type: str | None = None
    """The ``type`` a callback registers for (``company``, ``contact``, ``ticket``, ...)."""
    parent_field: str | None = None
    """The field of a child record that names its parent: a reference (``company``) or an id (``ticketId``)."""
    href: str | None = None
    """The key of the href in references to this kind when it is not ``<last word>_href`` (``timeZoneSetup_href``)."""
    links: tuple[tuple[str, str], ...] = ()
    """The ``*_href`` links of a record's ``_info``: key and path, ``{id}`` standing for the record's id."""

    @property
    def table(self) -> str:
        return "mg_" + self.name

    def href_key(self) -> str:
        return self.href or self.name.split("_")[-1] + "_href"

    @property
    def parent_key(self) -> str | None:
        """The field naming the parent (``parent_field``, else the parent kind's name)."""
        return self.parent_field or self.parent


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
            # The links a recorded company shows (rapid7/insightconnect-plugins
            # plugins/connectwise/unit_test/responses/get_company.json.resp) that lead to paths the sandbox serves.
            links=(
                ("contacts_href", "/company/contacts?conditions=company/id={id}"),
                ("agreements_href", "/finance/agreements?conditions=company/id={id}"),
                ("tickets_href", "/service/tickets?conditions=company/id={id}"),
                ("sites_href", "/company/companies/{id}/sites"),
                ("teams_href", "/company/companies/{id}/teams"),
                ("notes_href", "/company/companies/{id}/notes"),
            ),
        ),
        Kind(
            "site",
            "/company/companies/{parentId}/sites",
            "CompanySite",
            "Site",
            columns=(*_text("name"), *_int("company/id"), *_bool("inactiveFlag"), *_UPDATED),
            parent="company",
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
            # connectwise-rest's Contact typedef (JSDoc of its 2016 client) and a Go client's Contact struct list
            # communications_href and notes_href in a contact's _info.
            links=(("communications_href", "/company/contacts/{id}/communications"),),
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
        # A contact's department (ContactDepartmentReference), not the company's own /system/departments: the
        # official GET spec serves it at /company/contacts/departments (manage-openapi-get-subset.json, 2026.4).
        Kind("contact_department", "/company/contacts/departments", "ContactDepartment", "ContactDepartment"),
        Kind(
            "agreement",
            "/finance/agreements",
            "Agreement",
            "Agreement",
            columns=(
                *_text("name", "type/name", "agreementStatus"),
                *_int("company/id", "type/id"),
                *_bool("cancelledFlag"),
                *_UPDATED,
            ),
            callback_type="agreement",
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
            # get_ticket_by_id.json.resp (rapid7/insightconnect-plugins) has notes_href among its _info links.
            links=(("notes_href", "/service/tickets/{id}/notes"),),
        ),
        Kind("board", "/service/boards", "Board", "Board", _text("name")),
        # A board's statuses, teams and types: a ticket's status, team and type are those of its board, and their
        # hrefs say so (``.../service/boards/30/statuses/550`` in get_ticket_by_id.json.resp).
        Kind(
            "board_status",
            "/service/boards/{parentId}/statuses",
            "BoardStatus",
            "Status",
            columns=(*_text("name"), *_int("board/id"), *_bool("closedStatus", "inactive", "defaultFlag")),
            parent="board",
        ),
        Kind(
            "board_team",
            "/service/boards/{parentId}/teams",
            "BoardTeam",
            "Team",
            _text("name"),
            parent="board",
            parent_field="boardId",
        ),
        Kind("board_type", "/service/boards/{parentId}/types", "BoardType", "Type", _text("name"), parent="board"),
        Kind(
            "ticket_note",
            "/service/tickets/{parentId}/notes",
            "ServiceNote",
            "Service Note",  # "Service Note 404 not found" (rapid7 expected/note_not_found.json.exp)
            columns=(*_text("createdBy"), *_bool("internalAnalysisFlag", "resolutionFlag", "detailDescriptionFlag")),
            parent="ticket",
            parent_field="ticketId",
            reference_name=("text",),
        ),
        Kind(
            "agreement_addition",
            "/finance/agreements/{parentId}/additions",
            "Addition",
            "Addition",
            columns=(*_text("product/identifier", "agreementStatus"), *_UPDATED),
            parent="agreement",
            parent_field="agreementId",
            reference_name=("description",),
        ),
        Kind(
            "company_note",
            "/company/companies/{parentId}/notes",
            "CompanyNote",
            "Note",
            _text("text"),
            parent="company",
            reference_name=("text",),
        ),
        Kind(
            "company_team",
            "/company/companies/{parentId}/teams",
            "CompanyTeam",
            "Team",
            columns=(*_int("member/id", "contact/id"), *_text("teamRole/name")),
            parent="company",
        ),
        # Not in manage-core.json (the reconstructed spec has it); seeded with ConnectWise's five stock priorities.
        Kind(
            "priority",
            "/service/priorities",
            "Priority",
            "Priority",
            _text("name"),
            reference_renamed=(("sortOrder", "sort"),),
        ),
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
        ),
        Kind("security_role", "/system/securityroles", "SecurityRole", "SecurityRole", _text("name")),
        Kind(
            "callback",
            "/system/callbacks",
            "CallbackEntry",
            "Callback",
            _text("type", "url"),
            reference_name=("description",),
        ),
        Kind("department", "/system/departments", "Department", "Department", _text("identifier", "name")),
        Kind("location", "/system/locations", "Location", "Location", _text("name")),
        # Not in manage-core.json (the reconstructed spec has it); read-only here, seeded with US and UK zones.
        # References to it carry ``timeZoneSetup_href`` (get_company.json.resp, rapid7/insightconnect-plugins).
        Kind(
            "time_zone",
            "/system/timeZoneSetups",
            "TimeZoneSetup",
            "TimeZoneSetup",
            _text("name"),
            href="timeZoneSetup_href",
        ),
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
    "ContactDepartmentReference": "contact_department",
    "AgreementReference": "agreement",
    "AgreementTypeReference": "agreement_type",
    "TicketReference": "ticket",
    "BoardReference": "board",
    "ServiceStatusReference": "board_status",
    "ServiceTeamReference": "board_team",
    "ServiceTypeReference": "board_type",
    "PriorityReference": "priority",
    "MemberReference": "member",
    "SecurityRoleReference": "security_role",
    "SystemDepartmentReference": "department",
    "SystemLocationReference": "location",
    "TimeZoneSetupReference": "time_zone",
}

#: Kinds whose references are resolved against a ticket's board (``manage.ticket_rules``), not the whole table:
#: "New" is a status of every board.
BOARD_SCOPED = frozenset({"board_status", "board_team", "board_type"})

#: Small fixed lists ConnectWise keeps in setup tables that the core spec does not expose as paths: references to
#: them are accepted by id or by name and filled in, like references to stored records.
CATALOGS: dict[str, tuple[tuple[int, str], ...]] = {
    "CountryReference": ((1, "United States"), (2, "Canada"), (3, "United Kingdom")),
    "CommunicationTypeReference": ((1, "Email"), (2, "Direct"), (3, "Cell"), (4, "Fax")),
    "StateReference": (),
    "CorporateStructureLevelReference": ((1, "Corporate"), (2, "Region")),
    "BillingCycleReference": ((1, "Monthly"), (2, "Quarterly"), (3, "Annually")),
}

#: The hrefs of references to setup records the sandbox does not serve, where the path is known:
#: ``"country": {"id": 1, "name": "United States", "_info": {"country_href": ".../company/countries/1"}}`` and
#: ``"currency": {..., "_info": {"currency_href": ".../finance/currencies/7"}}`` (rapid7/insightconnect-plugins
#: get_company.json.resp, get_ticket_by_id.json.resp).
CATALOG_HREFS: dict[str, tuple[str, str]] = {
    "CountryReference": ("country_href", "/company/countries"),
    "CurrencyReference": ("currency_href", "/finance/currencies"),
}


def catalog_info(schema: str, entry_id: object) -> dict[str, str] | None:
    """The ``_info`` of a reference to a setup record the sandbox does not serve, or None when its path is unknown."""
    if schema not in CATALOG_HREFS or not isinstance(entry_id, int):
        return None
    key, path = CATALOG_HREFS[schema]
    return {key: f"{HREF_PREFIX}{path}/{entry_id}"}


def catalog_reference(schema: str, entry_id: int, name: str) -> dict[str, object]:
    """A reference to a catalog entry as ConnectWise embeds it (with its href where the path is known)."""
    ref: dict[str, object] = {"id": entry_id, "name": name}
    info = catalog_info(schema, entry_id)
    if info:
        ref["_info"] = info
    return ref


#: The communication type each communication type name belongs to (ContactCommunicationItem.communicationType).
COMMUNICATION_TYPES = {"Email": "Email", "Direct": "Phone", "Cell": "Phone", "Fax": "Fax"}
