"""Issue 14, finding 1: password guessing is slowed, common passwords are refused, failed sign-ins cannot flood
the audit log, and only a few argon2 checks run at once.

The throttle is tested over real HTTP against ``cwdesk console --demo`` in a child process (``console_process``);
the password rules and the concurrency cap against ``Accounts`` on a fresh database.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from cwdesk.console import security
from cwdesk.console.security import FREE_FAILURES, AccountError, Accounts, SignInDeferred, check_password
from cwdesk.store import open_database
from cwdesk.store.accounts import console_audit_log

from .console_process import running_console

OWNER_PASSWORD = "owner's long passphrase 7"


class WrappedHasher:
    """The real argon2 hasher with a hook around ``verify`` (``PasswordHasher`` has slots: it cannot be patched)."""

    def __init__(self, around: Any) -> None:
        self._real = security._hasher
        self._around = around

    def hash(self, password: str) -> str:
        return self._real.hash(password)

    def verify(self, stored: str, password: str) -> Any:
        return self._around(self._real.verify, stored, password)


def test_after_a_handful_of_failures_sign_in_answers_429_with_a_growing_retry_after_and_no_lockout(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    with (
        running_console(home, users={"owner": ("admin", OWNER_PASSWORD)}) as console,
        httpx.Client(base_url=console.base, timeout=30) as client,
    ):
        for attempt in range(FREE_FAILURES):
            wrong = console.sign_in(client, "owner", f"wrong guess number {attempt}")
            assert wrong.status_code == 401, (attempt, wrong.text[:300])
        # The right password now waits too: the guesser cannot tell a right guess from a wrong one.
        held = console.sign_in(client, "owner", OWNER_PASSWORD)
        assert held.status_code == 429
        first_wait = int(held.headers["retry-after"])
        assert first_wait >= 1
        assert "wait" in held.text and "try again" in held.text
        time.sleep(first_wait + 0.2)
        again = console.sign_in(client, "owner", "wrong guess again")
        assert again.status_code == 401  # the wait was over, the guess was checked (and wrong)
        longer = console.sign_in(client, "owner", "and another")
        assert longer.status_code == 429
        assert int(longer.headers["retry-after"]) > first_wait  # each further failure doubles the wait
        time.sleep(int(longer.headers["retry-after"]) + 0.2)
        # No permanent lockout: once the wait is over, the owner's password signs in.
        owner = console.sign_in(client, "owner", OWNER_PASSWORD)
        assert owner.status_code == 303, owner.text[:300]


def test_the_throttle_is_per_address_too_so_changing_the_name_does_not_help(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    with (
        running_console(home, users={"owner": ("admin", OWNER_PASSWORD)}) as console,
        httpx.Client(base_url=console.base, timeout=30) as client,
    ):
        codes = [console.sign_in(client, f"name{n}", "guess guess guess").status_code for n in range(FREE_FAILURES + 3)]
        assert codes[:FREE_FAILURES] == [401] * FREE_FAILURES
        assert set(codes[FREE_FAILURES:]) == {429}


def test_failed_sign_ins_are_counted_into_a_few_audit_rows_not_one_row_per_guess(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    with (
        running_console(home, users={"owner": ("admin", OWNER_PASSWORD)}) as console,
        httpx.Client(base_url=console.base, timeout=30) as client,
    ):
        for n in range(25):
            console.sign_in(client, f"garbage-name-{n}-" + "x" * 300, "guess guess guess")
        for _ in range(10):
            console.sign_in(client, "owner", "guess guess guess")
    engine = open_database(f"sqlite:///{home / 'cwdesk.db'}")
    with engine.connect() as conn:
        rows = (
            conn.execute(sa.select(console_audit_log).where(console_audit_log.c.action == "sign in")).mappings().all()
        )
    engine.dispose()
    # One row per name ("(unknown)" for names that are no user's) per address per window; two windows at most.
    assert 2 <= len(rows) <= 4, [dict(r) for r in rows]
    assert {r["username"] for r in rows} == {"(unknown)", "owner"}
    assert not any("garbage-name" in str(dict(r)) for r in rows)
    counted = sum(int(security.json.loads(r["detail"])["failures"]) for r in rows)
    throttled = sum(int(security.json.loads(r["detail"])["throttled"]) for r in rows)
    assert counted + throttled == 35


@pytest.mark.parametrize(
    "password",
    ["password12", "aaaaaaaaaa", "1234567890", "qwertyuiop", "Password2024!", "!!sunshine!!", "abababababab"],
)
def test_common_and_repetitive_passwords_are_refused_saying_why(password: str) -> None:
    with pytest.raises(AccountError) as refused:
        check_password(password)
    message = str(refused.value)
    assert "common" in message or "repeats" in message
    assert "choose" in message or "use" in message


def test_short_and_overlong_passwords_are_refused_and_passphrases_accepted() -> None:
    with pytest.raises(AccountError, match="too short"):
        check_password("Xy7#kq")
    with pytest.raises(AccountError, match="too long"):
        check_password("long passphrase " * 20)
    for good in ["correct horse battery", "Tr0ub4dor&3-correct-horse", "owner's long passphrase 7"]:
        check_password(good)


def test_the_bundled_list_is_the_full_list_not_a_sample() -> None:
    common = security.common_passwords()
    assert len(common) > 19_000
    assert {"123456", "password", "qwerty", "iloveyou"} <= common


def test_at_most_a_few_password_checks_run_at_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    accounts = Accounts(open_database(f"sqlite:///{tmp_path / 'c.db'}"), password_checks_at_once=2)
    accounts.create_user("owner", "admin", OWNER_PASSWORD)
    running = 0
    most = 0
    lock = threading.Lock()

    def counting_verify(real: Any, *args: Any) -> Any:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        try:
            time.sleep(0.05)
            return real(*args)
        finally:
            with lock:
                running -= 1

    monkeypatch.setattr(security, "_hasher", WrappedHasher(counting_verify))
    threads = [
        threading.Thread(target=accounts.sign_in_with_password, args=("owner", f"wrong {n}"), kwargs={"client": str(n)})
        for n in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert most == 2


def test_a_check_that_cannot_start_in_time_answers_busy_instead_of_queueing_forever(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    accounts = Accounts(open_database(f"sqlite:///{tmp_path / 'c.db'}"), password_checks_at_once=1)
    accounts.create_user("owner", "admin", OWNER_PASSWORD)
    monkeypatch.setattr(security, "PASSWORD_CHECK_WAIT_SECONDS", 0.1)
    started = threading.Event()
    release = threading.Event()

    def slow_verify(real: Any, *args: Any) -> Any:
        started.set()
        release.wait(5)
        return real(*args)

    monkeypatch.setattr(security, "_hasher", WrappedHasher(slow_verify))
    first = threading.Thread(target=accounts.sign_in_with_password, args=("owner", "wrong one"))
    first.start()
    assert started.wait(5)
    with pytest.raises(SignInDeferred) as busy:
        accounts.sign_in_with_password("owner", OWNER_PASSWORD, client="other")
    release.set()
    first.join()
    assert busy.value.status == 503 and busy.value.retry_after >= 1
