"""How the console renders a page: one Jinja environment with autoescape on, and the header every page shows.

Everything a template prints is HTML-escaped (a company named ``<script>alert(1)</script>`` shows as text). Pages
carry no inline script: data a script needs is in ``data-`` attributes or fetched as JSON, so the Content
Security Policy can forbid inline scripts outright. Not for: what a page shows (``routes/``) or who may see it
(``security``).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, PackageLoader, StrictUndefined

from cwdesk import __version__
from cwdesk.console.connections import Connections
from cwdesk.console.security import Principal

_environment = Environment(
    loader=PackageLoader("cwdesk.console", "templates"),
    autoescape=True,  # every template, whatever its file name
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
templates = Jinja2Templates(env=_environment)

#: The largest id a path may carry: the store's and ConnectWise's ids are 64-bit at most (a larger one would reach
#: the database and fail there with a 500).
MAX_RECORD_ID = 2**63 - 1
#: A record or job id in a path: a whole number from 1 to ``MAX_RECORD_ID`` (anything else answers 400).
RecordId = Annotated[int, Path(ge=1, le=MAX_RECORD_ID)]


def connections_of(request: Request) -> Connections:
    connections: Connections = request.app.state.connections
    return connections


def demo_resets(request: Request) -> bool:
    """Whether this console runs on a sandbox held in memory (``--demo`` without ``--demo-db``): its data is new at
    every start while users, jobs and the audit log persist, and every page says so. Worked out once per app."""
    known = getattr(request.app.state, "demo_resets", None)
    if known is None:
        sandbox = connections_of(request).sandbox
        if sandbox is None:
            known = False
        else:
            with sandbox.lock:
                # SQLite names no file for an in-memory database (PRAGMA database_list: seq, name, file).
                known = not sandbox.db.execute("PRAGMA database_list").fetchone()[2]
        request.app.state.demo_resets = known
    return bool(known)


def render(
    request: Request,
    template: str,
    principal: Principal | None,
    *,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """``template`` with the header's context (mode, API version, user, CSRF token) and ``context``."""
    connections = connections_of(request)
    page: dict[str, Any] = {
        "principal": principal,
        "csrf_token": principal.csrf_token if principal else "",
        "mode": connections.mode,
        "api_version": connections.api_version(),
        "cwdesk_version": __version__,
        "automate_configured": connections.automate is not None,
        "path": request.url.path,
        "status_code": status_code,
        "demo_resets": demo_resets(request),
        **context,
    }
    return templates.TemplateResponse(request, template, page, status_code=status_code)
