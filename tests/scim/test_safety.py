"""The bridge's safety: jobs and audit name the token (never its secret), the per-token rate limit, a burst against
ConnectWise's rate limit paces instead of failing, hard delete only when configured (and CW's 409 as SCIM's)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import sqlalchemy as sa

from cwdesk._http.throttle import Throttle
from cwdesk.sandbox import Sandbox
from cwdesk.scim.storage import ScimSettings
from cwdesk.store.accounts import console_audit_log
from cwdesk.store.jobs import job_events, jobs
from tests.scim.conftest import GROUP_SCHEMA, PATCH_SCHEMA, Bridge, make_bridge
from tests.scim.test_users import new_user


async def test_jobs_and_audit_name_the_token_never_its_secret(bridge: Bridge) -> None:
    async with bridge.client() as client:
        created = (await client.post("/Users", json=new_user("tnguyen"))).json()
        await client.patch(
            f"/Users/{created['id']}",
            json={"schemas": [PATCH_SCHEMA], "Operations": [{"op": "replace", "path": "title", "value": "Engineer"}]},
        )
        await client.delete(f"/Users/{created['id']}")
    with bridge.engine.connect() as conn:
        made = conn.execute(sa.select(jobs.c.kind, jobs.c.created_by).order_by(jobs.c.id)).all()
        audit = conn.execute(sa.select(console_audit_log.c.username, console_audit_log.c.action)).all()
        rows = [row for table in (jobs, job_events, console_audit_log) for row in conn.execute(sa.select(table))]
        everything = json.dumps([list(map(str, row)) for row in rows])
    assert [tuple(row) for row in made] == [
        ("members.provision", "scim:okta"),
        ("scim", "scim:okta"),
        ("members.deprovision", "scim:okta"),
    ]
    assert ("scim:okta", "SCIM create user") in [tuple(row) for row in audit]
    assert ("scim:okta", "SCIM delete user") in [tuple(row) for row in audit]
    assert bridge.secret not in everything


async def test_update_job_can_be_rolled_back_to_the_values_it_replaced(bridge: Bridge) -> None:
    from cwdesk.workflows.jobs import rollback_job

    member = bridge.member("akhan")
    async with bridge.client() as client:
        await client.patch(
            f"/Users/{member['id']}",
            json={"schemas": [PATCH_SCHEMA], "Operations": [{"op": "replace", "path": "title", "value": "Lead"}]},
        )
    assert bridge.member("akhan")["title"] == "Lead"
    with bridge.engine.connect() as conn:
        job_id = conn.execute(sa.select(jobs.c.id).where(jobs.c.kind == "scim")).scalar_one()
    rollback_job(bridge.engine, job_id, client=bridge.cw)
    assert not bridge.member("akhan").get("title")


async def test_a_token_over_its_rate_limit_gets_429_with_retry_after(sandbox: Sandbox, scim_home: Path) -> None:
    bridge = make_bridge(sandbox, rate=3)
    async with bridge.client() as client:
        answers = [await client.get("/Users", params={"count": 1}) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert int(answers[-1].headers["Retry-After"]) >= 1
    assert "okta" in answers[-1].json()["detail"] and bridge.secret not in answers[-1].text


async def test_a_burst_under_connectwise_rate_limit_paces_instead_of_failing(sandbox: Sandbox, scim_home: Path) -> None:
    # 100 SCIM calls at once against a sandbox that allows a burst of 5 and 3,000 requests a minute, with a
    # throttle that starts faster than that (6,000 a minute, bursts of 10): ConnectWise answers 429 to the excess,
    # the throttle waits as told (Retry-After) and slows down, and every SCIM call succeeds.
    sandbox.faults.set(rate_limit_per_min=3000, rate_limit_burst=5)
    bridge = make_bridge(sandbox, throttle=Throttle(rate_per_minute=6000, burst=10))
    member_ids = [str(bridge.member(name)["id"]) for name in ("jsmith", "akhan", "mlopez", "readonly")]
    async with bridge.client() as client:
        reads = [client.get(f"/Users/{member_ids[i % 4]}") for i in range(90)]
        writes = [client.post("/Users", json=new_user(f"burst{i:02d}")) for i in range(10)]
        answers = await asyncio.gather(*reads, *writes)
    failed = [(a.status_code, a.text[:300]) for a in answers if a.status_code not in (200, 201)]
    assert not failed
    assert [a.status_code for a in answers] == [200] * 90 + [201] * 10
    refused = [r for r in sandbox.requests if r.status == 429]
    assert refused, "the sandbox's rate limit was never reached: the test did not test pacing"
    assert len({bridge.member(f"burst{i:02d}")["id"] for i in range(10)}) == 10


async def test_delete_deletes_only_when_configured(sandbox: Sandbox, scim_home: Path) -> None:
    bridge = make_bridge(sandbox, settings=ScimSettings(hard_delete=True))
    async with bridge.client() as client:
        created = (await client.post("/Users", json=new_user("temp1"))).json()
        answer = await client.delete(f"/Users/{created['id']}")
    assert answer.status_code == 204
    from cwdesk.workflows.members import find_member

    assert find_member(bridge.cw, "temp1") is None
    assert any(w.startswith("DELETE /v4_6_release/apis/3.0/system/members/") for w in bridge.writes())


async def test_hard_delete_of_a_member_who_owns_tickets_is_409_and_keeps_them_inactive(
    sandbox: Sandbox, scim_home: Path
) -> None:
    bridge = make_bridge(sandbox, settings=ScimSettings(hard_delete=True))
    tickets = bridge.cw.request_json("GET", "/service/tickets", params={"pageSize": 1000})
    owner = next(t["owner"]["identifier"] for t in tickets if t.get("owner"))
    member = bridge.member(owner)
    async with bridge.client() as client:
        answer = await client.delete(f"/Users/{member['id']}")
        again = await client.get(f"/Users/{member['id']}")
    assert answer.status_code == 409
    assert "409 Conflict" in answer.json()["detail"] and "inactive" in answer.json()["detail"]
    assert bridge.member(owner)["inactiveFlag"] is True
    assert again.status_code == 200  # not deleted: still a (deactivated) user


async def test_a_group_is_made_and_deleted_as_jobs_of_the_token(bridge: Bridge) -> None:
    async with bridge.client() as client:
        group = (await client.post("/Groups", json={"schemas": [GROUP_SCHEMA], "displayName": "On Call"})).json()
        deleted = await client.delete(f"/Groups/{group['id']}")
    assert deleted.status_code == 204
    with bridge.engine.connect() as conn:
        made = conn.execute(sa.select(jobs.c.kind, jobs.c.title, jobs.c.created_by).order_by(jobs.c.id)).all()
    assert [tuple(row) for row in made] == [
        ("scim", "SCIM: create security role On Call", "scim:okta"),
        ("scim", "SCIM: delete security role On Call", "scim:okta"),
    ]


async def test_connectwise_down_during_a_change_is_503_so_the_provider_retries(bridge: Bridge) -> None:
    member = bridge.member("akhan")
    bridge.sandbox.faults.fail_next(method="PATCH", path_contains="/system/members", status=503, count=20)
    async with bridge.client() as client:
        answer = await client.patch(
            f"/Users/{member['id']}",
            json={"schemas": [PATCH_SCHEMA], "Operations": [{"op": "replace", "path": "title", "value": "Lead"}]},
        )
    assert answer.status_code == 503, answer.text
    assert "try again later" in answer.json()["detail"] and "cwdesk job" in answer.json()["detail"]
    assert "sandbox.local" not in answer.text  # ConnectWise's URL stays in the job


async def test_a_value_connectwise_refuses_during_a_change_is_400(bridge: Bridge) -> None:
    member = bridge.member("akhan")
    bridge.sandbox.faults.fail_next(method="PATCH", path_contains="/system/members", status=400)
    async with bridge.client() as client:
        answer = await client.patch(
            f"/Users/{member['id']}",
            json={"schemas": [PATCH_SCHEMA], "Operations": [{"op": "replace", "path": "title", "value": "Lead"}]},
        )
    assert answer.status_code == 400 and answer.json()["scimType"] == "invalidValue", answer.text
    assert "Injected fault" in answer.json()["detail"] and "sandbox.local" not in answer.text
