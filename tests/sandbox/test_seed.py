"""S4: the deterministic demo data set and the N-company generator."""

from __future__ import annotations

import base64
import json

import httpx

from cwdesk.sandbox import Sandbox


def test_demo_set_is_an_msp_with_eight_clients(manage: httpx.Client) -> None:
    companies = manage.get("/company/companies", params={"pageSize": 100}).json()
    assert len(companies) == 8
    assert {c["status"]["name"] for c in companies} == {"Active", "Inactive"}
    assert {t["name"] for c in companies for t in c["types"]} == {"Client", "Prospect"}
    for company in companies:
        contacts = manage.get("/company/contacts", params={"conditions": f"company/id = {company['id']}"}).json()
        assert 1 <= len(contacts) <= 3
        assert sum(c["defaultFlag"] for c in contacts) == 1
        assert company["defaultContact"]["id"] == next(c["id"] for c in contacts if c["defaultFlag"])
    agreements = manage.get("/finance/agreements").json()
    assert len({a["company"]["id"] for a in agreements}) == 6
    assert all(a["billAmount"] > 0 for a in agreements)
    board_names = {b["name"] for b in manage.get("/service/boards").json()}
    assert "Service Desk" in board_names
    types = {t["name"] for t in manage.get("/finance/agreements/types").json()}
    assert types == {"Managed Service", "Block Hours", "Per Device"}


def test_demo_includes_matching_automate_clients(sandbox: Sandbox) -> None:
    with httpx.Client(transport=sandbox.transport(), base_url=sandbox.base_url + "/cwa/api/v1") as client:
        headers = {"ClientId": sandbox.automate_credentials["client_id"]}
        token = client.post(
            "/apitoken", json={"UserName": "sandbox", "Password": "sandbox-password"}, headers=headers
        ).json()["AccessToken"]
        clients = client.get("/Clients", headers={**headers, "Authorization": f"Bearer {token}"}).json()
    # Every Manage client, Active or Inactive, has its Automate twin; the prospects have none.
    assert {c["Name"] for c in clients} == {
        "Acme Dental Group",
        "BrightPath Logistics",
        "Cedar & Finch Law",
        "Delta Precision Manufacturing",
        "Evergreen Veterinary Clinic",
        "Fulton Street CPAs",
    }


def test_demo_automate_clients_without_agents_say_why(sandbox: Sandbox) -> None:
    rows = sandbox.db.execute(
        "SELECT c.name, c.data, (SELECT count(*) FROM cwa_computers m WHERE m.client_id = c.id) FROM cwa_clients c"
    ).fetchall()
    without = {name: json.loads(data)["Comment"] for name, data, count in rows if count == 0}
    assert set(without) == {"Cedar & Finch Law", "Fulton Street CPAs"}
    assert all("agents" in note for note in without.values())
    assert all(count > 0 for name, _, count in rows if name not in without)


def test_demo_automate_groups_are_global_and_client_specific(sandbox: Sandbox) -> None:
    groups = {name: json.loads(data) for name, data in sandbox.db.execute("SELECT name, data FROM cwa_groups")}
    specific = {name: data["ClientToSync"]["Name"] for name, data in groups.items() if data.get("ClientToSync")}
    assert specific == {
        "Acme Dental Group - Imaging Workstations": "Acme Dental Group",
        "Delta Precision Manufacturing - Plant Floor": "Delta Precision Manufacturing",
    }
    assert {"Servers", "Workstations", "Service Plans", "Managed 24x7", "Patching - Pilot"} <= set(groups)


def test_demo_automate_extra_fields_include_text_dropdown_and_checkbox(sandbox: Sandbox) -> None:
    kinds = {k for (k,) in sandbox.db.execute("SELECT display_format FROM cwa_extra_field_definitions")}
    assert kinds == {"Text", "Dropdown", "Checkbox"}


def test_same_random_seed_gives_the_same_data_and_another_differs() -> None:
    def dump(sb: Sandbox) -> list[str]:
        return [row[0] for row in sb.db.execute("SELECT data FROM mg_contact ORDER BY id")]

    assert dump(Sandbox(seed=20, random_seed=1)) == dump(Sandbox(seed=20, random_seed=1))
    assert dump(Sandbox(seed=20, random_seed=1)) != dump(Sandbox(seed=20, random_seed=2))


def test_n_companies_have_about_five_contacts_each() -> None:
    sb = Sandbox(seed=400)
    companies = sb.db.execute("SELECT count(*) FROM mg_company").fetchone()[0]
    contacts = sb.db.execute("SELECT count(*) FROM mg_contact").fetchone()[0]
    identifiers = sb.db.execute("SELECT count(DISTINCT c_identifier) FROM mg_company").fetchone()[0]
    assert companies == identifiers == 400
    assert 4.5 <= contacts / companies <= 5.5


def test_empty_sandbox_has_no_records_but_keys_work(empty_sandbox: Sandbox) -> None:
    creds = empty_sandbox.manage_credentials
    token = f"{creds['company']}+{creds['public_key']}:{creds['private_key']}"
    headers = {"Authorization": "Basic " + base64.b64encode(token.encode()).decode(), "clientId": creds["client_id"]}
    with httpx.Client(transport=empty_sandbox.transport(), base_url=creds["server"]) as client:
        response = client.get("/v4_6_release/apis/3.0/company/companies", headers=headers)
    assert response.status_code == 200
    assert response.json() == []


def test_demo_tickets_use_their_boards_statuses_and_teams(manage: httpx.Client) -> None:
    # Statuses and teams belong to a board (rapid7/insightconnect-plugins get_ticket_by_id.json.resp:
    # status_href .../service/boards/30/statuses/550, team_href .../service/boards/30/teams/10).
    tickets = manage.get("/service/tickets", params={"pageSize": 100}).json()
    assert tickets
    for ticket in tickets:
        board_id = ticket["board"]["id"]
        statuses = {s["id"]: s for s in manage.get(f"/service/boards/{board_id}/statuses").json()}
        teams = {t["id"] for t in manage.get(f"/service/boards/{board_id}/teams").json()}
        assert ticket["status"]["id"] in statuses
        assert ticket["closedFlag"] == statuses[ticket["status"]["id"]]["closedStatus"]
        assert ticket["team"]["id"] in teams
        assert manage.get(f"/service/tickets/{ticket['id']}/notes/count").json()["count"] >= 1


def test_seeded_records_are_as_full_as_records_created_through_the_api(manage: httpx.Client) -> None:
    # The seed generator completes its records with the same rules as a POST (backend/defaults.py).
    created = manage.post(
        "/company/companies", json={"identifier": "Probe", "name": "Probe", "site": {"name": "Main"}}
    ).json()
    seeded = manage.get("/company/companies/1").json()
    optional = {"defaultContact", "site", "addressLine1", "city", "state", "zip", "country", "phoneNumber", "website",
                "timeZoneSetup", "territory"}  # fmt: skip
    assert set(created) - set(seeded) == set()
    assert set(seeded) - set(created) <= optional
    assert set(created["_info"]) == set(seeded["_info"])
    contact = manage.post("/company/contacts", json={"firstName": "Probe", "company": {"id": 1}}).json()
    assert set(contact) - set(manage.get("/company/contacts/1").json()) == set()


def test_demo_clients_have_custom_field_values_to_filter_on(manage: httpx.Client) -> None:
    gold = manage.get("/company/companies", params={"customFieldConditions": 'caption="Account Tier" AND value="Gold"'})
    assert {c["identifier"] for c in gold.json()} == {"AcmeDental", "DeltaMfg"}
    prospect = manage.get("/company/companies", params={"conditions": 'identifier="GranitePeak"'}).json()[0]
    assert all("value" not in field for field in prospect["customFields"])
