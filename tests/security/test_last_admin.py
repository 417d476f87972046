"""Issue 14, finding 6: two admins demoting (or disabling) each other at the same moment cannot leave no active
admin, on SQLite and on PostgreSQL; and ``cwdesk console --new-signin-link`` brings an admin back.

The race is made deterministic: the first demotion is held just before its UPDATE is sent (a SQLAlchemy
``before_cursor_execute`` hook) while the second one runs; the old check-then-update code let both through.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from cwdesk.console.security import AccountError, Accounts
from cwdesk.store import open_database
from cwdesk.store.accounts import console_sessions, console_signin_tokens
from tests.loopback import free_port
from tests.postgres.conftest import postgres_database  # noqa: F401  (fixture)
from tests.store.conftest import postgres_url  # noqa: F401  (fixture)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sa.Engine]:
    url = (
        f"sqlite:///{tmp_path / 'c.db'}" if request.param == "sqlite" else request.getfixturevalue("postgres_database")
    )
    db = open_database(url)
    yield db
    db.dispose()


def _active_admins(engine: sa.Engine) -> list[str]:
    return [u.username for u in Accounts(engine).list_users() if u.role == "admin" and not u.disabled]


def _race(engine: sa.Engine, first: Any, second: Any) -> list[BaseException | None]:
    """Run ``first`` and ``second`` so that ``second`` runs while ``first`` is held just before its UPDATE."""
    held = threading.Event()
    go = threading.Event()
    owner: dict[str, int] = {}

    def hold_first_update(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if (
            statement.lstrip().upper().startswith("UPDATE CONSOLE_USERS")
            and owner.get("first") == threading.get_ident()
        ):
            owner.pop("first")
            held.set()
            go.wait(2)  # on PostgreSQL the second change waits on the first's row locks: it cannot finish first

    sa.event.listen(engine, "before_cursor_execute", hold_first_update)
    results: list[BaseException | None] = [None, None]

    def run(index: int, action: Any) -> None:
        if index == 0:
            owner["first"] = threading.get_ident()
        try:
            action()
        except BaseException as problem:
            results[index] = problem
        finally:
            if index == 1:
                go.set()

    try:
        one = threading.Thread(target=run, args=(0, first))
        one.start()
        assert held.wait(10), "the first change never reached its UPDATE"
        two = threading.Thread(target=run, args=(1, second))
        two.start()
        two.join(20)
        go.set()
        one.join(20)
    finally:
        sa.event.remove(engine, "before_cursor_execute", hold_first_update)
    return results


@pytest.mark.parametrize("change", ["demote", "disable"])
def test_two_simultaneous_demotions_leave_one_admin(engine: sa.Engine, change: str) -> None:
    accounts = Accounts(engine)
    accounts.create_user("ann", "admin", None)
    accounts.create_user("bob", "admin", None)

    def remove(name: str) -> Any:
        if change == "demote":
            return lambda: accounts.set_role(name, "operator")
        return lambda: accounts.set_disabled(name, True)

    results = _race(engine, remove("ann"), remove("bob"))
    assert _active_admins(engine) in (["ann"], ["bob"])
    refused = [r for r in results if r is not None]
    assert len(refused) == 1 and isinstance(refused[0], AccountError), results
    assert "last active admin" in str(refused[0])


def test_the_last_admin_cannot_be_demoted_or_disabled(engine: sa.Engine) -> None:
    accounts = Accounts(engine)
    accounts.create_user("solo", "admin", None)
    accounts.create_user("op", "operator", None)
    with pytest.raises(AccountError, match="last active admin"):
        accounts.set_role("solo", "viewer")
    with pytest.raises(AccountError, match="last active admin"):
        accounts.set_disabled("solo", True)
    accounts.set_role("op", "viewer")  # other users change as before
    assert _active_admins(engine) == ["solo"]


def test_new_signin_link_makes_admin_an_active_admin_again(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    engine = open_database(f"sqlite:///{home / 'cwdesk.db'}")
    accounts = Accounts(engine)
    accounts.ensure_first_admin()
    accounts.create_user("ops", "admin", None)
    accounts.set_role("admin", "operator")
    accounts.set_disabled("admin", True)
    with engine.begin() as conn:  # the state the issue reached: no active admin at all
        conn.execute(sa.text("UPDATE console_users SET role = 'viewer' WHERE username = 'ops'"))
    assert _active_admins(engine) == []
    engine.dispose()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CWM_", "CWA_", "CWDESK_"))}
    process = subprocess.Popen(
        [sys.executable, "-m", "cwdesk", "console", "--demo", "--port", str(port), "--new-signin-link"],
        env={**env, "CWDESK_HOME": str(home)}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        lines = []
        for line in process.stdout:
            lines.append(line)
            if "/signin?token=" in line:
                break
        token = re.search(r"/signin\?token=(\S+)", "".join(lines))
        assert token, "".join(lines)
    finally:
        process.terminate()
        process.wait(15)
    engine = open_database(f"sqlite:///{home / 'cwdesk.db'}")
    accounts = Accounts(engine)
    assert _active_admins(engine) == ["admin"]
    session = accounts.redeem_signin_token(token.group(1))
    principal = accounts.session_principal(session)
    assert principal is not None and principal.role == "admin"
    engine.dispose()


def test_a_new_signin_link_revokes_the_older_unused_ones(engine: sa.Engine) -> None:
    accounts = Accounts(engine)
    accounts.create_user("lee", "viewer", None)
    old = accounts.issue_signin_token("lee")
    new = accounts.issue_signin_token("lee")
    assert accounts.redeem_signin_token(old) is None
    assert accounts.redeem_signin_token(new) is not None


def test_expired_sessions_and_links_are_purged(engine: sa.Engine) -> None:
    now = [datetime(2026, 1, 1, tzinfo=UTC)]
    accounts = Accounts(engine, clock=lambda: now[0])
    accounts.create_user("old", "viewer", None)
    accounts.start_session(accounts._user_id("old"))
    accounts.issue_signin_token("old")
    accounts.create_user("other", "viewer", None)
    now[0] += timedelta(days=3)  # past SESSION_HOURS and SIGNIN_LINK_HOURS
    accounts.start_session(accounts._user_id("other"))
    accounts.issue_signin_token("other")
    with engine.connect() as conn:
        sessions = conn.execute(sa.select(sa.func.count()).select_from(console_sessions)).scalar_one()
        links = conn.execute(sa.select(sa.func.count()).select_from(console_signin_tokens)).scalar_one()
    assert (sessions, links) == (1, 1)
