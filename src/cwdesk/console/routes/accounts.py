"""Pages about people and the console itself: sign-in and out, your password, users (admin), settings, audit log.

Disabling a user and changing a role ask first: the POST without its confirmation token answers a confirm page
(``confirm.html``, plain HTML: the users page needs no script) whose button sends the same fields with the token.

Not for: the rules behind them (``console.security``) or ConnectWise data (the other panels).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from cwdesk.console.confirmations import Preview, given_token, is_confirmed
from cwdesk.console.pages import connections_of, render
from cwdesk.console.security import (
    CSRF_FIELD,
    ROLES,
    SESSION_HOURS,
    AccountError,
    Principal,
    SignInDeferred,
    UserSummary,
    accounts_of,
    audit,
    check_origin,
    is_https,
    login_cookie_name,
    login_cookie_path,
    require,
    session_cookie_name,
    session_id_of,
)
from cwdesk.store.audit import AuditFilter, audit_choices

router = APIRouter()


def _set_session_cookie(request: Request, response: Response, session_id: str) -> None:
    response.set_cookie(
        session_cookie_name(request),
        session_id,
        max_age=SESSION_HOURS * 3600,
        httponly=True,
        samesite="lax",
        secure=is_https(request),
        path="/",
    )


def _with_login_csrf(request: Request, template: str, status_code: int = 200, **values: object) -> Response:
    """A page holding a sign-in form, with a fresh login-CSRF token in the form and in a SameSite=Strict cookie."""
    login_csrf = accounts_of(request).new_login_csrf()
    response = render(request, template, None, status_code=status_code, login_csrf=login_csrf, **values)
    response.set_cookie(
        login_cookie_name(request),
        login_csrf,
        httponly=True,
        samesite="strict",
        secure=is_https(request),
        path=login_cookie_path(request),
    )
    return response


def _signin_page(request: Request, message: str = "", status_code: int = 200) -> Response:
    return _with_login_csrf(request, "signin.html", status_code, message=message)


_BAD_LINK = (
    "This sign-in link is not valid: it was used already, has expired, or was mistyped. "
    "Ask an admin for a new one, or run `cwdesk console --new-signin-link`."
)


def _login_csrf_ok(request: Request, submitted: str) -> bool:
    return accounts_of(request).login_csrf_valid(request.cookies.get(login_cookie_name(request)), submitted)


def _signed_in_response(request: Request, session_id: str, target: str) -> Response:
    response = RedirectResponse(target, status_code=303)
    _set_session_cookie(request, response, session_id)
    response.delete_cookie(login_cookie_name(request), path=login_cookie_path(request))
    return response


@router.get("/signin", response_class=HTMLResponse)
def signin_form(request: Request, token: str | None = None) -> Response:
    """The sign-in page; with ``?token=`` (a sign-in link) a page that asks before signing in (login CSRF: an
    ``<img>`` or a link elsewhere must not switch this browser to another account silently)."""
    if token is None:
        return _signin_page(request)
    accounts = accounts_of(request)
    link_user = accounts.signin_token_user(token)
    if link_user is None:
        return _signin_page(request, _BAD_LINK, status_code=400)
    current = accounts.session_principal(session_id_of(request))
    return _with_login_csrf(
        request,
        "signin_link.html",
        link_user=link_user,
        link_token=token,
        current_user=current.username if current is not None else "",
    )


@router.post("/signin/link")
def signin_link_submit(
    request: Request,
    token: Annotated[str, Form()],
    login_csrf: Annotated[str, Form(alias=CSRF_FIELD)] = "",
) -> Response:
    """Use a sign-in link, confirmed on its page; a session this browser had is ended (it is replaced openly)."""
    check_origin(request)
    if not _login_csrf_ok(request, login_csrf):
        return _signin_page(request, "The sign-in page had expired: open the link again.", status_code=403)
    accounts = accounts_of(request)
    session_id = accounts.redeem_signin_token(token)
    if session_id is None:
        return _signin_page(request, _BAD_LINK, status_code=400)
    accounts.end_session(session_id_of(request))
    principal = accounts.session_principal(session_id)
    if principal is not None:
        accounts.record(username=principal.username, role=principal.role, action="sign in by link", result="ok")
    return _signed_in_response(request, session_id, "/account" if principal and not principal.has_password else "/")


@router.post("/signin")
def signin_submit(
    request: Request,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    login_csrf: Annotated[str, Form(alias=CSRF_FIELD)] = "",
) -> Response:
    """Sign in with a name and password (a login-CSRF token guards against signing someone into our account)."""
    check_origin(request)
    if not _login_csrf_ok(request, login_csrf):
        return _signin_page(request, "The sign-in form had expired. Try again.", status_code=403)
    accounts = accounts_of(request)
    client = request.client.host if request.client else "-"
    try:
        session_id = accounts.sign_in_with_password(username, password, client=client)
    except SignInDeferred as deferred:
        answer = _signin_page(request, deferred.message, status_code=deferred.status)
        answer.headers["Retry-After"] = str(deferred.retry_after)
        return answer
    if session_id is None:  # (audited by sign_in_with_password, one row per name and address per window)
        return _signin_page(request, "Wrong user name or password.", status_code=401)
    accounts.end_session(session_id_of(request))
    principal = accounts.session_principal(session_id)
    if principal is not None:
        accounts.record(username=principal.username, role=principal.role, action="sign in", result="ok")
    return _signed_in_response(request, session_id, "/")


@router.post("/signout")
def signout(request: Request, principal: Annotated[Principal, Depends(require("viewer"))]) -> Response:
    accounts_of(request).end_session(session_id_of(request))
    audit(request, principal, "sign out", result="ok")
    response = RedirectResponse("/signin", status_code=303)
    response.delete_cookie(session_cookie_name(request), path="/")
    return response


@router.get("/account", response_class=HTMLResponse)
def account_page(request: Request, principal: Annotated[Principal, Depends(require("viewer"))]) -> Response:
    return render(request, "account.html", principal, message="", error="")


@router.post("/account/password", response_class=HTMLResponse)
def set_own_password(
    request: Request,
    principal: Annotated[Principal, Depends(require("viewer"))],
    password: Annotated[str, Form()],
    confirm: Annotated[str, Form()],
    current: Annotated[str, Form()] = "",
) -> Response:
    """Set or change your password: the current one is needed when you have one; your other sessions end."""
    accounts = accounts_of(request)
    error = ""
    new_session = ""
    if password != confirm:
        error = "The two passwords differ: type the same password twice."
    else:
        try:
            new_session = accounts.change_own_password(
                session_id_of(request) or "",
                current,
                password,
                client=request.client.host if request.client else "-",
            )
        except AccountError as problem:
            error = str(problem)
        except SignInDeferred as deferred:
            error = deferred.message
    audit(request, principal, "set own password", result="error" if error else "ok", message=error)
    principal = accounts.session_principal(new_session or session_id_of(request)) or principal
    response = render(
        request,
        "account.html",
        principal,
        status_code=400 if error else 200,
        message="" if error else "Your password is set. Your other sessions were signed out.",
        error=error,
    )
    if new_session:
        _set_session_cookie(request, response, new_session)
    return response


def _users_page(
    request: Request, principal: Principal, *, message: str = "", error: str = "", link: str = "", status: int = 200
) -> Response:
    users = accounts_of(request).list_users()
    return render(
        request,
        "users.html",
        principal,
        status_code=status,
        users=users,
        roles=ROLES,
        message=message,
        error=error,
        link=link,
    )


@router.get("/users", response_class=HTMLResponse)
def users_page(request: Request, principal: Annotated[Principal, Depends(require("admin"))]) -> Response:
    return _users_page(request, principal)


@router.post("/users", response_class=HTMLResponse)
def add_user(
    request: Request,
    principal: Annotated[Principal, Depends(require("admin"))],
    username: Annotated[str, Form()],
    role: Annotated[str, Form()],
    password: Annotated[str, Form()] = "",
) -> Response:
    detail = {"username": username, "role": role, "password_given": bool(password)}
    try:
        accounts_of(request).create_user(username.strip(), role, password or None)
    except AccountError as problem:
        audit(request, principal, "add user", target=username, detail=detail, result="error", message=str(problem))
        return _users_page(request, principal, error=str(problem), status=400)
    audit(request, principal, "add user", target=username, detail=detail, result="ok")
    return _users_page(request, principal, message=f"User {username} added as {role}.")


# What each role may do, in the words of the Users page (for the confirm page of a role change).
_ROLE_POWERS = {
    "viewer": "reads everything",
    "operator": "reads, edits records and runs jobs",
    "admin": "reads, edits, runs jobs and manages users",
}


def _current_user(request: Request, username: str) -> UserSummary | None:
    return next((user for user in accounts_of(request).list_users() if user.username == username), None)


def _confirm_page(
    request: Request, principal: Principal, preview: Preview, action: str, fields: dict[str, str]
) -> Response:
    """The page that asks before a users-page change; the change itself waits for its form's token."""
    return render(request, "confirm.html", principal, preview=preview, action=action, fields=fields, back="/users",
                  confirmation=preview.token(principal))  # fmt: skip


def role_change_preview(user: UserSummary, role: str) -> Preview:
    """Changing a role: what the user could do, and will be able to do."""
    lines = [
        f"{user.username} is {user.role} now: {_ROLE_POWERS.get(user.role, user.role)}.",
        f"As {role}, {user.username} {_ROLE_POWERS.get(role, role)}.",
        "The change applies at the user's next request.",
    ]
    return Preview(action="change role", subject=user.username, title=f"Make {user.username} {role}",
                   facts={"user": user.username, "from": user.role, "to": role}, lines=lines,
                   confirm_label=f"Make {user.username} {role}")  # fmt: skip


def disable_preview(user: UserSummary) -> Preview:
    """Disabling a user: signed out at once, no sign-in until enabled."""
    lines = [
        f"{user.username} ({user.role}) is signed out of every session at once.",
        f"{user.username} cannot sign in (password or link) until an admin enables the account again.",
        "Jobs the user started keep running; the audit log keeps their changes.",
    ]
    return Preview(action="disable user", subject=user.username, title=f"Disable {user.username}",
                   facts={"user": user.username, "disabled": True}, lines=lines,
                   confirm_label=f"Disable {user.username}")  # fmt: skip


@router.post("/users/{username}/role", response_class=HTMLResponse)
async def change_role(
    request: Request,
    username: str,
    principal: Annotated[Principal, Depends(require("admin"))],
    role: Annotated[str, Form()],
) -> Response:
    """Change a user's role, once confirmed on the page this POST shows without a token (or a stale one)."""
    user = await run_in_threadpool(_current_user, request, username)
    if user is not None and user.role != role and role in ROLES:
        preview = role_change_preview(user, role)
        if not is_confirmed(preview, principal, await given_token(request)):
            return _confirm_page(request, principal, preview, str(request.url.path), {"role": role})
    return await run_in_threadpool(_set_role, request, username, principal, role)


def _set_role(request: Request, username: str, principal: Principal, role: str) -> Response:
    accounts = accounts_of(request)
    before = next((user.role for user in accounts.list_users() if user.username == username), None)
    try:
        accounts.set_role(username, role)
    except AccountError as problem:
        audit(request, principal, "change role", target=username, detail={"role": role}, result="error",
              message=str(problem))  # fmt: skip
        return _users_page(request, principal, error=str(problem), status=400)
    detail = {"role": role, "changes": [{"field": "role", "before": before, "after": role}]}  # shown before → after
    audit(request, principal, "change role", target=username, detail=detail, result="ok")
    return _users_page(request, principal, message=f"{username} is now {role} (was {before}).")


@router.post("/users/{username}/disabled", response_class=HTMLResponse)
async def change_disabled(
    request: Request,
    username: str,
    principal: Annotated[Principal, Depends(require("admin"))],
    disabled: Annotated[str, Form()],
) -> Response:
    """Disable (once confirmed on the page this POST shows without a token) or enable a user."""
    flag = disabled == "true"
    user = await run_in_threadpool(_current_user, request, username)
    if flag and user is not None and not user.disabled:
        preview = disable_preview(user)
        if not is_confirmed(preview, principal, await given_token(request)):
            return _confirm_page(request, principal, preview, str(request.url.path), {"disabled": "true"})
    return await run_in_threadpool(_set_disabled, request, username, principal, flag)


def _set_disabled(request: Request, username: str, principal: Principal, flag: bool) -> Response:
    try:
        accounts_of(request).set_disabled(username, flag)
    except AccountError as problem:
        audit(request, principal, "disable user" if flag else "enable user", target=username, result="error",
              message=str(problem))  # fmt: skip
        return _users_page(request, principal, error=str(problem), status=400)
    audit(request, principal, "disable user" if flag else "enable user", target=username, result="ok")
    return _users_page(request, principal, message=f"{username} is now {'disabled' if flag else 'enabled'}.")


@router.post("/users/{username}/signin-link", response_class=HTMLResponse)
def issue_link(request: Request, username: str, principal: Annotated[Principal, Depends(require("admin"))]) -> Response:
    try:
        token = accounts_of(request).issue_signin_token(username)
    except AccountError as problem:
        audit(request, principal, "issue sign-in link", target=username, result="error", message=str(problem))
        return _users_page(request, principal, error=str(problem), status=400)
    audit(request, principal, "issue sign-in link", target=username, result="ok")
    link = _signin_link(request, token)
    return _users_page(request, principal, message=f"A one-time sign-in link for {username}:", link=link)


def _signin_link(request: Request, token: str) -> str:
    """The link on the console's configured address (``cwdesk console`` sets it), not the request's ``Host``."""
    base = getattr(request.app.state, "public_base", None)
    if base:
        return f"{base}/signin?token={token}"
    return str(request.url_for("signin_form").include_query_params(token=token))


@router.get("/settings", response_class=HTMLResponse)
def settings_page(request: Request, principal: Annotated[Principal, Depends(require("viewer"))]) -> Response:
    """The connection as the server holds it: keys and passwords masked, never sent to the browser."""
    connections = connections_of(request)
    summaries = [connections.manage_info]
    if connections.automate_info is not None:
        summaries.append(connections.automate_info)
    return render(request, "settings.html", principal, summaries=summaries)


AUDIT_PAGE_SIZE = 200


def _day(value: str, name: str) -> date | None:
    """A ``YYYY-MM-DD`` filter value as a date (empty: no filter); a clear ValueError otherwise."""
    text = value.strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{name} {text!r} is not a date: write it as YYYY-MM-DD, e.g. 2026-12-01.") from None


@router.get("/audit", response_class=HTMLResponse)
def audit_page(
    request: Request,
    principal: Annotated[Principal, Depends(require("operator"))],
    offset: int = 0,
    user: str = "",
    action: str = "",
    since: str = "",
    until: str = "",
) -> Response:
    """Every change, newest first, filtered on the server by user, action and day (``since``..``until``, UTC,
    both days included); the filters stay in the address, so a filtered view can be shared and paged."""
    offset = max(offset, 0)
    choices = audit_choices(request.app.state.engine)
    asked = {"user": user.strip(), "action": action.strip(), "since": since.strip(), "until": until.strip()}
    pager = {key: value for key, value in asked.items() if value}
    try:
        first, last = _day(since, "From"), _day(until, "To")
        if first and last and last < first:
            raise ValueError(f"To ({last}) is before From ({first}): swap them.")
    except ValueError as problem:
        return render(request, "audit.html", principal, status_code=400, entries=[], offset=0, asked=asked,
                      pager=pager, choices=choices, error=str(problem), page_size=AUDIT_PAGE_SIZE)  # fmt: skip
    where = AuditFilter(
        username=asked["user"] or None,
        action=asked["action"] or None,
        since=datetime.combine(first, time.min, UTC) if first else None,
        until=datetime.combine(last + timedelta(days=1), time.min, UTC) if last else None,
    )
    entries = accounts_of(request).audit_entries(where, limit=AUDIT_PAGE_SIZE, offset=offset)
    return render(request, "audit.html", principal, entries=entries, offset=offset, asked=asked, pager=pager,
                  choices=choices, error="", page_size=AUDIT_PAGE_SIZE)  # fmt: skip
