"""How a change's result is told to the browser: ``{ok, message, errors: {field: message}}`` as JSON.

One place maps cwdesk's exceptions to that shape: the workflows' ``InvalidInput`` (every problem, by field, found
before anything was sent), the SDK's ``APIStatusError`` (ConnectWise's own field-level ``errors[]``), and any other
``CWDeskError`` (a one-line message). The messages are already free of secrets (the SDK redacts them).
Not for: deciding what is valid (``cwdesk.workflows.validation``).
"""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse

from cwdesk.errors import APIStatusError, ConfigurationError, CWDeskError
from cwdesk.workflows.validation import InvalidInput


def ok(message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"ok": True, "message": message, "errors": {}, **extra})


def refused(message: str, *, status_code: int = 400, errors: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"ok": False, "message": message, "errors": errors or {}}, status_code=status_code)


def _field_of(item: Any) -> tuple[str, str]:
    if isinstance(item, dict):
        return str(item.get("field") or ""), str(item.get("message") or item.get("code") or "")
    return str(getattr(item, "field", "") or ""), str(getattr(item, "message", "") or getattr(item, "code", "") or "")


def failure(error: BaseException) -> JSONResponse:
    """The answer for a failed change: 400 for bad input, 502 when ConnectWise failed, with field-level errors."""
    if isinstance(error, InvalidInput):
        errors = {problem.field: problem.message for problem in error.problems}
        count = len(errors)
        message = f"{count} problem{'s' if count != 1 else ''} to fix; nothing was sent to ConnectWise."
        return refused(message, errors=errors)
    if isinstance(error, APIStatusError):
        errors = {}
        for item in getattr(error, "errors", None) or []:
            field, text = _field_of(item)
            if field:
                errors[field] = text
        status = 400 if 400 <= error.status_code < 500 else 502
        return refused(f"ConnectWise refused the change: {error.message or error}", status_code=status, errors=errors)
    if isinstance(error, CWDeskError):
        return refused(str(error), status_code=400 if isinstance(error, ConfigurationError) else 502)
    raise error
