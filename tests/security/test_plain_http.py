"""Issue 14 (Info): an explicit ``http://`` ConnectWise server that is not this machine is refused (credentials would
travel in clear) unless the caller opts in with ``--insecure-http`` / ``insecure_http=True``; loopback stays allowed."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from cwdesk.automate.client import AsyncAutomateClient, AutomateClient
from cwdesk.cli.app import app
from cwdesk.config import INSECURE_HTTP_ENV
from cwdesk.errors import ConfigurationError
from cwdesk.manage.client import AsyncManageClient, ManageClient
from cwdesk.workflows.callbacks import SigningKeys

CLIENT_ID = "3f6a1f8e-9c2b-4d7e-8a1b-2c3d4e5f6a7b"
MANAGE = {"company": "acme", "public_key": "pub", "private_key": "priv", "client_id": CLIENT_ID}
AUTOMATE = {"username": "u", "password": "p", "client_id": CLIENT_ID}


@pytest.fixture(autouse=True)
def no_opt_in(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(INSECURE_HTTP_ENV, raising=False)


@pytest.mark.parametrize("client", [ManageClient, AsyncManageClient])
def test_a_plain_http_manage_server_elsewhere_is_refused(client: type) -> None:
    with pytest.raises(ConfigurationError, match=r"plain http .* --insecure-http"):
        client(server="http://cw.example.com", **MANAGE)


@pytest.mark.parametrize("client", [AutomateClient, AsyncAutomateClient])
def test_a_plain_http_automate_server_elsewhere_is_refused(client: type) -> None:
    with pytest.raises(ConfigurationError, match="plain http"):
        client(server="http://automate.example.com", **AUTOMATE)


def test_the_receiver_refuses_a_plain_http_server_elsewhere() -> None:
    with pytest.raises(ConfigurationError, match="plain http"):
        SigningKeys("http://cw.example.com")


@pytest.mark.parametrize("server", ["http://127.0.0.1:8080", "http://localhost:9", "http://[::1]:8080", "127.0.0.1:9"])
def test_loopback_over_plain_http_is_still_fine(server: str) -> None:
    ManageClient(server=server, **MANAGE).close()


def test_insecure_http_is_an_explicit_opt_in() -> None:
    seen: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(200, json={"Codebase": "v4_6_release/"})

    with ManageClient(
        server="http://cw.example.com", insecure_http=True, transport=httpx.MockTransport(answer), **MANAGE
    ) as cw:
        assert cw.origin == "http://cw.example.com"
    AutomateClient(server="http://automate.example.com", insecure_http=True, **AUTOMATE).close()


def test_the_cli_refuses_it_and_names_the_flag(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    monkeypatch.setenv("CWDESK_HOME", str(home))
    monkeypatch.setenv("CWM_SERVER", "http://cw.example.com")
    for key, env in (("company", "CWM_COMPANY"), ("public_key", "CWM_PUBKEY"), ("private_key", "CWM_PRIVATEKEY")):
        monkeypatch.setenv(env, MANAGE[key])
    monkeypatch.setenv("CWM_CLIENTID", MANAGE["client_id"])
    result = CliRunner().invoke(app, ["query", "getCompanyCompanies"])
    assert result.exit_code == 2
    assert "--insecure-http" in result.output
    assert "cw.example.com" in result.output


def test_the_cli_flag_opts_in_for_the_clients_a_command_builds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    monkeypatch.setenv("CWDESK_HOME", str(home))
    monkeypatch.setenv(INSECURE_HTTP_ENV, "")  # restored after the test, whatever the command sets
    result = CliRunner().invoke(app, ["--insecure-http", "config", "list"])
    assert result.exit_code == 0, result.output
    assert os.environ[INSECURE_HTTP_ENV] == "1"
    ManageClient(server="http://cw.example.com", **MANAGE).close()  # now accepted
