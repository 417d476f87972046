"""``cwdesk scim token ...`` and ``cwdesk scim serve --demo`` (a real process on a free port, stopped by its PID)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from typer.testing import CliRunner

from cwdesk.cli.app import app
from cwdesk.store import open_database
from cwdesk.store.tokens import SECRET_PREFIX, Tokens


def test_token_create_prints_a_scim_token_once_and_list_and_revoke_manage_it(scim_home: Path) -> None:
    runner = CliRunner()
    made = runner.invoke(app, ["scim", "token", "create", "--name", "okta"])
    assert made.exit_code == 0, made.output
    secret = made.stdout.strip()
    assert secret.startswith(SECRET_PREFIX)
    found = Tokens(open_database()).verify(secret, "scim")
    assert found is not None and (found.name, found.purpose) == ("okta", "scim")
    assert Tokens(open_database()).verify(secret, "api") is None  # a SCIM token does not open /mcp
    listed = runner.invoke(app, ["scim", "token", "list", "-o", "json"])
    assert [row["name"] for row in json.loads(listed.stdout)] == ["okta"] and secret not in listed.output
    revoked = runner.invoke(app, ["scim", "token", "revoke", "okta", "--yes"])
    assert revoked.exit_code == 0, revoked.output
    assert Tokens(open_database()).verify(secret, "scim") is None


def test_serve_refuses_a_bad_licence_class(scim_home: Path) -> None:
    answer = CliRunner().invoke(app, ["scim", "serve", "--demo", "--license-class", "Z"])
    assert answer.exit_code == 2 and "F, A, C or X" in answer.output


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_serve_demo_answers_scim_with_a_token_made_by_the_cli(scim_home: Path) -> None:
    made = CliRunner().invoke(app, ["scim", "token", "create", "--name", "entra"])
    secret = made.stdout.strip()
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "cwdesk", "scim", "serve", "--demo", "--port", str(port)],
        env={**os.environ, "CWDESK_HOME": str(scim_home)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}/scim/v2"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                config = httpx.get(f"{base}/ServiceProviderConfig", timeout=2)
                break
            except httpx.TransportError:
                assert server.poll() is None, server.stderr.read().decode() if server.stderr else "exited"
                assert time.monotonic() < deadline, "cwdesk scim serve --demo did not start"
                time.sleep(0.2)
        users = httpx.get(f"{base}/Users", headers={"Authorization": f"Bearer {secret}"}, timeout=10)
        refused = httpx.get(f"{base}/Users", timeout=10)
    finally:
        server.terminate()
        server.wait(timeout=20)
    assert config.status_code == 200
    assert users.status_code == 200 and users.json()["totalResults"] == 5  # the demo sandbox's members
    assert refused.status_code == 401


def test_serve_refuses_a_default_role_connectwise_does_not_have(scim_home: Path) -> None:
    answer = CliRunner().invoke(app, ["scim", "serve", "--demo", "--role", "Technicain"])
    assert answer.exit_code == 2
    assert "default security role" in answer.output and "Technician" in answer.output  # the suggestion
