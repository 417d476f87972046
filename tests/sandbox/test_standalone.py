"""The standalone server (``cwdesk sandbox serve``): same routes over a real socket, plain HTTP and ``--tls``."""

from __future__ import annotations

import os
import re
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from cwdesk.sandbox.control import CONTROL_HEADERS
from cwdesk.sandbox.manage_api import API_ROOT
from cwdesk.sandbox.server import CLIENT_ID
from tests.loopback import free_port


class Server:
    def __init__(self, process: subprocess.Popen[str], base_url: str, ca_pem: str | None) -> None:
        self.process = process
        self.base_url = base_url
        self.ca_pem = ca_pem


def start(tmp_path: Path, *args: str) -> Server:
    port = free_port()
    env = {**os.environ, "CWDESK_HOME": str(tmp_path)}
    command = [sys.executable, "-m", "cwdesk", "sandbox", "serve", "--port", str(port), *args]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert process.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line)
        if line.startswith("These are sandbox-only credentials"):
            break
    text = "".join(lines)
    base = re.search(r"listening on (\S+)", text)
    ca = re.search(r"trust the CA certificate (\S+)", text)
    assert base, text
    server = Server(process, base.group(1), ca.group(1) if ca else None)
    verify: ssl.SSLContext | bool = ssl.create_default_context(cafile=server.ca_pem) if server.ca_pem else True
    while time.monotonic() < deadline:
        try:
            httpx.get(server.base_url + "/login/companyinfo/sandbox", verify=verify, timeout=1.0)
            return server
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise AssertionError("the sandbox server did not start: " + text)


@pytest.fixture
def server(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Server]:
    running = start(tmp_path, *getattr(request, "param", ()))
    yield running
    running.process.terminate()
    try:
        running.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        running.process.kill()


def auth() -> tuple[str, str]:
    return ("sandbox+sandbox-public", "sandbox-private")


def test_serve_answers_manage_requests_with_links_on_its_own_host(server: Server) -> None:
    response = httpx.get(
        server.base_url + API_ROOT + "/company/contacts",
        params={"pageSize": 5},
        auth=auth(),
        headers={"clientId": CLIENT_ID},
    )
    assert response.status_code == 200
    assert len(response.json()) == 5
    assert response.headers["link"].startswith(f"<{server.base_url}{API_ROOT}/company/contacts?pageSize=5&page=2>")
    log = httpx.get(server.base_url + "/_sandbox/requests").json()
    assert log[-1]["path"] == API_ROOT + "/company/contacts"
    assert log[-1]["status"] == 200


def test_dropped_connection_reaches_the_client_as_a_protocol_error(server: Server) -> None:
    httpx.post(
        server.base_url + "/_sandbox/faults/next",
        json={"action": "drop", "path_contains": "/system"},
        headers=CONTROL_HEADERS,
    )
    with pytest.raises(httpx.TransportError):
        httpx.get(server.base_url + API_ROOT + "/system/info", auth=auth(), headers={"clientId": CLIENT_ID})


@pytest.mark.parametrize("server", [("--tls", "--rate-limit", "2/min")], indirect=True)
def test_tls_with_the_printed_ca_and_rate_limit_flag(server: Server) -> None:
    assert server.base_url.startswith("https://localhost:")
    assert server.ca_pem and Path(server.ca_pem).is_file()
    trusted = ssl.create_default_context(cafile=server.ca_pem)
    with httpx.Client(verify=trusted, auth=auth(), headers={"clientId": CLIENT_ID}) as client:
        statuses = [client.get(server.base_url + API_ROOT + "/system/info").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    with pytest.raises(httpx.ConnectError):
        httpx.get(server.base_url + "/login/companyinfo/sandbox", verify=True)  # the system CAs do not know it


def test_forward_only_last_page_sends_an_empty_link_header_over_the_socket(server: Server) -> None:
    """christaylorcodes/ConnectWiseManageAPI Public/Invoke/Invoke-CWMAllResult.ps1 needs the ``Link`` header on the
    last page too (empty there): it must survive the real HTTP server, not only the in-process transport."""
    response = httpx.get(
        server.base_url + API_ROOT + "/company/companies",
        params={"pageSize": 1000},
        auth=auth(),
        headers={"clientId": CLIENT_ID, "pagination-type": "forward-only"},
    )
    assert response.status_code == 200
    assert response.headers.get("link") == ""
