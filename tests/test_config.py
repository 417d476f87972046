"""M1: credentials from CWM_* variables and 0600 profiles (group/world-readable refused), keyring, no secret in repr."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import keyring
import pytest
from keyring.backend import KeyringBackend

from cwdesk import ConfigurationError, ManageCredentials, config

GOOD = {
    "server": "na.myconnectwise.net",
    "company": "acme",
    "public_key": "Pub1",
    "private_key": "Priv-Secret-77",
    "client_id": "1d4c2a5e-7b7f-4c1e-9a53-0f2b8c6d9e10",
}


class MemoryKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.store.pop((service, username), None)


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CWDESK_HOME", str(tmp_path))
    return tmp_path


def test_credentials_never_print_the_private_key() -> None:
    creds = ManageCredentials(**GOOD)
    assert "Priv-Secret-77" not in repr(creds) and "Priv-Secret-77" not in str(creds)
    assert "private_key='***'" in repr(creds)


def test_from_env_reads_cwm_variables_and_names_the_missing_ones() -> None:
    env = {
        "CWM_SERVER": "na.myconnectwise.net",
        "CWM_COMPANY": "acme",
        "CWM_PUBKEY": "Pub1",
        "CWM_PRIVATEKEY": "Priv-Secret-77",
        "CWM_CLIENTID": GOOD["client_id"],
    }
    assert ManageCredentials.from_env(env) == ManageCredentials(**GOOD)
    with pytest.raises(ConfigurationError, match="CWM_PRIVATEKEY"):
        ManageCredentials.from_env({k: v for k, v in env.items() if k != "CWM_PRIVATEKEY"})


def test_profiles_round_trip_with_mode_0600(home: Path) -> None:
    path = config.save_profile("work", manage=GOOD, automate={"server": "a.example", "username": "u", "password": "pw"})
    assert path == home / "profiles.yaml"
    assert os.stat(path).st_mode & 0o777 == 0o600
    assert config.list_profiles() == ["work"]
    assert ManageCredentials.from_profile("work") == ManageCredentials(**GOOD)
    assert config.profile_section("work", "automate")["username"] == "u"
    config.delete_profile("work")
    assert config.list_profiles() == []


def test_a_group_or_world_readable_profile_file_is_refused(home: Path) -> None:
    path = config.save_profile("work", manage=GOOD)
    path.chmod(0o644)
    with pytest.raises(ConfigurationError, match="chmod 600"):
        ManageCredentials.from_profile("work")


def test_an_unknown_profile_names_the_known_ones() -> None:
    config.save_profile("work", manage=GOOD)
    with pytest.raises(ConfigurationError, match="profiles: work"):
        ManageCredentials.from_profile("home")


def test_secrets_can_live_in_the_keyring_instead_of_the_file(home: Path) -> None:
    backend = MemoryKeyring()
    previous: Any = keyring.get_keyring()
    keyring.set_keyring(backend)
    try:
        config.save_profile("vault", manage=GOOD, use_keyring=True)
        assert "Priv-Secret-77" not in (home / "profiles.yaml").read_text()
        assert ManageCredentials.from_profile("vault").private_key == "Priv-Secret-77"
        config.delete_profile("vault")
        assert backend.store == {}
    finally:
        keyring.set_keyring(previous)


@pytest.mark.parametrize("bad", [{"client_id": "abc"}, {"company": "a+b"}, {"public_key": ""}, {"server": " "}])
def test_malformed_credentials_are_refused_with_a_clear_message(bad: dict[str, str]) -> None:
    with pytest.raises(ConfigurationError) as caught:
        ManageCredentials(**{**GOOD, **bad})
    assert "Priv-Secret-77" not in str(caught.value)
