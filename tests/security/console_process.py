"""The real console in a child process (``cwdesk console --demo``) on a free loopback port, for the security tests
that are about a running server: the sign-in throttle over HTTP, the file modes it leaves on disk.

``running_console(home, users={...})`` creates the users in ``home``'s database first (so no first-start link is
needed), starts the console with ``CWDESK_HOME=home``, waits until it answers, and stops it by its PID.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from cwdesk.console.security import Accounts
from cwdesk.store import open_database
from tests.loopback import free_port, wait_for

_FORM_CSRF = re.compile(r'name="csrf_token" value="([^"]*)"')


@dataclass
class RunningConsole:
    base: str
    process: subprocess.Popen[bytes]
    stderr_path: Path

    def output(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def sign_in(self, client: httpx.Client, username: str, password: str) -> httpx.Response:
        """GET the sign-in form (its login CSRF cookie and token), then POST the name and password."""
        form = client.get("/signin", headers={"accept": "text/html"})
        token = _FORM_CSRF.search(form.text)
        assert token, form.text[:500]
        return client.post("/signin", data={"username": username, "password": password, "csrf_token": token.group(1)})


@contextmanager
def running_console(
    home: Path,
    *,
    users: dict[str, tuple[str, str]] | None = None,
    extra: tuple[str, ...] = (),
    root: tuple[str, ...] = (),
    env: dict[str, str] | None = None,
) -> Iterator[RunningConsole]:
    """``cwdesk ROOT... console --demo EXTRA...`` with ``CWDESK_HOME=home`` (and ``env``); ``users`` maps a name to
    (role, password)."""
    env = {**os.environ, "CWDESK_HOME": str(home), **(env or {})}
    env.pop("CWDESK_DATABASE_URL", None)
    if users:
        previous = os.environ.get("CWDESK_HOME")
        os.environ["CWDESK_HOME"] = str(home)
        try:
            engine = open_database()
            accounts = Accounts(engine)
            for name, (role, password) in users.items():
                accounts.create_user(name, role, password)
            engine.dispose()
        finally:
            if previous is None:
                os.environ.pop("CWDESK_HOME", None)
            else:
                os.environ["CWDESK_HOME"] = previous
    port = free_port()
    stderr_path = home.parent / f"{home.name}-console-{port}.log"
    with stderr_path.open("wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "cwdesk", *root, "console", "--demo", "--port", str(port), *extra],
            env=env,
            stdout=stderr,
            stderr=subprocess.STDOUT,
        )
    running = RunningConsole(f"http://127.0.0.1:{port}", process, stderr_path)

    def up() -> bool:
        if process.poll() is not None:
            raise AssertionError(f"the console exited with {process.returncode}: {running.output()}")
        try:
            return httpx.get(f"{running.base}/signin", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_for(up, 90, "the console")
        yield running
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
