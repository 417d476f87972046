"""The web console as an ASGI app: ``create_app(settings)``.

Wires the panels (``routes/``), the static files, the security headers and the error pages together. The app
holds no credentials of its own: it is handed ``Connections`` (clients that keep their secrets inside) and the
app's database. Starting a server, printing the first sign-in link and choosing demo or live mode belong to
``cwdesk console`` (``cli/console.py``).
Not for: business rules (``cwdesk.workflows``), account rules (``security``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import sqlalchemy as sa
from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cwdesk.console.client_list import ClientList
from cwdesk.console.connections import Connections
from cwdesk.console.pages import render
from cwdesk.console.security import Accounts, BodySizeLimit, Forbidden, NotSignedIn, accounts_of, session_id_of

# No inline script or style anywhere: an injected <script> could not run even if escaping ever failed.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "font-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


@dataclass
class ConsoleSettings:
    """What one console process runs on."""

    connections: Connections
    engine: sa.Engine
    # Up to this many companies go to the browser, which then filters as you type; above it, search is
    # server-side with conditions (the seed's list stopped at 1,000 and never searched the server).
    browser_list_limit: int = 20_000
    # Live mode: every minute, take up jobs whose runner died (a killed console, a lost database connection).
    take_up_orphaned_jobs: bool = True


class SecurityHeaders:
    """The security headers on every answer, as plain ASGI (no extra task per request; streams pass untouched)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = str(scope.get("path", "")).startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("X-Frame-Options", "DENY")
                # The sign-in link carries a token: never leak the URL to another site.
                headers.setdefault("Referrer-Policy", "no-referrer")
                if not static:
                    headers.setdefault("Cache-Control", "no-store")
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _wants_html(request: Request) -> bool:
    return request.method == "GET" and "text/html" in request.headers.get("accept", "")


def create_app(settings: ConsoleSettings) -> FastAPI:
    """The console's ASGI app over ``settings``."""
    from cwdesk.console.routes import accounts, automate, bulk, clients, jobs, onboarding

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        watch = None
        if settings.take_up_orphaned_jobs and settings.connections.mode == "live":
            from cwdesk.workflows.worker import OrphanWatch

            watch = OrphanWatch(
                settings.engine, manage=settings.connections.manage, automate=settings.connections.automate
            )
            watch.start()
        try:
            async with mcp_endpoint.running() if mcp_endpoint is not None else nullcontext():  # (MCP, below)
                yield
        finally:
            if watch is not None:
                watch.stop()

    app = FastAPI(title="cwdesk console", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
    app.state.connections = settings.connections
    app.state.accounts = Accounts(settings.engine)
    app.state.engine = settings.engine
    app.state.settings = settings
    app.state.client_list = ClientList(settings.connections.manage, browser_limit=settings.browser_list_limit)

    static = Path(__file__).parent / "static"
    app.mount("/static", StaticFiles(directory=static), name="static")
    for module in (accounts, clients, bulk, onboarding, jobs, automate):
        app.include_router(module.router)
    from cwdesk.console.routes import tokens as api_tokens  # (Settings > API tokens: cwdesk.store.tokens, issue 17)

    app.include_router(api_tokens.router)

    # MCP over streamable HTTP at /mcp (issue 17, cwdesk.mcp.http): an API token or a session; the role picks
    # the tools. Only with the "mcp" extra installed (the MCP SDK); without it there is no /mcp.
    mcp_endpoint = None
    try:
        from cwdesk.mcp.http import mount_mcp
    except ModuleNotFoundError as missing:
        if not (missing.name or "").startswith("mcp"):
            raise
    else:
        mcp_endpoint = mount_mcp(
            app, manage=settings.connections.manage, automate=settings.connections.automate, engine=settings.engine
        )

    # --- X3 SCIM bridge (cwdesk.scim, docs/scim.md): the same app as `cwdesk scim serve`, at /scim/v2, on the
    # console's ConnectWise client and database. Identity providers present SCIM tokens (purpose scim), never a
    # console session. Left out when the `scim` extra is not installed.
    try:
        from cwdesk.scim.server import create_scim_app
        from cwdesk.scim.tokens import token_check
    except ModuleNotFoundError as missing:  # only the extra's own libraries may be missing; anything else is a bug
        if not (missing.name or "").startswith(("scim2_", "limits", "email_validator")):
            raise
    else:
        scim = create_scim_app(settings.connections.manage, settings.engine, verify=token_check(settings.engine))
        app.mount("/scim", cast(ASGIApp, scim))
    # --- end X3 SCIM bridge

    app.add_middleware(BodySizeLimit)
    app.add_middleware(SecurityHeaders)

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, error: RequestValidationError) -> Response:
        # A malformed path or body (an id of 2**63, a string where a number goes) is the client's mistake: 400 with
        # what is wrong, never a 500 from deeper down, nor FastAPI's 422 with its internals.
        problems = []
        for item in error.errors():
            where = ".".join(str(part) for part in item.get("loc", ())[1:]) or "request"
            problems.append(f"{where}: {item.get('msg', 'is not valid')}")
        message = "This request is not valid: " + "; ".join(problems[:5])
        if _wants_html(request):
            principal = getattr(request.state, "principal", None)
            return render(request, "error.html", principal, status_code=400, message=message)
        return JSONResponse({"ok": False, "message": message}, status_code=400)

    @app.exception_handler(NotSignedIn)
    async def not_signed_in(request: Request, _error: NotSignedIn) -> Response:
        if _wants_html(request):
            return RedirectResponse("/signin", status_code=303)
        return JSONResponse({"ok": False, "message": "Sign in first."}, status_code=401)

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, error: Forbidden) -> Response:
        if _wants_html(request):
            principal = getattr(request.state, "principal", None)
            return render(request, "error.html", principal, status_code=403, message=error.message)
        return JSONResponse({"ok": False, "message": error.message}, status_code=403)

    @app.exception_handler(StarletteHTTPException)
    async def no_such_page(request: Request, error: StarletteHTTPException) -> Response:
        # A browser that asks for a page that is not there gets the console's own error page (with its header and
        # menu for a signed-in user), not FastAPI's bare JSON.
        if _wants_html(request) and error.status_code == 404:
            principal = accounts_of(request).session_principal(session_id_of(request))
            message = f"There is no page at {request.url.path}."
            return render(request, "error.html", principal, status_code=404, message=message, title="Not found")
        return JSONResponse({"ok": False, "message": str(error.detail)}, status_code=error.status_code)

    return app
