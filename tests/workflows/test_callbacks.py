"""W6 callbacks: only genuine, unmodified, first-time deliveries signed with the ConnectWise host's key apply."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from cwdesk.manage.client import ManageClient
from cwdesk.sandbox import Sandbox
from cwdesk.store import open_database, sync_cache
from cwdesk.workflows.callbacks import CallbackReceiver, SigningKeys, create_app, sign, signature_matches
from cwdesk.workflows.sync import source_key, source_of

SERVER = "https://na.myconnectwise.net"
KEY_URL = "https://api-na.myconnectwise.net/v4_6_release/system/callbackkey/index.rails?id=abc123"
SIGNING_KEY = "s3cr3t-signing-key"
SOURCE = source_key(SERVER, "acme")


class KeyServer:
    """Serves signing keys like ConnectWise does and records every request it gets."""

    def __init__(self) -> None:
        self.keys = {KEY_URL: SIGNING_KEY, "https://evil.example/key": "attacker-key"}
        self.requests: list[str] = []

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(str(request.url))
        key = self.keys.get(str(request.url))
        if key is None:
            return httpx.Response(404, json={"code": "NotFound"})
        return httpx.Response(200, json={"signing_key": key})


@pytest.fixture
def engine(tmp_path: Path) -> sa.Engine:
    return open_database(f"sqlite:///{tmp_path / 'callbacks.db'}")


@pytest.fixture
def key_server() -> KeyServer:
    return KeyServer()


@pytest.fixture
def receiver(engine: sa.Engine, key_server: KeyServer) -> CallbackReceiver:
    keys = SigningKeys(
        SERVER,
        transport=httpx.MockTransport(key_server.handler),
        async_transport=httpx.MockTransport(key_server.handler),
        refresh_after=3600,
    )
    return CallbackReceiver(engine, source=SOURCE, keys=keys)


def delivery(
    *,
    action: str = "updated",
    record_id: int = 250,
    name: str = "Acme Corp",
    updated: str = "2026-03-01T12:00:00Z",
    key_url: str = KEY_URL,
) -> bytes:
    entity = {"id": record_id, "identifier": "AcmeCorp", "name": name, "_info": {"lastUpdated": updated}}
    body = {
        "Action": action,
        "CompanyId": "acme",
        "Entity": json.dumps(entity),
        "FromUrl": "na.myconnectwise.net",
        "ID": record_id,
        "MemberId": "apiuser",
        "Metadata": {"key_url": key_url},
        "Type": "company",
    }
    return json.dumps(body, indent=1).encode()


def signed(body: bytes, key: str = SIGNING_KEY) -> dict[str, str]:
    return {"x-content-signature": sign(body, key), "content-type": "application/json"}


def cached_names(engine: sa.Engine) -> list[str]:
    with engine.connect() as conn:
        return [r["name"] for r in sync_cache.cached_records(conn, SOURCE, "companies")]


def test_signature_is_computed_over_the_raw_bytes() -> None:
    body = b'{"b": 1,   "a": 2}'
    reserialised = json.dumps(json.loads(body)).encode()
    signature = sign(body, SIGNING_KEY)
    assert signature_matches(body, signature, SIGNING_KEY)
    assert not signature_matches(reserialised, signature, SIGNING_KEY)
    assert not signature_matches(body, signature, "another-key")


def test_a_genuine_callback_is_applied_to_the_store(receiver: CallbackReceiver, engine: sa.Engine) -> None:
    body = delivery()
    answer = receiver.receive(body, signed(body))
    assert (answer.status, answer.reason, answer.kind, answer.record_id) == (200, "applied", "companies", 250)
    assert cached_names(engine) == ["Acme Corp"]
    with engine.connect() as conn:
        runs = sync_cache.last_runs(conn, SOURCE)
    assert runs[0]["mode"] == "callback"
    assert runs[0]["state"] == "succeeded"


def test_a_forged_callback_is_rejected(receiver: CallbackReceiver, engine: sa.Engine) -> None:
    body = delivery(name="Hacked")
    answer = receiver.receive(body, signed(body, key="guessed-key"))
    assert answer.status == 401
    assert cached_names(engine) == []


def test_a_modified_callback_is_rejected(receiver: CallbackReceiver, engine: sa.Engine) -> None:
    body = delivery()
    headers = signed(body)
    tampered = body.replace(b"Acme Corp", b"Acme Corq")
    assert receiver.receive(tampered, headers).status == 401
    assert cached_names(engine) == []


def test_a_replayed_callback_is_rejected_and_not_applied_again(receiver: CallbackReceiver, engine: sa.Engine) -> None:
    old = delivery(name="Acme Corp", updated="2026-03-01T12:00:00Z")
    new = delivery(name="Acme Corporation", updated="2026-03-01T13:00:00Z")
    assert receiver.receive(old, signed(old)).status == 200
    assert receiver.receive(new, signed(new)).status == 200
    replay = receiver.receive(old, signed(old))
    assert replay.status == 409
    assert "replay" in replay.reason
    assert cached_names(engine) == ["Acme Corporation"]


def test_an_older_change_arriving_late_does_not_overwrite_a_newer_one(
    receiver: CallbackReceiver, engine: sa.Engine
) -> None:
    new = delivery(name="Newer", updated="2026-03-01T13:00:00Z")
    old = delivery(name="Older", updated="2026-03-01T12:00:00Z")
    assert receiver.receive(new, signed(new)).reason == "applied"
    assert receiver.receive(old, signed(old)).reason == "stale"
    assert cached_names(engine) == ["Newer"]


def test_a_key_url_on_a_foreign_host_is_never_fetched(
    receiver: CallbackReceiver, key_server: KeyServer, engine: sa.Engine
) -> None:
    body = delivery(key_url="https://evil.example/key")
    answer = receiver.receive(body, signed(body, key="attacker-key"))
    assert answer.status == 403
    assert key_server.requests == []
    assert cached_names(engine) == []


@pytest.mark.parametrize(
    "key_url",
    [
        "http://api-na.myconnectwise.net/v4_6_release/apis/3.0/key",  # downgraded scheme
        "https://api-na.myconnectwise.net:8443/key",  # another port
        "https://api-na.myconnectwise.net.evil.example/key",  # a look-alike host
        "https://evil.example/?https://api-na.myconnectwise.net/key",
        "file:///etc/passwd",
    ],
)
def test_look_alike_key_urls_are_refused(receiver: CallbackReceiver, key_server: KeyServer, key_url: str) -> None:
    body = delivery(key_url=key_url)
    assert receiver.receive(body, signed(body)).status == 403
    assert key_server.requests == []


def test_the_signing_key_is_fetched_once_and_cached(receiver: CallbackReceiver, key_server: KeyServer) -> None:
    for n in range(3):
        body = delivery(record_id=300 + n)
        assert receiver.receive(body, signed(body)).status == 200
    forged = delivery(record_id=999)
    assert receiver.receive(forged, signed(forged, key="nope")).status == 401
    assert key_server.requests == [KEY_URL]


def test_a_rotated_key_is_fetched_again(engine: sa.Engine, key_server: KeyServer) -> None:
    keys = SigningKeys(SERVER, transport=httpx.MockTransport(key_server.handler), refresh_after=0)
    receiver = CallbackReceiver(engine, source=SOURCE, keys=keys)
    first = delivery(record_id=1)
    assert receiver.receive(first, signed(first)).status == 200
    key_server.keys[KEY_URL] = "rotated-key"
    second = delivery(record_id=2)
    assert receiver.receive(second, signed(second, key="rotated-key")).status == 200
    assert len(key_server.requests) == 2


def test_a_deleted_callback_marks_the_record_deleted(receiver: CallbackReceiver, engine: sa.Engine) -> None:
    added = delivery(action="added")
    receiver.receive(added, signed(added))
    deleted = delivery(action="deleted", updated="2026-03-01T14:00:00Z")
    assert receiver.receive(deleted, signed(deleted)).status == 200
    assert cached_names(engine) == []
    with engine.connect() as conn:
        assert sync_cache.live_record_ids(conn, SOURCE, "companies") == set()


@pytest.mark.parametrize(
    ("body", "headers", "status"),
    [
        (b"not json", {"x-content-signature": "abc"}, 400),
        (b"[]", {"x-content-signature": "abc"}, 400),
        (b'{"Action": "updated", "Type": "company", "ID": 1}', {"x-content-signature": "abc"}, 400),
        (delivery(), {}, 401),
        (b"x" * 2_000_000, {"x-content-signature": "abc"}, 413),
    ],
)
def test_malformed_callbacks_are_refused_before_any_key_fetch(
    receiver: CallbackReceiver, key_server: KeyServer, body: bytes, headers: dict[str, str], status: int
) -> None:
    assert receiver.receive(body, headers).status == status
    assert key_server.requests == []


def test_the_signing_key_never_reaches_the_logs(receiver: CallbackReceiver, caplog: pytest.LogCaptureFixture) -> None:
    from cwdesk.logs import redact

    caplog.set_level(logging.DEBUG)
    body = delivery()
    receiver.receive(body, signed(body))
    forged = delivery(record_id=7)
    receiver.receive(forged, signed(forged, key="nope"))
    assert "callback refused" in caplog.text
    assert redact(f"key is {SIGNING_KEY}") == "key is ***"
    assert SIGNING_KEY not in caplog.text


async def test_the_receiver_app_answers_over_http(receiver: CallbackReceiver, engine: sa.Engine) -> None:
    app = create_app(receiver)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
        body = delivery(name="Over HTTP")
        ok = await http.post("/callbacks", content=body, headers=signed(body))
        forged = await http.post("/callbacks", content=delivery(name="Evil"), headers=signed(body))
        health = await http.get("/health")
    assert ok.status_code == 200
    assert ok.json()["reason"] == "applied"
    assert forged.status_code == 401
    assert health.text == "ok"
    assert cached_names(engine) == ["Over HTTP"]


def test_callbacks_delivered_by_the_sandbox_are_verified_and_applied(sandbox: Sandbox, tmp_path: Path) -> None:
    engine = open_database(f"sqlite:///{tmp_path / 'sandbox-callbacks.db'}")
    cw = ManageClient(**sandbox.manage_credentials, transport=sandbox.transport())
    keys = SigningKeys(sandbox.manage_credentials["server"], transport=sandbox.transport())
    receiver = CallbackReceiver(engine, source=source_of(cw), keys=keys)
    received: list[tuple[bytes, dict[str, str]]] = []

    def deliver(request: httpx.Request) -> httpx.Response:
        body = request.read()
        received.append((body, dict(request.headers)))
        answer = receiver.receive(body, request.headers)
        return httpx.Response(answer.status, json={"reason": answer.reason})

    sandbox.callbacks.transport = httpx.MockTransport(deliver)
    cw.callbacks.create({"url": "https://hooks.example/callbacks", "type": "company", "level": "owner", "objectId": 1})
    company = next(iter(cw.companies.list(limit=1)))
    cw.companies.update(company.id, {"name": "Renamed Over Callback"})  # type: ignore[arg-type]
    assert sandbox.callbacks.wait(10)
    assert [d.status for d in sandbox.callbacks.deliveries] == [200]
    with engine.connect() as conn:
        cached = {r["id"]: r for r in sync_cache.cached_records(conn, source_of(cw), "companies")}
    assert cached[company.id]["name"] == "Renamed Over Callback"

    body, headers = received[0]
    assert receiver.receive(body, headers).status == 409  # the same delivery again: a replay
    assert receiver.receive(body.replace(b"Renamed", b"Renamez"), headers).status == 401
    cw.close()
