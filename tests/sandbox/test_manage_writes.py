"""S1: creating, replacing, patching and deleting records; validation and ConnectWise's error bodies; auth."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import httpx

from cwdesk.sandbox import Sandbox

Connect = Callable[..., httpx.Client]


def test_post_returns_201_with_the_full_record_and_references_by_name(manage: httpx.Client) -> None:
    response = manage.post(
        "/company/companies",
        json={
            "identifier": "NorthwindHQ",
            "name": "Northwind",
            "status": {"name": "Credit Hold"},
            "city": "Reno",
            "site": {"name": "Main"},
        },
    )
    assert response.status_code == 201
    created = response.json()
    assert created["status"]["name"] == "Credit Hold"
    assert created["status"]["id"] == 3
    assert created["status"]["_info"]["status_href"].endswith("/company/companies/statuses/3")
    assert created["types"][0]["name"] == "Client"  # ConnectWise's default type
    assert set(created["_info"]) >= {"lastUpdated", "dateEntered", "updatedBy", "enteredBy"}
    assert manage.get(f"/company/companies/{created['id']}").json() == created


def test_missing_required_fields_give_one_error_each(manage: httpx.Client) -> None:
    response = manage.post("/finance/agreements", json={"name": "Only a name"})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "InvalidObject"
    assert {(e["code"], e["field"]) for e in body["errors"]} == {
        ("MissingRequiredField", "type"),
        ("MissingRequiredField", "company"),
        ("MissingRequiredField", "contact"),
    }


def test_company_identifier_must_be_letters_and_digits_and_unique(manage: httpx.Client) -> None:
    site = {"name": "Main"}
    spaced = manage.post("/company/companies", json={"identifier": "Acme Corp", "name": "Acme", "site": site})
    assert spaced.status_code == 400
    assert spaced.json()["errors"][0]["field"] == "identifier"
    duplicate = manage.post("/company/companies", json={"identifier": "acmedental", "name": "Another", "site": site})
    assert duplicate.status_code == 400
    assert duplicate.json()["code"] == "InvalidObject"
    assert duplicate.json()["errors"][0]["code"] == "ObjectExists"


def test_member_identifier_at_most_15_characters_and_unique(manage: httpx.Client) -> None:
    member = {
        "identifier": "a" * 16,
        "firstName": "Pat",
        "lastName": "Lee",
        "licenseClass": "F",
        "hireDate": "2024-01-02T00:00:00Z",
        "defaultEmail": "Office",
        "defaultPhone": "Office",
        "securityRole": {"name": "Technician"},
    }
    assert manage.post("/system/members", json=member).json()["errors"][0]["field"] == "identifier"
    member["identifier"] = "JSMITH"
    assert manage.post("/system/members", json=member).json()["errors"][0]["code"] == "ObjectExists"
    member["identifier"] = "plee"
    assert manage.post("/system/members", json=member).status_code == 201


def test_types_enums_lengths_and_unknown_members_are_checked(manage: httpx.Client) -> None:
    long_summary = manage.post("/service/tickets", json={"summary": "x" * 101, "company": {"id": 1}})
    assert long_summary.json()["errors"][0]["field"] == "summary"
    bad_enum = manage.post("/service/tickets", json={"summary": "ok", "company": {"id": 1}, "severity": "Huge"})
    assert bad_enum.json()["errors"][0]["field"] == "severity"
    unknown = manage.post("/company/companies", json={"identifier": "Zed", "name": "Zed", "colour": "red"})
    assert unknown.status_code == 400
    assert unknown.json()["code"] == "ConnectWiseApi"
    assert "colour" in unknown.json()["message"]
    missing_ref = manage.post("/service/tickets", json={"summary": "ok", "company": {"identifier": "NoSuchCo"}})
    assert missing_ref.status_code == 400
    assert [(e["code"], e["field"]) for e in missing_ref.json()["errors"]] == [("NotFound", "company/identifier")]


def test_put_replaces_and_patch_takes_a_json_patch_array_only(manage: httpx.Client) -> None:
    company = manage.get("/company/companies/3").json()
    before = company["_info"]
    company.pop("types")  # a PUT may not carry types (test_manage_fidelity.py)
    company["city"] = "Salem"
    replaced = manage.put("/company/companies/3", json=company)
    assert replaced.status_code == 200
    assert replaced.json()["city"] == "Salem"
    assert replaced.json()["_info"]["dateEntered"] == before["dateEntered"]
    patched = manage.patch(
        "/company/companies/3",
        json=[
            {"op": "replace", "path": "name", "value": "Cedar Law"},
            {"op": "replace", "path": "status/id", "value": 2},
        ],
    )
    assert patched.status_code == 200
    assert patched.json()["name"] == "Cedar Law"
    assert patched.json()["status"]["name"] == "Inactive"
    plain = manage.patch("/company/companies/3", json={"name": "Nope"})
    assert plain.status_code == 400
    assert "array" in plain.json()["message"]
    assert manage.get("/company/companies/3").json()["name"] == "Cedar Law"


def test_patch_that_removes_a_required_field_is_refused(manage: httpx.Client) -> None:
    response = manage.patch("/company/companies/1", json=[{"op": "remove", "path": "name"}])
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "MissingRequiredField"


def test_info_last_updated_and_updated_by_are_maintained(sandbox: Sandbox, connect: Connect) -> None:
    moments = iter([datetime(2030, 1, 1, tzinfo=UTC), datetime(2030, 2, 1, tzinfo=UTC)])
    sandbox.backend.clock = lambda: next(moments)
    with connect(sandbox) as manage:
        created = manage.post("/company/contacts", json={"firstName": "Ida", "company": {"id": 1}}).json()
        assert created["_info"]["dateEntered"] == "2030-01-01T00:00:00Z"
        updated = manage.patch(
            f"/company/contacts/{created['id']}", json=[{"op": "replace", "path": "lastName", "value": "Wells"}]
        ).json()
        assert updated["_info"]["lastUpdated"] == "2030-02-01T00:00:00Z"
        assert updated["_info"]["dateEntered"] == "2030-01-01T00:00:00Z"
        assert updated["_info"]["updatedBy"] == "admin"


def test_setting_a_default_contact_does_not_clear_the_others(manage: httpx.Client) -> None:
    contacts = manage.get("/company/contacts", params={"conditions": "company/id = 1"}).json()
    primary = [c["id"] for c in contacts if c["defaultFlag"]]
    other = next(c["id"] for c in contacts if not c["defaultFlag"])
    manage.patch(f"/company/contacts/{other}", json=[{"op": "replace", "path": "defaultFlag", "value": True}])
    now = manage.get("/company/contacts", params={"conditions": "company/id = 1 and defaultFlag = true"}).json()
    assert sorted(c["id"] for c in now) == sorted([*primary, other])


def test_delete_is_204_then_404_with_connectwise_wording(manage: httpx.Client) -> None:
    assert manage.delete("/company/contacts/8").status_code == 204
    gone = manage.get("/company/contacts/8")
    assert gone.status_code == 404
    assert gone.json() == {"code": "NotFound", "message": "Contact 8 not found"}
    # "company 404 not found": rapid7/insightconnect-plugins
    # plugins/connectwise/unit_test/responses/company_not_found.json.resp
    assert manage.delete("/company/companies/99").json() == {"code": "NotFound", "message": "company 99 not found"}


def test_deleting_a_member_who_owns_tickets_is_409(manage: httpx.Client) -> None:
    owner = manage.get("/service/tickets", params={"pageSize": 1}).json()[0]["owner"]
    response = manage.delete(f"/system/members/{owner['id']}")
    assert response.status_code == 409
    assert "ticket" in response.json()["message"]
    idle = manage.get("/system/members", params={"conditions": 'identifier = "readonly"'}).json()[0]
    assert manage.delete(f"/system/members/{idle['id']}").status_code == 204


def test_methods_the_spec_does_not_list_are_405(manage: httpx.Client) -> None:
    assert manage.put("/system/securityroles/1", json={"name": "x"}).status_code == 405
    assert manage.post("/system/info", json={}).status_code == 405


def test_sites_are_nested_under_their_company(manage: httpx.Client) -> None:
    created = manage.post("/company/companies/2/sites", json={"name": "Dock 4", "city": "Columbus"})
    assert created.status_code == 201
    assert created.json()["company"]["id"] == 2
    assert manage.get(f"/company/companies/1/sites/{created.json()['id']}").status_code == 404
    assert manage.get("/company/companies/99/sites").json()["message"] == "company 99 not found"


def test_contact_type_ids_on_post_and_communication_items(manage: httpx.Client) -> None:
    response = manage.post(
        "/company/contacts",
        json={
            "firstName": "Lena",
            "lastName": "Ortiz",
            "company": {"identifier": "DeltaMfg"},
            "typeIds": [2],
            "communicationItems": [{"type": {"name": "Email"}, "value": "lena@delta.example", "defaultFlag": True}],
        },
    )
    assert response.status_code == 201
    contact = response.json()
    assert contact["types"][0]["name"] == "Billing"
    assert contact["communicationItems"][0]["communicationType"] == "Email"
    assert "typeIds" not in contact
    found = manage.get(
        "/company/contacts", params={"childConditions": 'communicationItems/value = "LENA@delta.example"'}
    )
    assert [c["id"] for c in found.json()] == [contact["id"]]


def test_no_or_wrong_credentials_or_no_client_id_are_401(sandbox: Sandbox, connect: Connect) -> None:
    url = sandbox.base_url + "/v4_6_release/apis/3.0/company/companies"
    with httpx.Client(transport=sandbox.transport()) as bare:
        assert bare.get(url).status_code == 401
    wrong = {**sandbox.manage_credentials, "private_key": "not-the-key"}
    with connect(sandbox, wrong) as manage:
        response = manage.get("/company/companies")
        assert response.status_code == 401
        assert "not-the-key" not in response.text
    with connect(sandbox) as manage:
        assert manage.get("/company/companies", headers={"clientId": ""}).status_code == 401


def test_read_only_security_role_gets_403_on_writes(sandbox: Sandbox, connect: Connect) -> None:
    with connect(sandbox, sandbox.read_only_manage_credentials) as manage:
        assert manage.get("/company/companies").status_code == 200
        response = manage.post("/company/companies", json={"identifier": "Nope", "name": "Nope"})
        assert response.status_code == 403
    with connect(sandbox) as manage:
        assert manage.get("/company/companies/count").json() == {"count": 8}


def test_company_info_and_system_info(sandbox: Sandbox, manage: httpx.Client) -> None:
    with httpx.Client(transport=sandbox.transport()) as bare:
        info = bare.get(sandbox.base_url + "/login/companyinfo/SANDBOX").json()
    assert info["Codebase"] == "v4_6_release/"
    assert info["CompanyID"] == "sandbox"
    assert manage.get("/system/info").json()["version"].startswith("v2025")


def test_time_zones_are_listed_read_only_and_referenced_by_name(manage: httpx.Client) -> None:
    zones = manage.get("/system/timeZoneSetups", params={"conditions": 'name like "US%"'}).json()
    assert "US Eastern" in {z["name"] for z in zones}
    assert manage.post("/system/timeZoneSetups", json={"name": "Mars"}).status_code == 405
    site = manage.post("/company/companies/1/sites", json={"name": "Annex", "timeZone": {"name": "US Pacific"}})
    assert site.status_code == 201
    assert site.json()["timeZone"]["id"] == next(z["id"] for z in zones if z["name"] == "US Pacific")
    unknown = manage.post("/company/companies/1/sites", json={"name": "Moon", "timeZone": {"name": "Lunar"}})
    assert unknown.status_code == 400


def test_ticket_search_takes_conditions_in_the_body(manage: httpx.Client) -> None:
    everything = manage.get("/service/tickets", params={"pageSize": 1000}).json()
    company = everything[0]["company"]["id"]
    found = manage.post(
        "/service/tickets/search", params={"pageSize": 1000}, json={"conditions": f"company/id = {company}"}
    )
    assert found.status_code == 200  # a real server's answer (test_manage_fidelity.py)
    assert [t["id"] for t in found.json()] == [t["id"] for t in everything if t["company"]["id"] == company]
    assert manage.post("/service/tickets/search", json={"page": 2}).status_code == 400
