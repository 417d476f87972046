"""The command line's audit hook: every change a CLI command sends to ConnectWise Manage goes into the audit log.

One place sees every Manage write whatever the command (``companies``, ``contacts``, ``bulk``, ``onboard``, ``jobs
rollback``, ``delete-op``...): the httpx transport of every Manage client ``cli.connection`` builds. Each POST,
PUT, PATCH or DELETE to the Manage API becomes one row of the console's audit log
(``store.audit``), as ``cli:<OS login name>`` with role ``cli``, so the console's Audit log page lists CLI changes
next to its own (issue 15 §6). What a row holds:

- action ``create`` / ``replace`` / ``change`` / ``delete`` and the collection (``change company/contacts``),
  target the record's path (``company/contacts/12``), result ``ok`` or ``error`` with the HTTP status;
- the values sent, as ``changes`` (``{"field", "before", "after"}`` each): a JSON Patch's paths and values, a create's
  top-level fields. ``before`` is ``None`` (shown as "?"): the transport sees only what is sent, and reading the
  record first would cost a call per write (a bulk job's own journal keeps each record's before and after);
- never a secret: no header is read, and a field whose name says password, secret, token or key is stored as
  ``***``.

Automate's writes are recorded by the Automate commands themselves, with the before → after their workflows
report (``cli/automate``, as ``cwdesk tokens`` does), so its clients do not go through this hook (no write is
recorded twice).

A 429 answer is not recorded (the SDK waits and sends the same change again; that attempt is). The console, the
worker and the MCP server turn the hook off (``connection.audit_cli_writes(False)``): the console audits its own
users' changes, a worker runs jobs on behalf of whoever created them (the job keeps ``created_by`` and a journal of
every change), and the MCP server audits each plan it runs, naming its caller.
If the audit log cannot be written, the change still stands: a warning says so; the command is not failed.
Not for: the console's own audit rows (``console.security.audit``) or how rows are stored (``store.audit``).
"""

from __future__ import annotations

import json
import logging
import re
import threading
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:  # (the database is opened only when a command writes: reads start no faster for it otherwise)
    import sqlalchemy as sa

log = logging.getLogger("cwdesk.cli")

WRITE_METHODS = {"POST": "create", "PUT": "replace", "PATCH": "change", "DELETE": "delete"}
# Where Manage's records start in a URL: ``{origin}/{codebase}apis/3.0/<path>``.
_API_PATH = re.compile(r"/apis/3\.0/(?P<path>.+)$", re.IGNORECASE)
_SECRET_NAME = re.compile(r"pass|secret|token|key", re.IGNORECASE)
_MAX_VALUE_CHARS = 300
MASK = "***"

_engines: dict[str, sa.Engine] = {}
_engines_lock = threading.Lock()


def _engine() -> sa.Engine:
    """The app's database (as ``open_database()`` finds it), opened once per database URL in this process."""
    from cwdesk.store import open_database
    from cwdesk.store.database import database_url

    url = database_url()
    with _engines_lock:
        engine = _engines.get(url)
        if engine is None:
            engine = _engines[url] = open_database()
        return engine


def _shown(name: str, value: Any) -> Any:
    """A sent value as the audit log keeps it: masked when its field names a secret, references by name, cut short."""
    if _SECRET_NAME.search(name):
        return MASK
    if isinstance(value, dict):
        value = value.get("name") or value.get("identifier") or value.get("id") or value
    if isinstance(value, str | int | float | bool) or value is None:
        return value[:_MAX_VALUE_CHARS] if isinstance(value, str) else value
    return json.dumps(value, default=str, sort_keys=True)[:_MAX_VALUE_CHARS]


def _sent_changes(method: str, body: bytes) -> list[dict[str, Any]]:
    """What a write sent, as the audit log keeps changes (``store.audit``); ``before`` is not known here."""
    try:
        sent = json.loads(body) if body else None
    except ValueError:
        return []
    fields: list[tuple[str, Any]] = []
    if method == "PATCH" and isinstance(sent, list):
        for operation in sent:
            if isinstance(operation, dict) and isinstance(operation.get("path"), str):
                field = operation["path"].strip("/").replace("/", ".")
                fields.append((field, None if operation.get("op") == "remove" else operation.get("value")))
    elif method in ("POST", "PUT") and isinstance(sent, dict):
        fields = [(str(field), value) for field, value in sent.items()]
    return [{"field": field, "before": None, "after": _shown(field, value)} for field, value in fields]


def audit_write(request: httpx.Request, response: httpx.Response, *, username: str) -> None:
    """Record ``request`` (a write to the Manage API) and its answer; anything else is left alone."""
    verb = WRITE_METHODS.get(request.method.upper())
    found = _API_PATH.search(request.url.path)
    if verb is None or found is None or response.status_code == 429:
        return
    path = found.group("path").strip("/")
    collection = "/".join(part for part in path.split("/") if not part.isdigit()) or path
    detail: dict[str, Any] = {"changes": _sent_changes(request.method.upper(), request.content)}
    ok = response.status_code < 400
    if ok and request.method.upper() == "POST":
        try:
            created = json.loads(response.read())
        except ValueError:
            created = None
        if isinstance(created, dict) and created.get("id") is not None:
            detail["id"] = created.get("id")
    from cwdesk.store.audit import record_audit

    try:
        record_audit(
            _engine(),
            at=datetime.now(UTC),
            username=username,
            role="cli",
            action=f"{verb} {collection}",
            target=path,
            detail=detail,
            result="ok" if ok else "error",
            message="" if ok else f"ConnectWise answered {response.status_code}",
        )
    except Exception as error:  # the change is made: a broken audit log must not report it as failed
        log.warning("The audit log could not record %s %s: %s", request.method, path, error)


class AuditedTransport(httpx.BaseTransport):
    """``inner``, with every write recorded by ``audit_write`` as ``username``."""

    def __init__(self, inner: httpx.BaseTransport, *, username: str) -> None:
        self._inner = inner
        self._username = username

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self._inner.handle_request(request)
        if request.method.upper() in WRITE_METHODS:
            response.read()
            audit_write(request, response, username=self._username)
        return response

    def close(self) -> None:
        self._inner.close()


class AsyncAuditedTransport(httpx.AsyncBaseTransport):
    """The async twin of ``AuditedTransport``."""

    def __init__(self, inner: httpx.AsyncBaseTransport, *, username: str) -> None:
        self._inner = inner
        self._username = username

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self._inner.handle_async_request(request)
        if request.method.upper() in WRITE_METHODS:
            await response.aread()
            audit_write(request, response, username=self._username)
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()
