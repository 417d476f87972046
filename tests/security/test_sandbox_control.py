"""Issue 14, finding 12: a web page cannot change or wipe the sandbox through its ``/_sandbox`` control endpoints.

Against a real ``cwdesk sandbox serve`` on loopback. The attacks are the requests a browser sends for a page on
another origin: ``fetch(url, {method: "POST", mode: "no-cors", body: "..."})`` (``Content-Type: text/plain``, an
``Origin`` header, no custom header) and an HTML form post (``application/x-www-form-urlencoded``); and a DNS
rebinding name in ``Host``. A browser cannot add ``X-Sandbox-Control`` or ``application/json`` to such a request
without a CORS preflight, which the sandbox does not grant.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from cwdesk.sandbox.control import CONTROL_HEADERS
from cwdesk.sandbox.server import CLIENT_ID
from tests.loopback import Served, serve

ATTACKER = {"origin": "https://evil.example", "referer": "https://evil.example/page"}


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    with serve(tmp_path / "home") as running:
        yield running


def _faults(served: Served) -> dict[str, object]:
    return dict(httpx.get(f"{served.base}/_sandbox/faults", timeout=10).json())


def test_a_no_cors_post_from_a_web_page_cannot_set_faults(served: Served) -> None:
    before = _faults(served)
    answer = httpx.post(
        f"{served.base}/_sandbox/faults",
        content='{"error_rate": 1.0}',
        headers={**ATTACKER, "content-type": "text/plain;charset=UTF-8"},
        timeout=10,
    )
    assert answer.status_code == 403
    assert "X-Sandbox-Control" in answer.json()["error"]
    assert _faults(served) == before


def test_a_form_post_from_a_web_page_cannot_reset_the_sandbox(served: Served) -> None:
    api = {"auth": ("sandbox+sandbox-public", "sandbox-private"), "headers": {"clientId": CLIENT_ID}, "timeout": 10}
    assert httpx.delete(f"{served.api}/company/contacts/1", **api).status_code == 204  # type: ignore[arg-type]
    answer = httpx.post(f"{served.base}/_sandbox/reset", data={"seed": "demo"}, headers=ATTACKER, timeout=10)
    assert answer.status_code == 403
    # The reset did not run: the deleted contact is still gone.
    assert httpx.get(f"{served.api}/company/contacts/1", **api).status_code == 404  # type: ignore[arg-type]


def test_the_control_header_with_a_non_json_body_is_refused(served: Served) -> None:
    answer = httpx.post(
        f"{served.base}/_sandbox/faults",
        content="error_rate=1",
        headers={**CONTROL_HEADERS, "content-type": "application/x-www-form-urlencoded"},
        timeout=10,
    )
    assert answer.status_code == 415
    assert _faults(served)["error_rate"] == 0


def test_a_rebinding_host_name_is_refused_even_for_reads(served: Served) -> None:
    for method, path in [("GET", "/_sandbox/requests"), ("POST", "/_sandbox/faults")]:
        answer = httpx.request(
            method,
            f"{served.base}{path}",
            json={"error_rate": 1.0} if method == "POST" else None,
            headers={**CONTROL_HEADERS, "host": "attacker-rebound.example"},
            timeout=10,
        )
        assert answer.status_code == 403, (method, path)
        assert "Host" in answer.json()["error"]
    assert _faults(served)["error_rate"] == 0


def test_a_script_with_the_header_and_json_still_controls_the_sandbox(served: Served) -> None:
    answer = httpx.post(f"{served.base}/_sandbox/faults", json={"latency_ms": 5}, headers=CONTROL_HEADERS, timeout=10)
    assert answer.status_code == 200 and answer.json()["latency_ms"] == 5
    cleared = httpx.delete(f"{served.base}/_sandbox/faults", headers=CONTROL_HEADERS, timeout=10)
    assert cleared.status_code == 200
    assert httpx.delete(f"{served.base}/_sandbox/faults", timeout=10).status_code == 403  # no header: refused
