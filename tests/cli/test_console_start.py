"""Nobody is locked out at start (issue 15, item 3): every demo start prints a working sign-in link, and a busy
port is one line and exit 2. Real ``cwdesk console`` processes."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
from pathlib import Path

import httpx

from tests.console.conftest import use_signin_link
from tests.loopback import free_port
from tests.security.console_process import running_console

_LINK = re.compile(r"(http://127\.0\.0\.1:\d+/signin\?token=\S+)")


def test_every_demo_start_prints_a_sign_in_link_that_works(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    links = []
    for _ in range(2):  # the second start finds the users of the first: it must still let the newcomer in
        with running_console(home) as console:
            found = _LINK.search(console.output())
            assert found, console.output()
            links.append(found.group(1))
            with httpx.Client(base_url=console.base, follow_redirects=True, timeout=10) as browser:
                use_signin_link(browser, found.group(1))
                page = browser.get("/", headers={"accept": "text/html"})
            assert page.status_code == 200 and "/signin" not in str(page.url), page.url
    assert links[0] != links[1]


def test_the_sign_in_page_names_the_command_that_prints_a_new_link(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    with running_console(home) as console:
        page = httpx.get(f"{console.base}/signin", headers={"accept": "text/html"}, timeout=10)
    assert "cwdesk console --new-signin-link" in page.text


def test_a_busy_port_is_one_line_and_exit_2(tmp_path: Path) -> None:
    port = free_port()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", port))
        taken.listen()
        done = subprocess.run(
            [sys.executable, "-m", "cwdesk", "console", "--demo", "--port", str(port)],
            env={"CWDESK_HOME": str(tmp_path / "home"), "PATH": "/usr/bin:/bin"},
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"Error: Port {port} on 127.0.0.1 is in use (another console, or another program): stop it, or pass --port N."
    ]
