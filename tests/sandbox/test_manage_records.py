"""S1 fidelity: records as real servers fill them (defaults, custom fields, hrefs, references) and the child paths
real clients call (board statuses/teams/types, ticket notes, agreement additions, company notes and teams,
members by identifier).

Each test names the recorded answer it follows. "rapid7" is rapid7/insightconnect-plugins
``plugins/connectwise/unit_test/responses/`` (answers recorded from a real ConnectWise); "djcw" is
KerkhoffTechnologies/django-connectwise ``djconnectwise/tests/fixtures.py``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from cwdesk.sandbox import Sandbox
from cwdesk.sandbox.manage_api import API_ROOT


def no_nulls(value: Any) -> bool:
    """ConnectWise leaves null fields out: no recorded answer in rapid7's files has a null anywhere."""
    if value is None:
        return False
    if isinstance(value, dict):
        return all(no_nulls(v) for v in value.values())
    if isinstance(value, list):
        return all(no_nulls(v) for v in value)
    return True


# ----------------------------------------------------------------------------------------------------- tickets
def test_new_ticket_gets_the_fields_a_real_server_fills(manage: httpx.Client) -> None:
    # rapid7 create_ticket_few_parameters.json.resp: created with summary, description, company and a status name.
    created = manage.post(
        "/service/tickets",
        json={
            "summary": "Printer jam",
            "initialDescription": "Tray 2",
            "company": {"id": 1},
            "status": {"name": "New"},
        },
    )
    assert created.status_code == 201
    ticket = created.json()
    expected = {
        "recordType": "ServiceTicket", "severity": "Medium", "impact": "Medium", "allowAllClientsPortalView": False,
        "customerUpdatedFlag": False, "automaticEmailContactFlag": False, "automaticEmailResourceFlag": False,
        "automaticEmailCcFlag": False, "closedFlag": False, "approved": True, "estimatedExpenseCost": 0.0,
        "estimatedExpenseRevenue": 0.0, "estimatedProductCost": 0.0, "estimatedProductRevenue": 0.0,
        "estimatedTimeCost": 0.0, "estimatedTimeRevenue": 0.0, "billingMethod": "ActualRates",
        "subBillingMethod": "ActualRates", "resolveMinutes": 0, "resPlanMinutes": 0, "respondMinutes": 0,
        "isInSla": True, "hasChildTicket": False, "hasMergedChildTicketFlag": False, "billTime": "NoDefault",
        "billExpenses": "NoDefault", "billProducts": "NoDefault", "minutesBeforeWaiting": 0,
        "respondedSkippedMinutes": 0, "resplanSkippedMinutes": 0,
    }  # fmt: skip
    assert {name: ticket.get(name) for name in expected} == expected
    assert ticket["currency"]["currencyCode"] == "USD"
    assert len(ticket["mobileGuid"]) == 36
    # The board's default team, location and department; the company's site with its address.
    assert ticket["board"]["name"] == "Service Desk"
    assert ticket["team"]["name"] == "Help Desk"
    assert ticket["location"]["name"] == "Main"
    assert ticket["department"]["identifier"] == "SVC"
    assert ticket["site"]["name"] == ticket["siteName"] == "Main Office"
    assert ticket["addressLine1"] == "401 E Jackson St"
    assert "initialDescription" not in ticket
    assert no_nulls(ticket)
    assert manage.get(f"/service/tickets/{ticket['id']}").json() == ticket


def test_ticket_resources_name_its_owner_and_contact_name_its_contact(manage: httpx.Client) -> None:
    # rapid7 get_ticket_by_id.json.resp: owner identifier "userint" and "resources": "userint"; contactName.
    ticket = manage.post(
        "/service/tickets",
        json={"summary": "VPN", "company": {"id": 1}, "owner": {"identifier": "akhan"}, "contact": {"id": 1}},
    ).json()
    assert ticket["resources"] == "akhan"
    assert ticket["contactName"] == ticket["contact"]["name"]
    patched = manage.patch(
        f"/service/tickets/{ticket['id']}", json=[{"op": "replace", "path": "owner", "value": {"identifier": "mlopez"}}]
    ).json()
    assert patched["resources"] == "mlopez"


def test_ticket_status_is_one_of_its_boards_statuses(manage: httpx.Client) -> None:
    # rapid7 get_ticket_by_id.json.resp: status_href is .../service/boards/30/statuses/550 (statuses are a board's).
    projects = manage.get("/service/boards", params={"conditions": 'name="Projects"'}).json()[0]
    on_projects = manage.post(
        "/service/tickets",
        json={"summary": "Migration", "company": {"id": 1}, "board": {"id": projects["id"]}, "status": {"name": "New"}},
    ).json()
    project_statuses = manage.get(f"/service/boards/{projects['id']}/statuses").json()
    assert on_projects["status"]["id"] == next(s["id"] for s in project_statuses if s["name"] == "New")
    assert on_projects["status"]["_info"]["status_href"].endswith(
        f"/service/boards/{projects['id']}/statuses/{on_projects['status']['id']}"
    )
    service_desk_new = manage.get("/service/boards/1/statuses", params={"conditions": 'name="New"'}).json()[0]
    refused = manage.post(
        "/service/tickets",
        json={
            "summary": "x",
            "company": {"id": 1},
            "board": {"id": projects["id"]},
            "status": {"id": service_desk_new["id"]},
        },
    )
    assert refused.status_code == 400
    error = refused.json()["errors"][0]
    assert error["field"] == "status"
    assert "Projects" in error["message"] and "Closed - Resolved" in error["message"]


def test_a_closed_status_closes_the_ticket(manage: httpx.Client) -> None:
    # djcw API_BOARD_STATUS_LIST: statuses carry closedStatus.
    ticket = manage.post("/service/tickets", json={"summary": "Done soon", "company": {"id": 1}}).json()
    assert ticket["status"]["name"] == "New" and ticket["closedFlag"] is False
    closed = manage.patch(
        f"/service/tickets/{ticket['id']}",
        json=[{"op": "replace", "path": "status", "value": {"name": "Closed - Resolved"}}],
    ).json()
    assert closed["closedFlag"] is True


# ---------------------------------------------------------------------------------------------- board children
def test_board_statuses_teams_and_types_are_listed_per_board(manage: httpx.Client) -> None:
    # djcw API_BOARD_STATUS_LIST and API_SERVICE_TEAM_LIST: their fields and defaults.
    statuses = manage.get("/service/boards/1/statuses").json()
    assert [s["name"] for s in statuses] == ["New", "In Progress", "Waiting on Client", "Closed - Resolved"]
    assert all(s["board"]["id"] == 1 for s in statuses)
    assert [s["closedStatus"] for s in statuses] == [False, False, False, True]
    assert {"sortOrder", "displayOnBoard", "inactive", "timeEntryNotAllowed"} <= set(statuses[0])
    teams = manage.get("/service/boards/1/teams").json()
    assert teams[0]["boardId"] == 1 and teams[0]["defaultFlag"] is True
    assert teams[0]["teamLeader"]["identifier"] == "jsmith"
    assert manage.get("/service/boards/1/types/count").json() == {"count": 3}
    one = manage.get(f"/service/boards/1/statuses/{statuses[1]['id']}")
    assert one.json()["name"] == "In Progress"
    assert manage.get(f"/service/boards/2/statuses/{statuses[1]['id']}").status_code == 404
    added = manage.post("/service/boards/1/statuses", json={"name": "Scheduled", "sortOrder": 4})
    assert added.status_code == 201
    assert added.json()["board"]["id"] == 1


# ---------------------------------------------------------------------------------------------- ticket notes
def test_ticket_notes_are_written_by_the_api_member(manage: httpx.Client) -> None:
    # rapid7 create_ticket_note_few_parameters.json.resp: ticketId, member, dateCreated, createdBy, flags, and an
    # _info with only lastUpdated and updatedBy.
    ticket = manage.get("/service/tickets", params={"pageSize": 1}).json()[0]
    assert ticket["_info"]["notes_href"].endswith(f"/service/tickets/{ticket['id']}/notes")
    before = manage.get(f"/service/tickets/{ticket['id']}/notes/count").json()["count"]
    created = manage.post(
        f"/service/tickets/{ticket['id']}/notes", json={"text": "Called the client", "internalAnalysisFlag": True}
    )
    assert created.status_code == 201
    note = created.json()
    assert note["ticketId"] == ticket["id"]
    assert note["member"]["identifier"] == "admin" and note["createdBy"] == "admin"
    assert note["dateCreated"] == note["_info"]["lastUpdated"]
    assert set(note["_info"]) == {"lastUpdated", "updatedBy"}
    assert (note["detailDescriptionFlag"], note["internalAnalysisFlag"], note["resolutionFlag"]) == (False, True, False)
    assert manage.get(f"/service/tickets/{ticket['id']}/notes/count").json()["count"] == before + 1
    assert manage.get("/service/tickets/99999/notes").status_code == 404


def test_a_note_shown_nowhere_is_refused_as_a_real_server_refuses_it(manage: httpx.Client) -> None:
    # rapid7 create_ticket_note_no_flag.json.resp (a note with only text) and expected/note_not_found.json.exp.
    refused = manage.post("/service/tickets/1/notes", json={"text": "no flag"})
    assert refused.status_code == 400
    body = refused.json()
    assert body["code"] == "InvalidObject"
    assert body["errors"] == [
        {
            "code": "ServiceNote",
            "message": "Please choose where to display the notes in order to save this record.",
            "resource": "serviceNote",
            "field": "detailDescriptionFlag, internalAnalysisFlag, resolutionFlag",
        }
    ]
    missing = manage.get("/service/tickets/1/notes/404")
    assert missing.status_code == 404
    assert missing.json() == {"code": "NotFound", "message": "Service Note 404 not found"}


def test_deleting_a_ticket_deletes_its_notes(sandbox: Sandbox, manage: httpx.Client) -> None:
    ticket = manage.post("/service/tickets", json={"summary": "Short-lived", "company": {"id": 1}}).json()
    note = manage.post(f"/service/tickets/{ticket['id']}/notes", json={"text": "first", "detailDescriptionFlag": True})
    assert note.status_code == 201
    assert manage.delete(f"/service/tickets/{ticket['id']}").status_code == 204
    left = sandbox.backend.db.execute("SELECT count(*) FROM mg_ticket_note WHERE parent_id = ?", (ticket["id"],))
    assert left.fetchone()[0] == 0


# ------------------------------------------------------------------------------------------------ companies
def test_company_info_links_lead_to_its_records(manage: httpx.Client) -> None:
    # rapid7 get_company.json.resp: _info has contacts_href, agreements_href, tickets_href, sites_href, teams_href,
    # notes_href (the sandbox gives those of the paths it serves).
    company = manage.get("/company/companies/1").json()
    links = company["_info"]
    assert {"contacts_href", "agreements_href", "tickets_href", "sites_href", "teams_href", "notes_href"} <= set(links)
    contacts = manage.get(links["contacts_href"]).json()
    assert contacts and all(c["company"]["id"] == 1 for c in contacts)
    assert [s["company"]["id"] for s in manage.get(links["sites_href"]).json()] == [1]
    notes = manage.get(links["notes_href"]).json()
    assert len(notes) == 1 and notes[0]["company"]["id"] == 1 and notes[0]["text"]
    team = manage.get(links["teams_href"]).json()
    assert team[0]["accountManagerFlag"] is True and team[0]["member"]["identifier"]


def test_company_defaults_follow_a_recorded_company(manage: httpx.Client) -> None:
    # rapid7 get_company.json.resp: leadFlag, unsubscribeFlag, deletedFlag, isVendorFlag, annualRevenue 0.00,
    # currency, mobileGuid.
    company = manage.post(
        "/company/companies", json={"identifier": "Fresh", "name": "Fresh Co", "site": {"name": "Main"}}
    ).json()
    assert (company["leadFlag"], company["unsubscribeFlag"], company["deletedFlag"], company["isVendorFlag"]) == (
        False, False, False, False,
    )  # fmt: skip
    assert company["annualRevenue"] == 0.0
    assert company["currency"]["name"] == "US Dollars"
    assert len(company["mobileGuid"]) == 36
    assert no_nulls(company)


def test_company_notes_and_teams_can_be_written_and_stay_with_a_deleted_company(
    sandbox: Sandbox, manage: httpx.Client
) -> None:
    company = manage.post(
        "/company/companies", json={"identifier": "NotedCo", "name": "Noted Co", "site": {"name": "Main"}}
    ).json()
    note = manage.post(f"/company/companies/{company['id']}/notes", json={"text": "Gate code 1234"})
    assert note.status_code == 201
    assert note.json()["company"]["id"] == company["id"]
    assert note.json()["flagged"] is False
    team = manage.post(
        f"/company/companies/{company['id']}/teams",
        json={"teamRole": {"id": 1, "name": "Account Manager"}, "member": {"identifier": "jsmith"}},
    )
    assert team.status_code == 201
    assert team.json()["member"]["identifier"] == "jsmith"
    no_role = manage.post(f"/company/companies/{company['id']}/teams", json={"member": {"identifier": "jsmith"}})
    assert no_role.status_code == 400  # CompanyTeam requires teamRole (manage-openapi-reconstructed.json)
    assert manage.delete(f"/company/companies/{company['id']}").status_code == 204
    # A company is only marked deleted (docs/connectwise.md, "Companies"): its notes and teams stay with it.
    assert manage.get(f"/company/companies/{company['id']}").json()["deletedFlag"] is True
    for table in ("mg_company_note", "mg_company_team"):
        rows = sandbox.backend.db.execute(f"SELECT count(*) FROM {table} WHERE parent_id = ?", (company["id"],))
        assert rows.fetchone()[0] == 1


# -------------------------------------------------------------------------------------------- custom fields
@pytest.mark.parametrize(
    "path", ["/company/companies/1", "/company/contacts/1", "/service/tickets/1", "/finance/agreements/1",
             "/system/members/1"],
)  # fmt: skip
def test_custom_fields_are_listed_on_every_record(manage: httpx.Client, path: str) -> None:
    # rapid7 get_company.json.resp / get_ticket_by_id.json.resp: each field has id, caption, type, entryMethod,
    # numberOfDecimals, and value only once one is set.
    fields = manage.get(path).json()["customFields"]
    assert fields
    for field in fields:
        assert set(field) - {"value"} == {"id", "caption", "type", "entryMethod", "numberOfDecimals"}
        assert field["type"] in {"Text", "Date", "Number", "Checkbox"}


def test_custom_field_values_are_kept_and_typed(manage: httpx.Client) -> None:
    contact = manage.get("/company/contacts/1").json()
    vip = next(f for f in contact["customFields"] if f["caption"] == "VIP")
    saved = manage.patch(
        "/company/contacts/1",
        json=[{"op": "replace", "path": "customFields", "value": [{"id": vip["id"], "value": True}]}],
    ).json()
    assert next(f for f in saved["customFields"] if f["id"] == vip["id"])["value"] is True
    assert len(saved["customFields"]) == len(contact["customFields"])  # all still listed
    wrong = manage.patch(
        "/company/contacts/1",
        json=[{"op": "replace", "path": "customFields", "value": [{"id": vip["id"], "value": "yes"}]}],
    )
    assert wrong.status_code == 400
    assert "checkbox" in wrong.json()["errors"][0]["message"]
    unknown = manage.patch(
        "/company/contacts/1", json=[{"op": "replace", "path": "customFields", "value": [{"id": 999, "value": "x"}]}]
    )
    assert unknown.status_code == 400
    assert "999" in unknown.json()["errors"][0]["message"]


# ------------------------------------------------------------------------------------------------ agreements
def test_agreement_status_is_filled_and_searchable(manage: httpx.Client) -> None:
    # djcw API_AGREEMENT: "agreementStatus": "Active"; the spec's enum is Active|Cancelled|Expired|Inactive.
    agreements = manage.get("/finance/agreements", params={"pageSize": 100}).json()
    assert {a["agreementStatus"] for a in agreements} == {"Active", "Cancelled"}
    active = manage.get("/finance/agreements", params={"conditions": "agreementStatus='Active'", "pageSize": 100})
    assert {a["id"] for a in active.json()} == {a["id"] for a in agreements if not a["cancelledFlag"]}
    expired = manage.post(
        "/finance/agreements",
        json={"name": "Old", "type": {"name": "Block Hours"}, "company": {"id": 1}, "contact": {"id": 1},
              "startDate": "2020-01-01T00:00:00Z", "endDate": "2021-01-01T00:00:00Z"},
    ).json()  # fmt: skip
    assert expired["agreementStatus"] == "Expired"
    assert expired["billTime"] == "Billable"  # taken from the agreement type


def automate_computers(sandbox: Sandbox) -> dict[str, int]:
    """Computers per Automate client, counted over the Automate API as a client would."""
    headers = {"ClientId": "0c0a4c5e-8f5e-4a3a-9a53-1b2f0c8d7e61"}
    with httpx.Client(transport=sandbox.transport(), base_url=sandbox.base_url + "/cwa/api/v1", headers=headers) as cwa:
        token = cwa.post("/apitoken", json={"UserName": "sandbox", "Password": "sandbox-password"}).json()
        cwa.headers["Authorization"] = f"Bearer {token['AccessToken']}"
        computers = cwa.get("/computers", params={"pagesize": 1000}).json()
    counts: dict[str, int] = {}
    for computer in computers:
        counts[computer["Client"]["Name"]] = counts.get(computer["Client"]["Name"], 0) + 1
    return counts


def test_per_device_additions_match_automate_for_some_clients_and_not_others(
    sandbox: Sandbox, manage: httpx.Client
) -> None:
    computers = automate_computers(sandbox)
    billed: dict[str, float] = {}
    for agreement in manage.get("/finance/agreements", params={"pageSize": 100}).json():
        for addition in manage.get(f"/finance/agreements/{agreement['id']}/additions").json():
            assert addition["agreementId"] == agreement["id"]
            assert addition["extPrice"] == round(addition["quantity"] * addition["unitPrice"], 2)
            billed[agreement["company"]["name"]] = addition["quantity"]
    assert set(billed) == {
        "Acme Dental Group", "BrightPath Logistics", "Delta Precision Manufacturing", "Evergreen Veterinary Clinic",
    }  # fmt: skip
    matching = {name for name, quantity in billed.items() if quantity == computers.get(name, 0)}
    assert matching == {"Acme Dental Group", "BrightPath Logistics"}
    assert billed["Evergreen Veterinary Clinic"] == computers.get("Evergreen Veterinary Clinic", 0) + 3


# --------------------------------------------------------------------------------------------------- members
#: The fields pyconnectwise 0.6.1.2's Member model requires (pyconnectwise/models/manage/__init__.py).
PYCONNECTWISE_MEMBER_REQUIRED = (
    "agreementInvoicingDisplayOptions", "defaultEmail", "defaultPhone", "firstName", "identifier",
    "invoiceScreenDefaultTabFormat", "invoicingDisplayOptions", "licenseClass",
)  # fmt: skip


def test_members_carry_what_generated_clients_require(manage: httpx.Client) -> None:
    members = manage.get("/system/members").json()
    assert members
    for member in members:
        assert all(member.get(name) is not None for name in PYCONNECTWISE_MEMBER_REQUIRED), member["identifier"]
        # djcw API_MEMBER's defaults.
        assert (member["dailyCapacity"], member["daysTolerance"], member["enterTimeAgainstCompanyFlag"]) == (
            8.0,
            1,
            True,
        )


def test_member_by_identifier(manage: httpx.Client) -> None:
    # The GET subset spec has /system/members/{memberIdentifier:regex(...)} beside /system/members/{id}.
    by_identifier = manage.get("/system/members/akhan")
    assert by_identifier.status_code == 200
    assert by_identifier.json() == manage.get(f"/system/members/{by_identifier.json()['id']}").json()
    missing = manage.get("/system/members/nobody")
    assert missing.status_code == 404
    assert missing.json()["code"] == "NotFound"
    assert manage.get("/system/members/count").json()["count"] >= 5


# ------------------------------------------------------------------------------------------- hrefs, references
def test_hrefs_are_on_the_sandbox_base_url_as_recorded_and_can_be_followed(
    sandbox: Sandbox, manage: httpx.Client
) -> None:
    # rapid7 (every reference): "https://sandbox-na.myconnectwise.net/v4_6_release/apis/3.0//service/boards/30".
    text = manage.get("/service/tickets/1").text
    assert "cwsandbox://" not in text
    ticket = json.loads(text)
    href = ticket["board"]["_info"]["board_href"]
    assert href == f"{sandbox.base_url}{API_ROOT}//service/boards/{ticket['board']['id']}"
    with httpx.Client(transport=sandbox.transport(), headers=manage.headers) as client:
        followed = client.get(href)
    assert followed.status_code == 200
    assert followed.json()["name"] == ticket["board"]["name"]


def test_references_carry_info_and_mobile_guid(manage: httpx.Client) -> None:
    # rapid7 get_ticket_by_id.json.resp: company and contact references carry company_href/contact_href and the
    # referenced record's mobileGuid in their _info; time zone references carry timeZoneSetup_href.
    ticket = manage.get("/service/tickets/1").json()
    company = manage.get(f"/company/companies/{ticket['company']['id']}").json()
    assert ticket["company"]["_info"]["mobileGuid"] == company["mobileGuid"]
    assert ticket["company"]["_info"]["company_href"].endswith(f"/company/companies/{company['id']}")
    assert "timeZoneSetup_href" in company["timeZoneSetup"]["_info"]


@pytest.fixture
def hooked(sandbox: Sandbox) -> Iterator[list[httpx.Request]]:
    received: list[httpx.Request] = []

    def receiver(request: httpx.Request) -> httpx.Response:
        received.append(request)
        return httpx.Response(200)

    sandbox.callbacks.transport = httpx.MockTransport(receiver)
    yield received


def test_callback_entities_have_hrefs_on_the_sandbox_base_url(
    sandbox: Sandbox, manage: httpx.Client, hooked: list[httpx.Request]
) -> None:
    manage.post("/system/callbacks", json={"url": "https://hooks.example/cw", "objectId": 1, "type": "ticket",
                                           "level": "owner"})  # fmt: skip
    manage.post("/service/tickets", json={"summary": "Hooked", "company": {"id": 1}})
    assert sandbox.callbacks.wait(5)
    entity_text = json.loads(hooked[0].content)["Entity"]
    assert "cwsandbox://" not in entity_text
    entity = json.loads(entity_text)
    assert entity["board"]["_info"]["board_href"].startswith(f"{sandbox.base_url}{API_ROOT}//service/boards/")


# ------------------------------------------------------------------------------------- contact communications
def test_contact_communications_are_the_contacts_items(manage: httpx.Client) -> None:
    # djcw API_CONTACT_COMMUNICATION_LIST: id, contactId, type, value, defaultFlag, communicationType.
    contact = manage.get("/company/contacts/1").json()
    assert contact["_info"]["communications_href"].endswith("/company/contacts/1/communications")
    listed = manage.get("/company/contacts/1/communications").json()
    assert [(c["id"], c["value"]) for c in listed] == [(i["id"], i["value"]) for i in contact["communicationItems"]]
    assert all(c["contactId"] == 1 and c["_info"]["contactMobileGuid"] == contact["mobileGuid"] for c in listed)
    assert manage.get("/company/contacts/1/communications/count").json() == {"count": len(listed)}
    assert manage.get(f"/company/contacts/1/communications/{listed[0]['id']}").json() == listed[0]
    assert manage.get("/company/contacts/1/communications/99").status_code == 404


def test_contact_communications_can_be_added_changed_and_removed(manage: httpx.Client) -> None:
    # christaylorcodes/ConnectWiseManageAPI Docs/New-CWMContactCommunication.md posts type and value.
    added = manage.post("/company/contacts/1/communications", json={"type": {"name": "Cell"}, "value": "5550001111"})
    assert added.status_code == 201
    item = added.json()
    assert item["communicationType"] == "Phone" and item["type"]["id"] == 3
    found = manage.get("/company/contacts", params={"childConditions": 'communicationItems/value="5550001111"'})
    assert [c["id"] for c in found.json()] == [1]
    changed = manage.patch(
        f"/company/contacts/1/communications/{item['id']}",
        json=[{"op": "replace", "path": "value", "value": "5550002222"}],
    )
    assert changed.json()["value"] == "5550002222"
    assert manage.delete(f"/company/contacts/1/communications/{item['id']}").status_code == 204
    values = [i["value"] for i in manage.get("/company/contacts/1").json()["communicationItems"]]
    assert "5550002222" not in values
    missing = manage.post("/company/contacts/1/communications", json={"type": {"name": "Email"}})
    assert missing.status_code == 400
    assert missing.json()["errors"][0] == {
        "code": "MissingRequiredField", "message": "value is required.", "resource": "contactCommunication",
        "field": "value",
    }  # fmt: skip


def test_priority_and_country_references_look_as_recorded(manage: httpx.Client) -> None:
    # rapid7 get_ticket_by_id.json.resp: "priority": {"id": 8, "name": "Priority 4 - Low", "sort": 4, "_info":
    # {"priority_href": ...}}; get_company.json.resp: "country": {"id": 1, "name": "United States", "_info":
    # {"country_href": ".../company/countries/1"}}.
    ticket = manage.post("/service/tickets", json={"summary": "Sorted", "company": {"id": 1}}).json()
    assert ticket["priority"]["sort"] == 3
    assert ticket["priority"]["_info"]["priority_href"].endswith(f"/service/priorities/{ticket['priority']['id']}")
    company = manage.post(
        "/company/companies",
        json={"identifier": "Abroad", "name": "Abroad", "country": {"name": "Canada"}, "site": {"name": "Main"}},
    ).json()
    assert company["country"]["id"] == 2
    assert company["country"]["_info"]["country_href"].endswith("//company/countries/2")
    assert manage.get("/company/companies/1").json()["country"]["_info"]["country_href"].endswith("/countries/1")


def test_custom_field_conditions_compare_numbers_booleans_and_dates(manage: httpx.Client) -> None:
    values = [{"id": 4, "value": True}, {"id": 3, "value": 12}, {"id": 2, "value": "2024-05-01T00:00:00Z"}]
    manage.patch("/company/companies/2", json=[{"op": "replace", "path": "customFields", "value": values}])

    def found(condition: str) -> list[int]:
        return [c["id"] for c in manage.get("/company/companies", params={"customFieldConditions": condition}).json()]

    # Managed Backup is also set on the demo's Managed Service clients (1 and 4).
    assert found('caption="Managed Backup" AND value=true') == [1, 2, 4]
    assert found('caption="Endpoint Count" AND value > 10') == [2]
    assert found('caption="Endpoint Count" AND value > 12') == []
    assert found('caption="Onboarded Date" AND value > [2024-01-01T00:00:00Z]') == [2]
    assert 2 not in found("id=4 AND value=false")


@pytest.mark.parametrize(
    "path",
    ["/service/tickets/1", "/company/contacts/1", "/finance/agreements/1", "/system/members/2",
     "/company/companies/1/sites/1", "/service/boards/1/statuses/1", "/service/boards/1/teams/1",
     "/service/tickets/1/notes/1", "/finance/agreements/1/additions/1", "/company/companies/1/notes/1",
     "/company/companies/1/teams/1"],
)  # fmt: skip
def test_a_record_as_read_can_be_put_back_unchanged(manage: httpx.Client, path: str) -> None:
    # Clients such as connectwise-rest's replace* and the SDK's replace() send back what GET returned: every
    # filled field, reference _info and custom field list must be accepted and come back the same.
    record = manage.get(path).json()
    saved = manage.put(path, json=record)
    assert saved.status_code == 200, saved.text
    after = saved.json()
    assert {k: v for k, v in after.items() if k != "_info"} == {k: v for k, v in record.items() if k != "_info"}


def test_ticket_resources_is_text_in_conditions(manage: httpx.Client) -> None:
    # mark-rootcs/CWM-API-Gateway-MCP api_gateway/api_gateway.log: conditions=resources/identifier='Jason' is 400
    # {"code": "ApiFindCondition", "message": "resources/identifier is not a recognized name."}.
    refused = manage.get("/service/tickets", params={"conditions": "resources/identifier='jsmith'"})
    assert refused.status_code == 400
    assert refused.json() == {"code": "ApiFindCondition", "message": "resources/identifier is not a recognized name."}
    owned = manage.get("/service/tickets", params={"conditions": "resources contains 'jsmith'", "pageSize": 100})
    assert owned.json() and all(t["owner"]["identifier"] == "jsmith" for t in owned.json())
