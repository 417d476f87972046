"""cwdesk: client management for MSPs on ConnectWise Manage and Automate.

The SDK's public names are re-exported here (``from cwdesk import ManageClient, C``); see docs/sdk.md.
Not for: anything beyond re-exports (each name lives in its own module).
"""

from __future__ import annotations

__version__ = "0.1.0"

from cwdesk._http.errors import (
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
from cwdesk._http.retry import RetryPolicy
from cwdesk._http.throttle import Throttle, throttle_for
from cwdesk.conditions import C, Condition, ConditionSyntaxError, Raw, parse, render
from cwdesk.config import ManageCredentials
from cwdesk.manage.client import AsyncManageClient, ManageClient

__all__ = [
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AsyncManageClient",
    "AuthenticationError",
    "BadRequestError",
    "C",
    "CWDeskError",
    "Condition",
    "ConditionError",
    "ConditionSyntaxError",
    "ConfigurationError",
    "ConflictError",
    "FieldError",
    "InvalidObjectError",
    "ManageClient",
    "ManageCredentials",
    "NotFoundError",
    "PermissionDeniedError",
    "QueryTooLongError",
    "RateLimitError",
    "Raw",
    "RetryPolicy",
    "ServerError",
    "Throttle",
    "UnexpectedResponseError",
    "__version__",
    "parse",
    "render",
    "throttle_for",
]
