"""A client's detail (C2): the company, its contacts, sites and agreements, read in parallel through the SDK.

Also the eight figures of the hero (status, type, phone, location, employees, contacts, agreements, total MRR),
worked out from those records for display, and ``ClientPanels``: the details one console process keeps for a
short while, so 50 people opening the same client cost one set of ConnectWise calls, not 50.
Not for: changing anything (``cwdesk.workflows``); deciding when a change happened (``ClientList.invalidate``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from cwdesk.conditions import C
from cwdesk.errors import CWDeskError
from cwdesk.workflows.client_records import contact_pick_lists

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
    contact_type: str = ""
    relationship: str = ""
    department: str = ""

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def initials(self) -> str:
        return ((self.first_name[:1] + self.last_name[:1]) or "?").upper()


@dataclass(frozen=True)
class PickLists:
    """A contact's pick lists, by name (issue 15 §6); an empty list means this ConnectWise serves none (the form
    then takes the name as text, and the workflow checks it)."""

    types: list[str]
    relationships: list[str]
    departments: list[str]

    def as_dict(self) -> dict[str, list[str]]:
        """By the field names the bulk update and the contact forms use."""
        return {"type": self.types, "relationship": self.relationships, "department": self.departments}


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
    #: How many of ``agreements`` are active (``is_active_agreement``): the hero's count and the section's.
    active_agreements: int = 0


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


def is_active_agreement(agreement: Any) -> bool:
    """The one definition the hero's "Agreements" count, its MRR and the Agreements section share: not cancelled,
    and not in a status other than Active (ConnectWise's ``agreementStatus``: Active, Cancelled, Expired, Inactive,
    ...; an agreement without one counts by its ``cancelledFlag`` alone)."""
    if _get(agreement, "cancelled_flag"):
        return False
    status = _get(agreement, "agreement_status")
    return status is None or str(status).lower() == "active"


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
            contact_type=_ref_name((_get(contact, "types") or [None])[0]),
            relationship=_ref_name(_get(contact, "relationship")),
            department=_ref_name(_get(contact, "department")),
        )
        for contact in contacts
    ]
    contact_views.sort(key=lambda c: (not c.primary, c.inactive, c.last_name.lower(), c.first_name.lower()))

    live_agreements = [a for a in agreements if is_active_agreement(a)]
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
                "state": _agreement_state(a),
            }
            for a in agreements
        ],
        active_agreements=len(live_agreements),
    )


def _agreement_state(agreement: Any) -> str:
    if _get(agreement, "cancelled_flag"):
        return "cancelled"
    return "active" if is_active_agreement(agreement) else str(_get(agreement, "agreement_status")).lower()


class ClientPanels:
    """Client details and company status names, kept ``ttl`` seconds per console process and read once at a time.

    Identical reads that arrive while one is under way wait for it and share its answer (or its error). After
    ``invalidate`` nothing read before it is served again: a read that was under way is not kept, and new
    requests start a fresh one. Failures are never kept.
    """

    def __init__(
        self,
        manage: Any,
        *,
        ttl: float = 30.0,
        max_entries: int = 5_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._manage = manage
        self._ttl = ttl
        self._max_entries = max_entries
        self._clock = clock
        self._lock = threading.Lock()
        self._generation = 0
        self._kept: dict[object, tuple[float, Any]] = {}
        self._reading: dict[tuple[int, object], Future[Any]] = {}

    def detail(self, company_id: int) -> ClientDetail:
        """The company's detail (``load_client_detail``), from the last ``ttl`` seconds when nothing changed since."""
        detail: ClientDetail = self._read(("detail", company_id), lambda: load_client_detail(self._manage, company_id))
        return detail

    def status_names(self) -> list[str]:
        """Company status names for the edit form, by name; empty when ConnectWise cannot be read (not kept)."""
        try:
            names: list[str] = self._read(("statuses",), self._load_status_names)
        except CWDeskError:
            return []
        return list(names)

    def pick_lists(self) -> PickLists:
        """The contact pick lists (``client_records.contact_pick_lists``); a list that cannot be read is empty."""
        try:
            lists: PickLists = self._read(("pick_lists",), self._load_pick_lists)
        except CWDeskError:
            return PickLists([], [], [])
        return lists

    def kept_pick_lists(self) -> PickLists | None:
        """The kept pick lists when they are fresh, else None: never waits for ConnectWise."""
        lists: PickLists | None = self._peek(("pick_lists",))
        return lists

    def _load_pick_lists(self) -> PickLists:
        found: dict[str, list[str]] = {}
        for field, names in contact_pick_lists(self._manage).items():
            found[field] = sorted(names.names, key=str.lower) if names is not None else []
        return PickLists(found["type"], found["relationship"], found["department"])

    def kept_detail(self, company_id: int) -> ClientDetail | None:
        """The kept detail when it is fresh, else None: never waits for ConnectWise (safe on the event loop)."""
        detail: ClientDetail | None = self._peek(("detail", company_id))
        return detail

    def kept_status_names(self) -> list[str] | None:
        """The kept status names when they are fresh, else None: never waits for ConnectWise."""
        names: list[str] | None = self._peek(("statuses",))
        return list(names) if names is not None else None

    def invalidate(self) -> None:
        """Forget every kept detail and ignore reads under way (after a change made through the console)."""
        with self._lock:
            self._generation += 1
            self._kept.clear()

    def _load_status_names(self) -> list[str]:
        return [str(status.name) for status in self._manage.company_statuses.list(order_by="name") if status.name]

    def _peek(self, key: object) -> Any:
        with self._lock:
            kept = self._kept.get(key)
            return kept[1] if kept is not None and self._clock() - kept[0] < self._ttl else None

    def _read(self, key: object, load: Callable[[], Any]) -> Any:
        with self._lock:
            kept = self._kept.get(key)
            if kept is not None and self._clock() - kept[0] < self._ttl:
                return kept[1]
            reading_key = (self._generation, key)
            reading = self._reading.get(reading_key)
            leader = reading is None
            if reading is None:
                reading = self._reading[reading_key] = Future()
        if not leader:
            return reading.result()
        started = self._clock()
        try:
            value = load()
        except BaseException as error:
            with self._lock:
                self._reading.pop(reading_key, None)
            reading.set_exception(error)
            raise
        with self._lock:
            self._reading.pop(reading_key, None)
            if self._generation == reading_key[0]:
                if len(self._kept) >= self._max_entries:
                    self._kept.pop(next(iter(self._kept)))
                self._kept[key] = (started, value)
        reading.set_result(value)
        return value
