"""The MCP server over streamable HTTP, mounted in the console at ``/mcp``: who is calling, and what they may see.

Every request must come with ``Authorization: Bearer <API token>`` (``cwdesk tokens create``, purpose ``api``:
``cwdesk.store.tokens``) or the console's session cookie; otherwise 401, before the MCP SDK sees it. A session
cookie works like any console change: each POST or DELETE also carries the session's CSRF token as
``X-CSRF-Token`` (a page on another origin can send the cookie but cannot read the token).

The role decides the tools (``Caller.may_change``): two ``MCPServer`` instances are built on one ``Desk``, one
with the read tools only (``build_server(read_only=True)``) for viewers, one with the plan tools and
``execute_plan`` for operators and admins; each request goes to its caller's server, so a viewer's
``tools/list`` has no write tool and a write tool's name is unknown to it. The ``Desk`` refuses a viewer too
(defence in depth), keeps each plan for its caller only, and names the caller on jobs and audit entries.

An MCP session (``mcp-session-id``) is bound to the caller that opened it: another token or user presenting that
id gets 404, as for an unknown session (the MCP spec's security advice: bind session ids to the user). Host and
Origin are checked by the SDK's DNS-rebinding protection (``TransportSecuritySettings``): loopback names by
default, plus the names in ``CWDESK_MCP_ALLOWED_HOSTS`` (a console behind a reverse proxy).
Secrets: the presented token is checked by its digest and never logged, stored or echoed.
Not for: the tools (``server.py``, ``desk.py``) or the tokens' storage (``cwdesk.store.tokens``).
"""

from __future__ import annotations

import json
import os
from collections import OrderedDict
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import anyio.to_thread
import sqlalchemy as sa
from mcp.server.mcpserver import MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Message, Receive, Scope, Send

from cwdesk.automate.client import AutomateClient
from cwdesk.console.security import SAFE_METHODS, Accounts, session_id_of, tokens_match
from cwdesk.manage.client import ManageClient
from cwdesk.mcp.desk import Caller, Desk
from cwdesk.mcp.server import CALLER_SCOPE_KEY, build_server
from cwdesk.store.tokens import Tokens

#: Where the endpoint is mounted in the console.
MCP_PATH = "/mcp"
#: Extra Host names (comma-separated, ``name`` or ``name:port``) the endpoint accepts besides loopback.
ALLOWED_HOSTS_VARIABLE = "CWDESK_MCP_ALLOWED_HOSTS"
#: The client name recorded on jobs and audit entries made over HTTP (``mcp:http:<caller>``).
HTTP_CLIENT_NAME = "http"
_SESSION_HEADER = "mcp-session-id"
# Sessions remembered with their caller; the SDK keeps at most 10,000 per server and ends idle ones after 30 min.
_OWNERS_KEPT = 20_000

_LOOPBACK_HOSTS = ["127.0.0.1:*", "localhost:*", "[::1]:*", "127.0.0.1", "localhost", "[::1]"]


def transport_security(extra_hosts: Sequence[str] = ()) -> TransportSecuritySettings:
    """The SDK's DNS-rebinding protection: loopback Host/Origin, plus ``extra_hosts`` (http and https origins)."""
    hosts = list(_LOOPBACK_HOSTS)
    origins = [f"http://{host}" for host in _LOOPBACK_HOSTS]
    for name in (h.strip().lower() for h in extra_hosts):
        if not name:
            continue
        hosts.append(name)
        origins += [f"https://{name}", f"http://{name}"]
    return TransportSecuritySettings(enable_dns_rebinding_protection=True, allowed_hosts=hosts, allowed_origins=origins)


def allowed_hosts_from_environment() -> list[str]:
    return [h for h in os.environ.get(ALLOWED_HOSTS_VARIABLE, "").split(",") if h.strip()]


def _refusal(status: int, message: str, *, bearer: bool = False) -> Response:
    headers = {"WWW-Authenticate": 'Bearer realm="cwdesk"'} if bearer else None
    return JSONResponse({"ok": False, "message": message}, status_code=status, headers=headers)


_NOT_SIGNED_IN = (
    "Sign in first: send `Authorization: Bearer <API token>` (an admin makes one with `cwdesk tokens create --name "
    "NAME --role viewer|operator` or on the console's Settings page), or use the console's session cookie."
)


class MCPEndpoint:
    """The ASGI app at ``/mcp``: authenticate, pick the caller's server, keep sessions to their caller."""

    def __init__(
        self,
        *,
        manage: ManageClient,
        automate: AutomateClient | None,
        engine: sa.Engine,
        accounts: Accounts,
        allowed_hosts: Sequence[str] = (),
    ) -> None:
        self.desk = Desk(manage=manage, automate=automate, engine=engine, client_name=HTTP_CLIENT_NAME)
        self._accounts = accounts
        self._tokens = Tokens(engine)
        self._security = transport_security(allowed_hosts)
        self._servers: dict[bool, MCPServer] = {
            may_change: build_server(self.desk, read_only=not may_change) for may_change in (False, True)
        }
        self._owners: OrderedDict[str, str] = OrderedDict()
        self._running = False

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Run both servers' session managers while the console runs (its lifespan holds this open).

        A session manager runs only once, so each start makes new ones (the tests start one app many times); a
        second start while one runs (two lifespans at once) shares the running managers."""
        if self._running:
            yield
            return
        async with AsyncExitStack() as stack:
            for server in self._servers.values():
                server.streamable_http_app(streamable_http_path=MCP_PATH, transport_security=self._security)
                await stack.enter_async_context(server.session_manager.run())
            self._owners.clear()
            self._running = True
            try:
                yield
            finally:
                self._running = False

    def _authenticate(self, request: Request) -> Caller | Response:
        """The caller, or the refusal to send: 401 without valid credentials, 403 for a cookie without CSRF."""
        authorization = request.headers.get("authorization")
        if authorization is not None:
            scheme, _, secret = authorization.partition(" ")
            token = self._tokens.verify(secret.strip(), "api") if scheme.lower() == "bearer" else None
            if token is None:
                return _refusal(
                    401,
                    "This API token is not valid (unknown, revoked, or not an `api` token): ask an admin for a "
                    "new one (`cwdesk tokens create`).",
                    bearer=True,
                )
            return Caller(key=f"token:{token.id}", name=token.name, role=token.role, via="token")
        principal = self._accounts.session_principal(session_id_of(request))
        if principal is None:
            return _refusal(401, _NOT_SIGNED_IN, bearer=True)
        if request.method not in SAFE_METHODS and not tokens_match(
            principal.csrf_token, request.headers.get("x-csrf-token")
        ):
            return _refusal(
                403,
                "With the console's session cookie, every POST or DELETE to /mcp also needs the session's CSRF "
                "token as the X-CSRF-Token header; or use an API token (Authorization: Bearer).",
            )
        return Caller(key=f"user:{principal.user_id}", name=principal.username, role=principal.role, via="session")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope)
        found = await anyio.to_thread.run_sync(self._authenticate, request)  # (database reads: off the event loop)
        if isinstance(found, Response):
            await found(scope, receive, send)
            return
        if not self._running:
            await _refusal(503, "The MCP endpoint is not running: start the console with `cwdesk console`.")(
                scope, receive, send
            )
            return
        caller = found
        owner = f"{caller.key}:{'changes' if caller.may_change else 'reads'}"
        session_id = request.headers.get(_SESSION_HEADER)
        if session_id is not None and self._owners.get(session_id, owner) != owner:
            # Someone else's session: answered as an unknown one (the SDK's own 404), nothing revealed.
            body = {"jsonrpc": "2.0", "id": None, "error": {"code": -32600, "message": "Session not found"}}
            await Response(json.dumps(body), status_code=404, media_type="application/json")(scope, receive, send)
            return
        scope[CALLER_SCOPE_KEY] = caller

        async def remembering_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                for name, value in message.get("headers", []):
                    if name.lower() == _SESSION_HEADER.encode():
                        self._remember(value.decode("latin-1"), owner)
            await send(message)

        await self._servers[caller.may_change].session_manager.handle_request(scope, receive, remembering_send)

    def _remember(self, session_id: str, owner: str) -> None:
        self._owners[session_id] = owner
        self._owners.move_to_end(session_id)
        while len(self._owners) > _OWNERS_KEPT:
            self._owners.popitem(last=False)


def mount_mcp(app: Any, *, manage: ManageClient, automate: AutomateClient | None, engine: sa.Engine) -> MCPEndpoint:
    """Add ``/mcp`` to the console ``app`` (a FastAPI app); its lifespan must hold ``endpoint.running()``."""
    endpoint = MCPEndpoint(
        manage=manage,
        automate=automate,
        engine=engine,
        accounts=app.state.accounts,
        allowed_hosts=allowed_hosts_from_environment(),
    )
    # An ASGI app as a route's endpoint answers every method at exactly /mcp (a Mount would redirect /mcp to /mcp/).
    app.router.add_route(MCP_PATH, endpoint, include_in_schema=False)
    app.state.mcp_endpoint = endpoint
    return endpoint
