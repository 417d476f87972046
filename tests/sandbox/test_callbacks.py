"""S5: callbacks registered at /system/callbacks are delivered on create/update/delete, signed per
docs/connectwise.md ("Callbacks")."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import httpx

from cwdesk.sandbox import Sandbox


def verify(raw: bytes, signature: str, signing_key: str) -> bool:
    """What a receiver does: HMAC-SHA256 over the raw body with SHA256(key) as the key, compared in constant time."""
    key = hashlib.sha256(signing_key.encode()).digest()
    expected = base64.b64encode(hmac.new(key, raw, hashlib.sha256).digest()).decode()
    return hmac.compare_digest(expected, signature)


def test_company_changes_are_delivered_signed(sandbox: Sandbox, manage: httpx.Client) -> None:
    received: list[httpx.Request] = []

    def receiver(request: httpx.Request) -> httpx.Response:
        received.append(request)
        return httpx.Response(200)

    sandbox.callbacks.transport = httpx.MockTransport(receiver)
    registered = manage.post(
        "/system/callbacks",
        json={"url": "https://hooks.example/cw", "objectId": 1, "type": "company", "level": "owner"},
    )
    assert registered.status_code == 201
    created = manage.post(
        "/company/companies", json={"identifier": "HookCo", "name": "Hook Co", "site": {"name": "Main"}}
    ).json()
    manage.patch(f"/company/companies/{created['id']}", json=[{"op": "replace", "path": "city", "value": "Ames"}])
    manage.delete(f"/company/companies/{created['id']}")
    manage.post("/company/contacts", json={"firstName": "Not", "lastName": "Watched", "company": {"id": 1}})
    assert sandbox.callbacks.wait(5)

    assert [json.loads(r.content)["Action"] for r in received] == ["added", "updated", "deleted"]
    first = received[0]
    payload = json.loads(first.content)
    assert payload["Type"] == "company"
    assert payload["ID"] == created["id"]
    assert json.loads(payload["Entity"])["identifier"] == "HookCo"
    key_url = payload["Metadata"]["key_url"]
    assert key_url.startswith(sandbox.base_url + "/")  # on the sandbox's own host
    with httpx.Client(transport=sandbox.transport()) as client:
        signing_key = client.get(key_url).json()["signing_key"]
    assert all(verify(r.content, r.headers["x-content-signature"], signing_key) for r in received)
    assert not verify(first.content + b" ", first.headers["x-content-signature"], signing_key)


def test_failed_deliveries_are_retried_twice(sandbox: Sandbox, manage: httpx.Client) -> None:
    attempts: list[int] = []

    def failing(request: httpx.Request) -> httpx.Response:
        attempts.append(1)
        return httpx.Response(500)

    sandbox.callbacks.transport = httpx.MockTransport(failing)
    sandbox.callbacks.retry_delays = (0.01, 0.02)
    manage.post(
        "/system/callbacks", json={"url": "https://hooks.example/t", "objectId": 1, "type": "ticket", "level": "owner"}
    )
    manage.post("/service/tickets", json={"summary": "Fan noise", "company": {"id": 1}})
    assert sandbox.callbacks.wait(5)
    assert len(attempts) == 3
    assert [d.attempt for d in sandbox.callbacks.deliveries] == [1, 2, 3]
