"""The audit entry of each Automate write made from the command line, in the console's audit log.

As ``cwdesk tokens`` does (``cli/tokens.py``): ``Accounts(database()).record(...)`` with the OS user as
``cli:<login>`` (``cli/jobs.py`` ``cli_user``) and the role ``cli``, so the console's audit page shows what was
changed from a terminal next to what was changed in the console. ``detail`` is the workflow's result
(``as_dict()``: before -> after, the computers added...). Only writes are recorded: a dry run or a write with
nothing to do is not. The write has happened when this runs, so an audit log that cannot be written is a warning on
stderr, not a failure of the command.

Not for: the console's own audit calls (``console/security.py`` ``audit``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import sqlalchemy as sa

from cwdesk.cli.jobs import cli_user
from cwdesk.cli.output import say
from cwdesk.errors import CWDeskError

__all__ = ["audit_write"]


def audit_write(
    action: str,
    target: str,
    detail: Mapping[str, Any],
    *,
    result: Literal["ok", "error"] = "ok",
    message: str = "",
) -> None:
    """Record one Automate write (``action`` such as "automate client update", ``target`` the record)."""
    # Imported here: only a write needs the app's database and the console's account store.
    from cwdesk.console.security import Accounts
    from cwdesk.store import StoreError, open_database

    try:
        Accounts(open_database()).record(
            username=cli_user(),
            role="cli",
            action=action,
            target=target,
            detail=dict(detail),
            result=result,
            message=message,
        )
    except (CWDeskError, StoreError, sa.exc.SQLAlchemyError, OSError) as error:
        say(f"Warning: the change was made, but the audit log could not be written: {error}", err=True)
