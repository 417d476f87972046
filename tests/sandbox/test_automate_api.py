"""The sandbox's Automate emulator, driven request by request (S2): auth, resources, conditions, paging, errors.

Responses are also checked against the schemas of ``automate-core.json`` (S6).
"""

from __future__ import annotations

import json
import random
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from cwdesk.sandbox.automate_api import SANDBOX_TWO_FACTOR_CODE, AutomateAPI
from cwdesk.sandbox.http import SandboxRequest
from cwdesk.sandbox.seed_automate import AutomateDemoSeeder

CLIENT_ID = "3f1c2d9e-0000-4000-8000-000000000001"
SPEC_PATH = Path(__file__).resolve().parents[2] / "src" / "cwdesk" / "spec" / "automate-core.json"
ROWS = [
    {
        "name": "Acme Corp",
        "city": "Chicago",
        "state": "IL",
        "zip": "60601",
        "phone": "312-555-0100",
        "address1": "1 Main",
    },
    {
        "name": "Beta Dental",
        "city": "Austin",
        "state": "TX",
        "zip": "73301",
        "phone": "512-555-0100",
        "address1": "2 Oak",
    },
    {
        "name": "Acme Logistics",
        "city": "Denver",
        "state": "CO",
        "zip": "80201",
        "phone": "303-555-0100",
        "address1": "",
    },
]


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


class Emulator:
    """An ``AutomateAPI`` with a movable clock and a small JSON calling helper."""

    def __init__(self) -> None:
        self.clock = Clock()
        self.api = AutomateAPI(sqlite3.connect(":memory:"), self.clock)
        AutomateDemoSeeder(self.api.backend).seed_clients(ROWS, random.Random(7))
        self.token = ""

    def call(
        self,
        method: str,
        path: str,
        *,
        query: list[tuple[str, str]] | None = None,
        body: Any = None,
        headers: dict[str, str] | None = None,
        auth: bool = True,
    ) -> tuple[int, Any]:
        all_headers = {"clientid": CLIENT_ID, "content-type": "application/json"}
        if auth:
            all_headers["authorization"] = f"Bearer {self.token}"
        all_headers.update(headers or {})
        raw = json.dumps(body).encode() if body is not None else b""
        response = self.api.handle(
            SandboxRequest(method, "/cwa/api/v1" + path, query or [], all_headers, raw, "http://127.0.0.1")
        )
        return response.status, (json.loads(response.body) if response.body else None)

    def login(self, username: str = "sandbox", **extra: str) -> dict[str, Any]:
        status, result = self.call(
            "POST", "/apitoken", body={"Username": username, "Password": "sandbox-password", **extra}, auth=False
        )
        assert status == 200, result
        if "AccessToken" in result:
            self.token = result["AccessToken"]
        return result  # type: ignore[no-any-return]


@pytest.fixture
def cwa() -> Emulator:
    emulator = Emulator()
    emulator.login()
    return emulator


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    return json.loads(SPEC_PATH.read_text())  # type: ignore[no-any-return]


def validate(spec: dict[str, Any], instance: Any, schema_name: str, *, array: bool = False) -> None:
    schema: dict[str, Any] = {"$ref": f"#/components/schemas/{schema_name}"}
    if array:
        schema = {"type": "array", "items": schema}
    jsonschema.validate(instance, {**schema, "components": spec["components"]})


# ------------------------------------------------------------------------------------------------- auth


def test_token_call_returns_token_result_with_expiration(spec: dict[str, Any]) -> None:
    emulator = Emulator()
    result = emulator.login()
    validate(spec, result, "Automate.Api.Domain.Contracts.Security.TokenResult")
    assert result["TokenType"] == "Bearer" and result["IsTwoFactorRequired"] is False
    assert result["ExpirationDate"] == "2025-03-01T13:00:00Z"


def test_wrong_password_is_401() -> None:
    emulator = Emulator()
    status, body = emulator.call("POST", "/apitoken", body={"Username": "sandbox", "Password": "nope"}, auth=False)
    assert status == 401 and "incorrect" in body["Message"]


def test_two_factor_user_first_gets_flag_then_token_with_passcode() -> None:
    emulator = Emulator()
    first = emulator.login("sandbox-2fa")
    assert first["IsTwoFactorRequired"] is True and "AccessToken" not in first
    status, _ = emulator.call(
        "POST",
        "/apitoken",
        body={"Username": "sandbox-2fa", "Password": "sandbox-password", "TwoFactorPasscode": "000000"},
        auth=False,
    )
    assert status == 401
    second = emulator.login("sandbox-2fa", TwoFactorPasscode=SANDBOX_TWO_FACTOR_CODE)
    assert second["AccessToken"] and emulator.call("GET", "/Clients")[0] == 200


def test_missing_or_bad_bearer_is_401(cwa: Emulator) -> None:
    assert cwa.call("GET", "/Clients", auth=False)[0] == 401
    assert cwa.call("GET", "/Clients", headers={"authorization": "Bearer forged"})[0] == 401


def test_token_expires_with_the_clock_and_refresh_gives_a_new_one(cwa: Emulator) -> None:
    old = cwa.token
    cwa.clock.now += timedelta(minutes=59)
    status, refreshed = cwa.call("POST", "/apitoken/refresh", body=old, auth=False)
    assert status == 200 and refreshed["AccessToken"] != old
    cwa.token = refreshed["AccessToken"]
    cwa.clock.now += timedelta(minutes=61)
    assert cwa.call("GET", "/Clients")[0] == 401


def test_old_token_stops_working_after_refresh(cwa: Emulator) -> None:
    old = cwa.token
    status, _ = cwa.call("POST", "/apitoken/refresh", body=old, auth=False)
    assert status == 200
    assert cwa.call("GET", "/Clients")[0] == 401


def test_token_lifetime_is_configurable() -> None:
    emulator = Emulator()
    emulator.api.token_lifetime = timedelta(seconds=30)
    emulator.login()
    emulator.clock.now += timedelta(seconds=31)
    assert emulator.call("GET", "/Clients")[0] == 401


# -------------------------------------------------------------------------------------------- resources


def test_seeded_clients_locations_computers_validate_against_the_spec(cwa: Emulator, spec: dict[str, Any]) -> None:
    status, clients = cwa.call("GET", "/Clients", query=[("pagesize", "1000")])
    assert status == 200 and [c["Name"] for c in clients] == ["Acme Corp", "Beta Dental", "Acme Logistics"]
    validate(spec, clients, "LabTech.Models.Client", array=True)
    _, locations = cwa.call("GET", "/Locations", query=[("pagesize", "1000")])
    validate(spec, locations, "Automate.Api.Domain.Contracts.Clients.Location", array=True)
    assert {loc["Client"]["Name"] for loc in locations} == {c["Name"] for c in clients}
    assert all(loc["Name"] in ("Main Office", "Branch Office") for loc in locations)
    _, computers = cwa.call("GET", "/Computers", query=[("pagesize", "1000")])
    validate(spec, computers, "LabTech.Models.Computer", array=True)
    assert {c["Status"] for c in computers} <= {"Online", "Offline"}
    _, groups = cwa.call("GET", "/Groups")
    validate(spec, groups, "LabTech.Models.Group", array=True)
    _, members = cwa.call("GET", "/GroupComputers", query=[("pagesize", "1000")])
    validate(spec, members, "LabTech.Models.GroupComputer", array=True)
    assert len(members) == len(computers)
    _, fields = cwa.call("GET", f"/Clients/{clients[0]['Id']}/ExtraFields")
    validate(spec, fields, "Automate.Api.Domain.Contracts.ExtraFields.ExtraField", array=True)


def test_seeding_is_deterministic_for_an_rng() -> None:
    first, second = Emulator(), Emulator()
    for emulator in (first, second):
        emulator.login()
    strip = lambda rows: [{k: v for k, v in r.items() if k != "GUID"} for r in rows]  # noqa: E731
    for path in ("/Clients", "/Computers", "/Locations"):
        assert strip(first.call("GET", path, query=[("pagesize", "1000")])[1]) == strip(
            second.call("GET", path, query=[("pagesize", "1000")])[1]
        )


def test_online_last_contact_follows_the_clock_offline_stays(cwa: Emulator) -> None:
    _, before = cwa.call("GET", "/Computers", query=[("pagesize", "1000")])
    cwa.clock.now += timedelta(minutes=30)
    _, after = cwa.call("GET", "/Computers", query=[("pagesize", "1000")])
    for old, new in zip(before, after, strict=True):
        changed = old["RemoteAgentLastContact"] != new["RemoteAgentLastContact"]
        assert changed == (old["Status"] == "Online")


def test_unknown_path_is_404_in_aspnet_words(cwa: Emulator) -> None:
    status, body = cwa.call("GET", "/Nothing")
    assert status == 404 and body["Message"].startswith("No HTTP resource")


def test_paths_are_case_insensitive(cwa: Emulator) -> None:
    assert cwa.call("GET", "/clients")[0] == 200
    assert cwa.call("GET", "/CLIENTS/1/extrafields")[0] == 200


# ------------------------------------------------------------------------------------- conditions, paging


def test_condition_like_and_escaped_quotes(cwa: Emulator) -> None:
    _, rows = cwa.call("GET", "/Clients", query=[("condition", "Name like 'acme%'")])
    assert sorted(r["Name"] for r in rows) == ["Acme Corp", "Acme Logistics"]
    _, rows = cwa.call("GET", "/Clients", query=[("condition", 'Name = "x\\" or Name like \\"%"')])
    assert rows == []


def test_condition_on_nested_client_id_and_status(cwa: Emulator) -> None:
    _, everything = cwa.call("GET", "/Computers", query=[("pagesize", "1000")])
    expected = [c["Id"] for c in everything if c["Client"]["Id"] == "1" and c["Status"] == "Offline"]
    _, rows = cwa.call("GET", "/Computers", query=[("condition", "Client.Id = 1 and Status = 'Offline'")])
    assert [r["Id"] for r in rows] == expected


def test_condition_datetime_comparison_is_bare(cwa: Emulator) -> None:
    cutoff = "2025-03-01T11:00:00Z"
    _, everything = cwa.call("GET", "/Computers", query=[("pagesize", "1000")])
    expected = {c["Id"] for c in everything if c["RemoteAgentLastContact"] < cutoff}
    _, rows = cwa.call(
        "GET", "/Computers", query=[("condition", f"RemoteAgentLastContact < {cutoff}"), ("pagesize", "1000")]
    )
    assert {r["Id"] for r in rows} == expected and expected


def test_condition_in_not_in_and_or(cwa: Emulator) -> None:
    _, rows = cwa.call("GET", "/Clients", query=[("condition", "Id in (1, 3)")])
    assert [r["Id"] for r in rows] == ["1", "3"]
    _, rows = cwa.call("GET", "/Clients", query=[("condition", "Id not in (1, 3) or City = 'Chicago'")])
    assert [r["Id"] for r in rows] == ["1", "2"]


def test_unknown_condition_field_is_400(cwa: Emulator) -> None:
    status, body = cwa.call("GET", "/Clients", query=[("condition", "Colour = 'blue'")])
    assert status == 400 and "Colour" in body["Message"]


def test_condition_syntax_error_is_400(cwa: Emulator) -> None:
    status, body = cwa.call("GET", "/Clients", query=[("condition", "Name = ")])
    assert status == 400 and "condition" in body["Message"].lower()


def test_paging_ends_with_an_empty_page_and_pagesize_is_capped(cwa: Emulator) -> None:
    seen: list[str] = []
    page = 1
    while True:
        _, rows = cwa.call("GET", "/Clients", query=[("pagesize", "2"), ("page", str(page))])
        if not rows:
            break
        seen.extend(r["Id"] for r in rows)
        page += 1
    assert seen == ["1", "2", "3"] and page == 3
    assert cwa.call("GET", "/Clients", query=[("pagesize", "1001")])[0] == 400
    assert cwa.call("GET", "/Clients", query=[("options.pageSize", "1"), ("options.page", "2")])[1][0]["Id"] == "2"


def test_orderby_both_forms(cwa: Emulator) -> None:
    _, rows = cwa.call("GET", "/Clients", query=[("orderby", "Name desc")])
    assert [r["Name"] for r in rows] == ["Beta Dental", "Acme Logistics", "Acme Corp"]
    _, rows = cwa.call(
        "GET", "/Clients", query=[("options.orderBy.name", "City"), ("options.orderBy.type", "Ascending")]
    )
    assert [r["City"] for r in rows] == ["Austin", "Chicago", "Denver"]


def test_includefields_and_ids(cwa: Emulator) -> None:
    _, rows = cwa.call("GET", "/Clients", query=[("includefields", "Id,Name"), ("ids", "2")])
    assert rows == [{"Id": "2", "Name": "Beta Dental"}]


# ------------------------------------------------------------------------------------------------ writes


def test_create_client_and_location_then_patch_and_delete(cwa: Emulator, spec: dict[str, Any]) -> None:
    status, client = cwa.call("POST", "/Clients", body={"Name": "Gamma Law", "City": "Boston"})
    assert status == 200 and client["Name"] == "Gamma Law"
    validate(spec, client, "LabTech.Models.Client")
    status, location = cwa.call("POST", "/Locations", body={"Name": "Main Office", "Client": {"Id": client["Id"]}})
    assert status == 200 and location["Client"]["Id"] == client["Id"]
    validate(spec, location, "LabTech.Models.Location")
    status, patched = cwa.call(
        "PATCH", f"/Clients/{client['Id']}", body=[{"Op": "replace", "Path": "PhoneNumber", "Value": "617-555-0100"}]
    )
    assert status == 200 and patched["PhoneNumber"] == "617-555-0100"
    assert cwa.call("DELETE", f"/Clients/{client['Id']}")[0] == 204
    assert cwa.call("GET", f"/Clients/{client['Id']}")[0] == 404
    assert cwa.call("GET", f"/Locations/{location['Id']}")[0] == 404


def test_duplicate_client_name_and_missing_name_are_400(cwa: Emulator) -> None:
    status, body = cwa.call("POST", "/Clients", body={"Name": "acme corp"})
    assert status == 400 and "already exists" in body["Message"]
    assert cwa.call("POST", "/Clients", body={"City": "Nowhere"})[0] == 400


def test_patch_with_a_plain_object_is_400(cwa: Emulator) -> None:
    status, body = cwa.call("PATCH", "/Clients/1", body={"Name": "x"})
    assert status == 400 and "array" in body["Message"]


def client_with_computers(cwa: Emulator) -> str:
    _, computers = cwa.call("GET", "/Computers", query=[("pagesize", "1000")])
    assert computers, "the seed gives some clients computers"
    return str(computers[0]["Client"]["Id"])


def test_delete_client_with_computers_is_refused(cwa: Emulator) -> None:
    owner = client_with_computers(cwa)
    status, body = cwa.call("DELETE", f"/Clients/{owner}")
    assert status == 400 and "computers" in body["Message"]
    assert cwa.call("GET", f"/Clients/{owner}")[0] == 200


def test_move_computer_to_another_location_then_delete_client(cwa: Emulator) -> None:
    owner = client_with_computers(cwa)
    other = "2" if owner != "2" else "3"
    _, target = cwa.call("GET", "/Locations", query=[("condition", f"Client.Id = {other}")])
    _, computers = cwa.call("GET", "/Computers", query=[("condition", f"Client.Id = {owner}"), ("pagesize", "1000")])
    assert computers
    for computer in computers:
        status, moved = cwa.call(
            "PATCH",
            f"/Computers/{computer['Id']}",
            body=[{"Op": "replace", "Path": "Location/Id", "Value": target[0]["Id"]}],
        )
        assert status == 200 and moved["Client"]["Id"] == other
    assert cwa.call("DELETE", f"/Clients/{owner}")[0] == 204


def test_client_and_location_extra_fields_patch_validate_and_reset(cwa: Emulator) -> None:
    _, fields = cwa.call("GET", "/Clients/1/ExtraFields")
    sla = next(f for f in fields if f["Title"] == "SLA Level")
    definition = sla["ExtraFieldDefinitionId"]
    status, updated = cwa.call(
        "PATCH", f"/Clients/1/ExtraFields/{definition}", body=[{"Op": "replace", "Path": "Value", "Value": "Gold"}]
    )
    assert status == 200 and updated["DropdownSettings"]["SelectedValue"] == "Gold"
    status, body = cwa.call(
        "PATCH", f"/Clients/1/ExtraFields/{definition}", body=[{"Op": "replace", "Path": "Value", "Value": "Platinum"}]
    )
    assert status == 400 and "Gold" in body["Message"]
    _, location_fields = cwa.call("GET", "/Locations/1/ExtraFields")
    site_code = next(f for f in location_fields if f["Title"] == "Site Code")["ExtraFieldDefinitionId"]
    status, updated = cwa.call(
        "PATCH", f"/Locations/1/ExtraFields/{site_code}", body=[{"op": "replace", "path": "Value", "value": "HQ"}]
    )
    assert updated["TextFieldSettings"]["Value"] == "HQ"
    status, reset = cwa.call("DELETE", f"/Locations/1/ExtraFields/{site_code}")
    assert status == 200 and reset["IsDefaultValue"] is True and reset["TextFieldSettings"]["Value"] == ""
    assert (
        cwa.call("PATCH", "/Clients/1/ExtraFields/999", body=[{"Op": "replace", "Path": "Value", "Value": 1}])[0] == 400
    )


def test_groups_and_group_computers_crud(cwa: Emulator) -> None:
    status, group = cwa.call("POST", "/Groups", body={"Name": "Acme Servers", "ParentId": "3"})
    assert status == 200 and group["FullName"] == "Servers.Acme Servers" and group["Depth"] == 1
    status, member = cwa.call("POST", "/GroupComputers", body={"GroupId": group["Id"], "ComputerId": "1"})
    assert status == 200 and member["ComputerId"] == "1"
    assert cwa.call("POST", "/GroupComputers", body={"GroupId": group["Id"], "ComputerId": "1"})[0] == 400
    _, rows = cwa.call("GET", "/GroupComputers", query=[("condition", f"GroupId = {group['Id']}")])
    assert [r["Id"] for r in rows] == [member["Id"]]
    assert cwa.call("DELETE", f"/Groups/{group['Id']}")[0] == 204
    assert cwa.call("GET", f"/GroupComputers/{member['Id']}")[0] == 404


# ------------------------------------------------------------------- the paths of the automate commands (issue 18)


def test_client_patch_answers_the_spec_client_and_refuses_unknown_paths_and_types(
    cwa: Emulator, spec: dict[str, Any]
) -> None:
    ops = [{"Op": "replace", "Path": "PhoneNumber", "Value": "312-555-0199"},
           {"Op": "replace", "Path": "UsesInHouseSupportStaff", "Value": True}]  # fmt: skip
    status, patched = cwa.call("PATCH", "/Clients/1", body=ops)
    assert status == 200 and (patched["PhoneNumber"], patched["UsesInHouseSupportStaff"]) == ("312-555-0199", True)
    validate(spec, patched, "LabTech.Models.Client")
    status, body = cwa.call("PATCH", "/Clients/1", body=[{"Op": "replace", "Path": "Phnoe", "Value": "1"}])
    assert status == 400 and body == {"Message": "'Phnoe' is not a property of Client that can be changed."}
    status, body = cwa.call("PATCH", "/Clients/1", body=[{"Op": "replace", "Path": "Locations", "Value": []}])
    assert status == 400
    status, body = cwa.call(
        "PATCH", "/Clients/1", body=[{"Op": "replace", "Path": "UsesInHouseSupportStaff", "Value": "yes"}]
    )
    assert status == 400 and "must be bool" in body["Message"]
    assert cwa.call("GET", "/Clients/1")[1]["PhoneNumber"] == "312-555-0199"


def test_location_post_and_patch_answer_the_spec_location(cwa: Emulator, spec: dict[str, Any]) -> None:
    body = {"Name": "Annex", "Client": {"Id": "1"}, "City": "Chicago", "ScriptExtra1": "rack 2"}
    status, made = cwa.call("POST", "/Locations", body=body)
    assert status == 200 and (made["Client"]["Id"], made["City"], made["ScriptExtra1"]) == ("1", "Chicago", "rack 2")
    validate(spec, made, "LabTech.Models.Location")
    ops = [{"Op": "replace", "Path": "ZipCode", "Value": "60601"}, {"Op": "replace", "Path": "RouterPort", "Value": 81}]
    status, patched = cwa.call("PATCH", f"/Locations/{made['Id']}", body=ops)
    assert status == 200 and (patched["ZipCode"], patched["RouterPort"]) == ("60601", 81)
    validate(spec, patched, "LabTech.Models.Location")
    status, body = cwa.call("PATCH", f"/Locations/{made['Id']}", body=[{"Op": "replace", "Path": "Client", "Value": 2}])
    assert status == 400
    _, listed = cwa.call("GET", "/Locations", query=[("condition", "Client.Id = 1")])
    validate(spec, listed, "Automate.Api.Domain.Contracts.Clients.Location", array=True)
    assert "Annex" in {loc["Name"] for loc in listed}


def test_group_computer_post_and_delete_answer_the_spec_shapes(cwa: Emulator, spec: dict[str, Any]) -> None:
    status, member = cwa.call("POST", "/GroupComputers", body={"GroupId": "5", "ComputerId": "1"})
    assert status == 200
    validate(spec, member, "LabTech.Models.GroupComputer")
    assert set(member) == {"Id", "GroupId", "ComputerId"} and all(isinstance(v, str) for v in member.values())
    assert cwa.call("DELETE", f"/GroupComputers/{member['Id']}") == (204, None)
    assert cwa.call("DELETE", f"/GroupComputers/{member['Id']}")[0] == 404


def test_a_client_specific_group_keeps_its_client_through_a_patch(spec: dict[str, Any]) -> None:
    emulator = Emulator.__new__(Emulator)
    emulator.clock = Clock()
    emulator.api = AutomateAPI(sqlite3.connect(":memory:"), emulator.clock)
    AutomateDemoSeeder(emulator.api.backend).seed_clients(
        [ROWS[0], {**ROWS[1], "groups": ["Servers Only"]}], random.Random(7)
    )
    emulator.token = ""
    emulator.login()
    _, groups = emulator.call("GET", "/Groups")
    validate(spec, groups, "LabTech.Models.Group", array=True)
    (own,) = [g for g in groups if g.get("ClientToSync")]
    assert own["Name"] == "Beta Dental - Servers Only" and own["ClientToSync"]["Name"] == "Beta Dental"
    _, members = emulator.call("GET", "/GroupComputers", query=[("condition", f"GroupId = {own['Id']}")])
    _, theirs = emulator.call("GET", "/Computers", query=[("condition", f"Client.Id = {own['ClientToSync']['Id']}")])
    assert theirs and sorted(m["ComputerId"] for m in members) == sorted(c["Id"] for c in theirs)
    status, patched = emulator.call("PATCH", f"/Groups/{own['Id']}", body=[{"Op": "replace", "Path": "Comments",
                                                                              "Value": "x"}])  # fmt: skip
    assert status == 200 and patched["ClientToSync"] == own["ClientToSync"] and patched["Comments"] == "x"
