"""A1/A2: the Automate client against the emulator: token flow, two-factor, refresh, resources, escaping, paging."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import pytest

from cwdesk.automate import AsyncAutomateClient, AutomateClient, AutomateCredentials
from cwdesk.automate.client import automate_root
from cwdesk.conditions import C
from cwdesk.errors import AuthenticationError, ConfigurationError, NotFoundError
from cwdesk.sandbox.automate_api import SANDBOX_TWO_FACTOR_CODE


def test_client_id_header_on_every_call_including_the_token_call(client: AutomateClient, cwa: Any) -> None:
    client.clients.list()
    assert cwa.paths()[0] == "POST /cwa/api/v1/apitoken"
    assert all(r.headers.get("ClientId") == cwa.credentials["client_id"] for r in cwa.requests)
    assert cwa.requests[-1].headers["Authorization"].startswith("Bearer ")


def test_token_is_reused_not_fetched_per_call(client: AutomateClient, cwa: Any) -> None:
    client.clients.list()
    client.locations.list()
    assert cwa.paths().count("POST /cwa/api/v1/apitoken") == 1


def test_wrong_password_raises_authentication_error_without_the_password(cwa: Any) -> None:
    creds = {**cwa.credentials, "password": "Sup3r-Secret-Pw"}
    with AutomateClient(**creds, transport=cwa.transport()) as bad, pytest.raises(AuthenticationError) as info:
        bad.clients.list()
    assert "Sup3r-Secret-Pw" not in str(info.value) and "CWA_PASSWORD" in str(info.value)


def test_two_factor_user_needs_the_passcode(cwa: Any) -> None:
    creds = {**cwa.credentials, "username": "sandbox-2fa"}
    with AutomateClient(**creds, transport=cwa.transport()) as without, pytest.raises(ConfigurationError) as info:
        without.clients.list()
    assert "CWA_2FA_CODE" in str(info.value)
    with AutomateClient(**creds, two_factor_code=SANDBOX_TWO_FACTOR_CODE, transport=cwa.transport()) as with_code:
        assert [c.name for c in with_code.clients.list()] == cwa.client_names()
    token_bodies = [r.content for r in cwa.requests if r.url.path.endswith("/apitoken")]
    assert b"TwoFactorPasscode" in token_bodies[-1] and b"TwoFactorPasscode" not in token_bodies[-2]


def test_token_refreshed_before_expiry(client: AutomateClient, cwa: Any) -> None:
    client.clients.list()
    cwa.clock.now += timedelta(minutes=59, seconds=30)  # within the refresh margin of the 1-hour token
    client.clients.list()
    assert client.auth.refreshes == 1 and client.auth.sign_ins == 1
    assert "POST /cwa/api/v1/apitoken/refresh" in cwa.paths()
    cwa.clock.now += timedelta(minutes=30)
    assert len(client.clients.list()) == 6  # the refreshed token still works (the demo has 6 Automate clients)


def test_expired_token_past_refresh_window_signs_in_again(client: AutomateClient, cwa: Any) -> None:
    client.clients.list()
    cwa.clock.now += timedelta(days=2)  # past AbsoluteExpirationDate: refresh refused, fresh sign-in
    assert len(client.clients.list()) == 6
    assert client.auth.sign_ins == 2


def test_revoked_token_gets_one_new_sign_in_on_401(client: AutomateClient, cwa: Any) -> None:
    client.clients.list()
    cwa.api.db.execute("DELETE FROM cwa_tokens")
    assert len(client.clients.list()) == 6
    assert client.auth.sign_ins == 2


def test_token_never_in_logs_or_repr(client: AutomateClient, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    client.clients.list()
    token = client.auth._token
    assert token and token not in caplog.text
    assert token not in repr(client) and token not in repr(client.auth)
    assert "sandbox-password" not in repr(client.credentials)


def test_credentials_from_env_and_checked_before_any_call() -> None:
    env = {
        "CWA_SERVER": "automate.example.com",
        "CWA_USERNAME": "api",
        "CWA_PASSWORD": "pw",
        "CWA_CLIENTID": "0b7e3f52-64a8-4c2e-9d0f-6a1b2c3d4e5f",
        "CWA_2FA_CODE": "123456",
    }
    creds = AutomateCredentials.from_env(env)
    assert creds.two_factor_code == "123456" and "123456" not in repr(creds)
    with pytest.raises(ConfigurationError, match="CWA_PASSWORD"):
        AutomateCredentials.from_env({k: v for k, v in env.items() if k != "CWA_PASSWORD"})
    with pytest.raises(ConfigurationError, match="not a UUID"):
        AutomateCredentials(server="x", username="u", password="p", client_id="nope")


def test_server_forms_map_to_the_cwa_root() -> None:
    assert automate_root("automate.example.com") == "https://automate.example.com/cwa"
    assert automate_root("https://rmm.example.com/cwa/") == "https://rmm.example.com/cwa"
    assert automate_root("http://127.0.0.1:8901/cwa/api/v1") == "http://127.0.0.1:8901/cwa"


def test_clients_list_pages_until_an_empty_page(client: AutomateClient, cwa: Any) -> None:
    names = [c.name for c in client.clients.iter(page_size=2)]
    assert names == cwa.client_names() and len(names) == 6
    pages = [r.url.params.get("page") for r in cwa.requests if r.url.path.endswith("/Clients")]
    assert pages == ["1", "2", "3", "4"]  # 2 + 2 + 1, then the empty page ends the list


def test_condition_values_are_escaped_so_injection_finds_nothing(client: AutomateClient) -> None:
    hostile = "x' or Name like '%"
    assert client.clients.list(where=C("Name") == hostile) == []
    hostile_double = 'x" or Name like "%'
    assert client.clients.list(where=C("Name") == hostile_double) == []
    assert [c.name for c in client.clients.list(where=C("Name").like("acme%"))] == ["Acme Dental Group"]
    assert [c.name for c in client.clients.list(where=C("Name") == "Cedar & Finch Law")] == ["Cedar & Finch Law"]


def test_computers_have_status_and_last_contact(client: AutomateClient) -> None:
    computers = client.computers.list()
    assert computers and {c.status for c in computers} <= {"Online", "Offline"}
    assert all(c.remote_agent_last_contact is not None and c.client and c.client.id for c in computers)
    offline = client.computers.list(where=(C("Status") == "Offline"))
    assert all(not c.is_online for c in offline)


def test_create_update_delete_client_and_location(client: AutomateClient) -> None:
    created = client.clients.create({"name": "Gamma Law", "City": "Boston"})
    assert created.id and created.city == "Boston"
    location = client.locations.create_for(created.id, "Main Office", city="Boston")
    assert location.client and location.client.id == created.id
    updated = client.clients.update(created.id, {"phone_number": "617-555-0100"})
    assert updated.phone_number == "617-555-0100"
    client.clients.delete(created.id)
    with pytest.raises(NotFoundError):
        client.clients.get(created.id)


def test_extra_fields_read_and_set(client: AutomateClient) -> None:
    acme = client.clients.list(where=C("Name") == "Acme Dental Group")[0]
    assert acme.id is not None
    fields = {f.title: f for f in client.clients.extra_fields(acme.id)}
    assert fields["SLA Level"].kind == "Dropdown" and "Gold" in fields["SLA Level"].options
    definition = fields["SLA Level"].extra_field_definition_id
    assert definition is not None
    assert client.clients.set_extra_field(acme.id, definition, "Gold").value == "Gold"
    assert {f.title: f.value for f in client.clients.extra_fields(acme.id)}["SLA Level"] == "Gold"


def test_groups_and_membership(client: AutomateClient) -> None:
    group = client.groups.create({"Name": "Acme Servers"})
    computer = client.computers.list(page_size=1)[0]
    assert group.id and computer.id
    membership = client.group_computers.add(group.id, computer.id)
    assert membership.group_id == group.id
    members = client.group_computers.list(where=C("GroupId") == group.id)
    assert [m.computer_id for m in members] == [computer.id]


def test_page_size_out_of_range_fails_before_sending(client: AutomateClient, cwa: Any) -> None:
    with pytest.raises(ConfigurationError, match="1 to 1000"):
        client.clients.list(page_size=5000)
    assert cwa.requests == []


async def test_async_client_lists_and_refreshes(async_client: AsyncAutomateClient, cwa: Any) -> None:
    names = [c.name async for c in async_client.clients.iter(where=C("City") == "Boise")]
    assert names == ["Evergreen Veterinary Clinic"]
    cwa.clock.now += timedelta(minutes=59, seconds=30)
    assert len(await async_client.computers.list()) > 0
    assert async_client.auth.refreshes == 1
