"""Deterministic, realistic MSP data for the sandbox: the 8-client ``demo`` set, or N generated companies.

``demo``: 8 clients (Active, Inactive and Prospect; 1–3 contacts each with one primary; sites; agreements with bill
amounts except two clients; tickets on "Service Desk"), plus the setup records an MSP has (statuses, types, boards,
agreement types "Managed Service", "Block Hours", "Per Device", members, security roles, locations, departments,
ConnectWise's five stock priorities), and the matching Automate clients, locations and computers (through the
Automate emulator's ``seed_clients``).
``N``: N companies with about 5 contacts each (``--seed 10000``: 10,000 companies, ~50,000 contacts).
The same ``random_seed`` always gives the same data.
Not for: rules about records (``backend/``); the seeded records are written in the shape the backend produces.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar, Protocol

from cwdesk.sandbox.backend.defaults import fill, new_info
from cwdesk.sandbox.backend.kinds import KINDS, catalog_reference
from cwdesk.sandbox.backend.manage import ManageBackend
from cwdesk.sandbox.backend.records import Problems
from cwdesk.sandbox.backend.references import reference_to
from cwdesk.sandbox.backend.related import agreement_type_defaults, ticket_rules
from cwdesk.sandbox.backend.store import create_manage_tables, drop_indexes

#: Every seeded date is relative to this instant, so the data does not depend on the day it was made.
ANCHOR = datetime(2025, 6, 2, 14, 30, tzinfo=UTC)

MANAGE_COMPANY = "sandbox"
PUBLIC_KEY = "sandbox-public"
PRIVATE_KEY = "sandbox-private"
READ_ONLY_PUBLIC_KEY = "sandbox-readonly-public"
READ_ONLY_PRIVATE_KEY = "sandbox-readonly-private"


_US = catalog_reference("CountryReference", 1, "United States")


class AutomateSeeder(Protocol):
    """What the seed generator needs of the Automate emulator: seeding its clients, and how many computers each
    client got (the Manage demo's per-device agreement additions are checked against it)."""

    def seed_clients(self, rows: list[dict[str, Any]], rng: random.Random) -> None: ...

    def computer_counts(self) -> dict[str, int]: ...


DEMO_CLIENTS: tuple[dict[str, Any], ...] = (
    {"identifier": "AcmeDental", "name": "Acme Dental Group", "status": "Active", "type": "Client",
     "city": "Tampa", "state": "FL", "zip": "33602", "address": "401 E Jackson St", "phone": "8135550142",
     "agreement": ("Managed Service", 2450.0), "contacts": 3, "site": "Main Office", "billed_devices": 0,
     "automate": {"groups": ["Imaging Workstations"]}},
    {"identifier": "BrightPath", "name": "BrightPath Logistics", "status": "Active", "type": "Client",
     "city": "Columbus", "state": "OH", "zip": "43215", "address": "88 N High St", "phone": "6145550188",
     "agreement": ("Per Device", 1875.0), "contacts": 2, "site": "Warehouse", "billed_devices": 0},
    {"identifier": "CedarLaw", "name": "Cedar & Finch Law", "status": "Active", "type": "Client",
     "city": "Portland", "state": "OR", "zip": "97204", "address": "1120 SW 5th Ave", "phone": "5035550119",
     "agreement": ("Block Hours", 900.0), "contacts": 3, "site": "Main Office",
     "automate": {"agents": False, "note": "No Automate agents: the firm's own IT staff look after its PCs (a "
                  "Block Hours client)."}},
    {"identifier": "DeltaMfg", "name": "Delta Precision Manufacturing", "status": "Active", "type": "Client",
     "city": "Grand Rapids", "state": "MI", "zip": "49503", "address": "250 Monroe Ave NW", "phone": "6165550173",
     "agreement": ("Managed Service", 3980.0), "contacts": 2, "site": "Plant 1", "billed_devices": -2,
     "automate": {"groups": ["Plant Floor"]}},
    {"identifier": "EvergreenVet", "name": "Evergreen Veterinary Clinic", "status": "Active", "type": "Client",
     "city": "Boise", "state": "ID", "zip": "83702", "address": "901 W Bannock St", "phone": "2085550137",
     "agreement": ("Per Device", 640.0), "contacts": 1, "site": "Clinic", "billed_devices": 3},
    {"identifier": "FultonCPA", "name": "Fulton Street CPAs", "status": "Inactive", "type": "Client",
     "city": "Albany", "state": "NY", "zip": "12207", "address": "75 State St", "phone": "5185550166",
     "agreement": ("Block Hours", 450.0), "contacts": 2, "site": "Main Office",
     "automate": {"agents": False, "note": "Inactive in Manage: its agents were uninstalled when the contract "
                  "ended."}},
    {"identifier": "GranitePeak", "name": "Granite Peak Outfitters", "status": "Active", "type": "Prospect",
     "city": "Denver", "state": "CO", "zip": "80202", "address": "1600 Wynkoop St", "phone": "3035550124",
     "agreement": None, "contacts": 2, "site": "Store"},
    {"identifier": "HarborSchools", "name": "Harbor Montessori Schools", "status": "Active", "type": "Prospect",
     "city": "Charleston", "state": "SC", "zip": "29401", "address": "12 Meeting St", "phone": "8435550191",
     "agreement": None, "contacts": 1, "site": "Campus"},
)  # fmt: skip
# ``billed_devices``: how the device count billed on the agreement (its addition's quantity) differs from the
# client's Automate computer count: 0 bills exactly what Automate manages, -2 bills two fewer, 3 bills three more.
# ``automate``: how the client looks in Automate. Every Manage client (Active or Inactive) has an Automate twin;
# prospects have none (no agents before a contract). ``agents: False`` gives it no computers and ``note`` says why
# (its Automate Comment); ``groups`` are groups specific to the client (ClientToSync), holding its computers.

_FIRST = ("Ava", "Liam", "Maya", "Noah", "Priya", "Omar", "Grace", "Ethan", "Sofia", "Lucas", "Chloe", "Mateo",
          "Hannah", "Daniel", "Zoe", "Isaac", "Nora", "Caleb", "Leah", "Julian", "Aisha", "Ryan", "Elena", "Marcus",
          "Olivia", "James", "Amelia", "Benjamin", "Harper", "Henry", "Evelyn", "Samuel", "Abigail", "Jack",
          "Emily", "Owen", "Ella", "Wyatt", "Scarlett", "Levi", "Aria", "Gabriel", "Lily", "Anthony", "Layla",
          "Dylan", "Riley", "Thomas", "Zara", "Hugo", "Mila", "Felix", "Ines", "Kofi", "Yuki", "Ravi", "Fatima",
          "Diego", "Camila", "Tariq", "Mei", "Andrei", "Sara", "Victor", "Nadia", "Paul", "Rosa", "Ken")  # fmt: skip
_LAST = ("Johnson", "Patel", "Nguyen", "Garcia", "Okafor", "Smith", "Kowalski", "Brennan", "Tanaka", "Lopez",
         "Fischer", "Haddad", "Murphy", "Rossi", "Chen", "Walker", "Singh", "Bauer", "Diaz", "Kim", "Foster",
         "Williams", "Brown", "Jones", "Miller", "Davis", "Rodriguez", "Martinez", "Hernandez", "Wilson", "Anderson",
         "Thomas", "Taylor", "Moore", "Jackson", "Martin", "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez",
         "Clark", "Ramirez", "Lewis", "Robinson", "Young", "Allen", "King", "Wright", "Scott", "Torres", "Hill",
         "Flores", "Green", "Adams", "Nelson", "Baker", "Hall", "Rivera", "Campbell", "Mitchell", "Carter",
         "Roberts", "Gomez", "Phillips", "Evans", "Turner", "Parker", "Collins", "Edwards", "Stewart", "Morris",
         "Murray", "Reyes", "Cook", "Rogers", "Morgan", "Peterson", "Cooper", "Reed", "Bailey", "Bell", "Kelly",
         "Howard", "Ward", "Cox", "Richardson", "Wood", "Watson", "Brooks", "Bennett", "Gray", "James", "Hughes",
         "Price", "Sanders", "Myers", "Long", "Ross", "Schmidt", "Novak", "Horvat", "Larsen", "Andersen", "Dubois",
         "Moreau", "Silva", "Santos", "Costa", "Ivanova", "Petrov", "Yilmaz", "Demir", "Mensah", "Abara", "Sato",
         "Suzuki", "Takahashi", "Watanabe", "Wang", "Li", "Zhang", "Liu", "Kumar", "Sharma", "Gupta", "Khan",
         "Ali", "Hassan", "Cohen", "Levi", "Friedman", "OBrien", "Kennedy", "Walsh", "Byrne", "Doyle")  # fmt: skip
_TITLES = (
    "Office Manager",
    "Owner",
    "Controller",
    "Operations Director",
    "IT Coordinator",
    "Practice Manager",
    "Bookkeeper",
    "Principal",
    "CFO",
    "Front Desk Lead",
)
_WORDS = (
    "Summit",
    "Harbor",
    "Pioneer",
    "Blue",
    "Granite",
    "Maple",
    "Copper",
    "Silver",
    "North",
    "Prairie",
    "Coastal",
    "Redwood",
    "Lakeside",
    "Union",
    "Liberty",
    "Oak",
    "River",
    "Sterling",
    "Beacon",
    "Crescent",
)
_TRADES = (
    "Dental",
    "Logistics",
    "Law",
    "Manufacturing",
    "Veterinary",
    "Accounting",
    "Realty",
    "Construction",
    "Pediatrics",
    "Insurance",
    "Engineering",
    "Bakery",
    "Auto Repair",
    "Architects",
    "Chiropractic",
)
_SUFFIX = ("LLC", "Inc", "Group", "Partners", "Co", "Associates")
_CITIES = (
    ("Tampa", "FL", "33602"),
    ("Austin", "TX", "78701"),
    ("Denver", "CO", "80202"),
    ("Raleigh", "NC", "27601"),
    ("Madison", "WI", "53703"),
    ("Reno", "NV", "89501"),
    ("Omaha", "NE", "68102"),
    ("Tucson", "AZ", "85701"),
    ("Boise", "ID", "83702"),
    ("Dayton", "OH", "45402"),
)
_TICKETS = ("Printer offline in front office", "New hire laptop setup", "Outlook keeps asking for password",
            "VPN drops every afternoon", "Replace failing UPS battery", "Shared drive permissions for accounting",
            "Phishing email reported", "Wi-Fi slow in conference room")  # fmt: skip


class _Ids:
    """Sequential ids per kind, as ConnectWise hands them out."""

    def __init__(self) -> None:
        self.next: dict[str, int] = {}

    def __call__(self, kind: str) -> int:
        value = self.next.get(kind, 0) + 1
        self.next[kind] = value
        return value


class Seeder:
    """Writes one data set into an empty sandbox."""

    def __init__(self, backend: ManageBackend, rng: random.Random, automate: AutomateSeeder | None) -> None:
        self.backend = backend
        self.rng = rng
        self.automate = automate
        self.ids = _Ids()
        self.by_name: dict[tuple[str, str], dict[str, Any]] = {}
        self.automate_specs: list[dict[str, Any]] = []
        self._refs: dict[tuple[str, str, str], dict[str, Any]] = {}
        self.automate_seed = 0
        # mobileGuids come from their own generator, so the rest of the data is drawn as before they existed.
        self.guids = random.Random(0)
        self.board_refs: dict[tuple[str, str, str], dict[str, Any]] = {}
        """(board, kind, name) -> reference to that board's status, team or type."""
        self.device_agreements: list[tuple[dict[str, Any], dict[str, Any]]] = []
        """(demo client spec, its agreement) for the agreements billed per device."""

    # -------------------------------------------------------------------------------------------- helpers
    def _when(self, max_days: int = 1000) -> str:
        offset = timedelta(days=self.rng.randint(1, max_days), minutes=self.rng.randint(0, 1439))
        return (ANCHOR - offset).strftime("%Y-%m-%dT%H:%M:%SZ")

    def _record(self, kind: str, fields: dict[str, Any], who: str = "admin") -> dict[str, Any]:
        entered = self._when()
        record = {"id": self.ids(kind), **fields}
        self._complete(kind, record, entered, who)
        return record

    def _guid(self) -> str:
        return str(uuid.UUID(int=self.guids.getrandbits(128), version=4))

    def _complete(self, kind_name: str, record: dict[str, Any], entered: str, who: str) -> None:
        """Fill what ConnectWise fills on a write (``backend/defaults.py``), as the backend does for the API."""
        kind = KINDS[kind_name]
        problems = Problems(resource=kind_name)
        fill(kind, record, problems, now=ANCHOR, guid=self._guid)
        problems.raise_if_any()
        record["_info"] = new_info(kind, entered, who, record["id"])

    def _ref(self, kind: str, name: str, schema: str) -> dict[str, Any]:
        key = (kind, name, schema)
        cached = self._refs.get(key)
        if cached is None:
            cached = self._refs[key] = reference_to(KINDS[kind], self.by_name[(kind, name)], schema)
        return cached

    def _save(self, kind: str, records: list[dict[str, Any]], key: str = "name") -> None:
        self.backend.insert_seeded(KINDS[kind], records)
        for record in records:
            if key in record:
                self.by_name[(kind, str(record[key]))] = record

    # ---------------------------------------------------------------------------------------------- setup
    def priorities(self) -> None:
        """ConnectWise's five stock ticket priorities ("Priority 3 - Normal Response" is the default).

        Every ConnectWise has them, so even the empty sandbox gets them. Their dates are fixed rather than drawn:
        the generator's stream, and so the rest of the data, is the same as without them.
        """
        stock = [
            ("Priority 1 - Emergency Response", "Red"),
            ("Priority 2 - Quick Response", "Orange"),
            ("Priority 3 - Normal Response", "Green"),
            ("Priority 4 - Schedule Maintenance", "Blue"),
            ("Priority 5 - Next Time", "Gray"),
        ]
        entered = (ANCHOR - timedelta(days=3650)).strftime("%Y-%m-%dT%H:%M:%SZ")
        records = [{"id": self.ids("priority"), "name": n, "color": c, "sortOrder": i + 1, "defaultFlag": i == 2,
                    "level": f"Level{i + 1}"} for i, (n, c) in enumerate(stock)]  # fmt: skip
        for record in records:
            self._complete("priority", record, entered, "admin")
        self._save("priority", records)

    def setup(self) -> None:
        """Statuses, types, roles, members, locations, departments, boards, agreement types, API keys."""
        roles = ("Admin", "Technician", "Read Only")
        self._save("security_role", [self._record("security_role", {"name": n, "roleType": "Corporate",
                   "adminFlag": n == "Admin", "inactiveFlag": False}) for n in roles])  # fmt: skip
        self._save("location", [self._record("location", {"name": n, "structureLevel": {"id": 1, "name": "Corporate"},
                   "locationFlag": True, "clientFlag": False}) for n in ("Main", "Remote")])  # fmt: skip
        self._save("department", [self._record("department", {"identifier": i, "name": n})
                   for i, n in (("SVC", "Services"), ("SLS", "Sales"), ("ADM", "Administration"))])  # fmt: skip
        statuses = [("Active", True), ("Inactive", False), ("Credit Hold", False)]
        self._save("company_status", [self._record("company_status", {"name": n, "defaultFlag": d,
                   "inactiveFlag": n == "Inactive", "notifyFlag": False, "disallowSavingFlag": False,
                   "customNoteFlag": False, "cancelOpenTracksFlag": False}) for n, d in statuses])  # fmt: skip
        self._save("company_type", [self._record("company_type", {"name": n, "defaultFlag": n == "Client",
                   "vendorFlag": n == "Vendor", "serviceAlertFlag": False})
                   for n in ("Client", "Prospect", "Vendor", "Partner")])  # fmt: skip
        self._save("contact_type", [self._record("contact_type", {"description": n, "defaultFlag": n == "End User",
                   "serviceAlertFlag": False}) for n in ("Owner", "Billing", "Technical", "End User")],
                   key="description")  # fmt: skip
        zones = [
            ("US Eastern", "Eastern Standard Time", -5.0),
            ("US Central", "Central Standard Time", -6.0),
            ("US Mountain", "Mountain Standard Time", -7.0),
            ("US Pacific", "Pacific Standard Time", -8.0),
            ("US Arizona", "US Mountain Standard Time", -7.0),
            ("GMT Standard Time", "GMT Standard Time", 0.0),
        ]
        self._save("time_zone", [self._record("time_zone", {"name": n, "timeZone": {"id": i + 1, "name": z},
                   "offset": o, "defaultFlag": i == 0, "daylightSavingsFlag": n != "US Arizona"})
                   for i, (n, z, o) in enumerate(zones)])  # fmt: skip
        self._save("contact_relationship", [self._record("contact_relationship", {"name": n})
                   for n in ("Decision Maker", "Influencer", "Owner", "Employee")])  # fmt: skip
        members = [("admin", "Dana", "Whitfield", "Admin"), ("jsmith", "Jordan", "Smith", "Technician"),
                   ("akhan", "Amir", "Khan", "Technician"), ("mlopez", "Marisol", "Lopez", "Technician"),
                   ("readonly", "Riley", "Auditor", "Read Only")]  # fmt: skip
        self._save("member", [self._record("member", {"identifier": i, "firstName": f, "lastName": last,
                   "licenseClass": "F", "hireDate": self._when(2000), "defaultEmail": "Office",
                   "defaultPhone": "Office",
                   "officeEmail": f"{i}@sandbox-msp.example", "securityRole": self._ref("security_role", r,
                   "SecurityRoleReference"), "inactiveFlag": False,
                   "timeZone": self._ref("time_zone", "US Eastern", "TimeZoneSetupReference")})
                   for i, f, last, r in members], key="identifier")  # fmt: skip
        self.backend.add_api_key(MANAGE_COMPANY, PUBLIC_KEY, PRIVATE_KEY, self.by_name[("member", "admin")]["id"])
        self.backend.add_api_key(
            MANAGE_COMPANY, READ_ONLY_PUBLIC_KEY, READ_ONLY_PRIVATE_KEY, self.by_name[("member", "readonly")]["id"]
        )
        location = self._ref("location", "Main", "SystemLocationReference")
        department = self._ref("department", "Services", "SystemDepartmentReference")
        self._save("board", [self._record("board", {"name": n, "location": location, "department": department,
                   "inactiveFlag": False, "projectFlag": n == "Projects"})
                   for n in ("Service Desk", "Projects", "Alerts")])  # fmt: skip
        self.board_setup()
        agreement_types = [("Managed Service", 0.0), ("Block Hours", 0.0), ("Per Device", 0.0)]
        self._save("agreement_type", [self._record("agreement_type", {"name": n, "employeeCompRate": "Hourly",
                   "employeeCompNotExceed": "Billing", "invoicingCycle": "ContractYear", "billTime": "Billable",
                   "billExpenses": "Billable", "billProducts": "Billable", "billAmount": amount,
                   "applicationUnits": "Hours" if n == "Block Hours" else "Amount", "inactiveFlag": False,
                   "defaultFlag": n == "Managed Service"}) for n, amount in agreement_types])  # fmt: skip

    #: Each board's statuses (name, closed), teams (name, leader, members; the first is the default) and types,
    #: as an MSP sets them up; ticket statuses are a board's own (``.../service/boards/30/statuses/550``).
    _STATUSES = (("New", False), ("In Progress", False), ("Waiting on Client", False), ("Closed - Resolved", True))
    _TEAMS: ClassVar[dict[str, tuple[tuple[str, str, tuple[str, ...]], ...]]] = {
        "Service Desk": (("Help Desk", "jsmith", ("jsmith", "mlopez")), ("Escalations", "akhan", ("akhan",))),
        "Projects": (("Project Team", "akhan", ("akhan", "jsmith")),),
        "Alerts": (("NOC", "mlopez", ("mlopez",)),),
    }
    _TYPES: ClassVar[dict[str, tuple[str, ...]]] = {
        "Service Desk": ("Incident", "Request", "Problem"),
        "Projects": ("Project",),
        "Alerts": ("Alert",),
    }

    def board_setup(self) -> None:
        """Every board's statuses, teams and types. Their dates are fixed rather than drawn, so the generator's
        stream (and every other record) is the same as before boards had them."""
        entered = (ANCHOR - timedelta(days=3000)).strftime("%Y-%m-%dT%H:%M:%SZ")
        statuses: list[dict[str, Any]] = []
        teams: list[dict[str, Any]] = []
        types: list[dict[str, Any]] = []
        board_names: dict[int, str] = {}
        for board_name in ("Service Desk", "Projects", "Alerts"):
            board = self.by_name[("board", board_name)]
            board_ref = reference_to(KINDS["board"], board, "BoardReference")
            board_names[board["id"]] = board_name
            for order, (name, closed) in enumerate(self._STATUSES):
                statuses.append({"id": self.ids("board_status"), "name": name, "board": board_ref,
                                 "sortOrder": order, "closedStatus": closed, "defaultFlag": order == 0})  # fmt: skip
            for order, (name, leader, members) in enumerate(self._TEAMS[board_name]):
                teams.append({"id": self.ids("board_team"), "name": name, "boardId": board["id"],
                              "teamLeader": self._ref("member", leader, "MemberReference"),
                              "members": [self.by_name[("member", m)]["id"] for m in members],
                              "defaultFlag": order == 0, "locationId": board["location"]["id"]})  # fmt: skip
            for order, name in enumerate(self._TYPES[board_name]):
                types.append({"id": self.ids("board_type"), "name": name, "board": board_ref,
                              "category": "Reactive", "defaultFlag": order == 0})  # fmt: skip
        for kind_name, records in (("board_status", statuses), ("board_team", teams), ("board_type", types)):
            for record in records:
                self._complete(kind_name, record, entered, "admin")
            self.backend.insert_seeded(KINDS[kind_name], records)
            schema = {"board_status": "ServiceStatusReference", "board_team": "ServiceTeamReference",
                      "board_type": "ServiceTypeReference"}[kind_name]  # fmt: skip
            for record in records:
                board_id = record["boardId"] if kind_name == "board_team" else record["board"]["id"]
                self.board_refs[(board_names[board_id], kind_name, record["name"])] = reference_to(
                    KINDS[kind_name], record, schema
                )

    # ---------------------------------------------------------------------------------------------- clients
    def company(self, spec: dict[str, Any]) -> dict[str, Any]:
        return self._record("company", {
            "identifier": spec["identifier"], "name": spec["name"],
            "status": self._ref("company_status", spec["status"], "CompanyStatusReference"),
            "types": [self._ref("company_type", spec["type"], "CompanyTypeReference")],
            "addressLine1": spec["address"], "city": spec["city"], "state": spec["state"], "zip": spec["zip"],
            "country": _US, "phoneNumber": spec["phone"],
            "website": f"www.{spec['identifier'].lower()}.example",
            "timeZoneSetup": self._ref("time_zone", "US Eastern", "TimeZoneSetupReference"),
            "territory": self._ref("location", "Main", "SystemLocationReference"),
            "deletedFlag": False, "leadFlag": spec["type"] == "Prospect", "unsubscribeFlag": False,
            "isVendorFlag": False, "customFields": self._company_custom_fields(spec),
        })  # fmt: skip

    #: The demo clients' "Account Tier" per agreement type, so customFieldConditions finds demo data.
    _TIERS: ClassVar[dict[str, str]] = {"Managed Service": "Gold", "Per Device": "Silver", "Block Hours": "Bronze"}

    def _company_custom_fields(self, spec: dict[str, Any]) -> list[dict[str, Any]]:
        agreement = spec.get("agreement")
        if not agreement:
            return []
        return [{"caption": "Account Tier", "value": self._TIERS[agreement[0]]},
                {"caption": "Managed Backup", "value": agreement[0] == "Managed Service"}]  # fmt: skip

    def site(self, company: dict[str, Any], name: str) -> dict[str, Any]:
        return self._record("site", {
            "name": name, "addressLine1": company.get("addressLine1"), "city": company.get("city"),
            "stateReference": {"identifier": company.get("state"), "name": company.get("state")},
            "zip": company.get("zip"), "country": _US,
            "phoneNumber": company.get("phoneNumber"), "primaryAddressFlag": True, "defaultBillingFlag": True,
            "defaultShippingFlag": True, "defaultMailingFlag": True, "inactiveFlag": False,
            "company": reference_to(KINDS["company"], company, "CompanyReference"),
        })  # fmt: skip

    def contact(
        self,
        company: dict[str, Any],
        site: dict[str, Any] | None,
        primary: bool,
        company_ref: dict[str, Any] | None = None,
        site_ref: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        first, last = self.rng.choice(_FIRST), self.rng.choice(_LAST)
        domain = str(company.get("website", "example.com")).removeprefix("www.")
        email = f"{first.lower()}.{last.lower()}{self.rng.randint(1, 99)}@{domain}"
        phone = f"{company.get('phoneNumber', '5555550100')[:6]}{self.rng.randint(1000, 9999)}"
        record = self._record("contact", {
            "firstName": first, "lastName": last, "title": self.rng.choice(_TITLES),
            "company": company_ref or reference_to(KINDS["company"], company, "CompanyReference"),
            "inactiveFlag": False, "defaultFlag": primary, "defaultBillingFlag": primary,
            "city": company.get("city"), "state": company.get("state"), "zip": company.get("zip"),
            "relationship": self._ref("contact_relationship", "Decision Maker" if primary else "Employee",
                                      "RelationshipReference"),
            "types": [self._ref("contact_type", "Owner" if primary else "End User", "ContactTypeReference")],
            "communicationItems": [
                {"id": 1, "type": {"id": 1, "name": "Email"}, "value": email, "defaultFlag": True,
                 "communicationType": "Email"},
                {"id": 2, "type": {"id": 2, "name": "Direct"}, "value": phone, "defaultFlag": True,
                 "communicationType": "Phone"},
            ],
        })  # fmt: skip
        if site is not None:
            record["site"] = site_ref or reference_to(KINDS["site"], site, "SiteReference")
        return record

    def demo(self) -> None:
        """The 8-client demo set (and its Automate twin)."""
        companies, sites, contacts, agreements, tickets = [], [], [], [], []
        owners = ["jsmith", "akhan", "mlopez"]
        for spec in DEMO_CLIENTS:
            company = self.company(spec)
            site = self.site(company, spec["site"])
            people = [self.contact(company, site, primary=i == 0) for i in range(spec["contacts"])]
            company["defaultContact"] = reference_to(KINDS["contact"], people[0], "ContactReference")
            company["site"] = reference_to(KINDS["site"], site, "SiteReference")
            companies.append(company)
            sites.append(site)
            contacts.extend(people)
            if spec["agreement"]:
                type_name, amount = spec["agreement"]
                agreement = self._record("agreement", {
                    "name": f"{spec['name']} - {type_name}",
                    "type": self._ref("agreement_type", type_name, "AgreementTypeReference"),
                    "company": reference_to(KINDS["company"], company, "CompanyReference"),
                    "contact": reference_to(KINDS["contact"], people[0], "ContactReference"),
                    "startDate": self._when(700), "noEndingDateFlag": True, "billAmount": amount,
                    "cancelledFlag": spec["status"] == "Inactive", "billingCycle": {"id": 1, "name": "Monthly"},
                    "applicationUnits": "Hours" if type_name == "Block Hours" else "Amount",
                    "applicationUnlimitedFlag": type_name != "Block Hours",
                })  # fmt: skip
                agreement_type_defaults(self.backend.db, agreement)
                agreements.append(agreement)
                if "billed_devices" in spec:
                    self.device_agreements.append((spec, agreement))
            for number in range(self.rng.randint(0, 2)):
                closed = number == 1
                status = "Closed - Resolved" if closed else "New"
                tickets.append(self._record("ticket", {
                    "summary": self.rng.choice(_TICKETS),
                    "board": self._ref("board", "Service Desk", "BoardReference"),
                    "status": self.board_refs[("Service Desk", "board_status", status)],
                    "company": reference_to(KINDS["company"], company, "CompanyReference"),
                    "contact": reference_to(KINDS["contact"], people[0], "ContactReference"),
                    "owner": self._ref("member", self.rng.choice(owners), "MemberReference"),
                    "priority": self._ref("priority", "Priority 3 - Normal Response", "PriorityReference"),
                    "severity": "Medium", "impact": "Medium",
                    "closedFlag": closed,
                }))  # fmt: skip
        self._save("company", companies, key="identifier")
        self._save("site", sites)
        self._save("contact", contacts, key="id")
        self._save("agreement", agreements)
        for ticket in tickets:
            # The backend's own rule gives each ticket its board's default team, location and department and
            # its company's site, as on a create through the API.
            problems = Problems(resource="ticket")
            ticket_rules(self.backend.db, ticket, problems, creating=True)
            problems.raise_if_any()
        self._save("ticket", tickets, key="id")
        # Active clients first, in their order, then the inactive one: its Automate record was added later, so the
        # active clients' Automate data did not move.
        clients = [s for s in DEMO_CLIENTS if s["type"] == "Client"]
        self.automate_specs = [s for s in clients if s["status"] == "Active"]
        self.automate_specs += [s for s in clients if s["status"] != "Active"]
        self.demo_details(companies, tickets)

    _NOTES = (
        "Prefers email over phone for non-urgent issues.",
        "After-hours contact is the office manager.",
        "Quarterly business review scheduled each March.",
        "Front door code is kept in the documentation.",
    )

    def demo_details(self, companies: list[dict[str, Any]], tickets: list[dict[str, Any]]) -> None:
        """Ticket notes, company notes and account teams of the demo set (drawn after everything else)."""
        notes = []
        for ticket in tickets:
            owner = self.by_name[("member", ticket["owner"]["identifier"])]
            texts = [("detailDescriptionFlag", f"Client reports: {ticket['summary'].lower()}.")]
            if ticket.get("closedFlag"):
                texts.append(("resolutionFlag", "Resolved remotely; client confirmed."))
            for flag, text in texts:
                created = ticket["_info"]["dateEntered"]
                note = {"id": self.ids("ticket_note"), "ticketId": ticket["id"], "text": text, flag: True,
                        "member": reference_to(KINDS["member"], owner, "MemberReference"),
                        "dateCreated": created, "createdBy": owner["identifier"],
                        "internalFlag": True, "externalFlag": flag == "resolutionFlag"}  # fmt: skip
                self._complete("ticket_note", note, created, owner["identifier"])
                notes.append(note)
        self.backend.insert_seeded(KINDS["ticket_note"], notes)
        company_notes, teams = [], []
        managers = ("jsmith", "akhan", "mlopez")
        for number, company in enumerate(companies):
            company_ref = reference_to(KINDS["company"], company, "CompanyReference")
            company_notes.append(self._record("company_note", {
                "text": self.rng.choice(self._NOTES), "company": company_ref, "flagged": number % 3 == 0,
                "type": {"id": 1, "name": "General"}}))  # fmt: skip
            member = self.by_name[("member", managers[number % len(managers)])]
            teams.append(self._record("company_team", {
                "company": company_ref, "teamRole": {"id": 1, "name": "Account Manager"},
                "member": reference_to(KINDS["member"], member, "MemberReference"),
                "contact": company["defaultContact"], "accountManagerFlag": True, "techFlag": True}))  # fmt: skip
        self.backend.insert_seeded(KINDS["company_note"], company_notes)
        self.backend.insert_seeded(KINDS["company_team"], teams)

    def device_additions(self, computers: dict[str, int]) -> None:
        """Per-device lines on the demo agreements: the quantity billed is the client's Automate computer count
        plus its ``billed_devices`` offset, so some clients are billed for what Automate manages and some not."""
        additions = []
        for spec, agreement in self.device_agreements:
            quantity = max(0, computers.get(spec["name"], 0) + spec["billed_devices"])
            additions.append(self._record("agreement_addition", {
                "product": {"id": 1, "identifier": "MGD-WORKSTATION"}, "description": "Managed workstation",
                "quantity": float(quantity), "unitPrice": 45.0, "unitCost": 12.0, "billCustomer": "Billable",
                "effectiveDate": agreement["startDate"], "agreementId": agreement["id"],
                "agreementStatus": agreement["agreementStatus"]}))  # fmt: skip
        self.backend.insert_seeded(KINDS["agreement_addition"], additions)

    def many(self, count: int) -> None:
        """``count`` generated companies with about 5 contacts each."""
        batch_companies: list[dict[str, Any]] = []
        batch_sites: list[dict[str, Any]] = []
        batch_contacts: list[dict[str, Any]] = []
        automate: list[dict[str, Any]] = []
        statuses = ("Active",) * 8 + ("Inactive",)
        for number in range(1, count + 1):
            city, state, zip_code = self.rng.choice(_CITIES)
            name = f"{self.rng.choice(_WORDS)} {self.rng.choice(_TRADES)} {self.rng.choice(_SUFFIX)}"
            spec = {
                "identifier": f"{''.join(w[:4] for w in name.split()[:2])}{number}",
                "name": f"{name} {number}" if count > 50 else name,
                "status": self.rng.choice(statuses),
                "type": "Client" if self.rng.random() < 0.85 else "Prospect",
                "city": city, "state": state, "zip": zip_code,
                "address": f"{self.rng.randint(10, 9999)} {self.rng.choice(_WORDS)} St",
                "phone": f"{self.rng.randint(201, 989)}555{self.rng.randint(1000, 9999)}",
            }  # fmt: skip
            company = self.company(spec)
            site = self.site(company, "Main Office")
            company_ref = reference_to(KINDS["company"], company, "CompanyReference")
            site_ref = reference_to(KINDS["site"], site, "SiteReference")
            people = [self.contact(company, site, i == 0, company_ref, site_ref) for i in range(self.rng.randint(3, 7))]
            company["defaultContact"] = reference_to(KINDS["contact"], people[0], "ContactReference")
            batch_companies.append(company)
            batch_sites.append(site)
            batch_contacts.extend(people)
            if spec["type"] == "Client" and spec["status"] == "Active" and len(automate) < 50:
                automate.append(spec)
            if len(batch_contacts) >= 20000:
                self._flush(batch_companies, batch_sites, batch_contacts)
        self._flush(batch_companies, batch_sites, batch_contacts)
        self.automate_specs = automate

    def _flush(
        self, companies: list[dict[str, Any]], sites: list[dict[str, Any]], contacts: list[dict[str, Any]]
    ) -> None:
        self.backend.insert_seeded(KINDS["company"], companies)
        self.backend.insert_seeded(KINDS["site"], sites)
        self.backend.insert_seeded(KINDS["contact"], contacts)
        companies.clear()
        sites.clear()
        contacts.clear()

    def seed_automate(self) -> None:
        """The Automate twin of the Manage clients (after the Manage transaction: the Automate side commits its own)."""
        if self.automate is None or not self.automate_specs:
            return
        specs = self.automate_specs
        rows = [
            {"name": s["name"], "city": s["city"], "state": s["state"], "zip": s["zip"], "phone": s["phone"],
             "address1": s["address"], **s.get("automate", {})}
            for s in specs
        ]  # fmt: skip
        # Its own generator: the Automate data must not shift whenever the Manage generator draws differently.
        self.automate.seed_clients(rows, random.Random(self.automate_seed))


def seed(
    backend: ManageBackend,
    data: str | int | None,
    *,
    random_seed: int = 0,
    automate: AutomateSeeder | None = None,
    transaction: Callable[[], Any] | None = None,
) -> None:
    """Fill an empty sandbox: ``"demo"``, an int (that many companies), or None (the API keys and the priorities)."""
    rng = random.Random(random_seed)
    seeder = Seeder(backend, rng, automate)
    seeder.automate_seed = random_seed
    backend.db.execute("BEGIN")
    try:
        seeder.priorities()
        if data is None:
            backend.add_api_key(MANAGE_COMPANY, PUBLIC_KEY, PRIVATE_KEY, None)
        else:
            seeder.setup()
            if data == "demo":
                seeder.demo()
            elif isinstance(data, int) and not isinstance(data, bool) and data >= 0:
                if data > 1000:
                    drop_indexes(backend.db)
                seeder.many(data)
            else:
                raise ValueError(f"seed must be 'demo', a number of companies, or None; not {data!r}.")
            if isinstance(data, int) and data > 1000:
                # Building indexes once after a bulk load is several times faster than updating them per row.
                create_manage_tables(backend.db)
        backend.db.execute("COMMIT")
        # Table statistics let SQLite pick the selective index (lastName) over a broad one (company name).
        backend.db.execute("ANALYZE")
    except BaseException:
        if backend.db.in_transaction:
            backend.db.execute("ROLLBACK")
        raise
    seeder.seed_automate()
    if seeder.device_agreements:
        computers = automate.computer_counts() if automate is not None else {}
        backend.db.execute("BEGIN")
        try:
            seeder.device_additions(computers)
            backend.db.execute("COMMIT")
        except BaseException:
            if backend.db.in_transaction:
                backend.db.execute("ROLLBACK")
            raise
