"""S3: rate limit (429 + Retry-After per credential), injected latency, 5xx, hangs and drops; the request log."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import httpx
import pytest

from cwdesk.sandbox import Sandbox
from cwdesk.sandbox.control import CONTROL_HEADERS
from cwdesk.sandbox.manage_api import API_ROOT
from cwdesk.sandbox.seed import READ_ONLY_PRIVATE_KEY, READ_ONLY_PUBLIC_KEY

Connect = Callable[..., httpx.Client]


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_rate_limit_answers_429_with_retry_after_then_refills(sandbox: Sandbox, manage: httpx.Client) -> None:
    clock = FakeClock()
    sandbox.faults.clock = clock
    sandbox.faults.set(rate_limit_per_min=6)
    statuses = [manage.get("/company/companies/1").status_code for _ in range(7)]
    assert statuses == [200] * 6 + [429]
    refused = manage.get("/company/companies/1")
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "10"  # 6 per minute: one token every 10 s
    clock.now += 10
    assert manage.get("/company/companies/1").status_code == 200


def test_rate_limit_is_per_credential(sandbox: Sandbox, manage: httpx.Client, connect: Connect) -> None:
    sandbox.faults.clock = FakeClock()
    sandbox.faults.set(rate_limit_per_min=2)
    assert [manage.get("/system/info").status_code for _ in range(3)] == [200, 200, 429]
    other = {**sandbox.manage_credentials, "public_key": READ_ONLY_PUBLIC_KEY, "private_key": READ_ONLY_PRIVATE_KEY}
    with connect(sandbox, other) as second:
        assert second.get("/system/info").status_code == 200


def test_fail_next_targets_method_and_path_then_recovers(sandbox: Sandbox, manage: httpx.Client) -> None:
    sandbox.faults.fail_next(method="POST", path_contains="/finance/agreements", status=503, count=2)
    assert manage.get("/finance/agreements").status_code == 200
    body = {"name": "New", "type": {"id": 1}, "company": {"id": 5}, "contact": {"id": 1}}
    assert manage.post("/finance/agreements", json=body).status_code == 503
    assert manage.post("/finance/agreements", json=body).status_code == 503
    assert manage.post("/finance/agreements", json=body).status_code == 201


def test_error_rate_is_seeded_so_runs_repeat(sandbox: Sandbox, manage: httpx.Client) -> None:
    def run() -> list[int]:
        sandbox.faults.set(error_rate=0.3, seed=42)
        return [manage.get("/system/info").status_code for _ in range(40)]

    first, second = run(), run()
    assert first == second
    assert 3 <= sum(status >= 500 for status in first) <= 25
    assert set(first) <= {200, 500, 502, 503}


def test_latency_is_slept_and_overlaps_on_the_async_transport(sandbox: Sandbox) -> None:
    sandbox.faults.set(latency_ms=150)
    started = time.perf_counter()
    with httpx.Client(transport=sandbox.transport()) as client:
        client.get(sandbox.base_url + "/login/companyinfo/sandbox")
    assert time.perf_counter() - started >= 0.15

    async def many() -> float:
        async with httpx.AsyncClient(transport=sandbox.async_transport()) as client:
            begin = time.perf_counter()
            await asyncio.gather(*(client.get(sandbox.base_url + "/login/companyinfo/sandbox") for _ in range(8)))
            return time.perf_counter() - begin

    assert asyncio.run(many()) < 0.15 * 4  # eight requests overlap instead of taking 8 x 150 ms


def test_hang_becomes_a_client_timeout_and_drop_a_disconnect(sandbox: Sandbox, manage: httpx.Client) -> None:
    sandbox.faults.fail_next(path_contains="/company/companies", action="hang")
    with pytest.raises(httpx.ReadTimeout):
        manage.get("/company/companies", timeout=httpx.Timeout(5.0, read=0.05))
    sandbox.faults.fail_next(path_contains="/company/companies", action="drop")
    with pytest.raises(httpx.RemoteProtocolError):
        manage.get("/company/companies")
    assert manage.get("/company/companies").status_code == 200
    assert [(e.status, e.fault) for e in sandbox.requests] == [(0, "hang"), (0, "drop"), (200, None)]


def test_request_log_shows_method_path_query_status_and_duration(sandbox: Sandbox, manage: httpx.Client) -> None:
    manage.get("/company/companies", params={"conditions": 'name like "A%"', "pageSize": 2})
    manage.get("/company/companies/77")
    first, second = sandbox.requests
    assert (first.method, first.path, first.status) == ("GET", API_ROOT + "/company/companies", 200)
    assert first.query == 'conditions=name like "A%"&pageSize=2'
    assert first.duration_ms >= 0
    assert second.status == 404
    sandbox.clear_requests()
    assert sandbox.requests == []


def test_control_endpoints_reset_seed_faults_and_requests(sandbox: Sandbox, manage: httpx.Client) -> None:
    control = httpx.Client(
        transport=sandbox.transport(), base_url=sandbox.base_url + "/_sandbox", headers=CONTROL_HEADERS
    )
    manage.delete("/company/companies/1")
    assert control.post("/reset", json={"seed": "demo"}).status_code == 200
    assert manage.get("/company/companies/1").status_code == 200
    assert control.post("/faults", json={"rate_limit_per_min": 1}).json()["rate_limit_per_min"] == 1
    assert [manage.get("/system/info").status_code for _ in range(2)] == [200, 429]
    assert control.delete("/faults").status_code == 200
    assert control.post("/faults/next", json={"status": 502, "path_contains": "/system"}).status_code == 200
    assert manage.get("/system/info").status_code == 502
    assert len(control.get("/requests").json()) == len(sandbox.requests) > 0
    assert control.delete("/requests").status_code == 204
    assert control.get("/requests").json() == []
    assert control.post("/faults", json={"error_rate": 2}).status_code == 400
    assert control.post("/seed", json={"seed": 3}).status_code == 200
    assert manage.get("/company/companies/count").json() == {"count": 3}


def test_faults_also_apply_to_automate_requests(sandbox: Sandbox) -> None:
    sandbox.faults.fail_next(path_contains="/cwa/api/v1/apitoken", status=500)
    with httpx.Client(transport=sandbox.transport()) as client:
        body = {"UserName": "sandbox", "Password": "sandbox-password"}
        headers = {"ClientId": sandbox.automate_credentials["client_id"]}
        url = sandbox.base_url + "/cwa/api/v1/apitoken"
        assert client.post(url, json=body, headers=headers).status_code == 500
        assert client.post(url, json=body, headers=headers).status_code == 200
    assert [e.status for e in sandbox.requests] == [500, 200]
