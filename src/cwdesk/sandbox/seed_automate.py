"""Demo data for the Automate emulator: clients, locations, computers, groups, extra fields and feature flags.

``seed.py`` seeds Manage and hands the Automate twin of its clients to an ``AutomateSeeder``; this module is that
seeder. Each client gets 1-2 locations ("Main Office" first), 0-12 computers (mostly online, some offline for
minutes to weeks) and extra-field values (text, dropdown and checkbox EDFs); a client without computers says why in
its ``Comment``. The global groups, extra-field definitions and feature flags are created once; groups specific to
one client (``ClientToSync``) come after the clients. The same ``rng`` always gives the same data. Details a
computer's condition may name beyond the original seed (open ports, update dates, antivirus, logged-in users ...)
come from a generator of the computer's own, so adding them did not move any value drawn before.
Not for: record rules (``backend/automate.py``) or the Manage demo data (``seed.py``).
"""

from __future__ import annotations

import json
import random
import re
import uuid
from datetime import datetime, timedelta
from typing import Any

from cwdesk.sandbox.backend.automate import CLIENT_FIELDS, LOCATION_FIELDS, AutomateBackend, default_of, iso

__all__ = ["AutomateDemoSeeder"]

_GROUPS = (
    ("Service Plans", None),
    ("Managed 24x7", "Service Plans"),
    ("Servers", None),
    ("Workstations", None),
    ("Patching - Pilot", None),
)
_CLIENT_EDFS: tuple[tuple[str, str, list[str]], ...] = (
    ("Contract Type", "Dropdown", ["Managed Services", "Break Fix", "Block Hours"]),
    ("SLA Level", "Dropdown", ["Bronze", "Silver", "Gold", "Premium"]),
    ("Account Manager", "Text", []),
    ("Backup Enabled", "Checkbox", []),
)
_LOCATION_EDFS: tuple[tuple[str, str, list[str]], ...] = (
    ("Site Code", "Text", []),
    ("Has Firewall", "Checkbox", []),
)
_FIRST = ("Anna", "Ben", "Carla", "David", "Elena", "Frank", "Grace", "Hugo", "Irene", "Jon", "Kim", "Luis")
_LAST = ("Baker", "Chen", "Diaz", "Evans", "Fischer", "Garcia", "Hughes", "Ito", "Jones", "Klein", "Lopez")
_MANAGERS = ("Dana Whitfield", "Marco Ruiz", "Priya Natarajan")
_OS = (
    ("Microsoft Windows 11 Pro x64", "10.0.22631", "Workstation"),
    ("Microsoft Windows 10 Pro x64", "10.0.19045", "Workstation"),
    ("Microsoft Windows Server 2022 Standard x64", "10.0.20348", "Server"),
    ("Microsoft Windows Server 2019 Standard x64", "10.0.17763", "Server"),
    ("macOS 14.4 Sonoma", "14.4", "Workstation"),
)


# Flags a server reports on GET /FeatureFlags (LabTech.Models.FeatureFlag: Id, Name, IsEnabled). The names are
# the sandbox's own: no public source lists a real server's flags.
_FEATURE_FLAGS = (("NewPatchManager", True), ("ScriptEngineV2", False), ("AgentUIRefresh", True))
_ANTIVIRUS = (
    ("1", "Microsoft Defender Antivirus"),
    ("2", "Bitdefender Endpoint Security"),
    ("3", "Webroot SecureAnywhere"),
)
_BIOS = (("Dell Inc.", "1.18.0"), ("HP", "02.15.00"), ("LENOVO", "N2XET41W"))


class AutomateDemoSeeder:
    """Seeds an ``AutomateBackend`` (``seed.AutomateSeeder``: ``seed_clients(rows, rng)``)."""

    def __init__(self, backend: AutomateBackend) -> None:
        self.backend = backend
        self.db = backend.db

    def seed_clients(self, rows: list[dict[str, Any]], rng: random.Random) -> None:
        """One Automate client per row, deterministic for ``rng``. Keys: name, city, state, zip, phone, address1;
        optional ``agents`` (False: no computers), ``note`` (its Comment, saying why) and ``groups`` (names of
        groups specific to the client, holding its computers)."""
        now = self.backend.clock()
        with self.db:
            groups = self._seed_groups(rng)
            client_defs, location_defs = self._seed_extra_field_definitions(rng)
            for row in rows:
                self._seed_one_client(row, rng, now, groups, client_defs, location_defs)
            # After every client, and without drawing from ``rng``: the clients' data stays what it was before
            # client-specific groups were seeded.
            for row in rows:
                for group in row.get("groups") or ():
                    self._seed_client_group(str(row["name"]).strip(), str(group))
            self.db.executemany(
                "INSERT OR IGNORE INTO cwa_feature_flags (name, enabled) VALUES (?, ?)",
                [(name, 1 if enabled else 0) for name, enabled in _FEATURE_FLAGS],
            )

    def computer_counts(self) -> dict[str, int]:
        """How many computers each client has, by client name."""
        rows = self.db.execute(
            "SELECT c.name, count(m.id) FROM cwa_clients c LEFT JOIN cwa_computers m ON m.client_id = c.id "
            "GROUP BY c.id"
        ).fetchall()
        return {str(name): int(count) for name, count in rows}

    def _seed_groups(self, rng: random.Random) -> dict[str, int]:
        existing = {name: gid for gid, name in self.db.execute("SELECT id, name FROM cwa_groups")}
        for name, parent in _GROUPS:
            if name in existing:
                continue
            parent_id = existing.get(parent or "", 0)
            data = {
                "ParentId": str(parent_id),
                "Depth": 1 if parent else 0,
                "FullName": f"{parent}.{name}" if parent else name,
                "TypeId": 0,
                "TypeName": "Standard",
                "TemplatePriority": 0,
                "Comments": "",
                "GUID": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "ComputersLimitToSearch": False,
                "ContactsLimitToSearch": False,
                "NetworkDevicesLimitToSearch": False,
                "ContactsJoinComputers": False,
            }
            cursor = self.db.execute("INSERT INTO cwa_groups (name, data) VALUES (?, ?)", (name, json.dumps(data)))
            existing[name] = int(cursor.lastrowid or 0)
        return existing

    def _seed_client_group(self, client: str, group: str) -> None:
        """A group specific to ``client`` (``ClientToSync`` names it; the spec's LabTech.Models.Group field) that
        holds every computer of the client; named "<client> - <group>" so it is unique among the groups."""
        found = self.db.execute("SELECT id FROM cwa_clients WHERE name = ?", (client,)).fetchone()
        if found is None:
            return
        client_id = int(found[0])
        name = f"{client} - {group}"
        if self.db.execute("SELECT 1 FROM cwa_groups WHERE name = ?", (name,)).fetchone() is not None:
            return
        data = {
            "ParentId": "0",
            "Depth": 0,
            "FullName": name,
            "TypeId": 0,
            "TypeName": "Standard",
            "TemplatePriority": 0,
            "Comments": f"Computers of {client} only.",
            "GUID": str(uuid.uuid5(uuid.NAMESPACE_URL, f"cwdesk-sandbox-group:{name}")),
            "ComputersLimitToSearch": False,
            "ContactsLimitToSearch": False,
            "NetworkDevicesLimitToSearch": False,
            "ContactsJoinComputers": False,
            "ClientToSync": {"Id": str(client_id), "Name": client},
        }
        cursor = self.db.execute("INSERT INTO cwa_groups (name, data) VALUES (?, ?)", (name, json.dumps(data)))
        self.db.execute(
            "INSERT INTO cwa_group_computers (group_id, computer_id) SELECT ?, id FROM cwa_computers "
            "WHERE client_id = ? ORDER BY id",
            (cursor.lastrowid, client_id),
        )

    def _seed_extra_field_definitions(self, rng: random.Random) -> tuple[dict[str, int], dict[str, int]]:
        made: dict[str, dict[str, int]] = {"Client": {}, "Location": {}}
        for target, specs in (("Client", _CLIENT_EDFS), ("Location", _LOCATION_EDFS)):
            for title, display_format, options in specs:
                row = self.db.execute(
                    "SELECT id FROM cwa_extra_field_definitions WHERE target = ? AND title = ?", (target, title)
                ).fetchone()
                if row is None:
                    default = "false" if display_format == "Checkbox" else ""
                    cursor = self.db.execute(
                        "INSERT INTO cwa_extra_field_definitions "
                        "(target, title, display_format, section, default_value, options, guid) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (
                            target,
                            title,
                            display_format,
                            "Client Info" if target == "Client" else "Site Info",
                            default,
                            json.dumps(options),
                            str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                        ),
                    )
                    made[target][title] = int(cursor.lastrowid or 0)
                else:
                    made[target][title] = row[0]
        return made["Client"], made["Location"]

    def _seed_one_client(
        self,
        row: dict[str, Any],
        rng: random.Random,
        now: datetime,
        groups: dict[str, int],
        client_defs: dict[str, int],
        location_defs: dict[str, int],
    ) -> None:
        name = str(row["name"]).strip()
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        domain = re.sub(r"[^a-z0-9]", "", name.lower())[:20] or "client"
        data = {key: default_of(kind) for key, kind in CLIENT_FIELDS.items() if key != "Name"}
        agents = row.get("agents", True) is not False
        data.update(
            {
                "Comment": str(row.get("note") or ""),
                "Company": name,
                "FirstName": first,
                "LastName": last,
                "Address1": str(row.get("address1") or ""),
                "City": str(row.get("city") or ""),
                "State": str(row.get("state") or ""),
                "ZipCode": str(row.get("zip") or ""),
                "PhoneNumber": str(row.get("phone") or ""),
                "Country": "United States",
                "NewTicketNotificationEmail": f"{first.lower()}.{last.lower()}@{domain}.example",
            }
        )
        taken = self.db.execute("SELECT 1 FROM cwa_clients WHERE lower(name) = lower(?)", (name,)).fetchone()
        if taken is not None:
            return  # seeding twice must not duplicate clients
        client_id = int(
            self.db.execute("INSERT INTO cwa_clients (name, data) VALUES (?, ?)", (name, json.dumps(data))).lastrowid
            or 0
        )
        self._seed_value(client_defs["Contract Type"], client_id, rng.choice(_CLIENT_EDFS[0][2]))
        self._seed_value(client_defs["SLA Level"], client_id, rng.choice(_CLIENT_EDFS[1][2]))
        self._seed_value(client_defs["Account Manager"], client_id, rng.choice(_MANAGERS))
        self._seed_value(client_defs["Backup Enabled"], client_id, rng.choice(("true", "false")))

        location_names = ["Main Office"] + (["Branch Office"] if rng.random() < 0.4 else [])
        location_ids: list[int] = []
        for index, location_name in enumerate(location_names):
            location_data = {key: default_of(kind) for key, kind in LOCATION_FIELDS.items() if key != "Name"}
            if index == 0:
                location_data.update(
                    {
                        "Address1": data["Address1"],
                        "City": data["City"],
                        "State": data["State"],
                        "ZipCode": data["ZipCode"],
                        "PhoneNumber": data["PhoneNumber"],
                        "Country": "United States",
                    }
                )
            lid = int(
                self.db.execute(
                    "INSERT INTO cwa_locations (client_id, name, data) VALUES (?, ?, ?)",
                    (client_id, location_name, json.dumps(location_data)),
                ).lastrowid
                or 0
            )
            location_ids.append(lid)
            self._seed_value(location_defs["Site Code"], lid, f"{domain[:4].upper()}-{index + 1:02d}")
            self._seed_value(location_defs["Has Firewall"], lid, rng.choice(("true", "false")))

        prefix = (re.sub(r"[^A-Z0-9]", "", name.upper())[:6]) or "PC"
        # Most clients have a handful of agents; about one in eight has none yet (a new or a cloud-only client).
        none_yet = rng.random() < 0.12
        count = 0 if none_yet or not agents else rng.randint(2, 12)
        if count == 0 and not row.get("note"):
            data["Comment"] = "No Automate agents yet: a new or cloud-only client."
            self.db.execute("UPDATE cwa_clients SET data = ? WHERE id = ?", (json.dumps(data), client_id))
        for number in range(1, count + 1):
            os_name, os_version, kind = rng.choice(_OS)
            online = rng.random() < 0.75
            offset = rng.randint(5, 280)
            # Offline agents last checked in between an hour and about two months ago.
            last_contact = now - timedelta(minutes=rng.randint(60, 60 * 24 * 60))
            computer_name = f"{prefix}-{'SRV' if kind == 'Server' else 'WS'}{number:02d}"
            computer = {
                "ComputerName": computer_name,
                "FriendlyName": computer_name,
                "Type": kind,
                "OperatingSystemName": os_name,
                "OperatingSystemVersion": os_version,
                "DomainName": f"{domain[:12].upper()}",
                "LocalIPAddress": f"10.{client_id % 250}.{number}.{rng.randint(10, 250)}",
                "MACAddress": "-".join(f"{rng.randint(0, 255):02X}" for _ in range(6)),
                "SerialNumber": "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789") for _ in range(10)),
                "LastUserName": f"{domain[:12].upper()}\\{rng.choice(_FIRST).lower()}",
                "DateAdded": iso(now - timedelta(days=rng.randint(30, 1500))),
                "IsVirtualMachine": kind == "Server" and rng.random() < 0.6,
                "RemoteAgentVersion": "2023.11.0.2",
                "TotalMemory": rng.choice((8, 16, 32, 64)) * 1024,
                "Comment": "",
                "IsMaster": False,
                "IsRebootNeeded": rng.random() < 0.2,
            }
            computer.update(_computer_details(computer, client_id, number, last_contact if not online else now))
            cursor = self.db.execute(
                "INSERT INTO cwa_computers (client_id, location_id, online, last_contact, contact_offset_s, data) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (
                    client_id,
                    rng.choice(location_ids),
                    1 if online else 0,
                    last_contact.isoformat(),
                    offset,
                    json.dumps(computer),
                ),
            )
            group = groups["Servers"] if kind == "Server" else groups["Workstations"]
            self.db.execute(
                "INSERT INTO cwa_group_computers (group_id, computer_id) VALUES (?, ?)", (group, cursor.lastrowid)
            )

    def _seed_value(self, definition_id: int, target_id: int, value: str) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO cwa_extra_field_values (definition_id, target_id, value) VALUES (?, ?, ?)",
            (definition_id, target_id, value),
        )


def _computer_details(computer: dict[str, Any], client_id: int, number: int, seen: datetime) -> dict[str, Any]:
    """The rest of a computer's properties that conditions name (gavsto Get-AutomateComputer.ps1), from a generator
    of its own so the main one draws exactly as before."""
    rng = random.Random(f"{client_id}:{computer['ComputerName']}")
    windows = str(computer["OperatingSystemName"]).startswith("Microsoft Windows")
    server = computer["Type"] == "Server"
    scanner_id, scanner = rng.choice(_ANTIVIRUS)
    bios, flash = rng.choice(_BIOS)
    user = str(computer["LastUserName"])
    details: dict[str, Any] = {
        "OpenPortsTCP": sorted({135, 445, *((3389, 443) if server else ()), *rng.sample((80, 5985, 8080, 22), 1)}),
        "OpenPortsUDP": [137, 138] if windows else [],
        "GatewayIPAddress": f"203.0.113.{(client_id * 7) % 250 + 1}",
        "DomainNameServers": [f"10.{client_id % 250}.0.1"],
        "LastInventoryReceived": iso(seen - timedelta(hours=rng.randint(1, 20))),
        "RemoteAgentLastInventory": iso(seen - timedelta(hours=rng.randint(1, 20))),
        "LastStartup": iso(seen - timedelta(days=rng.randint(0, 30), minutes=rng.randint(0, 1439))),
        "AntivirusDefinitionDate": iso(seen - timedelta(days=rng.choice((0, 0, 1, 2, 9)))),
        "VirusScanner": {"Id": scanner_id, "Name": scanner},
        "UserIdleTime": 0 if server else rng.randint(0, 240),
        "SystemUptime": rng.randint(60, 60 * 24 * 30),
        "CpuUsage": rng.randint(1, 60),
        "FreeMemory": int(computer["TotalMemory"]) * rng.randint(20, 70) // 100,
        "LoggedInUsers": [] if server else [{"LoggedInUserName": user, "ConsoleId": 1}],
        "UserAccounts": ["Administrator", user.split("\\")[-1]],
        "AssetTag": f"AT-{client_id:03d}-{number:02d}",
        "BiosManufacturer": bios,
        "BiosFlash": flash,
        "MasterMode": "Standard",
        "UTCOffset": -18000,
        "IsHeartbeatEnabled": True,
        "IsHeartbeatRunning": True,
        "IsTunnelSupported": True,
        "IsSystemAccount": server,
        "IsVirtualHost": server and not computer["IsVirtualMachine"] and rng.random() < 0.3,
        "PrimaryContactName": "",
    }
    if windows:
        details["WindowsUpdateDate"] = iso(seen - timedelta(days=rng.randint(1, 45)))
    return details
