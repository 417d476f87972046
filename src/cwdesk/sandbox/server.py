"""``Sandbox``: one emulated ConnectWise (Manage + Automate) with its faults, request log, seeding and callbacks.

    sb = Sandbox(seed="demo")                      # or seed=10000, or seed=None (empty)
    client = ManageClient(**sb.manage_credentials, transport=sb.transport())
    sb.faults.fail_next(method="POST", path_contains="/finance/agreements", status=500)
    sb.requests                                    # what the client did: method, path, query, status, duration

Every request, whichever way it arrives (in-process transports or the ASGI app served by ``cwdesk sandbox serve``),
goes through ``serve``/``serve_async``: faults first, then ``/cwa/...`` to the Automate emulator, ``/_sandbox/...``
to the control endpoints, anything else to the Manage emulator, then the request log.
Not for: ConnectWise behaviour itself (``manage_api.py``, ``automate_api.py``, ``backend/``).
"""

from __future__ import annotations

import asyncio
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from cwdesk.sandbox import seed as seeding
from cwdesk.sandbox.automate_api import AutomateAPI, message
from cwdesk.sandbox.backend.callbacks import SIGNING_KEY_PATH, CallbackDelivery
from cwdesk.sandbox.backend.manage import ManageBackend
from cwdesk.sandbox.backend.store import create_manage_tables, drop_all, open_sandbox_db
from cwdesk.sandbox.control import PREFIX as CONTROL_PREFIX
from cwdesk.sandbox.control import handle_control
from cwdesk.sandbox.faults import Faults, Verdict
from cwdesk.sandbox.http import Dropped, Hang, SandboxRequest, SandboxResponse
from cwdesk.sandbox.manage_api import ManageAPI, error
from cwdesk.sandbox.seed_automate import AutomateDemoSeeder

if TYPE_CHECKING:
    import httpx

DEFAULT_BASE_URL = "https://sandbox.local"
AUTOMATE_USERNAME = "sandbox"
AUTOMATE_PASSWORD = "sandbox-password"
CLIENT_ID = str(uuid.uuid5(uuid.NAMESPACE_URL, "https://cwdesk.sandbox/client"))


@dataclass(frozen=True)
class RequestLogEntry:
    """One request as the sandbox saw it (control requests are not logged)."""

    method: str
    path: str
    query: str
    status: int
    """0 when the sandbox gave no answer (a hang or a dropped connection)."""
    duration_ms: float
    fault: str | None = None


class Sandbox:
    """An emulated ConnectWise Manage and Automate on SQLite."""

    def __init__(
        self,
        seed: str | int | None = "demo",
        *,
        db_path: str | None = None,
        random_seed: int = 0,
        clock: Callable[[], datetime] | None = None,
        base_url: str = DEFAULT_BASE_URL,
        company: str = seeding.MANAGE_COMPANY,
    ) -> None:
        self.clock: Callable[[], datetime] = clock or (lambda: datetime.now(UTC))
        self.base_url = base_url.rstrip("/")
        self.company = company
        self.random_seed = random_seed
        self.lock = threading.RLock()
        self.db = open_sandbox_db(db_path)
        self.backend = ManageBackend(self.db, self.clock)
        self.manage = ManageAPI(self.backend, company=company)
        self.automate = AutomateAPI(self.db, self.clock)
        self.faults = Faults()
        self.callbacks = CallbackDelivery(self.backend, lambda: self.base_url, company=company)
        self._log: list[RequestLogEntry] = []
        self._log_lock = threading.Lock()
        self.seed = seed
        with self.lock:
            fresh = self.db.execute("SELECT count(*) FROM mg_api_key").fetchone()[0] == 0
            if fresh:
                self._fill(seed)

    # ----------------------------------------------------------------------------------------------- set-up
    def _fill(self, seed: str | int | None) -> None:
        automate = AutomateDemoSeeder(self.automate.backend)
        seeding.seed(self.backend, seed, random_seed=self.random_seed, automate=automate)

    def reset(self, seed: str | int | None = "demo") -> None:
        """Empty every table (Manage and Automate) and seed again; faults and the request log are kept."""
        with self.lock:
            drop_all(self.db)
            create_manage_tables(self.db)
            self.automate = AutomateAPI(self.db, self.clock)
            self.seed = seed
            self._fill(seed)

    def close(self) -> None:
        self.callbacks.close()
        with self.lock:
            self.db.close()

    # ------------------------------------------------------------------------------------------ credentials
    @property
    def manage_credentials(self) -> dict[str, str]:
        """Keyword arguments for ``ManageClient``: server, company, public_key, private_key, client_id."""
        return {
            "server": self.base_url,
            "company": self.company,
            "public_key": seeding.PUBLIC_KEY,
            "private_key": seeding.PRIVATE_KEY,
            "client_id": CLIENT_ID,
        }

    @property
    def read_only_manage_credentials(self) -> dict[str, str]:
        """Keys of a member whose security role is read-only (writes answer 403)."""
        return {
            **self.manage_credentials,
            "public_key": seeding.READ_ONLY_PUBLIC_KEY,
            "private_key": seeding.READ_ONLY_PRIVATE_KEY,
        }

    @property
    def automate_credentials(self) -> dict[str, str]:
        """Keyword arguments for ``AutomateClient``: server, username, password, client_id."""
        return {
            "server": self.base_url,
            "username": AUTOMATE_USERNAME,
            "password": AUTOMATE_PASSWORD,
            "client_id": CLIENT_ID,
        }

    @property
    def signing_key_url(self) -> str:
        return self.base_url + SIGNING_KEY_PATH

    # ---------------------------------------------------------------------------------------- request log
    @property
    def requests(self) -> list[RequestLogEntry]:
        """Every request served so far (oldest first), control requests excepted."""
        with self._log_lock:
            return list(self._log)

    def clear_requests(self) -> None:
        with self._log_lock:
            self._log.clear()

    def _record(self, request: SandboxRequest, status: int, started: float, fault: str | None) -> None:
        query = "&".join(f"{k}={v}" for k, v in request.query)
        entry = RequestLogEntry(
            request.method, request.path, query, status, round((time.perf_counter() - started) * 1000, 3), fault
        )
        with self._log_lock:
            self._log.append(entry)

    # ------------------------------------------------------------------------------------------- serving
    def dispatch(self, request: SandboxRequest) -> SandboxResponse:
        """Answer a request with no faults and no logging (the emulators only)."""
        if request.path.startswith(CONTROL_PREFIX):
            return handle_control(self, request)
        with self.lock:
            try:
                if _is_automate(request.path):
                    return self.automate.handle(request)
                if self.manage.handles(request.path):
                    return self.manage.handle(request)
                return error(404, "NotFound", f"Nothing is served at {request.path}")
            except Exception as exc:  # a bug in the emulator must show as a 500, as a real server would answer
                traceback.print_exc()
                return self.error_response(
                    request.path, 500, "ServerError", f"The sandbox failed: {type(exc).__name__}: {exc}"
                )

    def error_response(self, path: str, status: int, code: str, text: str) -> SandboxResponse:
        """An error in the shape of the API ``path`` belongs to: Automate's ``{"Message"}`` under ``/cwa/``
        (ASP.NET Web API), Manage's ``{"code", "message"}`` elsewhere."""
        if _is_automate(path):
            return message(status, text)
        return error(status, code, text)

    def _answer(self, request: SandboxRequest, verdict: Verdict, started: float) -> SandboxResponse:
        if verdict.action == "rate_limited":
            response = self.error_response(
                request.path, 429, "TooManyRequests", "Rate limit exceeded: slow down and retry after the given time."
            )
            response.headers["retry-after"] = str(verdict.retry_after)
        elif verdict.action == "status":
            response = self.error_response(
                request.path, verdict.status, "ServerError", f"Injected fault: the server answered {verdict.status}."
            )
        else:
            response = self.dispatch(request)
        fault = None if verdict.action == "pass" else verdict.action
        self._record(request, response.status, started, fault)
        return response

    def serve(self, request: SandboxRequest, *, read_timeout: float | None = None) -> SandboxResponse:
        """Serve one request on the calling thread (sync transports); latency and hangs sleep here."""
        if request.path.startswith(CONTROL_PREFIX):
            return self.dispatch(request)
        started = time.perf_counter()
        verdict = self.faults.decide(request)
        if verdict.latency_s:
            time.sleep(verdict.latency_s)
        if verdict.action == "hang":
            time.sleep(_hang_wait(self.faults.settings.hang_seconds, read_timeout))
            self._record(request, 0, started, "hang")
            raise Hang
        if verdict.action == "drop":
            self._record(request, 0, started, "drop")
            raise Dropped
        return self._answer(request, verdict, started)

    async def serve_async(self, request: SandboxRequest, *, read_timeout: float | None = None) -> SandboxResponse:
        """The async twin of ``serve``: latency and hangs ``await asyncio.sleep`` so other requests go on."""
        if request.path.startswith(CONTROL_PREFIX):
            return self.dispatch(request)
        started = time.perf_counter()
        verdict = self.faults.decide(request)
        if verdict.latency_s:
            await asyncio.sleep(verdict.latency_s)
        if verdict.action == "hang":
            await asyncio.sleep(_hang_wait(self.faults.settings.hang_seconds, read_timeout))
            self._record(request, 0, started, "hang")
            raise Hang
        if verdict.action == "drop":
            self._record(request, 0, started, "drop")
            raise Dropped
        return self._answer(request, verdict, started)

    # ---------------------------------------------------------------------------------------- transports
    def transport(self) -> httpx.BaseTransport:
        """An httpx transport serving this sandbox in-process (no socket, no thread hop)."""
        from cwdesk.sandbox.transport import SandboxTransport

        return SandboxTransport(self)

    def async_transport(self) -> httpx.AsyncBaseTransport:
        """The async twin of ``transport``."""
        from cwdesk.sandbox.transport import AsyncSandboxTransport

        return AsyncSandboxTransport(self)

    def asgi_app(self) -> Any:
        """The same routes as an ASGI application (what ``cwdesk sandbox serve`` runs under uvicorn)."""
        from cwdesk.sandbox.transport import SandboxASGIApp

        return SandboxASGIApp(self)


def _is_automate(path: str) -> bool:
    return path.lower().startswith("/cwa/")


def _hang_wait(hang_seconds: float, read_timeout: float | None) -> float:
    """A hang lasts ``hang_seconds``, cut short in-process by the client's read timeout (it would give up then)."""
    return hang_seconds if read_timeout is None else min(hang_seconds, read_timeout)
