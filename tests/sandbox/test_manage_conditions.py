"""S1: the conditions grammar of docs/connectwise.md ("Conditions") evaluated by the Manage emulator, and its errors."""

from __future__ import annotations

import httpx
import pytest


def ids(response: httpx.Response) -> list[int]:
    assert response.status_code == 200, response.text
    return [record["id"] for record in response.json()]


def names(response: httpx.Response) -> set[str]:
    assert response.status_code == 200, response.text
    return {record["name"] for record in response.json()}


def test_equality_on_a_reference_name_is_case_insensitive(manage: httpx.Client) -> None:
    active = names(manage.get("/company/companies", params={"conditions": 'status/name = "active"'}))
    assert "Fulton Street CPAs" not in active
    assert "Acme Dental Group" in active
    assert len(active) == 7


def test_single_quotes_keywords_in_any_case_and_parentheses(manage: httpx.Client) -> None:
    text = "(Status/Name != 'Inactive' AND identifier Like 'A%') OR City = 'Boise'"
    assert names(manage.get("/company/companies", params={"conditions": text})) == {
        "Acme Dental Group",
        "Evergreen Veterinary Clinic",
    }


def test_contains_not_contains_and_in(manage: httpx.Client) -> None:
    assert names(manage.get("/company/companies", params={"conditions": 'name contains "law"'})) == {
        "Cedar & Finch Law"
    }
    without = names(manage.get("/company/companies", params={"conditions": 'name not contains "a"'}))
    assert all("a" not in name.lower() for name in without)
    picked = ids(manage.get("/company/companies", params={"conditions": "id in (1, 3, 99)"}))
    assert picked == [1, 3]
    text = 'identifier not in ("AcmeDental", "BrightPath")'
    assert 1 not in ids(manage.get("/company/companies", params={"conditions": text, "pageSize": 100}))


def test_booleans_null_and_numbers(manage: httpx.Client) -> None:
    open_tickets = manage.get("/service/tickets", params={"conditions": "closedFlag = False", "pageSize": 100})
    assert open_tickets.status_code == 200
    assert all(not ticket["closedFlag"] for ticket in open_tickets.json())
    no_parent = manage.get("/company/companies", params={"conditions": "parentCompany = null", "pageSize": 100})
    assert len(no_parent.json()) == 8
    assert ids(manage.get("/company/companies", params={"conditions": "id > 6"})) == [7, 8]


def test_datetimes_in_brackets_compare_on_info(manage: httpx.Client) -> None:
    everything = manage.get("/company/contacts", params={"pageSize": 1000}).json()
    dates = sorted(c["_info"]["lastUpdated"] for c in everything)
    middle = dates[len(dates) // 2]
    newer = manage.get("/company/contacts", params={"conditions": f"_info/lastUpdated > [{middle}]", "pageSize": 1000})
    assert {c["id"] for c in newer.json()} == {c["id"] for c in everything if c["_info"]["lastUpdated"] > middle}
    shorthand = manage.get("/company/contacts", params={"conditions": f"lastUpdated > [{middle}]", "pageSize": 1000})
    assert ids(shorthand) == ids(newer)


def test_paths_into_arrays_of_references(manage: httpx.Client) -> None:
    prospects = names(manage.get("/company/companies", params={"conditions": 'types/name = "Prospect"'}))
    assert prospects == {"Granite Peak Outfitters", "Harbor Montessori Schools"}


def test_unknown_field_is_connectwise_api_find_condition_error(manage: httpx.Client) -> None:
    response = manage.get("/company/companies", params={"conditions": 'resources/identifier = "x"'})
    assert response.status_code == 400
    assert response.json() == {"code": "ApiFindCondition", "message": "resources/identifier is not a recognized name."}


@pytest.mark.parametrize("text", ['name = "unterminated', "name = ", "(name = 1", "name ~ 3", "and or"])
def test_syntax_errors_are_400_with_a_useful_message(manage: httpx.Client, text: str) -> None:
    response = manage.get("/company/companies", params={"conditions": text})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "InvalidObject"
    assert body["message"].startswith("conditions is not valid:")


def test_values_cannot_inject_sql(manage: httpx.Client) -> None:
    text = 'name = "x\' OR 1=1 --"'
    assert ids(manage.get("/company/companies", params={"conditions": text})) == []


def test_child_conditions_find_contacts_by_email(manage: httpx.Client) -> None:
    first = manage.get("/company/contacts/1").json()
    email = next(i["value"] for i in first["communicationItems"] if i["communicationType"] == "Email")
    text = f'communicationItems/value like "{email.upper()}" AND communicationItems/communicationType="Email"'
    assert ids(manage.get("/company/contacts", params={"childConditions": text})) == [1]
    # Both tests must hold on the same item: the e-mail is not a phone number.
    text = f'communicationItems/value = "{email}" AND communicationItems/communicationType="Phone"'
    assert ids(manage.get("/company/contacts", params={"childConditions": text})) == []


def test_custom_field_conditions_match_caption_and_value_on_one_field(manage: httpx.Client) -> None:
    # Custom fields are listed whole on every record (rapid7/insightconnect-plugins
    # plugins/connectwise/unit_test/responses/get_company.json.resp); a PUT sends them back with values.
    company = manage.get("/company/companies/2").json()
    company.pop("_info")
    company.pop("types")  # a PUT may not carry types (test_manage_fidelity.py)
    for field in company["customFields"]:
        if field["caption"] == "Backup Vendor":
            field["value"] = "Datto"
        if field["caption"] == "Account Tier":
            field["value"] = "Platinum"
    assert manage.put("/company/companies/2", json=company).status_code == 200
    tier = 'caption="Account Tier" AND value="Platinum"'
    assert ids(manage.get("/company/companies", params={"customFieldConditions": tier})) == [2]
    mixed = 'caption="Account Tier" AND value="Datto"'
    assert ids(manage.get("/company/companies", params={"customFieldConditions": mixed})) == []


def test_order_by_several_keys_and_fields_with_nested_paths(manage: httpx.Client) -> None:
    response = manage.get(
        "/company/companies",
        params={"orderBy": "status/name desc, name asc", "fields": "id,name,status/name", "pageSize": 100},
    )
    records = response.json()
    assert records[0] == {"id": 6, "name": "Fulton Street CPAs", "status": {"name": "Inactive"}}
    assert [r["name"] for r in records[1:]] == sorted(r["name"] for r in records[1:])
    bad = manage.get("/company/companies", params={"orderBy": "nosuch asc"})
    assert bad.status_code == 400


def test_count_honours_conditions(manage: httpx.Client) -> None:
    response = manage.get("/company/companies/count", params={"conditions": 'status/name = "Inactive"'})
    assert response.json() == {"count": 1}
    assert manage.get("/company/companies/1/sites/count").json() == {"count": 1}
