"""Recorded request sequences of Okta and Entra ID, replayed against the bridge: the ConnectWise state after each.

Where the request shapes come from (bodies below follow them; only names and ids are ours):

- Entra ID: Microsoft's tutorial "Develop and plan provisioning for a SCIM endpoint in Microsoft Entra ID"
  (MicrosoftDocs/azure-docs, articles/active-directory/app-provisioning/use-scim-to-provision-users-and-groups.md:
  the create with ``addresses: null``, the enterprise schema URN and ``primary: true``; DELETE to deprovision) and
  "Known issues ... SCIM 2.0 protocol compliance" (same folder, application-provisioning-config-problem-scim-
  compatibility.md: without the ``aadOptscim062020`` flag Entra sends ``{"op":"Replace","path":"active",
  "value":"False"}``, capitalised ops, several ``Replace`` in one PATCH including ``emails[type eq "work"].value``
  and an enterprise ``employeeNumber``, and removes a group member with
  ``{"op":"Remove","path":"members","value":[{"value":"<id>"}]}``; with the flag, ``members[value eq "<id>"]``).
  ``"op":"Add"`` for ``active`` is also seen from Entra (rancher/rancher issue 54025).
- Okta: Okta's "Okta and SCIM Version 2.0" reference (developer.okta.com/docs/api/openapi/okta-scim/guides/scim-20:
  the lookup ``filter=userName eq "..."&startIndex=1&count=100``, the create with ``locale``, ``groups: []``,
  ``password``, deactivation as ``{"op":"replace","value":{"active":false}}``, profile updates with PUT, group
  push with ``members[value eq "<id>"]`` removal); the ``replace`` object shape is also the one GitHub's SCIM API
  documents for Okta (``{"op":"replace","value":{"active":false}}``).
"""

from __future__ import annotations

from typing import Any

import httpx

from tests.scim.conftest import GROUP_SCHEMA, PATCH_SCHEMA, USER_SCHEMA, Bridge

ENTERPRISE_AS_ENTRA_WRITES_IT = "urn:ietf:params:scim:schemas:extension:enterprise:2.0User"  # sic, in Microsoft's doc


def patch(*operations: dict[str, Any]) -> dict[str, Any]:
    return {"schemas": [PATCH_SCHEMA], "Operations": list(operations)}


def ok(answer: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    return answer.json() if answer.content else {}


async def test_entra_sequence_gives_the_right_connectwise_state(bridge: Bridge) -> None:
    async with bridge.client() as client:
        found = ok(await client.get("/Users", params={"filter": 'userName eq "jyoung"'}))
        assert found["totalResults"] == 0
        created = ok(
            await client.post(
                "/Users",
                json={
                    "schemas": [USER_SCHEMA, ENTERPRISE_AS_ENTRA_WRITES_IT],
                    "externalId": "jyoung",
                    "userName": "jyoung",
                    "active": True,
                    "addresses": None,
                    "displayName": "Joy Young",
                    "emails": [{"type": "work", "value": "jyoung@contoso.example", "primary": True}],
                    "meta": {"resourceType": "User"},
                    "name": {"familyName": "Young", "givenName": "Joy"},
                    "phoneNumbers": None,
                    "preferredLanguage": None,
                    "title": None,
                    "department": None,
                    "manager": None,
                },
            ),
            201,
        )
        user_id = created["id"]
        member = bridge.member("jyoung")
        assert (member["firstName"], member["lastName"]) == ("Joy", "Young")
        assert member["officeEmail"] == "jyoung@contoso.example"
        assert member["inactiveFlag"] is False

        # Disable (Entra's default, non-compliant shape: capitalised op, string boolean).
        ok(await client.patch(f"/Users/{user_id}", json=patch({"op": "Replace", "path": "active", "value": "False"})))
        assert bridge.member("jyoung")["inactiveFlag"] is True
        # Re-enable.
        ok(await client.patch(f"/Users/{user_id}", json=patch({"op": "Replace", "path": "active", "value": "True"})))
        assert bridge.member("jyoung")["inactiveFlag"] is False
        # Several attributes at once, the work email by a filtered path, an extension attribute we do not keep.
        updated = ok(
            await client.patch(
                f"/Users/{user_id}",
                json=patch(
                    {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "joy.young@contoso.example"},
                    {"op": "Replace", "path": "name.givenName", "value": "Joyce"},
                    {"op": "Replace", "path": "externalId", "value": "jyoung-2"},
                    {
                        "op": "Replace",
                        "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
                        "value": "701984",
                    },
                ),
            )
        )
        assert updated["externalId"] == "jyoung-2"
        member = bridge.member("jyoung")
        assert (member["firstName"], member["officeEmail"]) == ("Joyce", "joy.young@contoso.example")
        by_external = ok(await client.get("/Users", params={"filter": 'externalId eq "jyoung-2"'}))
        assert [u["id"] for u in by_external["Resources"]] == [user_id]

        # Group add / remove (Entra's default removal carries the member in "value").
        group = ok(await client.post("/Groups", json={"schemas": [GROUP_SCHEMA], "displayName": "Field Techs"}), 201)
        ok(await client.patch(f"/Groups/{group['id']}", json=patch(
            {"op": "Add", "path": "members", "value": [{"$ref": None, "value": user_id}]})))  # fmt: skip
        assert bridge.member("jyoung")["securityRole"]["name"] == "Field Techs"
        ok(await client.patch(f"/Groups/{group['id']}", json=patch(
            {"op": "Remove", "path": "members", "value": [{"value": user_id}]})))  # fmt: skip
        assert bridge.member("jyoung")["securityRole"]["name"] == "Technician"  # back to the default role

        # Deprovision: DELETE deactivates (no hard delete configured) and the user is gone for SCIM.
        ok(await client.delete(f"/Users/{user_id}"), 204)
        assert bridge.member("jyoung")["inactiveFlag"] is True
        assert (await client.get(f"/Users/{user_id}")).status_code == 404
        assert ok(await client.get("/Users", params={"filter": 'userName eq "jyoung"'}))["totalResults"] == 0
    assert not [w for w in bridge.writes() if w.startswith("DELETE /v4_6_release/apis/3.0/system/members")]


async def test_entra_display_name_replace_is_refused_as_read_only(bridge: Bridge) -> None:
    """Entra's default mapping also replaces displayName; the bridge derives it from the names (docs/scim.md says to
    remove that mapping), and RFC 7644 §3.5.2 answers a change of a read-only attribute with 400 mutability."""
    member = bridge.member("akhan")
    async with bridge.client() as client:
        answer = await client.patch(
            f"/Users/{member['id']}", json=patch({"op": "Replace", "path": "displayName", "value": "Pvlo"})
        )
    assert answer.status_code == 400 and answer.json()["scimType"] == "mutability"
    assert not bridge.writes()


async def test_entra_add_active_false_deactivates(bridge: Bridge) -> None:
    member = bridge.member("mlopez")
    async with bridge.client() as client:
        ok(await client.patch(f"/Users/{member['id']}", json=patch({"op": "Add", "path": "active", "value": "False"})))
    assert bridge.member("mlopez")["inactiveFlag"] is True


async def test_okta_sequence_gives_the_right_connectwise_state(bridge: Bridge) -> None:
    async with bridge.client() as client:
        lookup = {"filter": 'userName eq "dchen"', "startIndex": 1, "count": 100}
        assert ok(await client.get("/Users", params=lookup))["totalResults"] == 0
        created = ok(
            await client.post(
                "/Users",
                json={
                    "schemas": [USER_SCHEMA],
                    "userName": "dchen",
                    "name": {"givenName": "Dana", "familyName": "Chen"},
                    "emails": [{"primary": True, "value": "dana.chen@acme.example", "type": "work"}],
                    "displayName": "Dana Chen",
                    "locale": "en-US",
                    "externalId": "00ujl29u0le5T6Aj10h7",
                    "groups": [],
                    "password": "1mz050nq",
                    "active": True,
                },
            ),
            201,
        )
        user_id = created["id"]
        assert "password" not in created
        assert bridge.member("dchen")["officeEmail"] == "dana.chen@acme.example"

        ok(await client.patch(f"/Users/{user_id}", json=patch({"op": "replace", "value": {"active": False}})))
        assert bridge.member("dchen")["inactiveFlag"] is True
        ok(await client.patch(f"/Users/{user_id}", json=patch({"op": "replace", "value": {"active": True}})))
        assert bridge.member("dchen")["inactiveFlag"] is False

        # Okta sends profile changes as a PUT of the whole user.
        current = ok(await client.get(f"/Users/{user_id}"))
        current["emails"] = [{"primary": True, "value": "dchen@acme.example", "type": "work"}]
        current["title"] = "Service Desk Lead"
        ok(await client.put(f"/Users/{user_id}", json=current))
        member = bridge.member("dchen")
        assert (member["officeEmail"], member["title"]) == ("dchen@acme.example", "Service Desk Lead")

        # Group push: create, add with display, remove by path filter.
        group = ok(await client.post("/Groups", json={
            "schemas": [GROUP_SCHEMA], "displayName": "Escalations", "members": []}), 201)  # fmt: skip
        ok(await client.patch(f"/Groups/{group['id']}", json=patch(
            {"op": "add", "path": "members", "value": [{"value": user_id, "display": "dchen"}]})))  # fmt: skip
        assert bridge.member("dchen")["securityRole"]["name"] == "Escalations"
        listed = ok(await client.get(f"/Groups/{group['id']}"))
        assert [m["value"] for m in listed["members"]] == [user_id]
        ok(await client.patch(f"/Groups/{group['id']}", json=patch(
            {"op": "remove", "path": f'members[value eq "{user_id}"]'})))  # fmt: skip
        assert bridge.member("dchen")["securityRole"]["name"] == "Technician"
        ok(await client.delete(f"/Groups/{group['id']}"), 204)
        assert (await client.get(f"/Groups/{group['id']}")).status_code == 404


async def test_adding_a_user_to_a_second_group_moves_them(bridge: Bridge) -> None:
    member = bridge.member("jsmith")
    async with bridge.client() as client:
        first = ok(await client.post("/Groups", json={"schemas": [GROUP_SCHEMA], "displayName": "Tier 1"}), 201)
        second = ok(await client.post("/Groups", json={"schemas": [GROUP_SCHEMA], "displayName": "Tier 2"}), 201)
        for group in (first, second):
            ok(await client.patch(f"/Groups/{group['id']}", json=patch(
                {"op": "add", "path": "members", "value": [{"value": str(member["id"])}]})))  # fmt: skip
        first_now = ok(await client.get(f"/Groups/{first['id']}"))
        user = ok(await client.get(f"/Users/{member['id']}"))
    assert bridge.member("jsmith")["securityRole"]["name"] == "Tier 2"
    assert "members" not in first_now  # ConnectWise holds one role per member: the first group lost them
    assert [g["display"] for g in user["groups"]] == ["Tier 2"]


async def test_removing_a_user_from_the_default_role_group_is_refused(bridge: Bridge) -> None:
    member = bridge.member("akhan")
    role_id = member["securityRole"]["id"]
    async with bridge.client() as client:
        answer = await client.patch(
            f"/Groups/{role_id}", json=patch({"op": "remove", "path": f'members[value eq "{member["id"]}"]'})
        )
    assert answer.status_code == 400 and answer.json()["scimType"] == "mutability"
    assert "always has one role" in answer.json()["detail"]
    assert bridge.member("akhan")["securityRole"]["name"] == "Technician"


async def test_renaming_a_group_is_refused(bridge: Bridge) -> None:
    async with bridge.client() as client:
        group = ok(await client.post("/Groups", json={"schemas": [GROUP_SCHEMA], "displayName": "Night Shift"}), 201)
        answer = await client.patch(
            f"/Groups/{group['id']}", json=patch({"op": "replace", "value": {"displayName": "Day Shift"}})
        )
    assert answer.status_code == 400 and answer.json()["scimType"] == "mutability"


async def test_deleting_a_group_with_members_is_409(bridge: Bridge) -> None:
    role_id = bridge.member("akhan")["securityRole"]["id"]
    async with bridge.client() as client:
        answer = await client.delete(f"/Groups/{role_id}")
    assert answer.status_code == 409


async def test_provisioning_a_deleted_user_again_brings_the_member_back(bridge: Bridge) -> None:
    async with bridge.client() as client:
        first = ok(await client.post("/Users", json=_okta_user("rvega")), 201)
        ok(await client.delete(f"/Users/{first['id']}"), 204)
        assert bridge.member("rvega")["inactiveFlag"] is True
        again = ok(await client.post("/Users", json=_okta_user("rvega", title="Returning tech")), 201)
    assert again["id"] == first["id"] and again["active"] is True
    member = bridge.member("rvega")
    assert member["inactiveFlag"] is False and member["title"] == "Returning tech"


def _okta_user(user_name: str, **extra: Any) -> dict[str, Any]:
    return {
        "schemas": [USER_SCHEMA],
        "userName": user_name,
        "name": {"givenName": "Rosa", "familyName": "Vega"},
        "emails": [{"primary": True, "value": f"{user_name}@acme.example", "type": "work"}],
        "active": True,
        **extra,
    }
