"""The MCP tools in process, on the test's sandbox, so its request log shows what each call sent: plan tools write
nothing, execute_plan runs only a confirmed, unchanged plan (once, audited), and a hostile filter value stays a
value. The same official ``mcp`` client as over stdio, on the SDK's in-process connection."""

from __future__ import annotations

from typing import Any, get_args
from urllib.parse import unquote_plus

import pytest
from mcp import Client

from cwdesk.conditions import OPERATORS, C
from cwdesk.console.security import Accounts
from cwdesk.mcp.desk import Operator
from cwdesk.workflows import jobs
from cwdesk.workflows.validation import record_dict
from tests.mcp.conftest import InProcess
from tests.mcp.test_stdio import READ_TOOLS, ZEPHYR, _secrets

ACME_DENTAL = 1  # the demo seed's first company (three active contacts)


async def _call(client: Client, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    result = await client.call_tool(name, arguments)
    assert not result.is_error, result.content
    assert result.structured_content is not None
    return result.structured_content


async def _error(client: Client, name: str, arguments: dict[str, Any]) -> str:
    result = await client.call_tool(name, arguments)
    assert result.is_error, result.structured_content
    return " ".join(getattr(block, "text", "") for block in result.content)


def test_filter_operators_are_the_conditions_grammars() -> None:
    assert set(get_args(Operator)) == set(OPERATORS)


async def test_plan_tools_read_and_write_nothing(in_process: InProcess) -> None:
    in_process.sandbox.clear_requests()
    async with Client(in_process.server()) as client:
        bulk = await _call(
            client, "plan_bulk_contact_update", {"changes": ["inactiveFlag=true"], "company_ids": [ACME_DENTAL]}
        )
        onboarding = await _call(client, "plan_onboarding", {"onboarding": ZEPHYR})
        primary = await _call(client, "plan_set_primary_contact", {"contact_id": 2})
    assert all(plan["valid"] and plan["plan_id"] and plan["wrote"] == "nothing" for plan in (bulk, onboarding, primary))
    assert bulk["counts"] == {"contacts": 3, "to_change": 3, "already_set": 0}
    assert {row["before"]["inactiveFlag"] for row in bulk["changes"]} == {"false"}
    assert in_process.sandbox.requests, "planning reads ConnectWise"
    assert in_process.writes() == []
    assert jobs.list_jobs(in_process.engine) == []


async def test_execute_plan_runs_the_plan_as_a_job_made_through_mcp_and_audits_it(in_process: InProcess) -> None:
    async with Client(in_process.server()) as client:
        plan = await _call(client, "plan_set_primary_contact", {"contact_id": 2})
        started = await _call(client, "execute_plan", {"plan_id": plan["plan_id"], "confirm": True})
        in_process.wait_for_jobs()
        status = await _call(client, "job_status", {"job_id": started["job_id"]})
        again = await _error(client, "execute_plan", {"plan_id": plan["plan_id"], "confirm": True})
    assert status["state"] == "succeeded" and status["created_by"].startswith("mcp:pytest:")
    assert record_dict(in_process.desk.manage.contacts.get(2))["defaultFlag"] is True
    assert f"already ran as job {started['job_id']}" in again
    entries = Accounts(in_process.engine).audit_entries()
    assert [(e.action, e.result) for e in entries] == [
        ("execute plan via MCP (primary_contact)", "refused"),
        ("execute plan via MCP (primary_contact)", "ok"),
    ]
    assert entries[1].username.startswith("mcp:pytest:") and entries[1].role == "mcp"
    # The name the MCP client gave for itself in the handshake is kept beside --client-name.
    assert entries[1].detail["channel"] == "mcp" and entries[1].detail["declared_client"]
    assert entries[1].detail["job_id"] == started["job_id"]


async def test_execute_plan_without_confirm_is_refused_and_writes_nothing(in_process: InProcess) -> None:
    async with Client(in_process.server()) as client:
        plan = await _call(client, "plan_set_primary_contact", {"contact_id": 2})
        in_process.sandbox.clear_requests()
        refused = await _error(client, "execute_plan", {"plan_id": plan["plan_id"]})
        unknown = await _error(client, "execute_plan", {"plan_id": "not-a-plan", "confirm": True})
    assert "confirm=true" in refused and "No plan 'not-a-plan'" in unknown
    assert in_process.writes() == [] and jobs.list_jobs(in_process.engine) == []


async def test_a_plan_whose_records_changed_since_is_refused_with_the_differences(in_process: InProcess) -> None:
    async with Client(in_process.server()) as client:
        plan = await _call(
            client, "plan_bulk_contact_update", {"changes": ["inactiveFlag=true"], "company_ids": [ACME_DENTAL]}
        )
        first = plan["steps"][0]["key"]
        contact_id = int(first.split(":")[1])
        in_process.desk.manage.contacts.update(contact_id, {"inactiveFlag": True})  # someone else, meanwhile
        in_process.sandbox.clear_requests()
        refused = await _error(client, "execute_plan", {"plan_id": plan["plan_id"], "confirm": True})
    assert "changed since it was made" in refused
    assert f"{first}: already was false, now true" in refused
    assert in_process.writes() == [] and jobs.list_jobs(in_process.engine) == []


async def test_onboarding_with_problems_returns_them_and_no_plan(in_process: InProcess) -> None:
    taken = {**ZEPHYR, "company": {**ZEPHYR["company"], "identifier": "AcmeDental"}}
    async with Client(in_process.server()) as client:
        answer = await _call(client, "plan_onboarding", {"onboarding": taken})
    assert answer["valid"] is False and answer["plan_id"] is None
    assert any("AcmeDental" in problem for problem in answer["problems"])


async def test_a_hostile_filter_value_stays_a_value(in_process: InProcess) -> None:
    hostile = 'x" or name like "%'
    in_process.sandbox.clear_requests()
    async with Client(in_process.server()) as client:
        found = await _call(
            client, "search_records", {"record": "companies", "filters": [{"field": "name", "value": hostile}]}
        )
        counted = await _call(
            client, "count_records", {"record": "companies", "filters": [{"field": "name", "value": hostile}]}
        )
    assert found["records"] == [] and counted["count"] == 0
    assert found["condition"] == 'name = "x\\" or name like \\"%"'
    sent = [unquote_plus(r.query) for r in in_process.sandbox.requests if r.path.endswith(("/companies", "/count"))]
    assert len(sent) == 2 and all('conditions=name = "x\\" or name like \\"%"' in q for q in sent)


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ([{"field": "nam", "value": "x"}], "'nam' is not a field of companies (did you mean 'name'?)"),
        ([{"field": "name", "operator": "like", "value": 3}], "'like' compares text"),
        ([{"field": "id", "operator": "in", "value": []}], "'in' needs at least one value"),
    ],
)
async def test_a_bad_filter_is_refused_before_any_request(
    in_process: InProcess, filters: list[dict[str, Any]], expected: str
) -> None:
    in_process.sandbox.clear_requests()
    async with Client(in_process.server()) as client:
        message = await _error(client, "search_records", {"record": "companies", "filters": filters})
    assert expected in message
    assert in_process.sandbox.requests == []


async def test_a_free_text_operator_is_not_accepted(in_process: InProcess) -> None:
    async with Client(in_process.server()) as client:
        message = await _error(
            client,
            "count_records",
            {"record": "companies", "filters": [{"field": "name", "operator": "= 1 or 1 =", "value": "x"}]},
        )
    assert "operator" in message


async def test_a_read_only_server_has_no_write_tool(in_process: InProcess) -> None:
    async with Client(in_process.server(read_only=True)) as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
    assert names == READ_TOOLS


async def test_find_client_suggests_when_several_match(in_process: InProcess) -> None:
    async with Client(in_process.server()) as client:
        answer = await _call(client, "find_client", {"name": "e"})
    assert answer["manage"]["found"] is False and len(answer["manage"]["suggestions"]) > 1
    assert answer["automate"]["configured"] is True and "suggestions" in answer["automate"]


async def test_find_client_leaves_out_a_deleted_company(in_process: InProcess) -> None:
    # ConnectWise keeps a deleted company and answers it with deletedFlag (rapid7 get_company.json.resp; the
    # sandbox does the same): an assistant must not be told a deleted client exists.
    manage = in_process.desk.manage
    manage.companies.delete(ACME_DENTAL)
    assert manage.companies.get(ACME_DENTAL).deleted_flag is True
    async with Client(in_process.server()) as client:
        answer = await _call(client, "find_client", {"name": "Acme Dental"})
    assert answer["manage"]["found"] is False
    assert all(c["id"] != ACME_DENTAL for c in answer["manage"]["suggestions"])


async def test_no_secret_in_any_result(in_process: InProcess) -> None:
    answers: list[str] = []
    async with Client(in_process.server()) as client:
        for name, arguments in [
            ("find_client", {"name": "Acme"}),
            ("client_overview", {"company_id": ACME_DENTAL}),
            ("plan_set_primary_contact", {"contact_id": 2}),
            ("list_jobs", {}),
        ]:
            answers.append((await client.call_tool(name, arguments)).model_dump_json())
        plan_id = [a for a in answers if "plan_id" in a]
        assert plan_id
        answers.append(
            (await client.call_tool("search_records", {"record": "contacts", "filters": []})).model_dump_json()
        )
    for secret in _secrets():
        assert all(secret not in answer for answer in answers)


async def test_a_job_rolls_back_through_plan_then_execute(in_process: InProcess) -> None:
    async with Client(in_process.server()) as client:
        plan = await _call(
            client, "plan_bulk_contact_update", {"changes": ["inactiveFlag=true"], "company_ids": [ACME_DENTAL]}
        )
        job = await _call(client, "execute_plan", {"plan_id": plan["plan_id"], "confirm": True})
        in_process.wait_for_jobs()
        rollback = await _call(client, "plan_job_rollback", {"job_id": job["job_id"]})
        assert rollback["valid"] and len(rollback["restore"]) == 3
        await _call(client, "execute_plan", {"plan_id": rollback["plan_id"], "confirm": True})
        in_process.wait_for_jobs()
    contacts = in_process.desk.manage.contacts.list(where=C("company/id") == ACME_DENTAL)
    assert [record_dict(c).get("inactiveFlag", False) for c in contacts] == [False, False, False]


async def test_an_unknown_job_or_state_is_a_clear_error(in_process: InProcess) -> None:
    async with Client(in_process.server()) as client:
        assert "999" in await _error(client, "job_status", {"job_id": 999})
        assert "not a job state" in await _error(client, "list_jobs", {"state": "sleeping"})


async def test_find_client_finds_the_exact_name_or_identifier_even_when_others_contain_it(
    in_process: InProcess,
) -> None:
    manage = in_process.desk.manage
    manage.companies.create(
        {
            "name": "Acme Dental Group East",
            "identifier": "AcmeEast",
            "site": {"name": "Main"},
            "status": {"name": "Active"},
            "types": [{"name": "Client"}],
        }
    )
    async with Client(in_process.server()) as client:
        by_name = await _call(client, "find_client", {"name": "Acme Dental Group"})
        by_identifier = await _call(client, "find_client", {"name": "AcmeEast"})
        ambiguous = await _call(client, "find_client", {"name": "Acme Dental"})
    assert by_name["manage"]["company"]["identifier"] == "AcmeDental"
    assert by_identifier["manage"]["company"]["name"] == "Acme Dental Group East"
    assert ambiguous["manage"]["found"] is False
    assert {s["identifier"] for s in ambiguous["manage"]["suggestions"]} == {"AcmeDental", "AcmeEast"}
