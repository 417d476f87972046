"""W6 from the shell: cwdesk callbacks register|list|remove, and the receiver the serve command runs."""

from __future__ import annotations

import json

import httpx
from typer.testing import CliRunner

from cwdesk.cli.app import app
from cwdesk.cli.callbacks import build_receiver
from cwdesk.manage.client import ManageClient
from cwdesk.sandbox import Sandbox
from cwdesk.store import sync_cache
from cwdesk.workflows.callbacks import create_app


def test_register_list_and_remove_a_callback(runner: CliRunner, on_sandbox: Sandbox) -> None:
    created = runner.invoke(
        app,
        ["callbacks", "register", "--url", "https://hooks.example/cw", "--type", "company", "--output", "json"],
    )
    assert created.exit_code == 0, created.stderr
    (entry,) = json.loads(created.stdout)
    assert (entry["type"], entry["level"], entry["url"]) == ("company", "owner", "https://hooks.example/cw")
    listed = runner.invoke(app, ["callbacks", "list", "--output", "json"])
    assert entry["id"] in [row["id"] for row in json.loads(listed.stdout)]
    assert runner.invoke(app, ["callbacks", "remove", str(entry["id"]), "--yes"]).exit_code == 0
    listed = runner.invoke(app, ["callbacks", "list", "--output", "json"])
    assert entry["id"] not in [row["id"] for row in json.loads(listed.stdout)]


def test_a_bad_registration_exits_2_before_any_request(runner: CliRunner, on_sandbox: Sandbox) -> None:
    result = runner.invoke(app, ["callbacks", "register", "--url", "http://hooks.example/cw", "--type", "widget"])
    assert result.exit_code == 2
    assert "https" in result.stderr and "widget" in result.stderr
    assert on_sandbox.requests == []


async def test_the_served_receiver_applies_sandbox_deliveries(runner: CliRunner, on_sandbox: Sandbox) -> None:
    receiver, server = build_receiver()
    assert server == on_sandbox.manage_credentials["server"]
    app_ = create_app(receiver)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app_), base_url="http://127.0.0.1") as http:
        captured: list[httpx.Request] = []
        on_sandbox.callbacks.transport = httpx.MockTransport(
            lambda request: captured.append(request) or httpx.Response(200)  # type: ignore[func-returns-value]
        )
        with ManageClient(**on_sandbox.manage_credentials, transport=on_sandbox.transport()) as cw:
            cw.callbacks.create({"url": "https://hooks.example/cw", "type": "contact", "level": "owner", "objectId": 1})
            contact = next(iter(cw.contacts.list(limit=1)))
            cw.contacts.update(contact.id, {"title": "Chief Callback Officer"})  # type: ignore[arg-type]
        assert on_sandbox.callbacks.wait(10)
        (delivery,) = captured
        answer = await http.post("/callbacks", content=delivery.content, headers=dict(delivery.headers))
        forged = await http.post(
            "/callbacks", content=delivery.content.replace(b"Chief", b"Thief"), headers=dict(delivery.headers)
        )
    assert answer.status_code == 200, answer.text
    assert forged.status_code == 401
    with receiver.engine.connect() as conn:
        cached = {r["id"]: r for r in sync_cache.cached_records(conn, receiver.source, "contacts")}
    assert cached[contact.id]["title"] == "Chief Callback Officer"
