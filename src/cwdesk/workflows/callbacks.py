"""Receiving ConnectWise callbacks (webhooks) safely, and applying each change to the sync cache.

A delivery is an HTTP POST whose JSON body is ``{Action, CompanyId, Entity, FromUrl, ID, MemberId,
Metadata: {key_url}, Type}`` with the header ``x-content-signature = base64(HMAC-SHA256(key=SHA256(signing_key),
raw body))`` (NOTES §10). ``CallbackReceiver`` accepts a delivery only when, in this order:

1. the body is at most ``MAX_BODY_BYTES`` and carries a signature header (else 413 / 401);
2. the body is a JSON object nested at most ``untrusted_json.MAX_DEPTH`` deep, with ``Metadata.key_url`` (else 400);
3. ``key_url`` can be read as a URL (else 400), points at the ConnectWise host this receiver was configured with —
   same scheme, host and port; a cloud site's ``api-`` host counts as the same site — and at ConnectWise's
   signing-key path ``/{codebase}/system/callbackkey/index.rails?id={key id}`` with no other query parameter (else
   403, and nothing is fetched). The key id is the only query ConnectWise puts there (NangoHQ/nango
   ``packages/server/lib/webhook/connectwise-psa-webhook-routing.unit.test.ts`` uses
   ``https://api-na.myconnectwise.net/v4_6_release/system/callbackkey/index.rails?id=...``); the sandbox's hosts
   (loopback, ``sandbox.local``) also serve their key at ``/_sandbox/callbacks/signing-key``;
4. the signature, computed over the *raw bytes* received (never a re-serialised object), matches in constant time
   (else 401). Signing keys are fetched from the URL rebuilt from those checked parts (redirects are not followed),
   cached per URL in a cache of at most ``MAX_CACHED_KEYS`` (least recently used dropped first), and fetched
   again at most once per ``KEY_REFRESH_SECONDS`` when a signature does not match (key rotation). Keys not seen
   before are fetched at most ``NEW_KEY_FETCHES_PER_MINUTE`` times a minute (else 429, which ConnectWise retries):
   an unauthenticated sender cannot make the receiver call the MSP's ConnectWise at will (issue 14, item 4);
5. the same delivery (signature + body) was not accepted before (else 409: a replay).

An accepted ``added``/``updated`` delivery upserts the record into ``sync_records`` unless the cached copy is newer
(an out-of-order or replayed old change is recorded as ``stale`` and not applied); ``deleted`` marks the record
deleted. Each delivery is recorded as a ``callback`` run, so ``cwdesk health`` sees the receiver working.

``create_app(receiver)`` wraps it in a tiny ASGI app (Starlette) for ``cwdesk callbacks serve``.

Not for: registering callbacks at ConnectWise (``cw.callbacks`` in the SDK, ``cwdesk callbacks register``) or
polling for changes (``cwdesk.workflows.sync``).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import logging
import re
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import sqlalchemy as sa

from cwdesk.config import is_loopback, refuse_plain_http
from cwdesk.logs import register_secret
from cwdesk.store import sync_cache
from cwdesk.untrusted_json import UntrustedJSONError, loads_bounded
from cwdesk.workflows.sync import kind_for_callback_type, last_updated_of

__all__ = [
    "KEY_REFRESH_SECONDS",
    "MAX_BODY_BYTES",
    "MAX_CACHED_KEYS",
    "NEW_KEY_FETCHES_PER_MINUTE",
    "CallbackReceiver",
    "Delivery",
    "ReceiverAnswer",
    "SigningKeys",
    "allowed_key_origins",
    "create_app",
    "sign",
    "signature_matches",
]

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "x-content-signature"
MAX_BODY_BYTES = 1_048_576
KEY_REFRESH_SECONDS = 60.0
_KEY_FETCH_TIMEOUT = httpx.Timeout(10.0)
_MAX_KEY_RESPONSE_BYTES = 64 * 1024
MAX_CACHED_KEYS = 16
NEW_KEY_FETCHES_PER_MINUTE = 6
# ConnectWise's key path: a codebase segment (``v4_6_release``, ``v2025_1``...), then the key endpoint; on-premises
# servers have been seen with a doubled slash after the codebase (the nango test above), so runs of ``/`` are allowed.
_CONNECTWISE_KEY_PATH = re.compile(r"/[A-Za-z0-9_.]{1,40}/+system/callbackkey/index\.rails")
_KEY_ID = re.compile(r"[A-Za-z0-9._~-]{1,100}")
# The sandbox's key endpoint (cwdesk.sandbox.backend.callbacks.SIGNING_KEY_PATH), accepted only on the sandbox's own
# hosts: loopback (``sandbox serve``) and the in-process sandbox's ``sandbox.local`` (cwdesk.sandbox.server).
_SANDBOX_KEY_PATH = "/_sandbox/callbacks/signing-key"
_IN_PROCESS_SANDBOX_HOST = "sandbox.local"


def sign(body: bytes, signing_key: str) -> str:
    """The ``x-content-signature`` ConnectWise sends for ``body``: base64(HMAC-SHA256(SHA256(key), body))."""
    key = hashlib.sha256(signing_key.encode("utf-8")).digest()
    return base64.b64encode(hmac.new(key, body, hashlib.sha256).digest()).decode("ascii")


def signature_matches(body: bytes, signature: str, signing_key: str) -> bool:
    """Whether ``signature`` is the signature of exactly these bytes, compared in constant time."""
    expected = sign(body, signing_key).encode("ascii")
    return hmac.compare_digest(expected, signature.strip().encode("utf-8", "replace"))


def _origin(url: str) -> tuple[str, str, int] | None:
    # urlsplit itself raises ValueError for a bracketed IPv4 host or an unclosed IPv6 bracket, .port for a bad port.
    try:
        parts = urlsplit(url)
        hostname = parts.hostname
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return None
    if parts.scheme not in {"http", "https"} or not hostname:
        return None
    return parts.scheme, hostname.lower().rstrip("."), port


def allowed_key_origins(server: str) -> frozenset[tuple[str, str, int]]:
    """The (scheme, host, port) triples a ``key_url`` may use, from the configured ConnectWise server.

    ``server`` is a URL or a bare host (https). A cloud site answers on both ``na.myconnectwise.net`` and its API
    host ``api-na.myconnectwise.net``; both are accepted. Plain http only for a loopback server (tests, sandbox) or
    with ``--insecure-http`` (the one rule: ``cwdesk.config.refuse_plain_http``).
    """
    text = server if "://" in server else f"https://{server}"
    origin = _origin(text)
    if origin is None:
        raise ValueError(f"Cannot read a host from the ConnectWise server {server!r}.")
    refuse_plain_http(text, product="ConnectWise")  # the one rule for http: loopback, or an explicit opt-in
    scheme, host, port = origin
    hosts = {host}
    if host.endswith(".myconnectwise.net"):
        bare = host.removeprefix("api-")
        hosts |= {bare, f"api-{bare}"}
    return frozenset((scheme, h, port) for h in hosts)


class CallbackRejected(Exception):
    """A delivery refused before anything was applied; ``status`` is the HTTP answer to give."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class SigningKeys:
    """Signing keys by ``key_url``: fetched only from ConnectWise's key path on allowed origins, cached (bounded),
    refreshed on demand, and fetched for new URLs at a bounded rate.

    ``transport`` lets tests and the demo fetch from the in-process sandbox.
    """

    def __init__(
        self,
        server: str,
        *,
        transport: httpx.BaseTransport | None = None,
        async_transport: httpx.AsyncBaseTransport | None = None,
        refresh_after: float = KEY_REFRESH_SECONDS,
        max_cached: int = MAX_CACHED_KEYS,
        new_fetches_per_minute: int = NEW_KEY_FETCHES_PER_MINUTE,
    ) -> None:
        self.allowed = allowed_key_origins(server)
        self._transport = transport
        self._async_transport = async_transport
        self._refresh_after = refresh_after
        self._max_cached = max_cached
        self._new_fetches_per_minute = new_fetches_per_minute
        self._cache: OrderedDict[str, tuple[str, float]] = OrderedDict()
        self._new_fetch_times: deque[float] = deque()
        self._lock = threading.Lock()
        self.fetches = 0

    def check_url(self, key_url: str) -> str:
        """The canonical form of ``key_url`` (rebuilt from its checked parts): refuses, before anything is fetched,
        a URL that cannot be read (400), or is not ConnectWise's signing-key path on the configured host (403)."""
        try:
            parts = urlsplit(key_url)
            _ = parts.hostname, parts.port
        except ValueError:  # a bracketed IPv4 host, an unclosed IPv6 bracket, a port out of range
            raise CallbackRejected(400, "Metadata.key_url cannot be read as a URL.") from None
        origin = _origin(key_url)
        if origin is None or origin not in self.allowed:
            raise CallbackRejected(403, "Metadata.key_url is not on the configured ConnectWise host.")
        scheme, host, port = origin
        query = parse_qsl(parts.query, keep_blank_values=True)
        if parts.username is not None or parts.password is not None or parts.fragment:
            raise CallbackRejected(403, "Metadata.key_url is not ConnectWise's signing-key address.")
        if _CONNECTWISE_KEY_PATH.fullmatch(parts.path):
            if len(query) != 1 or query[0][0] != "id" or not _KEY_ID.fullmatch(query[0][1]):
                raise CallbackRejected(403, "Metadata.key_url carries a query other than the signing key's id.")
            path = f"{parts.path}?id={query[0][1]}"
        elif (
            parts.path == _SANDBOX_KEY_PATH
            and not parts.query
            and (is_loopback(host) or host == _IN_PROCESS_SANDBOX_HOST)
        ):
            path = parts.path
        else:
            raise CallbackRejected(403, "Metadata.key_url is not ConnectWise's signing-key path.")
        default_port = 443 if scheme == "https" else 80
        netloc = f"[{host}]" if ":" in host else host
        netloc += "" if port == default_port else f":{port}"
        return f"{scheme}://{netloc}{path}"

    def __len__(self) -> int:
        """How many signing keys are cached (at most ``max_cached``)."""
        with self._lock:
            return len(self._cache)

    def cached(self, key_url: str) -> tuple[str, float] | None:
        with self._lock:
            entry = self._cache.get(key_url)
            if entry is not None:
                self._cache.move_to_end(key_url)
            return entry

    def _count_fetch(self, key_url: str) -> None:
        """Refuse (429) a fetch for a URL not cached when ``new_fetches_per_minute`` were made in the last minute."""
        now = time.monotonic()
        with self._lock:
            if key_url in self._cache:
                return
            while self._new_fetch_times and now - self._new_fetch_times[0] >= 60.0:
                self._new_fetch_times.popleft()
            if len(self._new_fetch_times) >= self._new_fetches_per_minute:
                raise CallbackRejected(429, "Too many callbacks with unknown signing keys; try again in a minute.")
            self._new_fetch_times.append(now)

    def may_refresh(self, key_url: str) -> bool:
        """Whether a stale-looking key may be fetched again (at most once per ``refresh_after`` seconds)."""
        entry = self.cached(key_url)
        return entry is None or time.monotonic() - entry[1] >= self._refresh_after

    def _store(self, key_url: str, response: httpx.Response) -> str:
        if response.status_code != 200:
            raise CallbackRejected(502, f"The signing key could not be fetched (HTTP {response.status_code}).")
        if len(response.content) > _MAX_KEY_RESPONSE_BYTES:
            raise CallbackRejected(502, "The signing key answer is too large.")
        try:
            key = response.json()["signing_key"]
        except (ValueError, KeyError, TypeError):
            raise CallbackRejected(502, "The signing key answer has no signing_key.") from None
        if not isinstance(key, str) or not key:
            raise CallbackRejected(502, "The signing key answer has no signing_key.")
        register_secret(key)
        with self._lock:
            self._cache[key_url] = (key, time.monotonic())
            self._cache.move_to_end(key_url)
            while len(self._cache) > self._max_cached:
                self._cache.popitem(last=False)
            self.fetches += 1
        return key

    def fetch(self, key_url: str) -> str:
        """Fetch (and cache) the key at ``key_url`` (canonical, from ``check_url``)."""
        key_url = self.check_url(key_url)
        self._count_fetch(key_url)
        try:
            with httpx.Client(transport=self._transport, timeout=_KEY_FETCH_TIMEOUT, follow_redirects=False) as http:
                response = http.get(key_url, headers={"Accept": "application/json"})
        except httpx.HTTPError as exc:
            raise CallbackRejected(502, f"The signing key could not be fetched ({type(exc).__name__}).") from None
        return self._store(key_url, response)

    async def afetch(self, key_url: str) -> str:
        """The async twin of ``fetch``."""
        key_url = self.check_url(key_url)
        self._count_fetch(key_url)
        try:
            async with httpx.AsyncClient(
                transport=self._async_transport, timeout=_KEY_FETCH_TIMEOUT, follow_redirects=False
            ) as http:
                response = await http.get(key_url, headers={"Accept": "application/json"})
        except httpx.HTTPError as exc:
            raise CallbackRejected(502, f"The signing key could not be fetched ({type(exc).__name__}).") from None
        return self._store(key_url, response)


@dataclass(frozen=True)
class Delivery:
    """A callback body, read (but not yet trusted)."""

    action: str
    type: str
    record_id: int | None
    entity: Mapping[str, Any] | None
    key_url: str
    signature: str
    fingerprint: str

    @property
    def kind(self) -> str:
        """The sync-cache kind the record belongs to (``company`` -> ``companies``)."""
        return kind_for_callback_type(self.type)


@dataclass(frozen=True)
class ReceiverAnswer:
    """What the receiver answers: an HTTP status and a short reason (no secrets, no record data)."""

    status: int
    reason: str
    kind: str | None = None
    record_id: int | None = None


def _read_delivery(body: bytes, headers: Mapping[str, str]) -> Delivery:
    if len(body) > MAX_BODY_BYTES:
        raise CallbackRejected(413, "The callback body is too large.")
    lowered = {k.lower(): v for k, v in headers.items()}
    signature = lowered.get(SIGNATURE_HEADER, "").strip()
    if not signature:
        raise CallbackRejected(401, f"The {SIGNATURE_HEADER} header is missing.")
    try:
        payload = loads_bounded(body, what="The callback body")
    except UntrustedJSONError as error:
        raise CallbackRejected(400, str(error)) from None
    if not isinstance(payload, dict):
        raise CallbackRejected(400, "The callback body is not a JSON object.")
    metadata = payload.get("Metadata")
    key_url = metadata.get("key_url") if isinstance(metadata, dict) else None
    if not isinstance(key_url, str) or not key_url:
        raise CallbackRejected(400, "The callback has no Metadata.key_url.")
    action = str(payload.get("Action") or "").lower()
    if action not in {"added", "updated", "deleted"}:
        raise CallbackRejected(400, "The callback's Action must be added, updated or deleted.")
    entity = _entity_of(payload.get("Entity"))
    record_id = _int_or_none(payload.get("ID"))
    if record_id is None and entity is not None:
        record_id = _int_or_none(entity.get("id"))
    if not str(payload.get("Type") or "").strip():
        raise CallbackRejected(400, "The callback has no Type.")
    fingerprint = hashlib.sha256(signature.encode("utf-8", "replace") + b"\n" + body).hexdigest()
    return Delivery(
        action=action,
        type=str(payload["Type"]),
        record_id=record_id,
        entity=entity,
        key_url=key_url,
        signature=signature,
        fingerprint=fingerprint,
    )


def _entity_of(raw: Any) -> dict[str, Any] | None:
    # ConnectWise sends the record serialised as a JSON *string*; accept an object too.
    if isinstance(raw, str) and raw.strip():
        try:
            raw = loads_bounded(raw, what="The callback's Entity")
        except UntrustedJSONError as error:
            raise CallbackRejected(400, str(error)) from None
    return raw if isinstance(raw, dict) else None


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value) if value is not None and str(value).strip() else None
    except (TypeError, ValueError):
        return None


class CallbackReceiver:
    """Verifies deliveries and applies them to the sync cache of one ConnectWise source.

    ``source`` is the sync-cache source name (``cwdesk.workflows.sync.source_key``) and ``keys`` the signing-key
    fetcher bound to the configured ConnectWise server.
    """

    def __init__(self, engine: sa.Engine, *, source: str, keys: SigningKeys) -> None:
        self.engine = engine
        self.source = source
        self.keys = keys

    def receive(self, body: bytes, headers: Mapping[str, str]) -> ReceiverAnswer:
        """Check and apply one delivery (fetching the signing key synchronously when needed)."""
        try:
            delivery = _read_delivery(body, headers)
            key_url = self.keys.check_url(delivery.key_url)
            self._verify(body, key_url, delivery.signature, self.keys.fetch)
            return self._apply(delivery)
        except CallbackRejected as rejected:
            return self._refused(rejected)

    async def areceive(self, body: bytes, headers: Mapping[str, str]) -> ReceiverAnswer:
        """The async twin of ``receive`` (the store write runs in a worker thread)."""
        try:
            delivery = _read_delivery(body, headers)
            key_url = self.keys.check_url(delivery.key_url)
            entry = self.keys.cached(key_url)
            key = entry[0] if entry else await self.keys.afetch(key_url)
            if not signature_matches(body, delivery.signature, key):
                if not (entry and self.keys.may_refresh(key_url)):
                    raise CallbackRejected(401, "The callback signature does not match.")
                key = await self.keys.afetch(key_url)
                if not signature_matches(body, delivery.signature, key):
                    raise CallbackRejected(401, "The callback signature does not match.")
            return await asyncio.to_thread(self._apply, delivery)
        except CallbackRejected as rejected:
            return self._refused(rejected)

    def _verify(self, body: bytes, key_url: str, signature: str, fetch: Any) -> None:
        entry = self.keys.cached(key_url)
        key = entry[0] if entry else fetch(key_url)
        if signature_matches(body, signature, key):
            return
        # A key fetched a while ago may have been rotated: fetch once more, but not on every forged request.
        if entry and self.keys.may_refresh(key_url):
            key = fetch(key_url)
            if signature_matches(body, signature, key):
                return
        raise CallbackRejected(401, "The callback signature does not match.")

    def _refused(self, rejected: CallbackRejected) -> ReceiverAnswer:
        logger.warning("callback refused: %s", rejected.reason, extra={"status": rejected.status})
        return ReceiverAnswer(rejected.status, rejected.reason)

    def _apply(self, delivery: Delivery) -> ReceiverAnswer:
        now = datetime.now(UTC)
        kind = delivery.kind
        try:
            with self.engine.begin() as conn:
                outcome = self._change(conn, delivery, kind, now)
                if not sync_cache.remember_delivery(
                    conn,
                    delivery.fingerprint,
                    source=self.source,
                    kind=kind,
                    action=delivery.action,
                    record_id=delivery.record_id,
                    outcome=outcome,
                    now=now,
                ):
                    raise CallbackRejected(409, "This callback was already received (a replay); nothing applied.")
                run_id = sync_cache.start_run(conn, self.source, kind, "callback", now=now)
                sync_cache.finish_run(
                    conn,
                    run_id,
                    state="succeeded",
                    now=now,
                    fetched=1,
                    updated=1 if outcome == "applied" and delivery.action == "updated" else 0,
                    created=1 if outcome == "applied" and delivery.action == "added" else 0,
                    deleted=1 if outcome == "applied" and delivery.action == "deleted" else 0,
                    unchanged=0 if outcome == "applied" else 1,
                    message=f"{delivery.action} {kind} {delivery.record_id}: {outcome}",
                )
        except sa.exc.IntegrityError:
            # An identical delivery won a race for the same fingerprint: this one is the replay.
            raise CallbackRejected(409, "This callback was already received (a replay); nothing applied.") from None
        logger.info(
            "callback %s",
            outcome,
            extra={"kind": kind, "action": delivery.action, "record_id": delivery.record_id},
        )
        return ReceiverAnswer(200, outcome, kind=kind, record_id=delivery.record_id)

    def _change(self, conn: sa.Connection, delivery: Delivery, kind: str, now: datetime) -> str:
        if delivery.record_id is None:
            raise CallbackRejected(400, "The callback names no record (no ID).")
        if delivery.action == "deleted":
            sync_cache.mark_deleted(conn, self.source, kind, [delivery.record_id], now=now)
            return "applied"
        if delivery.entity is None:
            raise CallbackRejected(400, "The callback carries no Entity to apply.")
        entity = dict(delivery.entity)
        entity.setdefault("id", delivery.record_id)
        updated = last_updated_of(entity)
        cached = sync_cache.cached_last_updated(conn, self.source, kind, delivery.record_id)
        if cached is not None and updated is not None and updated < cached:
            return "stale"
        sync_cache.save_records(
            conn, self.source, kind, [sync_cache.CachedRecord(delivery.record_id, entity, updated)], now=now
        )
        return "applied"


def create_app(receiver: CallbackReceiver, *, path: str = "/callbacks") -> Any:
    """A small ASGI app: ``POST {path}`` runs the receiver; ``GET /health`` answers ``ok``."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, PlainTextResponse, Response
    from starlette.routing import Route

    async def deliver(request: Request) -> Response:
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
            return JSONResponse({"status": 413, "reason": "The callback body is too large."}, status_code=413)
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_BODY_BYTES:
                return JSONResponse({"status": 413, "reason": "The callback body is too large."}, status_code=413)
        answer = await receiver.areceive(bytes(body), dict(request.headers))
        return JSONResponse({"status": answer.status, "reason": answer.reason}, status_code=answer.status)

    async def health(_request: Request) -> Response:
        return PlainTextResponse("ok")

    return Starlette(routes=[Route(path, deliver, methods=["POST"]), Route("/health", health, methods=["GET"])])
