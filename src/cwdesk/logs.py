"""Structured logs for cwdesk: one setup for the CLI and the console, JSON on request, secrets always redacted.

``configure_logging(log_format="json")`` writes one JSON object per line (time, level, logger, message and any
``extra={...}`` fields a caller attached, such as ``job_id`` or ``kind``); ``"text"`` writes a short human line.
Every handler installed here carries ``RedactSecrets``, a filter that removes credentials from the message, its
arguments and its extra fields before anything is formatted: values registered with ``register_secret`` (a
profile's private key, a password, a callback signing key), ``Authorization`` header values, and
``key=value`` / ``"key": "value"`` pairs whose key names a secret.

Not for: choosing what to log (each module logs through ``logging.getLogger(__name__)``), metrics storage (the
store keeps run records) or printing command results (``cli/output.py``).
"""

from __future__ import annotations

import enum
import json
import logging
import re
import sys
import threading
from datetime import UTC, datetime
from typing import Any, TextIO

REDACTED = "***"

# Keys whose values are secrets wherever they show up in a message (JSON bodies, query strings, reprs).
_SECRET_KEYS = (
    r"private[_-]?key|privatekey|password|passwd|secret|token|access[_-]?token|accesstoken|signing[_-]?key"
    r"|api[_-]?key|two[_-]?factor[_-]?passcode|passcode"
)
_KEY_VALUE = re.compile(
    rf"""(?P<key>["']?\b(?:{_SECRET_KEYS})\b["']?\s*[:=]\s*)(?P<quote>["']?)(?P<value>[^"'\s,;&}}]+)""",
    re.IGNORECASE,
)
_AUTH_HEADER = re.compile(r"(?P<scheme>\b(?:Basic|Bearer)\s+)(?P<value>[A-Za-z0-9+/=._~-]{8,})", re.IGNORECASE)

# The attributes every LogRecord has; anything else came from ``extra=`` and is emitted as a field.
_STANDARD_ATTRIBUTES = frozenset(
    vars(logging.LogRecord("x", logging.INFO, "x", 0, "x", None, None)).keys() | {"message", "asctime"}
)

_secrets: set[str] = set()
_secrets_lock = threading.Lock()


class LogFormat(enum.StrEnum):
    """How log lines look (``--log-format``)."""

    text = "text"
    json = "json"


def register_secret(value: str | None) -> None:
    """Never let ``value`` appear in a log line again (short values are ignored: they would mask ordinary words)."""
    if value and len(value) >= 4:
        with _secrets_lock:
            _secrets.add(value)


def redact(text: str) -> str:
    """``text`` with every registered secret, authorization value and secret-named pair replaced by ``***``."""
    with _secrets_lock:
        known = sorted(_secrets, key=len, reverse=True)
    for secret in known:
        if secret in text:
            text = text.replace(secret, REDACTED)
    text = _AUTH_HEADER.sub(lambda m: m.group("scheme") + REDACTED, text)
    return _KEY_VALUE.sub(lambda m: m.group("key") + m.group("quote") + REDACTED, text)


def _redact_value(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: REDACTED if _is_secret_key(str(k)) else _redact_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_redact_value(v) for v in value)
    return value


def _is_secret_key(key: str) -> bool:
    return re.fullmatch(rf"(?:{_SECRET_KEYS})", key.replace("-", "_"), re.IGNORECASE) is not None


class RedactSecrets(logging.Filter):
    """Rewrites a record so that no secret survives into any handler's output."""

    def filter(self, record: logging.LogRecord) -> bool:
        # Render the message once with its arguments, then redact the result: a secret passed as an argument
        # ("key=%s") is caught as well as one inside the format string.
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not lose the line
            message = str(record.msg)
        record.msg = redact(message)
        record.args = None
        # uvicorn attaches a coloured copy of its message (the request line, query included): drop it, the
        # redacted message says the same.
        record.__dict__.pop("color_message", None)
        for key, value in list(vars(record).items()):
            if key in _STANDARD_ATTRIBUTES:
                continue
            record.__dict__[key] = REDACTED if _is_secret_key(key) else _redact_value(value)
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ``ts``, ``level``, ``logger``, ``message``, extra fields, ``exception``."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRIBUTES and not key.startswith("_"):
                entry[key] = value
        if record.exc_text:
            entry["exception"] = record.exc_text
        elif record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """A short human line, extra fields appended as ``key=value``."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s", "%H:%M:%S")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        extras = [
            f"{key}={value}"
            for key, value in vars(record).items()
            if key not in _STANDARD_ATTRIBUTES and not key.startswith("_")
        ]
        return f"{line} {' '.join(extras)}" if extras else line


class _CwdeskHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Marks the handler this module installed, so configuring twice replaces it instead of doubling lines."""


def configure_logging(
    *, log_format: LogFormat | str = LogFormat.text, level: str | int = "WARNING", stream: TextIO | None = None
) -> logging.Handler:
    """Send cwdesk's logs (and the libraries' warnings) to ``stream`` (stderr) in ``log_format``, redacted."""
    fmt = LogFormat(log_format)
    numeric = logging.getLevelName(level.upper()) if isinstance(level, str) else level
    if not isinstance(numeric, int):
        raise ValueError(f"Unknown log level {level!r}: use debug, info, warning or error.")
    root = logging.getLogger()
    for existing in list(root.handlers):
        if isinstance(existing, _CwdeskHandler):
            root.removeHandler(existing)
    handler = _CwdeskHandler(stream if stream is not None else sys.stderr)
    handler.addFilter(RedactSecrets())
    handler.setFormatter(JsonFormatter() if fmt is LogFormat.json else TextFormatter())
    root.addHandler(handler)
    root.setLevel(numeric)
    # httpx logs every request at INFO; keep it to warnings unless the user asked for debug.
    logging.getLogger("httpx").setLevel(logging.DEBUG if numeric <= logging.DEBUG else logging.WARNING)
    return handler
