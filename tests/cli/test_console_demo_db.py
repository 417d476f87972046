"""``cwdesk console --demo --demo-db PATH`` keeps the demo's data across restarts, and a demo without it says on
every page that its data resets (issue 15 §5). Real ``cwdesk console`` processes."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import httpx

from cwdesk.manage.client import ManageClient
from cwdesk.sandbox import Sandbox
from tests.console.conftest import use_signin_link
from tests.loopback import free_port
from tests.security.console_process import RunningConsole, running_console

_LINK = re.compile(r"(http://127\.0\.0\.1:\d+/signin\?token=\S+)")


def _signed_in_get(console: RunningConsole, path: str) -> httpx.Response:
    found = _LINK.search(console.output())
    assert found, console.output()
    with httpx.Client(base_url=console.base, follow_redirects=True, timeout=10) as browser:
        use_signin_link(browser, found.group(1))
        return browser.get(path, headers={"accept": "text/html"})


def test_a_demo_db_keeps_the_sandbox_data_across_restarts(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    demo_db = tmp_path / "demo.sqlite"
    with running_console(home, extra=("--demo-db", str(demo_db))) as console:
        assert "Creating and seeding the sandbox in" in console.output()
        page = _signed_in_get(console, "/")
        assert page.status_code == 200 and 'id="demo-banner"' not in page.text
    assert demo_db.stat().st_mode & 0o077 == 0  # the file is this user's only
    # Between the two runs a company is added to the kept sandbox (as the console itself would).
    sandbox = Sandbox(seed="demo", db_path=str(demo_db))
    try:
        manage = ManageClient(**sandbox.manage_credentials, transport=sandbox.transport())
        manage.companies.create({"identifier": "KeptCo", "name": "Kept Company", "site": {"name": "Main"},
                                 "status": {"id": 1}, "addressLine1": "1 Kept St"})  # fmt: skip
    finally:
        sandbox.close()
    with running_console(home, extra=("--demo-db", str(demo_db))) as console:
        assert "Reopening the sandbox in" in console.output()
        listing = _signed_in_get(console, "/api/clients")
    assert "Kept Company" in listing.text


def test_a_demo_in_memory_says_on_every_page_that_its_data_resets(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    with running_console(home) as console:
        assert "its data resets at every start" in console.output()
        page = _signed_in_get(console, "/jobs")
    assert 'id="demo-banner"' in page.text and "--demo-db PATH" in page.text


def _console(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cwdesk", "console", *args, "--port", str(free_port())],
        env={"CWDESK_HOME": str(home), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_demo_db_without_demo_or_in_a_missing_folder_is_refused_with_exit_2(tmp_path: Path) -> None:
    home = tmp_path / "home"
    alone = _console("--demo-db", str(tmp_path / "x.sqlite"), home=home)
    assert alone.returncode == 2 and "use it with --demo" in alone.stderr
    missing = _console("--demo", "--demo-db", str(tmp_path / "nowhere" / "x.sqlite"), home=home)
    assert missing.returncode == 2 and "does not exist; create it first" in missing.stderr
    junk = tmp_path / "junk.sqlite"
    junk.write_text("not a database " * 100)
    refused = _console("--demo", "--demo-db", str(junk), home=home)
    assert refused.returncode == 2 and "is not a sandbox database" in refused.stderr
