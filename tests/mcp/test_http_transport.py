"""MCP over streamable HTTP in the console (``/mcp``): the official SDK's HTTP client against the console served by
uvicorn on loopback. A viewer token sees read tools only, an operator plans and executes (audited, with its name),
a bad or revoked token and no credentials get 401, a session cookie works with its CSRF token, sessions and plans
stay with their caller, Host/Origin are checked, and no secret is in any answer or log line."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import httpx2
import pytest
import uvicorn
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from cwdesk.console.app import ConsoleSettings, create_app
from cwdesk.console.connections import Connections
from cwdesk.console.security import SESSION_COOKIE, Accounts
from cwdesk.mcp.http import MCPEndpoint
from cwdesk.sandbox import Sandbox
from cwdesk.store import open_database
from cwdesk.store.tokens import Tokens
from cwdesk.workflows import jobs
from tests.loopback import free_port
from tests.mcp.test_stdio import PLAN_TOOLS, READ_TOOLS, _secrets

ACME_DENTAL = 1  # the demo seed's first company


@dataclass
class Console:
    url: str  # http://127.0.0.1:PORT/mcp
    app: Any
    sandbox: Sandbox
    viewer: str  # API token secrets
    operator: str
    other_operator: str
    revoked: str

    @property
    def endpoint(self) -> MCPEndpoint:
        found: MCPEndpoint = self.app.state.mcp_endpoint
        return found

    def wait_for_jobs(self) -> None:
        for thread in self.endpoint.desk.started:
            thread.join(timeout=60)

    def writes(self) -> list[str]:
        # (Automate's sign-in, POST .../apitoken, is a read: it changes no record.)
        return [
            f"{r.method} {r.path}"
            for r in self.sandbox.requests
            if r.method in ("POST", "PATCH", "PUT", "DELETE") and not r.path.endswith("/apitoken")
        ]


@pytest.fixture
def console(sandbox: Sandbox, mcp_home: Path) -> Iterator[Console]:
    engine = open_database()
    app = create_app(
        ConsoleSettings(connections=Connections.on_sandbox(sandbox), engine=engine, take_up_orphaned_jobs=False)
    )
    tokens = Tokens(engine)
    made = {
        name: tokens.create(name, "api", role, "admin")[1]
        for name, role in [("viewer-bot", "viewer"), ("ops-bot", "operator"), ("ops-two", "operator"), ("old", "admin")]
    }
    tokens.revoke("old")
    port = free_port()
    # lifespan "on": the MCP session managers run inside the console's lifespan.
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, name="console-with-mcp", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert time.monotonic() < deadline, "the console did not start within 15 s"
        time.sleep(0.02)
    running = Console(
        f"http://127.0.0.1:{port}/mcp",
        app,
        sandbox,
        made["viewer-bot"],
        made["ops-bot"],
        made["ops-two"],
        made["old"],
    )
    yield running
    running.wait_for_jobs()
    server.should_exit = True
    thread.join(timeout=10)
    engine.dispose()


@asynccontextmanager
async def connected(
    url: str, *, headers: dict[str, str] | None = None, cookies: dict[str, str] | None = None
) -> AsyncIterator[Client]:
    """The SDK's ``Client`` over its streamable HTTP transport, with our headers (a token) or cookies."""
    async with (
        httpx2.AsyncClient(headers=headers, cookies=cookies, timeout=httpx2.Timeout(30, read=60)) as http,
        Client(streamable_http_client(url, http_client=http)) as client,
    ):
        yield client


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


async def _call(client: Client, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    result = await client.call_tool(name, arguments)
    assert not result.is_error, result.content
    assert result.structured_content is not None
    return result.structured_content


def _text(result: Any) -> str:
    return " ".join(getattr(block, "text", "") for block in result.content)


async def test_a_viewer_token_sees_read_tools_only_and_can_read(console: Console) -> None:
    async with connected(console.url, headers=bearer(console.viewer)) as client:
        tools = {tool.name for tool in (await client.list_tools()).tools}
        assert tools == READ_TOOLS
        found = await _call(client, "find_client", {"name": "Acme Dental"})
        assert found["manage"]["company"]["id"] == ACME_DENTAL
        refused = await client.call_tool("plan_set_primary_contact", {"contact_id": 2})
        assert refused.is_error and "plan_set_primary_contact" in _text(refused)
        refused = await client.call_tool("execute_plan", {"plan_id": "x", "confirm": True})
        assert refused.is_error
    assert console.writes() == []


async def test_an_operator_token_plans_and_executes_as_a_job_audited_with_its_name(console: Console) -> None:
    async with connected(console.url, headers=bearer(console.operator)) as client:
        tools = {tool.name for tool in (await client.list_tools()).tools}
        assert tools == READ_TOOLS | PLAN_TOOLS | {"execute_plan"}
        console.sandbox.clear_requests()
        plan = await _call(client, "plan_set_primary_contact", {"contact_id": 2})
        assert plan["valid"] and plan["wrote"] == "nothing"
        assert console.writes() == []
        started = await _call(client, "execute_plan", {"plan_id": plan["plan_id"], "confirm": True})
        console.wait_for_jobs()
        status = await _call(client, "job_status", {"job_id": started["job_id"]})
    assert status["state"] == "succeeded"
    assert console.writes(), "the job wrote to ConnectWise"
    engine = console.app.state.engine
    assert jobs.get_job(engine, started["job_id"]).summary.created_by == "mcp:http:token:ops-bot"
    (entry,) = [e for e in Accounts(engine).audit_entries() if e.action.startswith("execute plan via MCP")]
    assert (entry.username, entry.role, entry.result) == ("mcp:http:token:ops-bot", "operator", "ok")
    assert entry.detail["channel"] == "mcp-http" and entry.detail["via"] == "token"
    assert entry.detail["job_id"] == started["job_id"]


async def test_a_plan_belongs_to_the_token_that_made_it(console: Console) -> None:
    async with connected(console.url, headers=bearer(console.operator)) as client:
        plan = await _call(client, "plan_set_primary_contact", {"contact_id": 2})
    async with connected(console.url, headers=bearer(console.other_operator)) as other:
        refused = await other.call_tool("execute_plan", {"plan_id": plan["plan_id"], "confirm": True})
    assert refused.is_error and f"No plan '{plan['plan_id']}' was made" in _text(refused)
    assert console.writes() == []
    assert jobs.list_jobs(console.app.state.engine) == []


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer cwd_not-a-real-token"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer"},
    ],
    ids=["none", "unknown-token", "basic", "empty-bearer"],
)
def test_requests_without_a_valid_token_or_session_get_401(console: Console, headers: dict[str, str]) -> None:
    answer = httpx.post(console.url, headers={**headers, **_JSON}, content=_INITIALIZE, timeout=10)
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"].startswith("Bearer")
    assert "cwdesk tokens create" in answer.json()["message"]


def test_a_revoked_token_and_a_scim_token_get_401(console: Console) -> None:
    scim = Tokens(console.app.state.engine).create("okta", "scim", "admin", "admin")[1]
    for secret in (console.revoked, scim):
        answer = httpx.post(console.url, headers={**bearer(secret), **_JSON}, content=_INITIALIZE, timeout=10)
        assert answer.status_code == 401 and "not valid" in answer.json()["message"]


async def test_the_official_client_with_a_revoked_token_fails_to_connect(console: Console) -> None:
    listed: list[str] = []
    # The SDK reports a 401 answer as "Server returned an error response" inside its task groups' exception group
    # (the status itself is checked with plain HTTP above).
    with pytest.raises(BaseExceptionGroup) as failed:
        async with connected(console.url, headers=bearer(console.revoked)) as client:
            listed = [tool.name for tool in (await client.list_tools()).tools]
    assert "Server returned an error response" in repr(failed.value)
    assert listed == []


def _signed_in(console: Console, username: str, role: str) -> tuple[str, str]:
    """A console user's session id and CSRF token (as a browser signed in by the console would hold them)."""
    accounts: Accounts = console.app.state.accounts
    accounts.create_user(username, role, None)
    session_id = accounts.start_session(accounts._user_id(username))
    principal = accounts.session_principal(session_id)
    assert principal is not None
    return session_id, principal.csrf_token


async def test_a_console_session_with_its_csrf_token_works_and_the_user_s_role_decides(console: Console) -> None:
    session_id, csrf = _signed_in(console, "olga", "operator")
    async with connected(console.url, cookies={SESSION_COOKIE: session_id}, headers={"X-CSRF-Token": csrf}) as client:
        tools = {tool.name for tool in (await client.list_tools()).tools}
        assert "execute_plan" in tools
        plan = await _call(client, "plan_set_primary_contact", {"contact_id": 2})
        started = await _call(client, "execute_plan", {"plan_id": plan["plan_id"], "confirm": True})
    console.wait_for_jobs()
    assert jobs.get_job(console.app.state.engine, started["job_id"]).summary.created_by == "mcp:http:olga"
    viewer_session, viewer_csrf = _signed_in(console, "vera", "viewer")
    async with connected(
        console.url, cookies={SESSION_COOKIE: viewer_session}, headers={"X-CSRF-Token": viewer_csrf}
    ) as client:
        assert {tool.name for tool in (await client.list_tools()).tools} == READ_TOOLS


def test_a_session_cookie_without_the_csrf_token_is_refused(console: Console) -> None:
    session_id, _ = _signed_in(console, "olga", "operator")
    answer = httpx.post(
        console.url, headers=_JSON, cookies={SESSION_COOKIE: session_id}, content=_INITIALIZE, timeout=10
    )
    assert answer.status_code == 403 and "X-CSRF-Token" in answer.json()["message"]


_JSON = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
_INITIALIZE = json.dumps(
    {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "raw", "version": "1"}},
    }
)


def test_an_mcp_session_answers_only_the_caller_that_opened_it(console: Console) -> None:
    opened = httpx.post(console.url, headers={**bearer(console.operator), **_JSON}, content=_INITIALIZE, timeout=10)
    assert opened.status_code == 200, opened.text
    session = opened.headers["mcp-session-id"]
    ping = json.dumps({"jsonrpc": "2.0", "id": 2, "method": "ping"})
    in_session = {**_JSON, "mcp-session-id": session, "mcp-protocol-version": "2025-06-18"}
    own = httpx.post(console.url, headers={**bearer(console.operator), **in_session}, content=ping, timeout=10)
    assert own.status_code == 200, own.text
    other = httpx.post(console.url, headers={**bearer(console.other_operator), **in_session}, content=ping, timeout=10)
    assert other.status_code == 404 and "Session not found" in other.text
    viewer = httpx.post(console.url, headers={**bearer(console.viewer), **in_session}, content=ping, timeout=10)
    assert viewer.status_code == 404


@pytest.mark.parametrize(
    ("extra", "status"),
    [({"Origin": "http://evil.example"}, 403), ({"Host": "evil.example"}, 421), ({"Origin": "null"}, 403)],
)
def test_another_origin_or_host_is_refused_dns_rebinding(console: Console, extra: dict[str, str], status: int) -> None:
    answer = httpx.post(
        console.url, headers={**bearer(console.operator), **_JSON, **extra}, content=_INITIALIZE, timeout=10
    )
    assert answer.status_code == status


def test_a_loopback_origin_is_accepted(console: Console) -> None:
    port = console.url.split(":")[2].split("/")[0]
    answer = httpx.post(
        console.url,
        headers={**bearer(console.operator), **_JSON, "Origin": f"http://127.0.0.1:{port}"},
        content=_INITIALIZE,
        timeout=10,
    )
    assert answer.status_code == 200


async def test_no_secret_in_any_answer_or_log_line(console: Console, caplog: pytest.LogCaptureFixture) -> None:
    secrets = [*_secrets(), console.viewer, console.operator, console.other_operator, console.revoked]
    answers: list[str] = []
    with caplog.at_level(logging.DEBUG):
        async with connected(console.url, headers=bearer(console.operator)) as client:
            for name, arguments in [
                ("find_client", {"name": "Acme"}),
                ("client_overview", {"company_id": ACME_DENTAL}),
                ("search_records", {"record": "contacts", "filters": []}),
                ("list_jobs", {}),
            ]:
                answers.append(json.dumps((await client.call_tool(name, arguments)).model_dump(mode="json")))
            plan = await _call(client, "plan_set_primary_contact", {"contact_id": 2})
            answers.append(json.dumps(plan))
            answers.append(
                json.dumps(await _call(client, "execute_plan", {"plan_id": plan["plan_id"], "confirm": True}))
            )
        console.wait_for_jobs()
        for secret in (console.revoked, "cwd_" + "x" * 43):
            refused = httpx.post(console.url, headers={**bearer(secret), **_JSON}, content=_INITIALIZE, timeout=10)
            answers.append(refused.text + json.dumps(dict(refused.headers)))
    logged = caplog.text + json.dumps([r.getMessage() for r in caplog.records])
    assert caplog.records, "the tour logs something (the SDK's debug lines at least)"
    audit = json.dumps([e.__dict__ for e in Accounts(console.app.state.engine).audit_entries()], default=str)
    for secret in secrets:
        assert all(secret not in answer for answer in answers)
        assert secret not in logged
        assert secret not in audit
