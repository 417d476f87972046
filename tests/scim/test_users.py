"""SCIM /Users over ConnectWise members: discovery, get, list with filters and paging, create, the refusals."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from cwdesk.store.jobs import jobs as jobs_table
from tests.scim.conftest import USER_SCHEMA, Bridge


def new_user(user_name: str = "bjensen", **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "schemas": [USER_SCHEMA],
        "userName": user_name,
        "externalId": "00u1abcd",
        "name": {"givenName": "Barbara", "familyName": "Jensen"},
        "emails": [{"value": f"{user_name}@example.com", "type": "work", "primary": True}],
        "active": True,
    }
    body.update(extra)
    return body


async def test_service_provider_config_announces_patch_and_filter_but_no_bulk(bridge: Bridge) -> None:
    async with bridge.client(secret="") as client:  # RFC 7643 §5: the configuration needs no authentication
        answer = await client.get("/ServiceProviderConfig")
    assert answer.status_code == 200
    config = answer.json()
    assert config["patch"]["supported"] is True
    assert config["filter"] == {"supported": True, "maxResults": 1000}
    assert config["bulk"]["supported"] is False
    assert config["authenticationSchemes"][0]["type"] == "oauthbearertoken"


async def test_user_schema_lists_only_what_a_member_keeps(bridge: Bridge) -> None:
    async with bridge.client() as client:
        answer = await client.get(f"/Schemas/{USER_SCHEMA}")
    names = {attribute["name"] for attribute in answer.json()["attributes"]}
    assert names == {"userName", "name", "displayName", "title", "active", "emails", "phoneNumbers", "groups"}


async def test_a_member_reads_as_a_user(bridge: Bridge) -> None:
    member = bridge.member("jsmith")
    async with bridge.client() as client:
        answer = await client.get(f"/Users/{member['id']}")
    assert answer.status_code == 200
    user = answer.json()
    assert user["userName"] == "jsmith"
    assert user["name"]["givenName"] == "Jordan" and user["name"]["familyName"] == "Smith"
    assert user["emails"] == [{"value": "jsmith@sandbox-msp.example", "type": "work", "primary": True}]
    assert user["active"] is True
    assert user["groups"][0]["display"] == "Technician"


async def test_unknown_user_is_404(bridge: Bridge) -> None:
    async with bridge.client() as client:
        answer = await client.get("/Users/99999")
        not_a_number = await client.get("/Users/abc")
    assert answer.status_code == 404 and not_a_number.status_code == 404


async def test_filter_username_eq_finds_the_member(bridge: Bridge) -> None:
    async with bridge.client() as client:
        answer = await client.get("/Users", params={"filter": 'userName eq "akhan"'})
    body = answer.json()
    assert body["totalResults"] == 1
    assert [u["userName"] for u in body["Resources"]] == ["akhan"]
    sent = [r for r in bridge.sandbox.requests if r.path.endswith("/system/members") and r.method == "GET"]
    assert 'identifier = "akhan"' in str(sent[-1].query)


async def test_filter_emails_contains_and_active(bridge: Bridge) -> None:
    async with bridge.client() as client:
        everyone = await client.get("/Users", params={"filter": 'emails.value co "@sandbox-msp"'})
        active = await client.get("/Users", params={"filter": "active eq true"})
    assert everyone.json()["totalResults"] == 5
    assert active.json()["totalResults"] == 5


async def test_hostile_filter_value_stays_a_string(bridge: Bridge) -> None:
    hostile = r'userName eq "x\" or 1 eq 1 or (identifier = \"admin"'
    async with bridge.client() as client:
        answer = await client.get("/Users", params={"filter": hostile})
        quoted = await client.get("/Users", params={"filter": 'userName eq "a) or (1 eq 1"'})
    assert answer.status_code == 200 and answer.json()["totalResults"] == 0
    assert quoted.status_code == 200 and quoted.json()["totalResults"] == 0


async def test_filter_that_is_not_scim_is_400_invalid_filter(bridge: Bridge) -> None:
    async with bridge.client() as client:
        answer = await client.get("/Users", params={"filter": 'userName eq "x" or'})
    assert answer.status_code == 400
    assert answer.json()["scimType"] == "invalidFilter"


async def test_start_index_and_count_page_over_connectwise_pages(bridge: Bridge) -> None:
    async with bridge.client() as client:
        first = await client.get("/Users", params={"startIndex": 1, "count": 2})
        second = await client.get("/Users", params={"startIndex": 2, "count": 2})
        last = await client.get("/Users", params={"startIndex": 5, "count": 2})
        none = await client.get("/Users", params={"count": 0})
    ids = lambda answer: [u["id"] for u in answer.json()["Resources"]]  # noqa: E731
    assert first.json()["totalResults"] == 5
    assert ids(first) == ["1", "2"]
    assert ids(second) == ["2", "3"]  # an offset that is not a page boundary: two ConnectWise pages
    assert ids(last) == ["5"]
    assert none.json()["totalResults"] == 5 and none.json().get("Resources", []) == []


async def test_create_provisions_the_member_as_a_w4_job_named_after_the_token(bridge: Bridge) -> None:
    async with bridge.client() as client:
        answer = await client.post("/Users", json=new_user())
    assert answer.status_code == 201
    created = answer.json()
    assert created["userName"] == "bjensen" and created["externalId"] == "00u1abcd"
    member = bridge.member("bjensen")
    assert member["officeEmail"] == "bjensen@example.com"
    assert member["securityRole"]["name"] == "Technician" and member["licenseClass"] == "F"
    with bridge.engine.connect() as conn:
        made = conn.execute(sa.select(jobs_table.c.kind, jobs_table.c.created_by)).all()
    assert ("members.provision", "scim:okta") in [tuple(row) for row in made]


async def test_sixteen_character_username_is_refused_naming_the_rule(bridge: Bridge) -> None:
    async with bridge.client() as client:
        answer = await client.post("/Users", json=new_user("a" * 16))
    assert answer.status_code == 400
    error = answer.json()
    assert error["scimType"] == "invalidValue"
    assert "at most 15" in error["detail"]
    assert not bridge.writes()


async def test_duplicate_username_is_409_uniqueness(bridge: Bridge) -> None:
    async with bridge.client() as client:
        answer = await client.post("/Users", json=new_user("jsmith"))
    assert answer.status_code == 409
    assert answer.json()["scimType"] == "uniqueness"
    assert not bridge.writes()


async def test_missing_or_bad_token_is_401(bridge: Bridge) -> None:
    async with bridge.client(secret="") as client:
        missing = await client.get("/Users")
    async with bridge.client(secret="cwd_not-a-token") as client:
        wrong = await client.get("/Users")
    for answer in (missing, wrong):
        assert answer.status_code == 401
        assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    assert bridge.secret not in missing.text + wrong.text


async def test_revoked_token_is_401(bridge: Bridge) -> None:
    from cwdesk.store.tokens import Tokens

    Tokens(bridge.engine).revoke("okta")
    async with bridge.client() as client:
        answer = await client.get("/Users")
    assert answer.status_code == 401


async def test_no_answer_carries_the_token_or_connectwise_keys(bridge: Bridge) -> None:
    async with bridge.client() as client:
        answers = [
            await client.get("/Users"),
            await client.get("/Groups"),
            await client.post("/Users", json=new_user()),
            await client.post("/Users", json=new_user("a" * 16)),
        ]
    text = "".join(a.text + str(a.headers) for a in answers)
    assert bridge.secret not in text
    assert bridge.sandbox.manage_credentials["private_key"] not in text
