"""The web console as an ASGI app: ``create_app(settings)``.

Wires the panels (``routes/``), the static files, the security headers and the error pages together. The app
holds no credentials of its own: it is handed ``Connections`` (clients that keep their secrets inside) and the
app's database. Starting a server, printing the first sign-in link and choosing demo or live mode belong to
``cwdesk console`` (``cli/console.py``).
Not for: business rules (``cwdesk.workflows``), account rules (``security``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

from cwdesk.console.client_list import ClientList
from cwdesk.console.connections import Connections
from cwdesk.console.pages import render
from cwdesk.console.security import Accounts, Forbidden, NotSignedIn

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


def _wants_html(request: Request) -> bool:
    return request.method == "GET" and "text/html" in request.headers.get("accept", "")


def create_app(settings: ConsoleSettings) -> FastAPI:
    """The console's ASGI app over ``settings``."""
    from cwdesk.console.routes import accounts, automate, bulk, clients, jobs, onboarding

    app = FastAPI(title="cwdesk console", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.connections = settings.connections
    app.state.accounts = Accounts(settings.engine)
    app.state.engine = settings.engine
    app.state.settings = settings
    app.state.client_list = ClientList(settings.connections.manage, browser_limit=settings.browser_list_limit)

    static = Path(__file__).parent / "static"
    app.mount("/static", StaticFiles(directory=static), name="static")
    for module in (accounts, clients, bulk, onboarding, jobs, automate):
        app.include_router(module.router)

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        # The sign-in link carries a token: never leak the URL to another site.
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        if not request.url.path.startswith("/static/"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

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

    return app
