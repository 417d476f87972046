"""L1 profiles: saved 0600, secrets masked everywhere, chosen with --profile or CWDESK_PROFILE."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from typer.testing import CliRunner

from cwdesk.cli import connection
from cwdesk.cli.app import app
from cwdesk.config import profiles_path

CLIENT_ID = "1d4c2a5e-7b7f-4c1e-9a53-0f2b8c6d9e10"
SECRET = "pk-Sup3r-Secret-Value"


def add(runner: CliRunner, name: str = "acme", *extra: str, secret: str | None = SECRET) -> tuple[int, str, str]:
    args = [
        "config",
        "add-profile",
        name,
        "--server",
        "na.myconnectwise.net",
        "--company",
        "acme",
        "--public-key",
        "pubkey1",
        "--client-id",
        CLIENT_ID,
        *extra,
    ]
    if secret is not None:
        args += ["--private-key", secret]
    result = runner.invoke(app, args)
    return result.exit_code, result.stdout, result.stderr


def test_add_profile_writes_a_file_only_the_user_can_read(runner: CliRunner, cli_home: Path) -> None:
    code, out, _ = add(runner)
    assert code == 0
    assert SECRET not in out
    mode = stat.S_IMODE(profiles_path().stat().st_mode)
    assert mode == 0o600


def test_the_private_key_is_asked_for_when_not_given(runner: CliRunner, cli_home: Path) -> None:
    result = runner.invoke(
        app,
        [
            "config",
            "add-profile",
            "prompted",
            "--server",
            "na.myconnectwise.net",
            "--company",
            "acme",
            "--public-key",
            "pubkey1",
            "--client-id",
            CLIENT_ID,
        ],
        input=SECRET + "\n",
    )
    assert result.exit_code == 0
    assert SECRET not in result.stdout
    assert SECRET in profiles_path().read_text()


def test_show_and_list_mask_every_secret(runner: CliRunner, cli_home: Path) -> None:
    add(runner)
    shown = runner.invoke(app, ["config", "show", "acme", "--output", "json"])
    listed = runner.invoke(app, ["config", "list", "--output", "json"])
    table = runner.invoke(app, ["config", "show", "acme"])
    assert shown.exit_code == listed.exit_code == table.exit_code == 0
    data = json.loads(shown.stdout)
    assert data["manage.private_key"] == "***"
    assert data["manage.company"] == "acme"
    assert json.loads(listed.stdout) == [
        {"name": "acme", "manage_server": "na.myconnectwise.net", "company": "acme", "automate_server": ""}
    ]
    for output in (shown.stdout, listed.stdout, table.stdout):
        assert SECRET not in output


def test_a_bad_client_id_is_refused_with_exit_2(runner: CliRunner, cli_home: Path) -> None:
    result = runner.invoke(
        app,
        [
            "config",
            "add-profile",
            "bad",
            "--server",
            "na.myconnectwise.net",
            "--company",
            "acme",
            "--public-key",
            "pub",
            "--private-key",
            SECRET,
            "--client-id",
            "not-a-uuid",
        ],
    )
    assert result.exit_code == 2
    assert "UUID" in result.stderr
    assert SECRET not in result.stderr
    assert not profiles_path().exists()


def test_remove_deletes_the_profile_and_an_unknown_one_exits_2(runner: CliRunner, cli_home: Path) -> None:
    add(runner)
    assert runner.invoke(app, ["config", "remove", "acme"]).exit_code == 0
    listed = runner.invoke(app, ["config", "list", "--output", "json"])
    assert json.loads(listed.stdout) == []
    missing = runner.invoke(app, ["config", "remove", "acme"])
    assert missing.exit_code == 2
    assert "acme" in missing.stderr


def test_a_world_readable_profile_file_is_refused(runner: CliRunner, cli_home: Path) -> None:
    add(runner)
    profiles_path().chmod(0o644)
    result = runner.invoke(app, ["--profile", "acme", "companies", "count"])
    assert result.exit_code == 2
    assert "chmod 600" in result.stderr


def test_the_profile_comes_from_the_flag_or_cwdesk_profile(runner: CliRunner, cli_home: Path) -> None:
    add(runner, "first")
    add(runner, "second")
    runner.invoke(app, ["--profile", "first", "config", "list"])
    assert connection.selected_profile() == "first"
    runner.invoke(app, ["config", "list"], env={"CWDESK_PROFILE": "second"})
    assert connection.selected_profile() == "second"
    cw = connection.manage_client()
    try:
        assert cw.credentials.company == "acme"
        assert SECRET not in repr(cw)
    finally:
        cw.close()
        connection.select_profile(None)


def test_a_profile_named_default_is_used_when_nothing_else_is_given(runner: CliRunner, cli_home: Path) -> None:
    add(runner, "default")
    connection.select_profile(None)
    cw = connection.manage_client()
    try:
        assert cw.credentials.public_key == "pubkey1"
    finally:
        cw.close()


def test_with_keyring_the_secret_stays_out_of_the_file(runner: CliRunner, cli_home: Path, tmp_path: Path) -> None:
    import keyring

    from tests.test_config import MemoryKeyring  # a real (in-memory) keyring: plaintext ones are refused

    backend = MemoryKeyring()
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    try:
        code, out, err = add(runner, "vault", "--keyring")
        assert code == 0, err
        assert SECRET not in profiles_path().read_text()
        assert SECRET in backend.store.values()
        assert "keyring" in out
        connection.select_profile("vault")
        cw = connection.manage_client()
        try:
            assert cw.credentials.private_key == SECRET
        finally:
            cw.close()
            connection.select_profile(None)
    finally:
        keyring.set_keyring(previous)
