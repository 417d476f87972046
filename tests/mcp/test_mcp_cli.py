"""``cwdesk mcp`` on the command line: without a connection it says how to configure one, before serving."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from cwdesk.cli.app import app


def test_mcp_without_a_connection_says_how_to_configure_one(mcp_home: Path) -> None:
    result = CliRunner().invoke(app, ["mcp"])
    assert result.exit_code == 2
    assert "No ConnectWise Manage connection is configured" in result.stderr
    assert "--profile" in result.stderr


def test_mcp_help_names_its_options(mcp_home: Path) -> None:
    result = CliRunner().invoke(app, ["mcp", "--help"])
    assert result.exit_code == 0
    for option in ("--demo", "--read-only", "--profile", "--client-name"):
        assert option in result.stdout
