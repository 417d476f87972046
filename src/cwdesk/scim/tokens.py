"""The SCIM bridge's bearer tokens: the app's one token store (``cwdesk.store.tokens``), purpose ``scim``.

``token_check(engine)`` is the ``verify`` the server takes: a secret in, the token's name out (``None`` for a
missing, unknown, revoked or non-SCIM token: one answer for all, so a caller learns nothing about which).
Not for: making or revoking tokens (``cwdesk scim token ...``, ``cwdesk tokens ...``).
"""

from __future__ import annotations

import sqlalchemy as sa

from cwdesk.scim.server import TokenCheck
from cwdesk.store.tokens import Tokens

__all__ = ["PURPOSE", "token_check"]

PURPOSE = "scim"


def token_check(engine: sa.Engine) -> TokenCheck:
    """``verify(secret) -> name`` on the app's token store."""
    tokens = Tokens(engine)

    def verify(secret: str | None) -> str | None:
        info = tokens.verify(secret, PURPOSE)
        return None if info is None else info.name

    return verify
