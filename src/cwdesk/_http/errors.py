"""The exception tree every cwdesk caller catches, and the ONE function that maps an HTTP answer to it.

::

    CWDeskError                     anything cwdesk raises on purpose
    ├── ConfigurationError          bad credentials, options or input; raised before any request is sent
    │   └── QueryTooLongError       a GET whose URL would pass 2,000 characters and has no POST /search form
    ├── APIConnectionError          the server could not be reached or the connection broke (no status code)
    │   └── APITimeoutError         connect/read timed out
    ├── UnexpectedResponseError     a success status whose body is not what the API promises (e.g. not JSON)
    └── APIStatusError              the server answered with a 4xx/5xx status
        ├── BadRequestError         400
        │   ├── InvalidObjectError  400 with code "InvalidObject" (validation: see ``errors``, e.g. ObjectExists)
        │   └── ConditionError      400 with code "ApiFindCondition" (a field in conditions is not recognised)
        ├── AuthenticationError     401 (the message lists the usual causes; a client may pass its own hint)
        ├── PermissionDeniedError   403
        ├── NotFoundError           404
        ├── ConflictError           409
        ├── RateLimitError          429 (after the retry policy gave up)
        └── ServerError             5xx (after the retry policy gave up, or not retryable, e.g. a POST)

Every ``APIStatusError`` carries ``status_code``, ``code`` (the ConnectWise code, e.g. ``"InvalidObject"``),
``message``, ``errors`` (field-level ``FieldError`` list), ``request_id`` (from the response headers, if any),
``method`` and ``url`` — the URL is redacted (no user info, no secret-looking query values).
``APIConnectionError`` carries ``method``, ``url`` and ``request_sent`` (False when the failure happened before
the request could reach the server, so a retry of even a POST is safe).

Error bodies understood: ConnectWise Manage's ``{"code", "message", "errors": [{code, message, resource, field,
details}]}`` and Automate's ``{"Message", "MessageDetail"/"ModelState"}`` shapes; anything else becomes the text.

Not for: deciding whether to retry (``retry.py``) or sending requests (``core.py``).
No secret ever enters these messages: they are built from status, body and a redacted URL only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx

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


class CWDeskError(Exception):
    """Base class of every error cwdesk raises on purpose."""


class ConfigurationError(CWDeskError):
    """Bad credentials, options or input, detected before any request was sent."""


class QueryTooLongError(ConfigurationError):
    """The request URL would pass the server's 2,000-character limit and the endpoint has no POST search form."""


@dataclass(frozen=True)
class FieldError:
    """One field-level problem from a ConnectWise error body (``ValidationError`` in the spec)."""

    code: str = ""
    message: str = ""
    resource: str = ""
    field: str = ""
    details: str = ""

    def __str__(self) -> str:
        where = f"{self.resource}.{self.field}" if self.resource and self.field else (self.field or self.resource)
        head = f"{where}: " if where else ""
        tail = f" ({self.code})" if self.code else ""
        return f"{head}{self.message or self.details}{tail}"


class APIConnectionError(CWDeskError):
    """The server could not be reached, or the connection broke before a full answer arrived."""

    def __init__(self, message: str, *, method: str = "", url: str = "", request_sent: bool = True) -> None:
        super().__init__(message)
        self.message = message
        self.method = method
        self.url = url
        self.request_sent = request_sent


class APITimeoutError(APIConnectionError):
    """The connection or the read timed out."""


class UnexpectedResponseError(CWDeskError):
    """A success status whose body is not what the API promises (e.g. HTML from a proxy instead of JSON)."""


class APIStatusError(CWDeskError):
    """The server answered with an error status. See the module docstring for the attributes."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        code: str = "",
        errors: tuple[FieldError, ...] = (),
        request_id: str | None = None,
        method: str = "",
        url: str = "",
        body: Any = None,
    ) -> None:
        self.status_code = status_code
        self.code = code
        self.message = message
        self.errors = list(errors)
        self.request_id = request_id
        self.method = method
        self.url = url
        self.body = body
        super().__init__(self._one_line())

    def _one_line(self) -> str:
        parts = [f"{self.status_code}"]
        if self.code:
            parts.append(self.code)
        text = f"{' '.join(parts)}: {self.message}"
        if self.errors:
            text += " [" + "; ".join(str(e) for e in self.errors) + "]"
        if self.method or self.url:
            text += f" ({self.method} {self.url})".replace("( ", "(")
        if self.request_id:
            text += f" request id {self.request_id}"
        return text

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status_code={self.status_code}, code={self.code!r}, message={self.message!r})"


class BadRequestError(APIStatusError):
    """400: the server refused the request as malformed or invalid."""


class InvalidObjectError(BadRequestError):
    """400 ``InvalidObject``: the record failed validation; ``errors`` says which fields and why."""


class ConditionError(BadRequestError):
    """400 ``ApiFindCondition``: the conditions name a field the server does not recognise."""


class AuthenticationError(APIStatusError):
    """401: the credentials were refused."""


class PermissionDeniedError(APIStatusError):
    """403: authenticated, but not allowed to do this."""


class NotFoundError(APIStatusError):
    """404: no such record or path."""


class ConflictError(APIStatusError):
    """409: the change conflicts with the record's state (e.g. deleting a record still in use)."""


class RateLimitError(APIStatusError):
    """429: too many requests, still refused after the retry policy's attempts."""


class ServerError(APIStatusError):
    """5xx: the server failed."""


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
