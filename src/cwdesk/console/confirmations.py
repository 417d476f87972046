"""Confirmations: a destructive or bulk console action runs only with the token its preview handed out.

Every such action has two halves. The preview (a page, a dialog, or ``POST /bulk/preview``) works out from the
current data what the action will do and hands the browser a *confirmation token*; the action itself works it
out again and runs only when the token matches. The token is an HMAC, keyed by the session's own CSRF secret, of
the action, its subject and a digest of the preview's facts, so:

- a POST without the token is refused (400) and changes nothing: a missing ``confirm()`` in the browser, a script
  or a replayed request cannot skip the preview;
- a POST whose token was made for other facts (the data changed since the preview: a contact edited, a job moved
  on) is refused (409) with the new preview, and nothing runs: what runs is exactly what was shown;
- a token is good only in the session it was shown in (another user's, or a signed-out session's, never matches).

Not for: who may act (``security.require``), what the actions do (the workflows).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

from cwdesk.console.security import Principal

#: The form field / JSON member that carries the token.
CONFIRMATION_FIELD = "confirmation"


@dataclass(frozen=True)
class Preview:
    """What an action will do, in the user's words, and the facts its token vouches for.

    ``facts`` is what the action checks again on confirm (ids, before-values, states): JSON-serialisable, and the
    same facts give the same token. ``lines`` and ``title`` are only shown.
    """

    action: str
    subject: str
    title: str
    facts: Any
    lines: Sequence[str] = field(default_factory=tuple)
    confirm_label: str = "Confirm"

    def digest(self) -> str:
        text = json.dumps(self.facts, sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def token(self, principal: Principal) -> str:
        """The confirmation token for this preview in ``principal``'s session."""
        message = f"{self.action}\x00{self.subject}\x00{self.digest()}".encode()
        return hmac.new(principal.csrf_token.encode("utf-8"), message, hashlib.sha256).hexdigest()

    def as_dict(self, principal: Principal) -> dict[str, Any]:
        """The preview as the browser's confirm dialog shows it, with the token its confirm button sends."""
        return {
            "title": self.title,
            "lines": list(self.lines),
            "confirm_label": self.confirm_label,
            CONFIRMATION_FIELD: self.token(principal),
        }


def is_confirmed(preview: Preview, principal: Principal, given: str | None) -> bool:
    """Whether ``given`` is this preview's token in this session (constant-time)."""
    return bool(given) and hmac.compare_digest(preview.token(principal), str(given))


async def given_token(request: Request) -> str | None:
    """The confirmation token the request carries: a JSON member or a form field (None when absent)."""
    content_type = request.headers.get("content-type") or ""
    if content_type.startswith("application/json"):
        try:
            body = await request.json()
        except ValueError:
            return None
        value = body.get(CONFIRMATION_FIELD) if isinstance(body, dict) else None
    elif content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        value = (await request.form()).get(CONFIRMATION_FIELD)
    else:
        return None
    return value if isinstance(value, str) and value else None


def unconfirmed(
    preview: Preview, principal: Principal, given: str | None, extra: Mapping[str, Any] | None = None
) -> JSONResponse | None:
    """None when ``given`` confirms ``preview``; else the refusal (JSON) that says why, with the preview to confirm
    (and ``extra``, e.g. the bulk panel's records and counts).

    No token: 400 ("nothing changed: confirm first"). A token for other facts: 409 ("changed since the preview").
    """
    if is_confirmed(preview, principal, given):
        return None
    if not given:
        message = f"Nothing changed: {preview.title[:1].lower()}{preview.title[1:]} needs your confirmation first."
        status = 400
    else:
        message = (
            "Nothing changed: the data changed since the preview you confirmed (or the preview is from another "
            "session). Check the new preview and confirm again."
        )
        status = 409
    body = {"ok": False, "message": message, "errors": {}, "needs_confirmation": True,
            "preview": preview.as_dict(principal), **(extra or {})}  # fmt: skip
    return JSONResponse(body, status_code=status)
