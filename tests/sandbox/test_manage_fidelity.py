"""S1 fidelity: the Manage sandbox answers as real ConnectWise servers were recorded answering (issue 11).

Each test names the recording or live probe it follows (repository and path). Behaviours no source settles are
listed in docs/sandbox.md ("Unverified") and not tested here as facts.
"""

from __future__ import annotations

import json

import httpx

from cwdesk.sandbox import Sandbox

SITE = {"name": "Main"}


def _company(identifier: str, **fields: object) -> dict[str, object]:
    return {"identifier": identifier, "name": f"{identifier} Inc", "city": "Reno", **fields}


# ------------------------------------------------------------------------------------------------- companies
def test_company_create_without_site_is_refused(manage: httpx.Client) -> None:
    """Mwbergamo/SolutionsHub register/api/customers.php, live probe round 1: "Company Site name is required."."""
    response = manage.post("/company/companies", json=_company("NoSite1"))
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "InvalidObject"
    assert [(e["field"], e["message"]) for e in body["errors"]] == [("site", "Company Site name is required.")]
    assert manage.get("/company/companies", params={"conditions": 'identifier = "NoSite1"'}).json() == []


def test_company_create_with_site_name_creates_that_site_for_the_company(manage: httpx.Client) -> None:
    """Mwbergamo/SolutionsHub register/api/customers.php: ``site => ['name' => 'Main']`` and "ConnectWise creates
    that site record itself"."""
    created = manage.post("/company/companies", json=_company("WithSite1", site=SITE))
    assert created.status_code == 201
    company = created.json()
    sites = manage.get(f"/company/companies/{company['id']}/sites").json()
    assert [s["name"] for s in sites] == ["Main"]
    assert company["site"]["id"] == sites[0]["id"]
    assert company["site"]["name"] == "Main"
    assert sites[0]["company"]["id"] == company["id"]
    assert company["site"]["_info"]["site_href"].endswith(f"/company/companies/{company['id']}/sites/{sites[0]['id']}")


def test_company_create_with_only_a_site_id_is_refused(manage: httpx.Client) -> None:
    """A new company has no site yet, so ``site: {id}`` cannot name one of its own; the sandbox asks for a name
    (what a real server does is unverified: docs/sandbox.md)."""
    response = manage.post("/company/companies", json=_company("SiteById1", site={"id": 1}))
    assert response.status_code == 400
    assert response.json()["errors"][0]["message"] == "Company Site name is required."


def test_put_of_a_company_exactly_as_get_returned_it_is_refused_for_its_types(manage: httpx.Client) -> None:
    """Mwbergamo/SolutionsHub register/api/customers.php and register/api/connectwise.php: sending the fetched
    record straight back fails with "typeIds can only be used when creating a new company.", the error's
    ``field`` being ``typeIds``; without ``types`` the same PUT succeeds."""
    company = manage.get("/company/companies/2").json()
    refused = manage.put("/company/companies/2", json=company)
    assert refused.status_code == 400
    errors = refused.json()["errors"]
    assert [(e["field"], e["message"]) for e in errors] == [
        ("typeIds", "typeIds can only be used when creating a new company.")
    ]
    company.pop("types")
    company["city"] = "Dayton"
    accepted = manage.put("/company/companies/2", json=company)
    assert accepted.status_code == 200
    assert accepted.json()["city"] == "Dayton"
    assert accepted.json()["types"] == manage.get("/company/companies/1").json()["types"]  # kept, not cleared


def test_patch_of_a_company_types_is_refused_with_the_same_message(manage: httpx.Client) -> None:
    """A TypeScript integration's comment (found by text search; the index does not name its repository): "CW
    rejects PATCH of /types on an existing company: typeIds can only be used when creating a new company."."""
    response = manage.patch("/company/companies/2", json=[{"op": "replace", "path": "types", "value": [{"id": 1}]}])
    assert response.status_code == 400
    assert response.json()["errors"][0]["message"] == "typeIds can only be used when creating a new company."


def test_deleted_company_is_marked_deleted_and_get_still_answers(sandbox: Sandbox, manage: httpx.Client) -> None:
    """rapid7/insightconnect-plugins plugins/connectwise/unit_test/responses/get_company.json.resp: a GET of a
    company answered ``deletedFlag: true``, ``dateDeleted`` and ``deletedBy``; KerkhoffTechnologies/
    django-connectwise djconnectwise/sync.py: "Companies are deleted by setting deleted_flag = True" and company
    lists are read with ``deletedFlag=False``."""
    assert manage.delete("/company/companies/8").status_code == 204
    answered = manage.get("/company/companies/8")
    assert answered.status_code == 200
    company = answered.json()
    assert company["deletedFlag"] is True
    assert company["deletedBy"] == "admin"
    assert company["dateDeleted"].endswith("Z")
    alive = manage.get("/company/companies", params={"conditions": "deletedFlag = false", "pageSize": 1000}).json()
    assert 8 not in [c["id"] for c in alive]


def test_duplicate_company_identifier_is_one_object_exists_error(manage: httpx.Client) -> None:
    """Mwbergamo/SolutionsHub register/api/connectwise.php (confirmed live): ``{"code":"InvalidObject","errors":
    [{"code":"ObjectExists","message":"Company ID already in use.","field":"identifier"}]}``."""
    response = manage.post("/company/companies", json={"identifier": "AcmeDental", "name": "Again", "site": SITE})
    errors = response.json()["errors"]
    assert [(e["code"], e["field"], e["message"]) for e in errors] == [
        ("ObjectExists", "identifier", "Company ID already in use.")
    ]


def test_account_number_longer_than_41_is_refused_with_the_dotnet_message(manage: httpx.Client) -> None:
    """Mwbergamo/SolutionsHub register/api/customers.php, live probe round 2: "The field accountNumber must be a
    string with a maximum length of 41."."""
    response = manage.post("/company/companies", json=_company("LongAcct1", site=SITE, accountNumber="x" * 42))
    assert [e["message"] for e in response.json()["errors"]] == [
        "The field accountNumber must be a string with a maximum length of 41."
    ]


def test_too_long_strings_get_the_dotnet_message_with_the_spec_maximum(manage: httpx.Client) -> None:
    """The same .NET wording (Mwbergamo/SolutionsHub register/api/customers.php) with the spec's "max 100" for
    Ticket.summary (manage-core.json)."""
    response = manage.post("/service/tickets", json={"summary": "x" * 101, "company": {"id": 1}})
    assert [e["message"] for e in response.json()["errors"]] == [
        "The field summary must be a string with a maximum length of 100."
    ]


def test_contact_create_takes_types_by_id_alone(manage: httpx.Client) -> None:
    """Mwbergamo/SolutionsHub register/api/customers.php (confirmed live): a contact is written with
    ``types: [{id: 3}]``, "no name/description needed", and reads back with the type's name."""
    created = manage.post(
        "/company/contacts", json={"firstName": "Pat", "lastName": "Buyer", "company": {"id": 1}, "types": [{"id": 3}]}
    )
    assert created.status_code == 201
    assert [(t["id"], bool(t["name"])) for t in created.json()["types"]] == [(3, True)]


# ---------------------------------------------------------------------------------------------------- errors
def test_get_of_a_missing_ticket_is_service_ticket_not_found(manage: httpx.Client) -> None:
    """rapid7/insightconnect-plugins plugins/connectwise/unit_test/responses/ticket_not_found.json.resp."""
    response = manage.get("/service/tickets/99999")
    assert response.status_code == 404
    assert response.json() == {"code": "NotFound", "message": "Service Ticket 99999 not found"}


def test_get_of_a_missing_company_is_company_not_found(manage: httpx.Client) -> None:
    """rapid7/insightconnect-plugins plugins/connectwise/unit_test/responses/company_not_found.json.resp."""
    assert manage.get("/company/companies/404").json() == {"code": "NotFound", "message": "company 404 not found"}


def test_reference_to_a_missing_record_is_one_not_found_error_and_nothing_is_stored(manage: httpx.Client) -> None:
    """rapid7/insightconnect-plugins plugins/connectwise/unit_test/responses/ticket_company_not_found.json.resp:
    exactly one error, code ``NotFound`` on field ``company/id``, under "ticket object is invalid"."""
    before = manage.get("/service/tickets/count").json()["count"]
    response = manage.post("/service/tickets", json={"summary": "Dangling", "company": {"id": 19299}})
    assert response.status_code == 400
    assert response.json() == {
        "code": "InvalidObject",
        "message": "ticket object is invalid",
        "errors": [
            {"code": "NotFound", "message": "company 19299 not found", "resource": "ticket", "field": "company/id"}
        ],
    }
    assert manage.get("/service/tickets/count").json()["count"] == before


def test_unknown_condition_field_is_api_find_condition(manage: httpx.Client) -> None:
    """rapid7/insightconnect-plugins plugins/connectwise/unit_test/responses/get_tickets_invalid_conditions.json.resp
    and mark-rootcs/CWM-API-Gateway-MCP api_gateway/api_gateway.log: "<name> is not a recognized name."."""
    for path in ("/service/tickets", "/service/tickets/count"):
        response = manage.get(path, params={"conditions": "resources/identifier = 'Jason'"})
        assert response.status_code == 400
        assert response.json() == {
            "code": "ApiFindCondition",
            "message": "resources/identifier is not a recognized name.",
        }


# ---------------------------------------------------------------------------------------------- value binding
def test_numbers_and_booleans_sent_as_strings_are_bound(manage: httpx.Client) -> None:
    """The server deserialises with Json.NET (its own error text in mark-rootcs/CWM-API-Gateway-MCP
    api_gateway/api_gateway.log), which binds "2" to an int and "true" to a bool."""
    created = manage.post(
        "/company/contacts", json={"firstName": "Str", "company": {"id": "1"}, "inactiveFlag": "true"}
    )
    assert created.status_code == 201
    assert created.json()["company"]["id"] == 1
    assert created.json()["inactiveFlag"] is True
    patched = manage.patch("/finance/agreements/1", json=[{"op": "replace", "path": "billAmount", "value": "125.50"}])
    assert patched.status_code == 200
    assert patched.json()["billAmount"] == 125.5
    as_text = manage.patch("/company/contacts/1", json=[{"op": "replace", "path": "title", "value": 42}])
    assert as_text.status_code == 200 and as_text.json()["title"] == "42"
    not_a_number = manage.patch(
        "/finance/agreements/1", json=[{"op": "replace", "path": "billAmount", "value": "lots"}]
    )
    assert not_a_number.status_code == 400


# ------------------------------------------------------------------------------------------------ the rest
def test_forward_only_paging_puts_a_link_header_on_every_page_and_an_empty_one_on_the_last(
    manage: httpx.Client,
) -> None:
    """christaylorcodes/ConnectWiseManageAPI ConnectWiseManageAPI/Public/Invoke/Invoke-CWMAllResult.ps1: a page
    without ``Link`` means "Endpoint doesn't support 'forward-only' pagination"; the loop follows the header's first
    URL and ends only when the header is empty."""
    headers = {"pagination-type": "forward-only"}
    url: str | None = "/company/companies?pageSize=3"
    seen: list[int] = []
    links: list[str] = []
    while url:
        response = manage.get(url, headers=headers)
        assert "link" in response.headers
        links.append(response.headers["link"])
        seen.extend(c["id"] for c in response.json())
        url = response.headers["link"].split(";")[0].strip().lstrip("<").rstrip(">") or None
    assert links[-1] == ""
    assert all('rel="next"' in link for link in links[:-1])
    assert seen == sorted(seen)
    assert len(seen) == manage.get("/company/companies/count").json()["count"]


def test_ticket_search_answers_200_and_pages_forward_only(manage: httpx.Client) -> None:
    """mark-rootcs/CWM-API-Gateway-MCP api_gateway/api_gateway.log (2025-03-18 07:19:05): POST
    /service/tickets/search with ``{"conditions": ...}`` answered 200; christaylorcodes/ConnectWiseManageAPI
    Public/Invoke/Invoke-CWMSearchMaster.ps1 pages a search forward-only."""
    response = manage.post(
        "/service/tickets/search",
        params={"pageSize": 2},
        json={"conditions": "closedFlag = false"},
        headers={"pagination-type": "forward-only"},
    )
    assert response.status_code == 200
    assert len(response.json()) == 2
    assert 'rel="next"' in response.headers["link"]


def test_search_body_member_the_model_lacks_is_refused_as_json_net_does(manage: httpx.Client) -> None:
    """mark-rootcs/CWM-API-Gateway-MCP api_gateway/api_gateway.log (2025-03-18 07:18:41): ``{"page": 1}`` in the
    body answered 400 ``ConnectWiseApi`` "Could not find member 'page' on object of type 'FilterValues'..."."""
    logged_body = json.dumps({"conditions": 'summary contains "rocks"', "page": 1, "pageSize": 50})
    response = manage.post("/service/tickets/search", content=logged_body, headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert response.json() == {
        "code": "ConnectWiseApi",
        "message": "Could not find member 'page' on object of type 'FilterValues'. Path 'page', line 1, position 50."
        "Check your accept header to make sure you are using the correct version.",
    }


def test_unknown_member_of_a_record_says_where_it_is_in_the_body(manage: httpx.Client) -> None:
    """The same Json.NET wording (mark-rootcs/CWM-API-Gateway-MCP api_gateway/api_gateway.log) for a record's
    body, over several lines."""
    body = '{\n  "identifier": "Zed1",\n  "colour": "red"\n}'
    response = manage.post("/company/companies", content=body, headers={"content-type": "application/json"})
    assert response.json()["message"] == (
        "Could not find member 'colour' on object of type 'Company'. Path 'colour', line 3, position 9."
        "Check your accept header to make sure you are using the correct version."
    )


def test_company_info_of_an_unknown_company_is_200_with_null(sandbox: Sandbox) -> None:
    """KerkhoffTechnologies/django-connectwise djconnectwise/api.py (CompanyInfoManager): "CW returns None if
    company ID is unknown." -- a 2xx whose JSON body is null."""
    with httpx.Client(transport=sandbox.transport()) as bare:
        response = bare.get(sandbox.base_url + "/login/companyinfo/NoSuchCompany")
        known = bare.get(sandbox.base_url + "/login/companyinfo/sandbox")
    assert response.status_code == 200
    assert response.json() is None
    assert known.json()["Codebase"] == "v4_6_release/"


def test_api_answers_carry_api_current_version(manage: httpx.Client) -> None:
    """christaylorcodes/ConnectWiseManageAPI ConnectWiseManageAPI/Public/Invoke/Invoke-CWMWebRequest.ps1 reads
    ``api-current-version`` from a successful answer's headers; the value's format is unverified (docs/sandbox.md)."""
    assert manage.get("/company/companies/1").headers["api-current-version"] == "2025.1"
    assert manage.get("/company/companies/99999").headers["api-current-version"] == "2025.1"
