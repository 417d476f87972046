"""Computers of Automate clients: status, last contact, location and operating system, filtered by offline / os."""

from __future__ import annotations

import pytest

from cwdesk.automate import AutomateClient
from cwdesk.sandbox.server import Sandbox
from cwdesk.workflows import automate_clients as w5
from cwdesk.workflows.validation import InvalidInput
from tests.workflows.automate_requests import client_with_computers


def test_computers_of_one_client_with_status_last_contact_location_os(cwa: AutomateClient, sandbox: Sandbox) -> None:
    client_id, name, total = client_with_computers(sandbox)
    rows = w5.list_computers(cwa, name)
    assert len(rows) == total and list(rows[0]) == w5.COMPUTER_COLUMNS
    expected = {
        cid: ("online" if online else "offline", location)
        for cid, online, location in sandbox.db.execute(
            "SELECT m.id, m.online, l.name FROM cwa_computers m JOIN cwa_locations l ON l.id = m.location_id "
            "WHERE m.client_id = ?",
            (client_id,),
        )
    }
    assert {int(r["id"]): (r["status"], r["location"]) for r in rows} == expected
    assert all(r["client"] == name and r["os"] and r["last_contact"].endswith("Z") for r in rows)
    assert [r["name"] for r in rows] == sorted(r["name"] for r in rows)


def test_offline_filter_keeps_the_offline_computers_as_health_counts_them(
    cwa: AutomateClient, sandbox: Sandbox
) -> None:
    offline = w5.list_computers(cwa, offline=True)
    (expected,) = sandbox.db.execute("SELECT count(*) FROM cwa_computers WHERE online = 0").fetchone()
    assert len(offline) == expected > 0
    assert {r["status"] for r in offline} == {"offline"}
    _, name, _ = client_with_computers(sandbox)
    health = w5.client_health(cwa, name)
    assert len(w5.list_computers(cwa, name, offline=True)) == health.offline


def test_os_filter_matches_part_of_the_name_in_any_case(cwa: AutomateClient) -> None:
    everyone = w5.list_computers(cwa)
    servers = w5.list_computers(cwa, os="SERVER 20")
    assert servers and all("server 20" in r["os"].lower() for r in servers)
    assert len(servers) == sum(1 for r in everyone if "server 20" in r["os"].lower())
    assert w5.list_computers(cwa, os="Plan 9") == []


def test_computers_of_an_unknown_client_is_refused(cwa: AutomateClient) -> None:
    with pytest.raises(InvalidInput):
        w5.list_computers(cwa, "No Such Client Inc")
