"""Fixtures of the MCP tests: a private CWDESK_HOME, an in-process server on the ``sandbox`` fixture (for checks that
read the sandbox's request log), and the parameters that start ``cwdesk mcp --demo`` as a stdio subprocess."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from mcp.client.stdio import StdioServerParameters
from mcp.server.mcpserver import MCPServer

from cwdesk.automate.client import AutomateClient
from cwdesk.manage.client import ManageClient
from cwdesk.mcp.desk import Desk
from cwdesk.mcp.server import build_server
from cwdesk.sandbox import Sandbox
from cwdesk.store import open_database

ENV_PREFIXES = ("CWM_", "CWA_", "CWDESK_")


@pytest.fixture
def mcp_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in list(os.environ):
        if name.startswith(ENV_PREFIXES):
            monkeypatch.delenv(name, raising=False)
    home = tmp_path / "home"
    home.mkdir(mode=0o700)  # cwdesk refuses a data folder other users can read (src/cwdesk/private_files.py)
    monkeypatch.setenv("CWDESK_HOME", str(home))
    return home


@dataclass
class InProcess:
    """An MCP server in this process, on the test's sandbox: the sandbox's request log shows every call it made."""

    sandbox: Sandbox
    desk: Desk
    engine: sa.Engine

    def server(self, *, read_only: bool = False) -> MCPServer:
        return build_server(self.desk, read_only=read_only)

    def writes(self) -> list[str]:
        return [f"{r.method} {r.path}" for r in self.sandbox.requests if r.method in ("POST", "PATCH", "PUT", "DELETE")]

    def wait_for_jobs(self) -> None:
        for thread in self.desk.started:
            thread.join(timeout=60)


@pytest.fixture
def in_process(sandbox: Sandbox, mcp_home: Path) -> Iterator[InProcess]:
    engine = open_database()
    desk = Desk(
        manage=ManageClient(**sandbox.manage_credentials, transport=sandbox.transport()),
        automate=AutomateClient(**sandbox.automate_credentials, transport=sandbox.transport()),
        engine=engine,
        client_name="pytest",
    )
    yield InProcess(sandbox, desk, engine)
    for thread in desk.started:
        thread.join(timeout=60)
    engine.dispose()


def stdio_server(home: Path, *args: str) -> StdioServerParameters:
    """``cwdesk mcp --demo ARGS`` as a subprocess, on ``home``, without any ConnectWise variable of this machine."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(ENV_PREFIXES)}
    return StdioServerParameters(
        command=sys.executable,
        args=["-m", "cwdesk", "mcp", "--demo", *args],
        env={**clean, "CWDESK_HOME": str(home)},
    )
