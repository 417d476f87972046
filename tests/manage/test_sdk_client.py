"""M1 and bad input: connecting to Manage (auth, clientId, codebase, cloud hosts, version pin), secrets kept out
of reprs/logs/errors, and clear errors before any request."""

from __future__ import annotations

import base64
import logging
from typing import Any

import httpx
import pytest

from cwdesk import AuthenticationError, ConfigurationError, ManageClient, ManageCredentials
from cwdesk.manage.client import ManageAuth, manage_origin

PRIVATE_KEY = "sEcReT-PrIvAtE-kEy-42"  # the key in conftest's credentials
CREDENTIALS: dict[str, str] = {
    "server": "na.myconnectwise.net",
    "company": "acme",
    "public_key": "PubKey123",
    "private_key": PRIVATE_KEY,
    "client_id": "1d4c2a5e-7b7f-4c1e-9a53-0f2b8c6d9e10",
}


def test_every_call_carries_basic_auth_client_id_and_the_version_pin(client: ManageClient, server: Any) -> None:
    server.route("GET", "/company/companies/count", httpx.Response(200, json={"count": 3}))
    assert client.companies.count() == 3
    request = server.api_requests()[0]
    expected = base64.b64encode(f"acme+PubKey123:{PRIVATE_KEY}".encode()).decode()
    assert request.headers["authorization"] == f"Basic {expected}"
    assert request.headers["clientid"] == CREDENTIALS["client_id"]
    assert request.headers["accept"] == "application/vnd.connectwise.com+json; version=2025.1"
    assert str(request.url) == "https://api-na.myconnectwise.net/v4_6_release/apis/3.0/company/companies/count"


def test_codebase_is_discovered_once_from_companyinfo(client: ManageClient, server: Any) -> None:
    server.route("GET", "/login/companyinfo/acme", httpx.Response(200, json={"Codebase": "v2025_1/", "IsCloud": True}))
    server.route("GET", "/system/info", httpx.Response(200, json={"version": "v2025.1"}))
    client.system.info()
    client.system.info()
    discovery = [r for r in server.requests if "/login/companyinfo/" in r.url.path]
    assert len(discovery) == 1
    assert "authorization" not in discovery[0].headers
    assert server.api_requests()[0].url.path == "/v2025_1/apis/3.0/system/info"


def test_explicit_codebase_skips_discovery(server: Any) -> None:
    server.route("GET", "/system/info", httpx.Response(200, json={"version": "x"}))
    with ManageClient(**CREDENTIALS, codebase="v2024_2", transport=httpx.MockTransport(server)) as cw:
        assert cw.system.info().version == "x"
    assert [r.url.path for r in server.requests] == ["/v2024_2/apis/3.0/system/info"]


def test_unusable_companyinfo_falls_back_to_the_usual_codebase(server: Any, caplog: pytest.LogCaptureFixture) -> None:
    server.route("GET", "/login/companyinfo/acme", httpx.Response(404, json={"code": "NotFound", "message": "?"}))
    with ManageClient(**CREDENTIALS, transport=httpx.MockTransport(server)) as cw:
        assert cw.base_url == "https://api-na.myconnectwise.net/v4_6_release/apis/3.0"
    assert "Codebase discovery failed" in caplog.text


def test_companyinfo_null_for_an_unknown_company_falls_back_to_the_usual_codebase(
    server: Any, caplog: pytest.LogCaptureFixture
) -> None:
    # A real server answers an unknown company id with a JSON null (django-connectwise djconnectwise/api.py).
    server.route("GET", "/login/companyinfo/acme", httpx.Response(200, json=None))
    with ManageClient(**CREDENTIALS, transport=httpx.MockTransport(server)) as cw:
        assert cw.base_url == "https://api-na.myconnectwise.net/v4_6_release/apis/3.0"
    assert "gave no usable Codebase" in caplog.text


@pytest.mark.parametrize(
    ("server_text", "origin", "base"),
    [
        ("na.myconnectwise.net", "https://api-na.myconnectwise.net", None),
        ("https://eu.myconnectwise.net", "https://api-eu.myconnectwise.net", None),
        ("au.myconnectwise.net", "https://api-au.myconnectwise.net", None),
        ("cw.example.com", "https://cw.example.com", None),
        ("127.0.0.1:8080", "http://127.0.0.1:8080", None),
        ("http://localhost:9000", "http://localhost:9000", None),
        (
            "https://cw.example.com/v4_6_release/apis/3.0/",
            "https://cw.example.com",
            "https://cw.example.com/v4_6_release/apis/3.0",
        ),
    ],
)
def test_server_as_bare_host_or_url_with_cloud_mapping(server_text: str, origin: str, base: str | None) -> None:
    assert manage_origin(server_text) == (origin, base)


def test_secrets_never_appear_in_repr_str_logs_or_errors(server: Any, caplog: pytest.LogCaptureFixture) -> None:
    server.route("GET", "/company/companies/7", httpx.Response(401, json={"code": "Unauthorized", "message": "denied"}))
    caplog.set_level(logging.DEBUG)
    with ManageClient(**CREDENTIALS, transport=httpx.MockTransport(server), rate_per_minute=600_000) as cw:
        with pytest.raises(AuthenticationError) as caught:
            cw.companies.get(7)
        texts = [repr(cw), str(cw), repr(cw.credentials), str(cw.credentials), repr(ManageAuth(cw.credentials))]
    texts += [str(caught.value), repr(caught.value), caplog.text]
    encoded = base64.b64encode(f"acme+PubKey123:{PRIVATE_KEY}".encode()).decode()
    for text in texts:
        assert PRIVATE_KEY not in text
        assert encoded not in text
    assert "private_key='***'" in repr(cw)
    assert "GET https://api-na.myconnectwise.net/v4_6_release/apis/3.0/company/companies/7 -> 401" in caplog.text


def test_401_message_names_the_usual_causes(client: ManageClient, server: Any) -> None:
    server.route("GET", "/company/companies/7", httpx.Response(401, json={"code": "Unauthorized", "message": "denied"}))
    with pytest.raises(AuthenticationError) as caught:
        client.companies.get(7)
    message = caught.value.message
    assert "clientId" in message and "company+publicKey:privateKey" in message and "inactive" in message


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"company": ""}, "company is empty"),
        ({"company": "acme+corp"}, "contains '+'"),
        ({"company": "acme:corp"}, "contains '+', ':'"),
        ({"private_key": " "}, "private key is empty"),
        ({"public_key": "pub:lic"}, "public key contains"),
        ({"client_id": "not-a-uuid"}, "is not a UUID"),
    ],
)
def test_malformed_credentials_fail_before_any_request(server: Any, change: dict[str, str], says: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        ManageClient(**{**CREDENTIALS, **change}, transport=httpx.MockTransport(server))
    assert says in str(caught.value)
    assert PRIVATE_KEY not in str(caught.value)
    assert server.requests == []


def test_missing_values_name_the_ways_to_configure() -> None:
    with pytest.raises(ConfigurationError, match="from_env"):
        ManageClient(server="na.myconnectwise.net", company="acme")


def test_from_env_reads_the_cwm_variables(monkeypatch: pytest.MonkeyPatch, server: Any) -> None:
    for key, var in {
        "server": "CWM_SERVER",
        "company": "CWM_COMPANY",
        "public_key": "CWM_PUBKEY",
        "private_key": "CWM_PRIVATEKEY",
        "client_id": "CWM_CLIENTID",
    }.items():
        monkeypatch.setenv(var, CREDENTIALS[key])
    with ManageClient.from_env(transport=httpx.MockTransport(server)) as cw:
        assert cw.credentials == ManageCredentials(**CREDENTIALS)
