"""``cwdesk mcp --demo`` as a stdio subprocess, driven by the official ``mcp`` client: the whole tour an assistant
makes (list, call every tool once, plan, execute, follow the job), ``--read-only``, and no secret in any answer."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from mcp import Client
from mcp.types import CallToolResult

from cwdesk.console.security import Accounts
from cwdesk.sandbox import Sandbox
from cwdesk.store import open_database
from tests.mcp.conftest import stdio_server

READ_TOOLS = {
    "find_client",
    "client_overview",
    "search_records",
    "count_records",
    "automate_client_health",
    "automate_client_report",
    "list_jobs",
    "job_status",
    "job_journal",
}
PLAN_TOOLS = {
    "plan_bulk_contact_update",
    "plan_onboarding",
    "plan_set_primary_contact",
    "plan_company_edit",
    "plan_contact_edit",
    "plan_job_rollback",
    "plan_job_cancel",
}

ZEPHYR: dict[str, Any] = {
    "company": {"name": "Zephyr Dental", "identifier": "ZephyrDental", "address": {"city": "Tampa", "state": "FL"}},
    "contacts": [{"first_name": "Ann", "last_name": "Lee", "email": "ann@zephyr.example"}],
}


def _secrets() -> list[str]:
    sb = Sandbox(seed=None)
    try:
        return [sb.manage_credentials["private_key"], sb.automate_credentials["password"]]
    finally:
        sb.close()


def _text(result: Any) -> str:
    dumped = result.model_dump(mode="json") if hasattr(result, "model_dump") else result
    return json.dumps(dumped, default=str)


async def test_every_tool_over_stdio_has_a_schema_answers_once_and_a_plan_runs_as_a_job(mcp_home: Path) -> None:
    answers: list[str] = []

    async def call(client: Client, name: str, arguments: dict[str, Any]) -> CallToolResult:
        result = await client.call_tool(name, arguments)
        answers.append(_text(result))
        assert not result.is_error, (name, result.content)
        assert result.content and result.content[0].type == "text" and result.structured_content is not None
        return result

    async with Client(stdio_server(mcp_home)) as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
        assert set(tools) == READ_TOOLS | PLAN_TOOLS | {"execute_plan"}
        for tool in tools.values():
            assert tool.description and tool.input_schema["type"] == "object", tool.name
            assert tool.annotations is not None, tool.name
            for name, schema in tool.input_schema.get("properties", {}).items():
                assert schema.get("description") or name in {"limit"}, (tool.name, name)
        assert all(tools[name].annotations.read_only_hint for name in READ_TOOLS | PLAN_TOOLS)  # type: ignore[union-attr]
        execute = tools["execute_plan"].annotations
        assert execute is not None and execute.read_only_hint is False and execute.destructive_hint is True
        # The filter's operator is an enum of the conditions grammar's operators, so a model cannot invent one.
        search_schema = json.dumps(tools["search_records"].input_schema)
        assert '"not contains"' in search_schema and '"like"' in search_schema

        found = await call(client, "find_client", {"name": "Acme Dental"})
        company = found.structured_content["manage"]["company"]  # type: ignore[index]
        assert company["name"] == "Acme Dental Group"
        overview = await call(client, "client_overview", {"company_id": company["id"]})
        assert overview.structured_content["figures"]["Status"] == "Active"  # type: ignore[index]
        contacts = overview.structured_content["contacts"]  # type: ignore[index]
        searched = await call(
            client,
            "search_records",
            {"record": "contacts", "filters": [{"field": "company/id", "operator": "=", "value": company["id"]}]},
        )
        assert searched.structured_content["returned"] == len(contacts)  # type: ignore[index]
        counted = await call(client, "count_records", {"record": "companies", "filters": []})
        assert counted.structured_content["count"] >= 8  # type: ignore[index]
        report = await call(client, "automate_client_report", {})
        first_client = report.structured_content["clients"][0]["name"]  # type: ignore[index]
        health = await call(client, "automate_client_health", {"client": first_client})
        assert health.structured_content["client"] == first_client  # type: ignore[index]

        not_primary = next(c for c in contacts if not c["primary"])
        primary_plan = await call(client, "plan_set_primary_contact", {"contact_id": not_primary["id"]})
        assert primary_plan.structured_content["valid"] is True  # type: ignore[index]
        company_edit = await call(
            client, "plan_company_edit", {"company_id": company["id"], "changes": {"phoneNumber": "8135550199"}}
        )
        assert company_edit.structured_content["patch"][0]["path"] == "phoneNumber"  # type: ignore[index]
        contact_edit = await call(
            client, "plan_contact_edit", {"contact_id": not_primary["id"], "changes": {"title": "Front Desk Lead"}}
        )
        assert contact_edit.structured_content["valid"] is True, contact_edit.structured_content  # type: ignore[index]
        onboarding_plan = await call(
            client,
            "plan_onboarding",
            {"onboarding": ZEPHYR},
        )
        assert any("POST /company/companies" in c for c in onboarding_plan.structured_content["calls"])  # type: ignore[index]
        bulk = await call(
            client,
            "plan_bulk_contact_update",
            {"changes": ["inactiveFlag=true"], "company_ids": [company["id"]], "contacts": "active"},
        )
        assert bulk.structured_content["counts"]["to_change"] == len(contacts)  # type: ignore[index]
        assert (await call(client, "list_jobs", {})).structured_content["jobs"] == []  # type: ignore[index]

        started = await call(
            client,
            "execute_plan",
            {"plan_id": bulk.structured_content["plan_id"], "confirm": True},  # type: ignore[index]
        )
        job_id = started.structured_content["job_id"]  # type: ignore[index]
        deadline = time.monotonic() + 60
        while True:
            status = await call(client, "job_status", {"job_id": job_id})
            if status.structured_content["state"] not in {"planned", "running"} or time.monotonic() > deadline:  # type: ignore[index]
                break
        assert status.structured_content["state"] == "succeeded", status.structured_content  # type: ignore[index]
        journal = await call(client, "job_journal", {"job_id": job_id})
        assert journal.structured_content["events"]  # type: ignore[index]
        listed = await call(client, "list_jobs", {})
        assert [j["id"] for j in listed.structured_content["jobs"]] == [job_id]  # type: ignore[index]
        cancel = await call(client, "plan_job_cancel", {"job_id": job_id})
        assert cancel.structured_content["valid"] is False  # a finished job: nothing to cancel  # type: ignore[index]
        rollback = await call(client, "plan_job_rollback", {"job_id": job_id})
        assert rollback.structured_content["valid"] is True and rollback.structured_content["restore"]  # type: ignore[index]

        resources = {str(r.uri) for r in (await client.list_resources()).resources}
        assert resources == {"cwdesk://conditions", "cwdesk://fields/companies", "cwdesk://fields/contacts"}
        fields = await client.read_resource("cwdesk://fields/contacts")
        assert "inactiveFlag" in fields.contents[0].text  # type: ignore[union-attr]
        prompts = {p.name for p in (await client.list_prompts()).prompts}
        assert prompts == {"onboard_client_from_email", "find_contacts_to_clean_up"}
        prompt = await client.get_prompt("onboard_client_from_email", {"email": "Hi, we are Zephyr Dental..."})
        answers.append(_text(prompt))

    # The job is in the app's store: `cwdesk jobs list` on the same CWDESK_HOME shows it, made through MCP.
    listed_by_cli = subprocess.run(
        [sys.executable, "-m", "cwdesk", "jobs", "list", "--output", "json"],
        env=stdio_server(mcp_home).env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert listed_by_cli.returncode == 0, listed_by_cli.stderr
    jobs = json.loads(listed_by_cli.stdout)
    assert [(j["id"], j["state"]) for j in jobs] == [(job_id, "succeeded")]
    assert jobs[0]["created_by"].startswith("mcp:assistant:")
    engine = open_database()
    entries = Accounts(engine).audit_entries()
    assert [(e.action, e.result) for e in entries] == [("execute plan via MCP (bulk_contacts)", "ok")]
    engine.dispose()
    for secret in _secrets():
        assert all(secret not in answer for answer in answers)


async def test_read_only_over_stdio_offers_no_write_tool(mcp_home: Path) -> None:
    async with Client(stdio_server(mcp_home, "--read-only")) as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
        assert names == READ_TOOLS
        result = await client.call_tool("execute_plan", {"plan_id": "x", "confirm": True})
        assert result.is_error
