"""Callbacks (webhooks) registered at ``/system/callbacks``, delivered and signed as ConnectWise does
(docs/connectwise.md, "Callbacks").

On every change of a record whose type has callbacks, the sandbox POSTs
``{Action, CompanyId, Entity (the record as a JSON string), FromUrl, ID, MemberId, Metadata: {key_url}, Type}`` with
``x-content-signature = base64(HMAC-SHA256(key=SHA256(signing_key), raw body))``. The signing key is served at
``Metadata.key_url`` on the sandbox's own host. Deliveries run on a background thread; a failed one is retried twice
(after ``retry_delays``), and every attempt is recorded in ``deliveries`` so tests can wait and check.
Not for: registering callbacks (an ordinary record kind in ``manage.py``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import queue
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from cwdesk.sandbox.backend.manage import Change, ManageBackend
from cwdesk.sandbox.backend.records import public_hrefs

SIGNING_KEY_PATH = "/_sandbox/callbacks/signing-key"


def sign(body: bytes, signing_key: str) -> str:
    """The ``x-content-signature`` of ``body``."""
    key = hashlib.sha256(signing_key.encode("utf-8")).digest()
    return base64.b64encode(hmac.new(key, body, hashlib.sha256).digest()).decode("ascii")


@dataclass
class Delivery:
    """One attempt to deliver one callback."""

    callback_id: int
    url: str
    action: str
    record_id: int
    status: int | None
    """The receiver's status, or None when it could not be reached."""
    attempt: int
    error: str | None = None


@dataclass
class _Job:
    callback_id: int
    url: str
    body: bytes
    action: str
    record_id: int
    attempt: int = 1


@dataclass
class CallbackDelivery:
    """Watches the backend and delivers callbacks in the background."""

    backend: ManageBackend
    base_url: Callable[[], str]
    company: str = "sandbox"
    signing_key: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    retry_delays: tuple[float, ...] = (2.0, 4.0)
    transport: httpx.BaseTransport | None = None
    deliveries: list[Delivery] = field(default_factory=list)
    _queue: queue.Queue[_Job | None] = field(default_factory=queue.Queue)
    _thread: threading.Thread | None = None
    _pending: int = 0
    _cond: threading.Condition = field(default_factory=threading.Condition)

    def __post_init__(self) -> None:
        self.backend.listeners.append(self.on_change)

    def on_change(self, change: Change) -> None:
        """Queue a delivery to every active callback that covers the changed record."""
        if change.kind.callback_type is None:
            return
        rows = self.backend.db.execute(
            "SELECT data FROM mg_callback WHERE c_type = ? COLLATE NOCASE", (change.kind.callback_type,)
        ).fetchall()
        for (text,) in rows:
            callback = json.loads(text)
            if callback.get("inactiveFlag") or not _covers(callback, change.record):
                continue
            payload = {
                "Action": change.action,
                "CompanyId": self.company,
                # The entity's hrefs on the sandbox's own base URL, as in answers.
                "Entity": public_hrefs(json.dumps(change.record, separators=(",", ":")), self.base_url()),
                "FromUrl": self.base_url(),
                "ID": change.record["id"],
                "MemberId": change.member_id,
                "Metadata": {"key_url": self.base_url() + SIGNING_KEY_PATH},
                "Type": change.kind.callback_type,
            }
            body = json.dumps(payload, separators=(",", ":")).encode("utf-8")
            self._submit(_Job(callback["id"], callback["url"], body, change.action, change.record["id"]))

    def _submit(self, job: _Job) -> None:
        with self._cond:
            self._pending += 1
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._run, name="sandbox-callbacks", daemon=True)
            self._thread.start()
        self._queue.put(job)

    def _run(self) -> None:
        with httpx.Client(transport=self.transport, timeout=10.0) as client:
            while True:
                job = self._queue.get()
                if job is None:
                    return
                self._deliver(client, job)

    def _deliver(self, client: httpx.Client, job: _Job) -> None:
        headers = {"content-type": "application/json", "x-content-signature": sign(job.body, self.signing_key)}
        status: int | None = None
        problem: str | None = None
        try:
            status = client.post(job.url, content=job.body, headers=headers).status_code
        except httpx.HTTPError as exc:
            problem = f"{type(exc).__name__}: {exc}"
        attempt = Delivery(job.callback_id, job.url, job.action, job.record_id, status, job.attempt, problem)
        self.deliveries.append(attempt)
        failed = status is None or status >= 400
        if failed and job.attempt <= len(self.retry_delays):
            delay = self.retry_delays[job.attempt - 1]
            job.attempt += 1
            timer = threading.Timer(delay, self._queue.put, args=(job,))
            timer.daemon = True
            timer.start()
            return
        with self._cond:
            self._pending -= 1
            self._cond.notify_all()

    def wait(self, timeout: float = 10.0) -> bool:
        """Block until every queued delivery (and its retries) is done; False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: self._pending == 0, timeout=timeout)

    def close(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            self._queue.put(None)
            self._thread.join(timeout=5.0)


def _covers(callback: dict[str, Any], record: dict[str, Any]) -> bool:
    """``level: owner`` covers every record; other levels cover the record (or company) with ``objectId``."""
    level = str(callback.get("level", "")).lower()
    object_id = callback.get("objectId")
    if level in ("owner", "all") or object_id in (None, 0):
        return True
    company = record.get("company")
    company_id = company.get("id") if isinstance(company, dict) else None
    return bool(object_id == record.get("id") or object_id == company_id)
