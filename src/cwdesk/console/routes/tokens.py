"""The API tokens page (Settings > API tokens, admins only): make a token (its secret shown once), revoke one.

A new token's secret is in the answer to the POST that made it, and nowhere else: not in a later page, not in the
audit log (which records the name, purpose and role), not in the database (``cwdesk.store.tokens`` keeps its
digest). Every answer carries ``Cache-Control: no-store`` (``console.app.SecurityHeaders``), so the browser does not
keep that page either. The same store and rules as ``cwdesk tokens`` on the command line.
Not for: checking a token on a request (``cwdesk.mcp.http``, SCIM).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response

from cwdesk.console.pages import render
from cwdesk.console.security import ROLES, Principal, audit, require
from cwdesk.store.tokens import PURPOSES, TokenError, Tokens

router = APIRouter()


def _tokens(request: Request) -> Tokens:
    return Tokens(request.app.state.engine)


def _page(
    request: Request,
    principal: Principal,
    *,
    message: str = "",
    error: str = "",
    secret: str = "",
    status: int = 200,
) -> Response:
    return render(
        request,
        "tokens.html",
        principal,
        status_code=status,
        tokens=_tokens(request).list(),
        roles=ROLES,
        purposes=PURPOSES,
        message=message,
        error=error,
        secret=secret,
    )


@router.get("/settings/tokens", response_class=HTMLResponse)
def tokens_page(request: Request, principal: Annotated[Principal, Depends(require("admin"))]) -> Response:
    return _page(request, principal)


@router.post("/settings/tokens", response_class=HTMLResponse)
def create_token(
    request: Request,
    principal: Annotated[Principal, Depends(require("admin"))],
    name: Annotated[str, Form()],
    role: Annotated[str, Form()],
    purpose: Annotated[str, Form()] = "api",
) -> Response:
    detail = {"name": name, "purpose": purpose, "role": role}
    try:
        info, secret = _tokens(request).create(name, purpose, role, created_by=principal.username)
    except TokenError as problem:
        audit(request, principal, "create API token", target=name, detail=detail, result="error", message=str(problem))
        return _page(request, principal, error=str(problem), status=400)
    audit(request, principal, "create API token", target=f"token {info.id} ({info.name})", detail=detail, result="ok")
    return _page(
        request,
        principal,
        message=f"Token {info.name} ({info.purpose}, role {info.role}) made. Copy its secret now:",
        secret=secret,
    )


@router.post("/settings/tokens/{token_id}/revoke", response_class=HTMLResponse)
def revoke_token(
    request: Request, token_id: int, principal: Annotated[Principal, Depends(require("admin"))]
) -> Response:
    try:
        revoked = _tokens(request).revoke(token_id, revoked_by=principal.username)
    except TokenError as problem:
        audit(request, principal, "revoke API token", target=f"token {token_id}", result="error", message=str(problem))
        return _page(request, principal, error=str(problem), status=400)
    audit(
        request,
        principal,
        "revoke API token",
        target=f"token {revoked.id} ({revoked.name})",
        detail={"name": revoked.name, "purpose": revoked.purpose, "role": revoked.role},
        result="ok",
    )
    return _page(request, principal, message=f"Token {revoked.name} is revoked: it is refused from now on.")
