"""A client's detail (C2): the company, its contacts, sites and agreements, read in parallel through the SDK.

Also the eight figures of the hero (status, type, phone, location, employees, contacts, agreements, total MRR),
worked out from those records for display. Not for: changing anything (``cwdesk.workflows``).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from cwdesk.conditions import C

# Detail reads run on these threads so the four calls overlap (the seed's Promise.all); the SDK's throttle still
# paces them per credential.
_pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="cwdesk-detail")


def _get(record: Any, name: str, default: Any = None) -> Any:
    return getattr(record, name, default) if record is not None else default


def _ref_name(reference: Any) -> str:
    return str(_get(reference, "name") or _get(reference, "identifier") or "")


@dataclass(frozen=True)
class HeroField:
    label: str
    value: str
    css: str = ""


@dataclass(frozen=True)
class ContactView:
    id: int
    first_name: str
    last_name: str
    title: str
    email: str
    phone: str
    inactive: bool
    primary: bool

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def initials(self) -> str:
        return ((self.first_name[:1] + self.last_name[:1]) or "?").upper()


@dataclass(frozen=True)
class ClientDetail:
    id: int
    name: str
    identifier: str
    status: str
    phone: str
    website: str
    hero: list[HeroField]
    contacts: list[ContactView]
    sites: list[dict[str, str]]
    agreements: list[dict[str, str]]


# Communication types that hold a phone number (ConnectWise names them by use, not by medium).
_PHONE_TYPES = frozenset({"phone", "direct", "mobile", "cell"})


def _communication(contact: Any, kind: str) -> str:
    """The default (else first) email or phone among a contact's communication items."""
    items = _get(contact, "communication_items") or []
    matches = []
    for item in items:
        item_type = _get(item, "communication_type") or _get(item, "type")
        type_name = item_type if isinstance(item_type, str) else _ref_name(item_type)
        if (type_name and type_name.lower() == kind.lower()) or (
            kind == "Phone" and type_name and type_name.lower() in {"phone", "direct", "mobile", "cell"}
        ):
            matches.append(item)
    for item in matches:
        if _get(item, "default_flag"):
            return str(_get(item, "value") or "")
    return str(_get(matches[0], "value") or "") if matches else ""


def _money(value: Any) -> Decimal:
    try:
        return Decimal(str(value)) if value is not None else Decimal(0)
    except InvalidOperation:
        return Decimal(0)


def _location(company: Any) -> str:
    city, state = _get(company, "city") or "", _get(company, "state") or ""
    return ", ".join(part for part in (city, state) if part)


def _company_type(company: Any) -> str:
    types = _get(company, "types")
    if types:
        return ", ".join(_ref_name(t) for t in types if _ref_name(t))
    return _ref_name(_get(company, "type"))


def load_client_detail(manage: Any, company_id: int) -> ClientDetail:
    """Read the company, its contacts, sites and agreements (four calls at once) and shape them for the page."""
    by_company = C("company/id") == company_id
    company_call = _pool.submit(manage.companies.get, company_id)
    contacts_call = _pool.submit(lambda: list(manage.contacts.list(where=by_company, order_by="lastName")))
    sites_call = _pool.submit(lambda: list(manage.companies.sites(company_id).list()))
    agreements_call = _pool.submit(lambda: list(manage.agreements.list(where=by_company, order_by="name")))
    company = company_call.result()
    contacts, sites, agreements = contacts_call.result(), sites_call.result(), agreements_call.result()

    default_contact_id = _get(_get(company, "default_contact"), "id")
    contact_views = [
        ContactView(
            id=int(_get(contact, "id")),
            first_name=str(_get(contact, "first_name") or ""),
            last_name=str(_get(contact, "last_name") or ""),
            title=str(_get(contact, "title") or ""),
            email=_communication(contact, "Email"),
            phone=_communication(contact, "Phone"),
            inactive=bool(_get(contact, "inactive_flag")),
            primary=bool(_get(contact, "default_flag")) or _get(contact, "id") == default_contact_id,
        )
        for contact in contacts
    ]
    contact_views.sort(key=lambda c: (not c.primary, c.inactive, c.last_name.lower(), c.first_name.lower()))

    live_agreements = [a for a in agreements if not _get(a, "cancelled_flag")]
    mrr = sum((_money(_get(a, "bill_amount")) for a in live_agreements), Decimal(0))
    status = _ref_name(_get(company, "status"))
    employees = _get(company, "number_of_employees")
    hero = [
        HeroField("Status", status or "—", f"status-{status.lower()}" if status else ""),
        HeroField("Type", _company_type(company) or "—"),
        HeroField("Phone", str(_get(company, "phone_number") or "—")),
        HeroField("Location", _location(company) or "—"),
        HeroField("Employees", str(employees) if employees is not None else "—"),
        HeroField("Contacts", str(len(contact_views))),
        HeroField("Agreements", str(len(live_agreements))),
        HeroField("Total MRR", f"${mrr:,.2f}"),
    ]
    return ClientDetail(
        id=int(_get(company, "id")),
        name=str(_get(company, "name") or ""),
        identifier=str(_get(company, "identifier") or ""),
        status=status,
        phone=str(_get(company, "phone_number") or ""),
        website=str(_get(company, "website") or ""),
        hero=hero,
        contacts=contact_views,
        sites=[
            {
                "name": str(_get(site, "name") or ""),
                "address": ", ".join(
                    str(part)
                    for part in (
                        _get(site, "address_line1"),
                        _get(site, "city"),
                        _get(_get(site, "state_reference"), "identifier"),
                        _get(site, "zip"),
                    )
                    if part
                ),
                "phone": str(_get(site, "phone_number") or ""),
                "primary": "yes" if _get(site, "primary_address_flag") else "",
            }
            for site in sites
        ],
        agreements=[
            {
                "name": str(_get(a, "name") or ""),
                "type": _ref_name(_get(a, "type")),
                "start": str(_get(a, "start_date") or "")[:10],
                "mrr": f"${_money(_get(a, 'bill_amount')):,.2f}",
                "state": "cancelled" if _get(a, "cancelled_flag") else "active",
            }
            for a in agreements
        ],
    )
