"""Issue 14, info items: uvicorn's access log goes through cwdesk's redaction and JSON format (a sign-in link's
token never reaches the log), and an admin's sign-in link is built on the console's configured address, not on the
request's ``Host``. Against ``cwdesk console --demo`` in a child process."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx

from .console_process import running_console

ADMIN_PASSWORD = "the boss's long passphrase"
_META_CSRF = re.compile(r'<meta name="csrf-token" content="([^"]*)">')


def test_the_access_log_is_json_and_never_carries_a_signin_token(tmp_path: Path) -> None:
    home = tmp_path / "home"
    token = "Zq8TokenThatMustNotBeLogged4242"
    with running_console(
        home, root=("--log-format", "json", "--log-level", "info"), env={"CWDESK_CONSOLE_LOG_LEVEL": "info"}
    ) as console:
        assert httpx.get(f"{console.base}/signin?token={token}", timeout=30).status_code == 400
        httpx.get(f"{console.base}/signin", timeout=30)
        output = console.output()
    # The first-start link printed on stdout is the console's own message; every log line is JSON.
    access = [line for line in output.splitlines() if "GET /signin" in line]
    assert access, output[-2000:]
    entries = [json.loads(line) for line in access]
    assert all(entry["logger"] == "uvicorn.access" for entry in entries)
    assert token not in output
    assert any("token=***" in entry["message"] for entry in entries)


def test_a_signin_link_is_built_on_the_configured_address_not_the_request_host(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with (
        running_console(home, users={"boss": ("admin", ADMIN_PASSWORD)}) as console,
        httpx.Client(base_url=console.base, timeout=30) as client,
    ):
        assert console.sign_in(client, "boss", ADMIN_PASSWORD).status_code == 303
        page = client.get("/users", headers={"accept": "text/html"})
        csrf = _META_CSRF.search(page.text)
        assert csrf
        answer = client.post(
            "/users/boss/signin-link",
            headers={"x-csrf-token": csrf.group(1), "host": "evil.example:8765", "accept": "text/html"},
        )
        assert answer.status_code == 200, answer.text[:500]
        assert f"{console.base}/signin?token=" in answer.text
        assert "evil.example" not in answer.text
