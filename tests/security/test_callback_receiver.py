"""Issue 14 items 4 and 8: an unauthenticated sender cannot steer the callback receiver's key fetches, grow its key
cache, or make it answer 500 with a malformed ``key_url`` or deeply nested JSON."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from cwdesk.store import open_database
from cwdesk.workflows.callbacks import (
    NEW_KEY_FETCHES_PER_MINUTE,
    CallbackReceiver,
    SigningKeys,
    create_app,
    sign,
)
from cwdesk.workflows.sync import source_key

SERVER = "https://na.myconnectwise.net"
# The shape of a real key_url (NangoHQ/nango packages/server/lib/webhook/connectwise-psa-webhook-routing.unit.test.ts).
KEY_BASE = "https://api-na.myconnectwise.net/v4_6_release/system/callbackkey/index.rails"
KEY = "genuine-signing-key"


class KeyServer:
    """The MSP's ConnectWise as far as keys go: every key id answers ``KEY``; every request is recorded."""

    def __init__(self) -> None:
        self.requests: list[str] = []

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(str(request.url))
        return httpx.Response(200, json={"signing_key": KEY})


@pytest.fixture
def engine(tmp_path: Path) -> sa.Engine:
    return open_database(f"sqlite:///{tmp_path / 'callbacks.db'}")


@pytest.fixture
def key_server() -> KeyServer:
    return KeyServer()


def receiver_for(engine: sa.Engine, key_server: KeyServer, **limits: int) -> CallbackReceiver:
    transport = httpx.MockTransport(key_server.handler)
    keys = SigningKeys(SERVER, transport=transport, async_transport=transport, refresh_after=3600, **limits)
    return CallbackReceiver(engine, source=source_key(SERVER, "acme"), keys=keys)


def delivery(key_url: str, record_id: int = 250, entity: object = None) -> bytes:
    record = entity if entity is not None else json.dumps({"id": record_id, "name": "Acme"})
    body = {"Action": "updated", "ID": record_id, "Type": "company", "Entity": record, "Metadata": {"key_url": key_url}}
    return json.dumps(body).encode()


@pytest.mark.parametrize(
    "key_url",
    [
        KEY_BASE + "?id=abc&next=https://evil.example/",  # an attacker-chosen extra query
        KEY_BASE + "?id=abc&id=def",
        KEY_BASE,  # no key id
        KEY_BASE + "?id=../../apis/3.0/company/companies",
        "https://api-na.myconnectwise.net/v4_6_release/apis/3.0/company/companies?conditions=id>0",  # another path
        "https://api-na.myconnectwise.net/_sandbox/callbacks/signing-key",  # the sandbox's path on a real host
        "https://user:pw@api-na.myconnectwise.net/v4_6_release/system/callbackkey/index.rails?id=abc",
    ],
)
def test_a_key_url_off_connectwises_signing_key_path_is_never_fetched(
    engine: sa.Engine, key_server: KeyServer, key_url: str
) -> None:
    body = delivery(key_url)
    answer = receiver_for(engine, key_server).receive(body, {"x-content-signature": sign(body, KEY)})
    assert answer.status == 403
    assert key_server.requests == []


def test_a_genuine_key_url_is_fetched_as_rebuilt_from_its_checked_parts(
    engine: sa.Engine, key_server: KeyServer
) -> None:
    body = delivery("https://API-NA.myconnectwise.net:443/v4_6_release/system/callbackkey/index.rails?id=k1")
    answer = receiver_for(engine, key_server).receive(body, {"x-content-signature": sign(body, KEY)})
    assert answer.status == 200
    assert key_server.requests == [KEY_BASE + "?id=k1"]


def test_garbage_signed_callbacks_with_new_key_urls_make_few_outbound_requests(
    engine: sa.Engine, key_server: KeyServer
) -> None:
    receiver = receiver_for(engine, key_server)
    statuses = []
    for n in range(50):
        body = delivery(f"{KEY_BASE}?id=attacker{n}")
        statuses.append(receiver.receive(body, {"x-content-signature": "Z2FyYmFnZQ=="}).status)
    assert len(key_server.requests) == NEW_KEY_FETCHES_PER_MINUTE
    assert statuses.count(401) == NEW_KEY_FETCHES_PER_MINUTE
    assert statuses.count(429) == 50 - NEW_KEY_FETCHES_PER_MINUTE


def test_a_known_key_still_verifies_while_new_key_fetches_are_throttled(
    engine: sa.Engine, key_server: KeyServer
) -> None:
    receiver = receiver_for(engine, key_server, new_fetches_per_minute=2)
    genuine = delivery(f"{KEY_BASE}?id=real", record_id=1)
    assert receiver.receive(genuine, {"x-content-signature": sign(genuine, KEY)}).status == 200
    for n in range(5):
        receiver.receive(delivery(f"{KEY_BASE}?id=junk{n}"), {"x-content-signature": "eA=="})
    again = delivery(f"{KEY_BASE}?id=real", record_id=2)
    assert receiver.receive(again, {"x-content-signature": sign(again, KEY)}).status == 200


def test_the_key_cache_stays_small_whatever_is_sent(engine: sa.Engine, key_server: KeyServer) -> None:
    receiver = receiver_for(engine, key_server, max_cached=4, new_fetches_per_minute=1000)
    for n in range(40):
        body = delivery(f"{KEY_BASE}?id=k{n}", record_id=n + 1)
        assert receiver.receive(body, {"x-content-signature": sign(body, KEY)}).status == 200
    assert len(receiver.keys) == 4


@pytest.mark.parametrize(
    "key_url",
    [
        "https://[127.0.0.1]/v4_6_release/system/callbackkey/index.rails?id=a",  # a bracketed IPv4 host
        "https://[::1/v4_6_release/system/callbackkey/index.rails?id=a",  # an unclosed IPv6 bracket
        "https://api-na.myconnectwise.net:99999/x",  # a port out of range
    ],
)
async def test_an_unreadable_key_url_answers_400_over_http(
    engine: sa.Engine, key_server: KeyServer, key_url: str
) -> None:
    app = create_app(receiver_for(engine, key_server))
    body = delivery(key_url)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1") as http:
        answer = await http.post("/callbacks", content=body, headers={"x-content-signature": sign(body, KEY)})
    assert answer.status_code == 400
    assert "key_url" in answer.json()["reason"]
    assert key_server.requests == []


@pytest.mark.parametrize("depth", [40, 5000, 100_000])
async def test_deeply_nested_json_answers_400_over_http(engine: sa.Engine, key_server: KeyServer, depth: int) -> None:
    app = create_app(receiver_for(engine, key_server))
    nested = b"[" * depth + b"]" * depth
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1") as http:
        answer = await http.post("/callbacks", content=nested, headers={"x-content-signature": "eA=="})
        entity = delivery(f"{KEY_BASE}?id=a", entity=nested.decode())
        in_entity = await http.post("/callbacks", content=entity, headers={"x-content-signature": sign(entity, KEY)})
    assert answer.status_code == 400
    assert "deeper than" in answer.json()["reason"]
    assert in_entity.status_code == 400
    assert "Entity" in in_entity.json()["reason"]
