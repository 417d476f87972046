"""``cwdesk tokens create|list|revoke``: the secret printed once and never again, and revoke's confirmation rule.

``CliRunner`` gives a standard input that is not a terminal; the terminal cases make ``output.stdin_is_terminal``
answer yes and type the answer (as tests/cli/test_destructive_commands_cli.py does).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cwdesk.cli import output
from cwdesk.cli.app import app
from cwdesk.console.security import Accounts
from cwdesk.store import open_database
from cwdesk.store.tokens import SECRET_PREFIX, Tokens


def _tokens() -> Tokens:
    return Tokens(open_database())


def test_create_prints_the_secret_once_and_it_verifies(runner: CliRunner, cli_home: Path) -> None:
    made = runner.invoke(app, ["tokens", "create", "--name", "claude-desktop", "--role", "operator"])
    assert made.exit_code == 0, made.output
    secret = made.stdout.strip()
    assert secret.startswith(SECRET_PREFIX) and "\n" not in secret
    assert "shown this once and is not stored" in made.stderr
    found = _tokens().verify(secret, "api")
    assert found is not None and (found.name, found.role, found.purpose) == ("claude-desktop", "operator", "api")
    assert found.created_by.startswith("cli")

    listed = runner.invoke(app, ["tokens", "list", "-o", "json"])
    assert listed.exit_code == 0
    (row,) = json.loads(listed.stdout)
    assert row["name"] == "claude-desktop" and row["last_used_at"] is not None
    assert secret not in listed.output and "secret" not in row


def test_create_as_json_carries_the_secret_and_the_token(runner: CliRunner, cli_home: Path) -> None:
    made = runner.invoke(
        app, ["tokens", "create", "--name", "okta", "--role", "admin", "--purpose", "scim", "-o", "json"]
    )
    assert made.exit_code == 0, made.output
    data = json.loads(made.stdout)
    assert data["purpose"] == "scim" and data["role"] == "admin"
    assert _tokens().verify(data["secret"], "scim") is not None


def test_creation_and_revocation_are_audited_without_the_secret(runner: CliRunner, cli_home: Path) -> None:
    secret = runner.invoke(app, ["tokens", "create", "--name", "bot", "--role", "viewer"]).stdout.strip()
    assert runner.invoke(app, ["tokens", "revoke", "bot", "--yes"]).exit_code == 0
    entries = Accounts(open_database()).audit_entries()
    assert [e.action for e in entries] == ["revoke API token", "create API token"]
    assert all(e.role == "cli" and e.target.endswith("(bot)") for e in entries)
    assert secret not in repr(entries)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--name", "x", "--role", "root"], "Unknown role 'root': choose one of viewer, operator, admin"),
        (["--name", "x", "--role", "viewer", "--purpose", "web"], "Unknown token purpose 'web'"),
        (["--name", "has space", "--role", "viewer"], "is not allowed"),
    ],
)
def test_create_with_bad_input_is_refused_with_exit_2(
    runner: CliRunner, cli_home: Path, args: list[str], message: str
) -> None:
    refused = runner.invoke(app, ["tokens", "create", *args])
    assert refused.exit_code == 2 and message in refused.stderr
    assert refused.stdout == ""


def test_a_second_token_with_the_name_of_an_active_one_is_refused(runner: CliRunner, cli_home: Path) -> None:
    assert runner.invoke(app, ["tokens", "create", "--name", "bot", "--role", "viewer"]).exit_code == 0
    again = runner.invoke(app, ["tokens", "create", "--name", "bot", "--role", "viewer"])
    assert again.exit_code == 2 and "already exists and is not revoked" in again.stderr


def test_revoke_without_a_terminal_and_without_yes_is_refused_and_keeps_the_token(
    runner: CliRunner, cli_home: Path
) -> None:
    secret = runner.invoke(app, ["tokens", "create", "--name", "bot", "--role", "viewer"]).stdout.strip()
    refused = runner.invoke(app, ["tokens", "revoke", "bot"])
    assert refused.exit_code == 2
    assert "will stop working at once" in refused.stderr and "Pass --yes" in refused.stderr
    assert _tokens().verify(secret, "api") is not None


def test_revoke_on_a_terminal_asks_and_no_keeps_the_token(
    runner: CliRunner, cli_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = runner.invoke(app, ["tokens", "create", "--name", "bot", "--role", "viewer"]).stdout.strip()
    monkeypatch.setattr(output, "stdin_is_terminal", lambda: True)
    kept = runner.invoke(app, ["tokens", "revoke", "bot"], input="n\n")
    assert kept.exit_code == 2 and "Revoke it?" in kept.stderr
    assert _tokens().verify(secret, "api") is not None
    revoked = runner.invoke(app, ["tokens", "revoke", "1"], input="y\n")
    assert revoked.exit_code == 0 and "Revoked token 1 (bot)." in revoked.stdout
    assert _tokens().verify(secret, "api") is None


def test_revoking_an_unknown_or_revoked_token_says_so_with_exit_2(runner: CliRunner, cli_home: Path) -> None:
    unknown = runner.invoke(app, ["tokens", "revoke", "nobody", "--yes"])
    assert unknown.exit_code == 2 and "no token named 'nobody'" in unknown.stderr
    runner.invoke(app, ["tokens", "create", "--name", "bot", "--role", "viewer"])
    assert runner.invoke(app, ["tokens", "revoke", "1", "--yes"]).exit_code == 0
    twice = runner.invoke(app, ["tokens", "revoke", "1", "--yes"])
    assert twice.exit_code == 2 and "already revoked" in twice.stderr


def test_list_without_tokens_says_how_to_make_one(runner: CliRunner, cli_home: Path) -> None:
    empty = runner.invoke(app, ["tokens", "list"])
    assert empty.exit_code == 0 and "cwdesk tokens create" in empty.stdout


def test_list_filters_by_purpose_and_leaves_out_revoked_with_active(runner: CliRunner, cli_home: Path) -> None:
    runner.invoke(app, ["tokens", "create", "--name", "a", "--role", "viewer"])
    runner.invoke(app, ["tokens", "create", "--name", "b", "--role", "admin", "--purpose", "scim"])
    runner.invoke(app, ["tokens", "revoke", "a", "--yes"])
    scim = json.loads(runner.invoke(app, ["tokens", "list", "--purpose", "scim", "-o", "json"]).stdout)
    assert [r["name"] for r in scim] == ["b"]
    active = json.loads(runner.invoke(app, ["tokens", "list", "--active", "-o", "json"]).stdout)
    assert [r["name"] for r in active] == ["b"]
