"""Fixtures of the CLI tests: a clean CWDESK_HOME without ConnectWise env vars, a runner, and the sandbox wiring.

``on_sandbox`` points every command at the in-process ``sandbox`` (``connection.use_sandbox``); ``standalone``
starts ``cwdesk sandbox serve`` on a free loopback port for tests that run the real CLI in a subprocess.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from cwdesk.cli import connection
from cwdesk.sandbox import Sandbox
from tests.loopback import free_port

ENV_PREFIXES = ("CWM_", "CWA_", "CWDESK_")


@pytest.fixture
def cli_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in list(os.environ):
        if name.startswith(ENV_PREFIXES):
            monkeypatch.delenv(name, raising=False)
    home = tmp_path / "home"
    home.mkdir(mode=0o700)  # cwdesk refuses a config folder other users can read (src/cwdesk/private_files.py)
    monkeypatch.setenv("CWDESK_HOME", str(home))
    return home


@pytest.fixture
def runner(cli_home: Path) -> CliRunner:
    return CliRunner()


@pytest.fixture
def on_sandbox(sandbox: Sandbox, cli_home: Path) -> Iterator[Sandbox]:
    with connection.use_sandbox(sandbox):
        yield sandbox


@dataclass
class Standalone:
    """A ``cwdesk sandbox serve`` process and the environment that points the CLI at it."""

    process: subprocess.Popen[str]
    base_url: str
    env: dict[str, str]

    @staticmethod
    def command() -> list[str]:
        return [sys.executable, "-m", "cwdesk"]

    def cwdesk(self, *args: str, timeout: float = 60, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*self.command(), *args],
            env={**self.env, **env},
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )


@pytest.fixture
def standalone(tmp_path: Path) -> Iterator[Standalone]:
    port = free_port()
    clean = {k: v for k, v in os.environ.items() if not k.startswith(ENV_PREFIXES)}
    home = tmp_path / "cli-home"
    home.mkdir(mode=0o700)  # cwdesk refuses a data folder other users can read (src/cwdesk/private_files.py)
    command = [sys.executable, "-m", "cwdesk", "sandbox", "serve", "--port", str(port)]
    process = subprocess.Popen(
        command,
        env={**clean, "CWDESK_HOME": str(tmp_path)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line)
        if line.startswith("These are sandbox-only credentials"):
            break
    found = re.search(r"listening on (\S+)", "".join(lines))
    if not found:
        process.kill()
        raise AssertionError("the sandbox server did not start: " + "".join(lines))
    base_url = found.group(1)
    while time.monotonic() < deadline:
        try:
            httpx.get(base_url + "/login/companyinfo/sandbox", timeout=1.0)
            break
        except httpx.TransportError:
            time.sleep(0.1)
    sb = Sandbox(seed=None)
    credentials = {**sb.manage_credentials, "server": base_url}
    sb.close()
    env = {
        **clean,
        "CWDESK_HOME": str(home),
        "CWM_SERVER": credentials["server"],
        "CWM_COMPANY": credentials["company"],
        "CWM_PUBKEY": credentials["public_key"],
        "CWM_PRIVATEKEY": credentials["private_key"],
        "CWM_CLIENTID": credentials["client_id"],
    }
    try:
        yield Standalone(process, base_url, env)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
