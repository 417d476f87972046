"""cwdesk: client management for MSPs on ConnectWise Manage and Automate.

The SDK's public names are re-exported here (``from cwdesk import ManageClient, AutomateClient, C, NotFoundError``);
see docs/sdk.md. The exceptions live in ``cwdesk.errors`` and name themselves ``cwdesk.<Name>`` in tracebacks.
Not for: anything beyond re-exports (each name lives in its own module).
"""

from __future__ import annotations

from cwdesk._http.retry import RetryPolicy
from cwdesk._http.throttle import Throttle, throttle_for
from cwdesk._version import __version__
from cwdesk.automate.client import AsyncAutomateClient, AutomateClient
from cwdesk.automate.credentials import AutomateCredentials
from cwdesk.conditions import C, Condition, ConditionSyntaxError, Raw, parse, render
from cwdesk.config import ManageCredentials
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
from cwdesk.manage.client import AsyncManageClient, ManageClient

__all__ = [
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AsyncAutomateClient",
    "AsyncManageClient",
    "AuthenticationError",
    "AutomateClient",
    "AutomateCredentials",
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
