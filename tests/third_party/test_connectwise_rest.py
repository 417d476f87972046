"""connectwise-rest 1.3.0 (npm, covenanttechnologysolutions/connectwise-rest), unchanged, against the sandbox.

Each scenario is a small script in tests/third_party/node/ run with ``node`` and env vars; it prints one JSON line.
How the client is used, read from its source (src/Manage.ts, src/Automate.ts, src/BaseAPI.ts):
- ``new ManageAPI({companyId, companyUrl, publicKey, privateKey, clientId})`` calls
  ``https://{companyUrl}/v4_6_release/apis/3.0``; ``new AutomateAPI({serverUrl, username, password, clientId})``
  calls ``https://{serverUrl}/cwa/api/v1``. Both hard-code ``https://``, hence ``--tls`` and ``NODE_EXTRA_CA_CERTS``.
- Automate's token call is ``POST /cwa/api/v1/apitoken`` with ``{username, password, twoFactorPasscode}`` and no
  ``ClientId`` header (``Automate.getToken`` uses a bare ``axios.post``); only later calls send ``clientId``.
- ``paginate(method, {pageSize}, params)`` counts pages itself: it asks ``page=1,2,...`` and stops after a page
  shorter than ``pageSize`` or an empty one; it reads no ``Link`` header.
"""

from __future__ import annotations

import json
import os
import subprocess
from typing import Any

import httpx

from cwdesk.sandbox.server import CLIENT_ID
from tests.loopback import Served
from tests.third_party.conftest import ACTIVE_COMPANIES, NODE_FOLDER, host_of, pages_requested


def run_node(node: str, served: Served, script: str, **env: str) -> dict[str, Any]:
    """Run ``script`` against ``served``; its JSON result, or a failure that shows the server's answer."""
    assert served.ca_pem
    environment = {
        **os.environ,
        "NODE_EXTRA_CA_CERTS": served.ca_pem,
        "CW_HOST": host_of(served),
        "CWM_COMPANY": "sandbox",
        "CWM_PUBKEY": "sandbox-public",
        "CWM_PRIVATEKEY": "sandbox-private",
        "CWM_CLIENTID": CLIENT_ID,
        "CWA_USERNAME": "sandbox",
        "CWA_PASSWORD": "sandbox-password",
        "CWA_CLIENTID": CLIENT_ID,
        **env,
    }
    done = subprocess.run(
        [node, script], cwd=NODE_FOLDER, env=environment, capture_output=True, text=True, timeout=120, check=False
    )
    lines = done.stdout.strip().splitlines()
    assert lines, f"{script} printed nothing; stderr:\n{done.stderr}"
    result: dict[str, Any] = json.loads(lines[-1])
    assert done.returncode == 0 and "error" not in result, f"{script} failed: {json.dumps(result, indent=2)}"
    return result


def test_connectwise_rest_manage_lists_with_conditions_every_page_count_and_get(node: str, tls_sandbox: Served) -> None:
    expected = [c["identifier"] for c in tls_sandbox.all("/company/companies", conditions=ACTIVE_COMPANIES)]
    assert len(expected) > 3
    since = len(tls_sandbox.log())

    result = run_node(node, tls_sandbox, "manage_companies_read.js", CONDITIONS=ACTIVE_COMPANIES, PAGE_SIZE="3")

    assert result["listed"] == expected
    assert result["paged"] == expected
    assert result["count"] == len(expected)
    assert result["one"]["identifier"] == expected[0] and result["one"]["site"]
    pages = -(-len(expected) // 3)
    asked = pages_requested(tls_sandbox, "/company/companies", since)
    # One unpaged list (pageSize=1000), then paginate's pages of 3; one more (empty) page when the last one is full.
    assert asked[0] == (1, 1000)
    assert asked[1:] == [(page, 3) for page in range(1, pages + (len(expected) % 3 == 0) + 1)]


def test_connectwise_rest_manage_creates_patches_and_deletes_a_company_with_its_site(
    node: str, tls_sandbox: Served
) -> None:
    result = run_node(node, tls_sandbox, "manage_companies_write.js", IDENTIFIER="NodeRestTest")

    assert result["created"]["identifier"] == "NodeRestTest"
    # A real server requires `site` on create and makes the named site (issue 11, item 1): exactly one site.
    assert result["created"]["site"] == "Main"
    assert result["sites"] == ["Main"]
    assert result["patched"] == result["reread"] == "8135550100"
    assert result["left"] == 0


def test_connectwise_rest_automate_gets_a_token_lists_pages_and_writes_clients(node: str, tls_sandbox: Served) -> None:
    # Automate's condition grammar: single-quoted strings, `like` with % (gavsto/AutomateAPI Get-AutomateClient).
    condition = "Name like '%a%'"
    expected = [c["Name"] for c in automate_clients(tls_sandbox, condition)]  # the server's default order
    assert len(expected) > 2
    since = len(tls_sandbox.log())

    result = run_node(
        node, tls_sandbox, "automate_clients.js", CONDITION=condition, PAGE_SIZE="2", NEW_CLIENT="Node Rest Client"
    )

    assert result["listed"] == expected
    assert result["paged"] == expected
    assert result["one"]["Name"] == expected[0]
    assert result["created"] == {"Name": "Node Rest Client", "City": "Tampa"}
    assert result["patched"] == "Orlando"
    assert result["left"] == 0
    asked = pages_requested(tls_sandbox, "/cwa/api/v1/clients", since)
    pages = -(-len(expected) // 2) + (len(expected) % 2 == 0)
    assert asked[1 : 1 + pages] == [(page, 2) for page in range(1, pages + 1)]


def automate_clients(served: Served, condition: str) -> list[dict[str, Any]]:
    """Automate clients matching ``condition``, read with plain httpx (token with ClientId, as cwdesk's SDK does)."""
    headers = {"ClientId": CLIENT_ID}
    with httpx.Client(base_url=served.base + "/cwa/api/v1", verify=served.verify, headers=headers) as http:
        token = http.post("/apitoken", json={"UserName": "sandbox", "Password": "sandbox-password"})
        token.raise_for_status()
        http.headers["Authorization"] = "Bearer " + token.json()["AccessToken"]
        answer = http.get("/clients", params={"condition": condition, "pageSize": 1000})
        answer.raise_for_status()
        return list(answer.json())
