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
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response

from cwdesk.console.confirmations import Preview, given_token, is_confirmed
from cwdesk.console.pages import render
from cwdesk.console.security import ROLES, Principal, audit, require
from cwdesk.store.tokens import PURPOSES, TokenError, TokenInfo, Tokens

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


def revoke_preview(token: TokenInfo) -> Preview:
    """Revoking a token: what stops working (an identity provider or an assistant that uses it)."""
    used = f"last used {token.last_used_at:%Y-%m-%d %H:%M} UTC" if token.last_used_at else "never used"
    lines = [
        f"Token {token.name} ({token.purpose}, {token.role}) is refused from the moment it is revoked; {used}.",
        "Whatever uses it (an identity provider, an AI assistant, a script) stops working until it gets a new one.",
        "A revoked token cannot be brought back.",
    ]
    return Preview(action="revoke API token", subject=str(token.id), title=f"Revoke token {token.name}",
                   facts={"token": token.id, "active": token.active}, lines=lines,
                   confirm_label=f"Revoke {token.name}")  # fmt: skip


@router.post("/settings/tokens/{token_id}/revoke", response_class=HTMLResponse)
async def revoke_token(
    request: Request, token_id: int, principal: Annotated[Principal, Depends(require("admin"))]
) -> Response:
    """Revoke a token, once confirmed on the page this POST shows without a token (or a stale one)."""
    try:
        token = await run_in_threadpool(_tokens(request).revocable, token_id)
    except TokenError as problem:
        return _page(request, principal, error=str(problem), status=400)
    preview = revoke_preview(token)
    if not is_confirmed(preview, principal, await given_token(request)):
        return render(request, "confirm.html", principal, preview=preview, action=str(request.url.path), fields={},
                      back="/settings/tokens", confirmation=preview.token(principal))  # fmt: skip
    return await run_in_threadpool(_revoke, request, token_id, principal)


def _revoke(request: Request, token_id: int, principal: Principal) -> Response:
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
