"""From an HTTP error answer to the exception that says what went wrong: the ONE mapping rule, kept private.

``error_from_response`` picks the class of the public tree (``cwdesk.errors``, re-exported here so existing
imports of ``cwdesk._http.errors`` keep working) by status, then by ConnectWise ``code``:
400 ``InvalidObject`` -> ``InvalidObjectError``, 400 ``ApiFindCondition`` -> ``ConditionError``, 400/401/403/404/
409/429 by status, 5xx -> ``ServerError``. ``redact_url`` strips user info and secret-looking query values.

Error bodies understood: ConnectWise Manage's ``{"code", "message", "errors": [{code, message, resource, field,
details}]}`` and Automate's ``{"Message", "MessageDetail"/"ModelState"}`` shapes; anything else becomes the text.

Not for: the exception classes (``cwdesk.errors``), deciding whether to retry (``retry.py``) or sending requests
(``core.py``). No secret ever enters these messages: they are built from status, body and a redacted URL only.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx

from cwdesk.errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConditionError,
    ConfigurationError,
    ConflictError,
    CWDeskError,
    FieldError,
    InvalidObjectError,
    NotFoundError,
    PermissionDeniedError,
    QueryTooLongError,
    RateLimitError,
    ServerError,
    UnexpectedResponseError,
)

__all__ = [
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "CWDeskError",
    "ConditionError",
    "ConfigurationError",
    "ConflictError",
    "FieldError",
    "InvalidObjectError",
    "NotFoundError",
    "PermissionDeniedError",
    "QueryTooLongError",
    "RateLimitError",
    "ServerError",
    "UnexpectedResponseError",
    "error_from_response",
    "redact_url",
]

# Query parameter names whose values are never shown (lower-cased substring match).
_SECRET_PARAM_HINTS = ("key", "password", "secret", "token", "passcode", "auth", "signature")

# Request-id headers seen on ConnectWise and common proxies, first match wins.
_REQUEST_ID_HEADERS = ("x-request-id", "x-correlation-id", "request-id", "x-amzn-requestid", "x-cw-request-id")


_BY_STATUS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    429: RateLimitError,
}

_BY_CODE: dict[tuple[int, str], type[APIStatusError]] = {
    (400, "invalidobject"): InvalidObjectError,
    (400, "apifindcondition"): ConditionError,
}

_DEFAULT_UNAUTHORIZED_HINT = "the credentials were refused: check them and that the API user is active"


def redact_url(url: str | httpx.URL) -> str:
    """The URL with user info removed and secret-looking query values replaced by ``***``."""
    parts = urlsplit(str(url))
    netloc = parts.hostname or ""
    if parts.port:
        netloc = f"{netloc}:{parts.port}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        query = urlencode(
            [(k, "***" if any(h in k.lower() for h in _SECRET_PARAM_HINTS) else v) for k, v in pairs],
            safe="/,()[]:*",
        )
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def _field_errors(raw: Any) -> tuple[FieldError, ...]:
    if not isinstance(raw, list):
        return ()
    found = []
    for item in raw:
        if isinstance(item, dict):
            found.append(
                FieldError(
                    code=str(item.get("code") or ""),
                    message=str(item.get("message") or ""),
                    resource=str(item.get("resource") or ""),
                    field=str(item.get("field") or ""),
                    details=str(item.get("details") or ""),
                )
            )
    return tuple(found)


def _automate_model_state(raw: Any) -> tuple[FieldError, ...]:
    if not isinstance(raw, dict):
        return ()
    return tuple(
        FieldError(field=str(name), message="; ".join(str(m) for m in (msgs if isinstance(msgs, list) else [msgs])))
        for name, msgs in raw.items()
    )


def _request_id(headers: httpx.Headers) -> str | None:
    for name in _REQUEST_ID_HEADERS:
        value = headers.get(name)
        if value:
            return str(value)
    return None


def error_from_response(
    response: httpx.Response,
    *,
    unauthorized_hint: str | None = None,
) -> APIStatusError:
    """Map an error answer to its exception: by status, then by ConnectWise ``code``. The one mapping rule.

    ``unauthorized_hint`` is appended to a 401's message (each API client names its own usual causes).
    """
    status = response.status_code
    body: Any = None
    text = ""
    try:
        text = response.text
    except (httpx.ResponseNotRead, UnicodeDecodeError):
        text = ""
    if text:
        try:
            body = json.loads(text)
        except ValueError:
            body = None
    code = ""
    message = ""
    errors: tuple[FieldError, ...] = ()
    if isinstance(body, dict):
        code = str(body.get("code") or body.get("Code") or "")
        message = str(body.get("message") or body.get("Message") or "")
        errors = _field_errors(body.get("errors")) or _automate_model_state(body.get("ModelState"))
        detail = body.get("MessageDetail")
        if detail and not message:
            message = str(detail)
    elif isinstance(body, str):
        message = body
    if not message:
        message = text.strip()[:500] if text.strip() else (response.reason_phrase or "error")
    if status == 401:
        message = f"{message} — {unauthorized_hint or _DEFAULT_UNAUTHORIZED_HINT}"
    cls = _BY_CODE.get((status, code.lower())) or _BY_STATUS.get(status)
    if cls is None:
        cls = ServerError if status >= 500 else (BadRequestError if status == 400 else APIStatusError)
    request: httpx.Request | None
    try:
        request = response.request
    except RuntimeError:  # a Response built by hand (tests) has no request
        request = None
    return cls(
        message,
        status_code=status,
        code=code,
        errors=errors,
        request_id=_request_id(response.headers),
        method=request.method if request is not None else "",
        url=redact_url(request.url) if request is not None else "",
        body=body if body is not None else (text or None),
    )
