"""The console's Automate view over HTTP (issue 18 item 2): search, health, the Manage match, and its edits.

Expectations are read from the same sandbox with the SDK (never copied from the seed), so a change of the demo
data changes what is expected, not whether the test holds.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from cwdesk.automate.client import AutomateClient
from cwdesk.conditions import C
from cwdesk.manage.client import ManageClient
from cwdesk.sandbox import Sandbox


@pytest.fixture
def cwa(console_sandbox: Sandbox) -> AutomateClient:
    return AutomateClient(**console_sandbox.automate_credentials, transport=console_sandbox.transport())


@pytest.fixture
def manage(console_sandbox: Sandbox) -> ManageClient:
    return ManageClient(**console_sandbox.manage_credentials, transport=console_sandbox.transport())


def _row_ids(html: str) -> list[int]:
    return [int(found) for found in re.findall(r'<tr data-client-id="(\d+)"', html)]


def _client_with_computers(cwa: AutomateClient, *, offline: bool = False) -> Any:
    for client in cwa.clients.list(order_by="Name asc"):
        computers = cwa.computers.list(where=C("Client.Id") == client.id)
        if computers and (not offline or any(not c.is_online for c in computers)):
            return client, computers
    raise AssertionError("the demo seed has no Automate client with computers")


# ------------------------------------------------------------------------------------------------------ list


def test_the_list_shows_every_client_with_its_computer_count_and_online_percentage(
    sign_in: Any, cwa: AutomateClient
) -> None:
    html = sign_in("viewer").page("/automate").text
    clients = cwa.clients.list(order_by="Name asc")
    assert _row_ids(html) == [client.id for client in clients]
    client, computers = _client_with_computers(cwa)
    online = sum(1 for computer in computers if computer.is_online)
    row = html.split(f'<tr data-client-id="{client.id}">', 1)[1].split("</tr>", 1)[0]
    assert f'class="computer-count">{len(computers)}<' in row
    assert f'class="online-percentage">{round(100 * online / len(computers), 1):g}%<' in row


def test_a_client_without_computers_says_no_agents_instead_of_a_percentage(sign_in: Any, cwa: AutomateClient) -> None:
    empty = cwa.clients.create({"Name": "Quiet Pines Dental"})
    html = sign_in("viewer").page("/automate").text
    row = html.split(f'<tr data-client-id="{empty.id}">', 1)[1].split("</tr>", 1)[0]
    assert 'class="computer-count">0<' in row and "no agents" in row
    detail = sign_in("viewer").page(f"/automate/clients/{empty.id}").text
    assert 'id="online-percentage">no agents<' in detail and "no computers (no agents yet)" in detail


def test_search_by_part_of_a_name_lists_only_the_clients_whose_name_contains_it(
    sign_in: Any, cwa: AutomateClient, console_sandbox: Sandbox
) -> None:
    viewer = sign_in("viewer")
    name = cwa.clients.list(order_by="Name asc")[0].name or ""
    part = name.split()[0][1:].upper()  # any case, inside a word
    wanted = [c.id for c in cwa.clients.list(order_by="Name asc") if part.lower() in (c.name or "").lower()]
    console_sandbox.clear_requests()
    page = viewer.page(f"/automate?q={part}")
    rows = viewer.page(f"/automate/rows?q={part}")
    assert page.status_code == rows.status_code == 200
    assert _row_ids(page.text) == _row_ids(rows.text) == wanted
    assert f'value="{part}"' in page.text and "<html" not in rows.text
    # The search went to Automate as a condition (the server searches, not the browser).
    asked = [e.query for e in console_sandbox.requests if e.path.lower().endswith("/clients")]
    assert asked and all(f'Name contains "{part}"' in query for query in asked), asked


def test_a_search_that_matches_nothing_says_so(sign_in: Any) -> None:
    html = sign_in("viewer").page("/automate/rows?q=zzqqxx").text
    assert _row_ids(html) == [] and "No client name contains “zzqqxx”." in html


def test_a_hostile_search_is_escaped_in_the_query_and_in_the_page(
    sign_in: Any, cwa: AutomateClient, console_sandbox: Sandbox
) -> None:
    hostile = '<script>alert(1)</script> O"Brien" or 1=1 --'
    made = cwa.clients.create({"Name": hostile})
    viewer = sign_in("viewer")
    console_sandbox.clear_requests()
    answer = viewer.get("/automate", params={"q": 'O"Brien" or 1=1'}, headers={"accept": "text/html"})
    assert answer.status_code == 200
    assert _row_ids(answer.text) == [made.id]  # the quote is a character of the name, not the end of a string
    assert "<script>alert(1)</script>" not in answer.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in answer.text
    detail = viewer.page(f"/automate/clients/{made.id}").text
    assert "<script>alert(1)</script>" not in detail and "&lt;script&gt;" in detail


def test_a_search_longer_than_a_client_name_can_be_is_refused_with_the_limit(sign_in: Any) -> None:
    answer = sign_in("viewer").page("/automate?q=" + "x" * 150)
    assert answer.status_code == 400 and "at most 100" in answer.text and "shorten it" in answer.text


def test_signed_out_the_view_sends_to_sign_in(anonymous: Any) -> None:
    for path in ("/automate", "/automate/rows?q=a", "/automate/clients/1", "/automate/companies/1"):
        answer = anonymous.get(path, headers={"accept": "text/html"}, follow_redirects=False)
        assert (answer.status_code, answer.headers.get("location")) == (303, "/signin"), path


# ---------------------------------------------------------------------------------------------- one client


def test_a_client_shows_health_offline_computers_with_last_contact_locations_edfs_and_groups(
    sign_in: Any, cwa: AutomateClient
) -> None:
    client, computers = _client_with_computers(cwa, offline=True)
    html = sign_in("viewer").page(f"/automate/clients/{client.id}").text
    online = [c for c in computers if c.is_online]
    offline = [c for c in computers if not c.is_online]
    assert f'id="computer-count">{len(computers)}<' in html
    assert f'id="online-count">{len(online)}<' in html and f'id="offline-count">{len(offline)}<' in html
    assert f'id="online-percentage">{round(100 * len(online) / len(computers), 1):g}%<' in html
    offline_table = html.split('id="automate-offline"', 1)[1].split("</table>", 1)[0]
    for computer in offline:
        assert computer.computer_name in offline_table
        assert computer.remote_agent_last_contact is not None
        assert computer.remote_agent_last_contact.strftime("%Y-%m-%d %H:%M:%S") in offline_table
    for computer in online:
        assert f">{computer.computer_name}<" not in offline_table
    for location in cwa.locations.list(where=C("Client.Id") == client.id):
        assert f'data-label="Location">{location.name}<' in html
    edf_table = html.split('id="automate-edfs"', 1)[1].split("</table>", 1)[0]
    for edf in cwa.clients.extra_fields(client.id):
        assert f'data-edf="{edf.title}"' in edf_table and f'data-label="Type">{edf.kind}<' in edf_table
    ids = [c.id for c in computers]
    group_ids = {m.group_id for m in cwa.group_computers.list(where=C("ComputerId").in_(ids))}
    assert group_ids, "the demo puts every computer into Servers or Workstations"
    assert set(map(int, re.findall(r'data-group-id="(\d+)"', html))) == group_ids


def test_an_unknown_client_is_a_404_that_names_it(sign_in: Any) -> None:
    answer = sign_in("viewer").page("/automate/clients/987654")
    assert answer.status_code == 404 and "Automate has no client 987654." in answer.text


# ------------------------------------------------------------------------------------------- Manage match


def test_a_client_and_the_manage_company_of_its_name_link_to_each_other(
    sign_in: Any, cwa: AutomateClient, manage: ManageClient
) -> None:
    viewer = sign_in("viewer")
    client = cwa.clients.list(order_by="Name asc")[0]
    (company,) = manage.companies.list(where=C("name") == client.name)
    detail = viewer.page(f"/automate/clients/{client.id}").text
    assert f'href="/clients/{company.id}"' in detail
    listing = viewer.page("/automate").text
    row = listing.split(f'<tr data-client-id="{client.id}">', 1)[1].split("</tr>", 1)[0]
    assert f'href="/clients/{company.id}"' in row
    back = viewer.get(f"/automate/companies/{company.id}", follow_redirects=False)
    assert (back.status_code, back.headers["location"]) == (303, f"/automate/clients/{client.id}")


def test_a_manage_company_without_an_automate_client_says_so(
    sign_in: Any, cwa: AutomateClient, manage: ManageClient
) -> None:
    names = {(c.name or "").lower() for c in cwa.clients.list()}
    company = next(c for c in manage.companies.list() if (c.name or "").lower() not in names)
    answer = sign_in("viewer").page(f"/automate/companies/{company.id}")
    assert answer.status_code == 404 and "No Automate client is called" in answer.text
    client = cwa.clients.create({"Name": "Orphan Ridge Supply"})
    html = sign_in("viewer").page(f"/automate/clients/{client.id}").text
    assert "No Manage company has this name." in html and 'href="/clients/' not in html


def test_the_manage_client_panel_links_to_the_automate_client_of_its_name(
    sign_in: Any, cwa: AutomateClient, manage: ManageClient
) -> None:
    client = cwa.clients.list(order_by="Name asc")[0]
    (company,) = manage.companies.list(where=C("name") == client.name)
    viewer = sign_in("viewer")
    panel = viewer.page(f"/clients/{company.id}/panel").text
    assert f'href="/automate/companies/{company.id}"' in panel
    landed = viewer.get(f"/automate/companies/{company.id}", headers={"accept": "text/html"})
    assert landed.url.path == f"/automate/clients/{client.id}" and 'id="automate-client-name"' in landed.text
