"""Plans for an edit of one company or one contact (``plan_company_edit``, ``plan_contact_edit``): checked by the rule
of ``cwdesk companies update --set``, shown as the JSON Patch with before -> after, written by nothing but
``execute_plan`` as a ``record_edit`` job, refused when the record changed since, and rolled back on request."""

from __future__ import annotations

from typing import Any

import pytest
from mcp import Client

from cwdesk.console.security import Accounts
from cwdesk.mcp.desk import Caller
from cwdesk.mcp.plans import PlanRefused
from cwdesk.workflows import jobs
from cwdesk.workflows.validation import record_dict
from tests.mcp.conftest import InProcess

ACME_DENTAL = 1  # the demo seed's first company


async def _call(client: Client, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    result = await client.call_tool(name, arguments)
    assert not result.is_error, result.content
    assert result.structured_content is not None
    return result.structured_content


async def _error(client: Client, name: str, arguments: dict[str, Any]) -> str:
    result = await client.call_tool(name, arguments)
    assert result.is_error, result.structured_content
    return " ".join(getattr(block, "text", "") for block in result.content)


def _company(in_process: InProcess, company_id: int = ACME_DENTAL) -> dict[str, Any]:
    return record_dict(in_process.desk.manage.companies.get(company_id))


async def test_a_company_edit_plan_shows_the_patch_and_writes_nothing(in_process: InProcess) -> None:
    before = _company(in_process)
    in_process.sandbox.clear_requests()
    async with Client(in_process.server()) as client:
        plan = await _call(
            client,
            "plan_company_edit",
            {"company_id": ACME_DENTAL, "changes": {"phoneNumber": "8135550199", "website": "https://acme.example"}},
        )
    assert plan["valid"] and plan["plan_id"] and plan["wrote"] == "nothing" and plan["kind"] == "record_edit"
    assert plan["patch"] == [
        {"op": "replace", "path": "phoneNumber", "value": "8135550199"},
        {"op": "replace", "path": "website", "value": "https://acme.example"},
    ]
    assert plan["changes"][0] == {"field": "phoneNumber", "before": before["phoneNumber"], "after": "8135550199"}
    assert [s["key"] for s in plan["steps"]] == [f"company:{ACME_DENTAL}"]
    assert in_process.writes() == [] and jobs.list_jobs(in_process.engine) == []


async def test_executing_a_company_edit_sends_that_patch_once_as_a_job_and_audits_it(in_process: InProcess) -> None:
    async with Client(in_process.server()) as client:
        plan = await _call(client, "plan_company_edit", {"company_id": ACME_DENTAL, "changes": {"status": "Inactive"}})
        in_process.sandbox.clear_requests()
        started = await _call(client, "execute_plan", {"plan_id": plan["plan_id"], "confirm": True})
        in_process.wait_for_jobs()
        status = await _call(client, "job_status", {"job_id": started["job_id"]})
    assert status["state"] == "succeeded" and status["kind"] == "record_edit"
    patches = [r for r in in_process.sandbox.requests if r.method == "PATCH"]
    assert [r.path.rsplit("/apis/3.0", 1)[-1] for r in patches] == [f"/company/companies/{ACME_DENTAL}"]
    (step,) = jobs.get_job(in_process.engine, started["job_id"]).steps
    (operation,) = step.params["patch"]  # the patch the plan showed is the one the job sent
    assert operation["op"] == "replace" and operation["path"] == "status" and operation["value"]["id"]
    assert operation == plan["patch"][0]
    assert _company(in_process)["status"]["name"] == "Inactive"
    entries = Accounts(in_process.engine).audit_entries()
    assert [(e.action, e.result) for e in entries] == [("execute plan via MCP (record_edit)", "ok")]


async def test_a_contact_edit_plan_runs_and_null_empties_a_field(in_process: InProcess) -> None:
    contact = record_dict(in_process.desk.manage.contacts.get(2))
    assert contact.get("title")
    async with Client(in_process.server()) as client:
        plan = await _call(
            client, "plan_contact_edit", {"contact_id": 2, "changes": {"title": None, "inactiveFlag": True}}
        )
        assert {(c["field"], c["after"]) for c in plan["changes"]} == {("title", "(empty)"), ("inactiveFlag", "true")}
        await _call(client, "execute_plan", {"plan_id": plan["plan_id"], "confirm": True})
        in_process.wait_for_jobs()
    after = record_dict(in_process.desk.manage.contacts.get(2))
    assert after.get("title") in (None, "") and after["inactiveFlag"] is True


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"phoneNumbr": "8135550100"}, "is not a field of a company (did you mean 'phoneNumber'"),
        ({"phoneNumber": "call me maybe"}, "phoneNumber"),
        ({"status": "Sleeping"}, "status"),
        ({"name": ""}, "cannot be emptied: every company has one"),
        ({"id": 7}, "cannot be set: it is the record's id"),
    ],
)
async def test_a_bad_company_edit_lists_its_problems_and_makes_no_plan(
    in_process: InProcess, changes: dict[str, Any], expected: str
) -> None:
    async with Client(in_process.server()) as client:
        answer = await _call(client, "plan_company_edit", {"company_id": ACME_DENTAL, "changes": changes})
    assert answer["valid"] is False and answer["plan_id"] is None
    assert any(expected in problem for problem in answer["problems"]), answer["problems"]
    assert in_process.writes() == []


async def test_an_edit_that_changes_nothing_or_of_a_missing_record_is_not_planned(in_process: InProcess) -> None:
    current = _company(in_process)
    async with Client(in_process.server()) as client:
        same = await _call(
            client, "plan_company_edit", {"company_id": ACME_DENTAL, "changes": {"name": current["name"]}}
        )
        missing = await _call(client, "plan_contact_edit", {"contact_id": 999_999, "changes": {"title": "x"}})
        empty = await _error(client, "plan_company_edit", {"company_id": ACME_DENTAL, "changes": {}})
    assert same["valid"] is False and "already has these values: nothing to do" in same["problems"][0]
    assert missing["valid"] is False and "there is no contact 999999" in missing["problems"][0]
    assert "changes is empty" in empty


async def test_an_edit_whose_record_changed_since_is_refused_with_the_difference(in_process: InProcess) -> None:
    async with Client(in_process.server()) as client:
        plan = await _call(
            client, "plan_company_edit", {"company_id": ACME_DENTAL, "changes": {"phoneNumber": "8135550199"}}
        )
        in_process.desk.manage.companies.update(ACME_DENTAL, {"phoneNumber": "8135550111"})  # someone, meanwhile
        in_process.sandbox.clear_requests()
        refused = await _error(client, "execute_plan", {"plan_id": plan["plan_id"], "confirm": True})
    assert "changed since it was made" in refused
    assert f"company:{ACME_DENTAL}: before was" in refused and "8135550111" in refused
    assert in_process.writes() == [] and jobs.list_jobs(in_process.engine) == []


async def test_an_edit_rolls_back_to_the_values_it_replaced(in_process: InProcess) -> None:
    old = _company(in_process)["phoneNumber"]
    async with Client(in_process.server()) as client:
        plan = await _call(
            client, "plan_company_edit", {"company_id": ACME_DENTAL, "changes": {"phoneNumber": "8135550199"}}
        )
        job = await _call(client, "execute_plan", {"plan_id": plan["plan_id"], "confirm": True})
        in_process.wait_for_jobs()
        assert _company(in_process)["phoneNumber"] == "8135550199"
        rollback = await _call(client, "plan_job_rollback", {"job_id": job["job_id"]})
        assert rollback["valid"] and len(rollback["restore"]) == 1
        await _call(client, "execute_plan", {"plan_id": rollback["plan_id"], "confirm": True})
        in_process.wait_for_jobs()
    assert _company(in_process)["phoneNumber"] == old


async def test_a_rollback_leaves_a_record_someone_changed_after_the_job(in_process: InProcess) -> None:
    async with Client(in_process.server()) as client:
        plan = await _call(
            client, "plan_company_edit", {"company_id": ACME_DENTAL, "changes": {"phoneNumber": "8135550199"}}
        )
        job = await _call(client, "execute_plan", {"plan_id": plan["plan_id"], "confirm": True})
        in_process.wait_for_jobs()
        in_process.desk.manage.companies.update(ACME_DENTAL, {"phoneNumber": "8135550122"})
        rollback = await _call(client, "plan_job_rollback", {"job_id": job["job_id"]})
        await _call(client, "execute_plan", {"plan_id": rollback["plan_id"], "confirm": True})
        in_process.wait_for_jobs()
    assert _company(in_process)["phoneNumber"] == "8135550122"
    journal = jobs.read_events(in_process.engine, job["job_id"])
    assert any("was changed after the job" in (e.message or "") for e in journal)


def test_a_viewer_caller_cannot_plan_an_edit(in_process: InProcess) -> None:
    viewer = Caller(key="token:1", name="bot", role="viewer", via="token")
    with pytest.raises(PlanRefused, match=r"Your role \(viewer\) only reads"):
        in_process.desk.plan_record_edit("companies", ACME_DENTAL, {"phoneNumber": "8135550199"}, caller=viewer)
