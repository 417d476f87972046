"""cwdesk: client management for MSPs on ConnectWise Manage and Automate.

The SDK's public names are re-exported here (``from cwdesk import ManageClient, AutomateClient, C, NotFoundError``);
see docs/sdk.md. The exceptions live in ``cwdesk.errors`` and name themselves ``cwdesk.<Name>`` in tracebacks.
Each name is imported when first used, so ``import cwdesk`` stays light (no HTTP client, models or store).
Not for: anything beyond re-exports (each name lives in its own module).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cwdesk._lazy import lazy_exports
from cwdesk._version import __version__

if TYPE_CHECKING:
    from cwdesk._http.retry import RetryPolicy
    from cwdesk._http.throttle import Throttle, throttle_for
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

# Each public name and the module it lives in. They are imported on first use (``cwdesk/_lazy.py``, PEP 562), so
# ``import cwdesk`` (and so every ``cwdesk`` command) does not pay for the HTTP client and every model it may not use.
_HOMES: dict[str, str] = {
    "RetryPolicy": "cwdesk._http.retry",
    "Throttle": "cwdesk._http.throttle",
    "throttle_for": "cwdesk._http.throttle",
    "AsyncAutomateClient": "cwdesk.automate.client",
    "AutomateClient": "cwdesk.automate.client",
    "AutomateCredentials": "cwdesk.automate.credentials",
    "ManageCredentials": "cwdesk.config",
    "AsyncManageClient": "cwdesk.manage.client",
    "ManageClient": "cwdesk.manage.client",
    # (the errors first: ``ConditionSyntaxError`` ends in "Error" too, but lives in cwdesk.conditions)
    **{name: "cwdesk.errors" for name in __all__ if name[0].isupper() and name.endswith("Error")},
    **dict.fromkeys(["C", "Condition", "ConditionSyntaxError", "Raw", "parse", "render"], "cwdesk.conditions"),
}


__getattr__, __dir__ = lazy_exports(__name__, _HOMES, __all__)
