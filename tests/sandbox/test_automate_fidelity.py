"""The Automate emulator answers as clients written against real servers expect (issue 11 item 7, item 4's Automate
paths; issue 12 item 6's error shape for faults).

Each test names the public source of the behaviour it pins down (repository and path). The requests are made the
way those clients make them: plain HTTP on the in-process transport, no cwdesk SDK in between.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import httpx
import jsonschema
import pytest

from cwdesk.sandbox import Sandbox
from cwdesk.sandbox.backend.spec import spec_path

API = "/cwa/api/v1"


@pytest.fixture(scope="module")
def core_spec() -> dict[str, Any]:
    with spec_path("automate-core.json").open(encoding="utf-8") as handle:
        loaded: dict[str, Any] = json.load(handle)
    return loaded


def validate(spec: dict[str, Any], instance: Any, schema_name: str, *, array: bool = False) -> None:
    schema: dict[str, Any] = {"$ref": f"#/components/schemas/{schema_name}"}
    if array:
        schema = {"type": "array", "items": schema}
    jsonschema.validate(instance, {**schema, "components": spec["components"]})


class Automate:
    """Raw HTTP against the sandbox's Automate API, with a token once ``login`` has run."""

    def __init__(self, sb: Sandbox) -> None:
        self.sb = sb
        self.http = httpx.Client(transport=sb.transport(), base_url=sb.base_url + API, timeout=5.0)
        self.client_id = sb.automate_credentials["client_id"]
        self.token = ""

    def login(self) -> None:
        # connectwise-rest src/Automate.ts getToken: a bare POST with {username, password, twoFactorPasscode}.
        response = self.http.post("/apitoken", json={"username": "sandbox", "password": "sandbox-password"})
        assert response.status_code == 200, response.text
        self.token = response.json()["AccessToken"]

    def headers(self, *, client_id: bool = True, token: bool = True) -> dict[str, str]:
        headers = {"Accept": "application/json"}
        if client_id:
            headers["clientId"] = self.client_id
        if token:
            headers["Authorization"] = f"Bearer {self.token}"
        return headers

    def get(self, path: str, **params: str) -> httpx.Response:
        return self.http.get(path, params=params, headers=self.headers())

    def rows(self, path: str, condition: str | None = None) -> list[dict[str, Any]]:
        params = {"pagesize": "1000", **({"condition": condition} if condition else {})}
        response = self.get(path, **params)
        assert response.status_code == 200, response.text
        rows: list[dict[str, Any]] = response.json()
        return rows


@pytest.fixture
def cwa(sandbox: Sandbox) -> Iterator[Automate]:
    automate = Automate(sandbox)
    automate.login()
    yield automate
    automate.http.close()


# ------------------------------------------------------------------------------------------------- ClientId


def test_token_call_without_client_id_header_is_answered(sandbox: Sandbox) -> None:
    """connectwise-rest ``src/Automate.ts`` (``getToken``: ``axios.post(.../apitoken, {username, password,
    twoFactorPasscode})`` with no headers) and gavsto/AutomateAPI ``Public/Connect-AutomateAPI.ps1`` (commit
    0111218: the token request has no Headers) get a token without a ClientId."""
    with httpx.Client(transport=sandbox.transport()) as http:
        response = http.post(
            sandbox.base_url + API + "/apitoken",
            json={"username": "sandbox", "password": "sandbox-password", "twoFactorPasscode": None},
        )
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["AccessToken"] and result["TokenType"] == "Bearer" and result["IsTwoFactorRequired"] is False


def test_token_call_with_a_client_id_header_is_answered_too(sandbox: Sandbox) -> None:
    """gavsto/AutomateAPI ``Public/Connect-AutomateAPI.ps1`` (HEAD) adds ``clientID`` to the token request when
    it has one."""
    with httpx.Client(transport=sandbox.transport()) as http:
        response = http.post(
            sandbox.base_url + API + "/apitoken",
            json={"username": "sandbox", "password": "sandbox-password"},
            headers={"clientID": sandbox.automate_credentials["client_id"]},
        )
    assert response.status_code == 200 and response.json()["AccessToken"]


def test_auth_information_without_client_id_is_answered(sandbox: Sandbox) -> None:
    """gavsto/AutomateAPI ``Public/Connect-AutomateAPI.ps1`` (commit 0c64442) asks ``GET /APIToken`` for the
    ClientID before it has one, so that call cannot need it."""
    with httpx.Client(transport=sandbox.transport()) as http:
        response = http.get(sandbox.base_url + API + "/APIToken")
    assert response.status_code == 200 and "Services" in response.json()


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/Clients"),
        ("GET", "/Computers"),
        ("GET", "/Computers/1"),
        ("GET", "/PatchInformation"),
        ("GET", "/FeatureFlags"),
        ("GET", "/Groups"),
        ("POST", "/apitoken/refresh"),
    ],
)
def test_every_other_call_without_client_id_is_401_with_a_message(cwa: Automate, method: str, path: str) -> None:
    """gavsto/AutomateAPI issue #56 ("ClientID appears to be required when making CWA REST calls", v2020.11 and
    later): a call with a valid token but no ``clientid`` header answers 401 Unauthorized. The body is ASP.NET Web
    API's ``{"Message": ...}``; its exact text is not recorded anywhere public (docs/sandbox.md, unverified)."""
    body = json.dumps(cwa.token) if path.endswith("refresh") else None
    response = cwa.http.request(method, path, content=body, headers=cwa.headers(client_id=False))
    assert response.status_code == 401
    assert set(response.json()) == {"Message"} and "ClientId" in response.json()["Message"]
    # The same call with the header goes through.
    assert cwa.http.request(method, path, content=body, headers=cwa.headers()).status_code == 200


def test_missing_token_is_401_in_the_aspnet_words(cwa: Automate) -> None:
    """ASP.NET Web API's ``AuthorizeAttribute`` answers ``{"Message": "Authorization has been denied for this
    request."}`` (the framework's fixed text; NOTES.md §9)."""
    response = cwa.http.get("/Clients", headers=cwa.headers(token=False))
    assert response.status_code == 401
    assert response.json() == {"Message": "Authorization has been denied for this request."}


# ----------------------------------------------------------------------------------------------- conditions


def spec_properties(spec: dict[str, Any], schema: str) -> list[str]:
    return list(spec["components"]["schemas"][schema]["properties"])


def test_computer_conditions_accept_every_property_of_the_spec_model(cwa: Automate, core_spec: dict[str, Any]) -> None:
    """``LabTech.Models.Computer`` in automate-core.json: a condition may name any of its 77 properties."""
    names = spec_properties(core_spec, "LabTech.Models.Computer")
    assert len(names) == 77
    for name in names:
        response = cwa.get("/Computers", condition=f"{name} != null", pagesize="1")
        assert response.status_code == 200, (name, response.text)


def test_client_conditions_accept_every_property_of_the_spec_model_and_location(
    cwa: Automate, core_spec: dict[str, Any]
) -> None:
    """``LabTech.Models.Client`` in automate-core.json, plus ``Location.*`` as gavsto/AutomateAPI
    ``Public/Get-AutomateClient.ps1`` sends it to ``/clients``."""
    names = [*spec_properties(core_spec, "LabTech.Models.Client"), "Location.Name", "Location.Id"]
    for name in names:
        response = cwa.get("/Clients", condition=f"{name} != null", pagesize="1")
        assert response.status_code == 200, (name, response.text)


def test_a_property_outside_the_model_is_still_refused(cwa: Automate) -> None:
    response = cwa.get("/Computers", condition="Colour = 'blue'")
    assert response.status_code == 400 and "Colour" in response.json()["Message"]


def stacked(*conditions: str) -> str:
    """How gavsto/AutomateAPI ``Public/Get-ConditionsStacked.ps1`` joins conditions: `` And ``."""
    return " And ".join(conditions)


def s_format(moment: datetime) -> str:
    """PowerShell ``Get-Date -Format s``: ``2019-12-18T00:50:19`` (no zone), as gavsto's -NotSeenInDays sends it."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


def when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_get_automate_computer_conditions_find_what_they_describe(cwa: Automate, sandbox: Sandbox) -> None:
    """The conditions gavsto/AutomateAPI ``Public/Get-AutomateComputer.ps1`` builds from its parameters, each
    checked against the same rule applied in Python to every computer (text compared without case, as MySQL's
    default collation does)."""
    everything = cwa.rows("/Computers")
    assert len(everything) > 10
    now = sandbox.clock()
    some = everything[0]
    owner, place = some["Client"], some["Location"]
    a_week_ago = now - timedelta(days=7)
    two_days_ago = now - timedelta(days=2)
    user = next(c for c in everything if c["LoggedInUsers"])["LoggedInUsers"][0]["LoggedInUserName"]
    cases: list[tuple[str, Callable[[dict[str, Any]], bool]]] = [
        (f"(Client.Name like '%{owner['Name'][:5]}%')",
         lambda c: owner["Name"][:5].lower() in c["Client"]["Name"].lower()),
        (f"(Location.Name like '%{place['Name']}%')", lambda c: place["Name"].lower() in c["Location"]["Name"].lower()),
        (stacked(f"(Client.Id = {owner['Id']})", f"(Location.Id = {place['Id']})"),
         lambda c: c["Client"]["Id"] == owner["Id"] and c["Location"]["Id"] == place["Id"]),
        ("(ComputerName like '%SRV%')", lambda c: "srv" in c["ComputerName"].lower()),
        ("((OpenPortsTCP contains 3389) or (OpenPortsUDP contains 3389))",
         lambda c: "3389" in ",".join(map(str, c["OpenPortsTCP"] + c["OpenPortsUDP"]))),
        ("(OperatingSystemName like '%Windows 11%')", lambda c: "windows 11" in c["OperatingSystemName"].lower()),
        (f"(RemoteAgentLastContact <= {s_format(a_week_ago)})",
         lambda c: when(c["RemoteAgentLastContact"]) <= a_week_ago),
        (f"((WindowsUpdateDate <= {s_format(a_week_ago)}) and (RemoteAgentLastContact >= {s_format(two_days_ago)}) "
         "and (OperatingSystemName not like '%Mac%') and (OperatingSystemName not like '%Linux%'))",
         lambda c: "WindowsUpdateDate" in c and when(c["WindowsUpdateDate"]) <= a_week_ago
         and when(c["RemoteAgentLastContact"]) >= two_days_ago),
        (f"((AntiVirusDefinitionDate <= {s_format(now - timedelta(days=1))}) and "
         f"(RemoteAgentLastContact >= {s_format(two_days_ago)}))",
         lambda c: when(c["AntivirusDefinitionDate"]) <= now - timedelta(days=1)
         and when(c["RemoteAgentLastContact"]) >= two_days_ago),
        (f"(LoggedInUsers.LoggedInUserName like '%{user}%')".replace("\\", "\\\\"),
         lambda c: any(user.lower() in u["LoggedInUserName"].lower() for u in c["LoggedInUsers"])),
        ("(IsVirtualMachine = True)", lambda c: c["IsVirtualMachine"] is True),
        ("(IsMaster = False)", lambda c: c["IsMaster"] is False),
        ("(IsNetworkProbe = False)", lambda c: c["IsNetworkProbe"] is False),
        ("(Status = 'Online')", lambda c: c["Status"] == "Online"),
        ("((Status = 'Online') and (UserIdleTime >= 60))",
         lambda c: c["Status"] == "Online" and c["UserIdleTime"] >= 60),
        ("((Status = 'Online') and (SystemUptime >= 1440))",
         lambda c: c["Status"] == "Online" and c["SystemUptime"] >= 1440),
        ("(Type != 'Workstation')", lambda c: c["Type"] != "Workstation"),
        ("(VirusScanner.Name like '%Defender%')", lambda c: "defender" in c["VirusScanner"]["Name"].lower()),
        ("(IsRebootNeeded = True)", lambda c: c["IsRebootNeeded"] is True),
        ("(BIOSManufacturer like '%Dell%')", lambda c: "dell" in c["BiosManufacturer"].lower()),
        ("(UserAccounts Contains 'Administrator')", lambda c: "Administrator" in c["UserAccounts"]),
        ("(MacAddress like '%A%')", lambda c: "a" in c["MACAddress"].lower()),
        ("(AssetTag like '%AT-%')", lambda c: "at-" in c["AssetTag"].lower()),
        ("(RemoteAgentVersion >= '2023.11')", lambda c: c["RemoteAgentVersion"] >= "2023.11"),
    ]  # fmt: skip
    for condition, rule in cases:
        expected = [c["Id"] for c in everything if rule(c)]
        found = [c["Id"] for c in cwa.rows("/Computers", condition)]
        assert found == expected, condition
        assert expected, f"the demo data should give {condition} something to find"


def test_get_automate_client_location_conditions_match_a_clients_locations(cwa: Automate) -> None:
    """gavsto/AutomateAPI ``Public/Get-AutomateClient.ps1`` sends ``(Name like ...) And (Location.Name like ...)``
    and ``(Location.Id = N)`` to ``/clients``: a client matches when one of its locations does."""
    locations = cwa.rows("/Locations")
    owners_of_branches = sorted({int(loc["Client"]["Id"]) for loc in locations if loc["Name"] == "Branch Office"})
    assert owners_of_branches, "the demo data has clients with a branch office"
    found = cwa.rows("/Clients", stacked("(Location.Name like '%Branch%')"))
    assert [int(c["Id"]) for c in found] == owners_of_branches
    one = locations[-1]
    found = cwa.rows("/Clients", stacked(f"(Location.Id = {one['Id']})"))
    assert [c["Id"] for c in found] == [one["Client"]["Id"]]
    # Negations need every location to pass: no client with a branch office is "not like '%Branch%'".
    found = cwa.rows("/Clients", "(Location.Name not like '%Branch%')")
    assert not {int(c["Id"]) for c in found} & set(owners_of_branches) and found
    # The locations a condition reads are not added to the records.
    assert all("Location" not in c and "Locations" not in c for c in found)


# -------------------------------------------------------------------------------------------------- paths


def test_get_computer_by_id_answers_the_computer(cwa: Automate, core_spec: dict[str, Any]) -> None:
    """``GET /Computers/{id}`` (issue 11 item 4) answers a ``LabTech.Models.Computer`` (automate-core.json), the
    same record the list gives; an unknown id is 404 with a ``Message``."""
    listed = cwa.rows("/Computers")[3]
    response = cwa.get(f"/Computers/{listed['Id']}")
    assert response.status_code == 200
    computer = response.json()
    validate(core_spec, computer, "LabTech.Models.Computer")
    assert computer == listed
    missing = cwa.get("/Computers/99999")
    assert missing.status_code == 404 and set(missing.json()) == {"Message"}


def test_computers_carry_every_scalar_property_of_the_spec_model(cwa: Automate, core_spec: dict[str, Any]) -> None:
    """``LabTech.Models.Computer`` (automate-core.json): every boolean, number, string and list property is on each
    computer, in the spec's type, so a condition on any of them reads a value (references and expandable lists
    such as ``Tickets`` and ``Groups`` are left out, and dates a computer never reported)."""
    computers = cwa.rows("/Computers")
    validate(core_spec, computers, "LabTech.Models.Computer", array=True)
    properties = core_spec["components"]["schemas"]["LabTech.Models.Computer"]["properties"]
    scalar = [
        name for name, node in properties.items()
        if node.get("type") in ("boolean", "integer", "number", "array")
        or (node.get("type") == "string" and node.get("format") != "date-time")
    ]  # fmt: skip
    scalar = [name for name in scalar if name not in ("Tickets", "Groups")]
    for computer in computers:
        assert not [name for name in scalar if name not in computer], computer["Id"]


def test_patch_information_has_the_spec_shape(cwa: Automate) -> None:
    """``GET /PatchInformation`` answers ``LabTech.Models.PatchInformation`` (automate-openapi.json: six version
    strings and ``LastPatchedDate``, a date-time). gavsto/AutomateAPI ``Public/Connect-AutomateAPI.ps1 -Verify``
    calls it to test a token."""
    response = cwa.get("/PatchInformation")
    assert response.status_code == 200
    info = response.json()
    versions = [
        "WebServerPatchVersion",
        "DBAgentServerPatchVersion",
        "ControlCenterPatchVersion",
        "RemoteAgentPatchVersion",
        "LinuxAgentPatchVersion",
        "MacAgentPatchVersion",
    ]
    assert set(info) == {*versions, "LastPatchedDate"}
    assert all(isinstance(info[name], str) and info[name] for name in versions)
    assert datetime.fromisoformat(info["LastPatchedDate"].replace("Z", "+00:00")) < cwa.sb.clock()


def test_patch_information_with_an_expired_token_is_401(cwa: Automate) -> None:
    """``-Verify`` in gavsto's ``Connect-AutomateAPI.ps1`` treats a failed ``GET /PatchInformation`` as "the token
    is no longer valid"."""
    response = cwa.http.get("/PatchInformation", headers={**cwa.headers(), "Authorization": "Bearer expired"})
    assert response.status_code == 401


def test_feature_flags_list_and_post(cwa: Automate) -> None:
    """``GET``/``POST /FeatureFlags`` (automate-openapi.json; ``LabTech.Models.FeatureFlag {Id: int32, Name,
    IsEnabled: bool}``). connectwise-rest ``src/Automate.ts`` ``verifyToken`` calls ``GET /api/v1/FeatureFlags``
    and takes a 200 as a valid token."""
    response = cwa.get("/FeatureFlags")
    assert response.status_code == 200
    flags = response.json()
    assert flags and all(set(f) == {"Id", "Name", "IsEnabled"} for f in flags)
    assert all(isinstance(f["Id"], int) and isinstance(f["IsEnabled"], bool) for f in flags)
    created = cwa.http.post("/FeatureFlags", json={"Name": "SandboxTrial", "IsEnabled": True}, headers=cwa.headers())
    assert created.status_code == 200 and created.json()["Name"] == "SandboxTrial" and created.json()["IsEnabled"]
    assert [f["Name"] for f in cwa.rows("/FeatureFlags", "IsEnabled = true and Name like 'Sandbox%'")] == [
        "SandboxTrial"
    ]
    denied = cwa.http.get("/FeatureFlags", headers={**cwa.headers(), "Authorization": "Bearer nope"})
    assert denied.status_code == 401


# ------------------------------------------------------------------------------------------ fault answers


def test_injected_faults_on_automate_paths_answer_in_automates_shape(cwa: Automate) -> None:
    """An injected 5xx on ``/cwa/`` is an ASP.NET Web API body ``{"Message": ...}``, as every Automate error
    (NOTES.md §9), not Manage's ``{"code", "message"}``; Manage paths keep theirs."""
    cwa.sb.faults.fail_next(path_contains="/cwa/api/v1/Clients", status=503)
    response = cwa.get("/Clients")
    assert response.status_code == 503 and set(response.json()) == {"Message"}
    cwa.sb.faults.fail_next(path_contains="/company/companies", status=503)
    with httpx.Client(transport=cwa.sb.transport()) as http:
        manage = http.get(cwa.sb.base_url + "/v4_6_release/apis/3.0/company/companies")
    assert manage.status_code == 503 and {"code", "message"} <= set(manage.json())


def test_rate_limit_on_automate_paths_answers_in_automates_shape(cwa: Automate) -> None:
    cwa.sb.faults.set(rate_limit_per_min=1)
    assert cwa.get("/Clients").status_code == 200
    limited = cwa.get("/Clients")
    assert limited.status_code == 429 and set(limited.json()) == {"Message"}
    assert int(limited.headers["retry-after"]) >= 1


def test_a_hang_served_over_asgi_on_automate_paths_answers_in_automates_shape(sandbox: Sandbox) -> None:
    """The 504 the ASGI app (``cwdesk sandbox serve``) gives after a hang fault takes the shape of the API the path
    belongs to."""
    sandbox.faults.set(hang_seconds=0.01)

    async def hung(path: str) -> httpx.Response:
        sandbox.faults.fail_next(path_contains=path, action="hang")
        transport = httpx.ASGITransport(app=sandbox.asgi_app())
        async with httpx.AsyncClient(transport=transport, base_url=sandbox.base_url) as http:
            return await http.get(path)

    automate = asyncio.run(hung(API + "/Computers"))
    assert automate.status_code == 504 and automate.json() == {"Message": "The request hung."}
    manage = asyncio.run(hung("/v4_6_release/apis/3.0/company/companies"))
    assert manage.status_code == 504 and manage.json()["code"] == "GatewayTimeout"


def test_a_malformed_client_id_is_401_except_on_the_token_calls(cwa: Automate) -> None:
    """The calls that need a ClientId refuse one that is not a GUID; the token calls do not read the header
    (docs/sandbox.md lists both as unverified)."""
    bad = {**cwa.headers(), "clientId": "not-a-guid"}
    refused = cwa.http.get("/Clients", headers=bad)
    assert refused.status_code == 401 and "GUID" in refused.json()["Message"]
    token = cwa.http.post("/apitoken", json={"username": "sandbox", "password": "sandbox-password"}, headers=bad)
    assert token.status_code == 200
