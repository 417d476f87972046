"""The exception tree every cwdesk caller catches: ``from cwdesk import NotFoundError`` (or ``cwdesk.errors``).

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

Workflow errors join the tree as well: ``cwdesk.workflows.jobs.JobError`` and ``StepFailed`` are ``CWDeskError``s,
and ``cwdesk.conditions.ConditionSyntaxError`` is a ``ConfigurationError`` (and still a ``ValueError``).

Every class reports itself as ``cwdesk.<Name>`` (``__module__``), the name it is imported by, so a traceback reads
``cwdesk.NotFoundError: 404 ...``. Which status and ConnectWise code become which class is decided in one private
place, ``cwdesk._http.errors.error_from_response``.
Not for: building these from HTTP answers (``_http/errors.py``) or deciding whether to retry (``_http/retry.py``).
No secret ever enters these messages: they are built from status, body and a redacted URL only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

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
]


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


# Tracebacks and reprs name the public import path (``cwdesk.NotFoundError``), not this module.
for _name in __all__:
    globals()[_name].__module__ = "cwdesk"
del _name
