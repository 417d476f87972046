"""Issue 14, finding 11: ``--keyring`` stores secrets only in a real keyring. A backend that keeps them in a plain
file (keyrings.alt's ``PlaintextKeyring``: base64 in ``keyring_pass.cfg``) or stores nothing is refused, naming
itself; and the ``keyring`` extra no longer pulls ``keyrings.alt``."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import keyring
import pytest
from keyring.backends import null
from keyrings.alt.file import PlaintextKeyring
from typer.testing import CliRunner

from cwdesk import ConfigurationError, config
from cwdesk.cli.app import app
from tests.test_config import GOOD, MemoryKeyring

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("CWDESK_HOME", str(home))
    return home


@pytest.fixture
def backend_set() -> Iterator[Any]:
    previous = keyring.get_keyring()

    def use(backend: Any) -> Any:
        keyring.set_keyring(backend)
        return backend

    yield use
    keyring.set_keyring(previous)


def _plaintext(tmp_path: Path) -> PlaintextKeyring:
    backend = PlaintextKeyring()
    backend.file_path = str(tmp_path / "keyring_pass.cfg")  # type: ignore[misc]
    return backend


def test_a_plaintext_keyring_is_refused_naming_what_it_is(home: Path, tmp_path: Path, backend_set: Any) -> None:
    backend_set(_plaintext(tmp_path))
    with pytest.raises(ConfigurationError) as refused:
        config.save_profile("vault", manage=GOOD, use_keyring=True)
    message = str(refused.value)
    assert "PlaintextKeyring" in message and "plain text" in message and "leave --keyring out" in message
    assert not (tmp_path / "keyring_pass.cfg").exists()  # nothing was stored in it
    assert not config.profiles_path().exists()  # and no half-saved profile


def test_the_null_keyring_is_refused(home: Path, backend_set: Any) -> None:
    backend_set(null.Keyring())
    with pytest.raises(ConfigurationError, match="stores nothing"):
        config.save_profile("vault", manage=GOOD, use_keyring=True)


def test_a_real_keyring_is_used(home: Path, backend_set: Any) -> None:
    backend = backend_set(MemoryKeyring())
    config.save_profile("vault", manage=GOOD, use_keyring=True)
    assert GOOD["private_key"] in backend.store.values()
    assert GOOD["private_key"] not in config.profiles_path().read_text()


def test_the_cli_says_so_and_saves_nothing(home: Path, tmp_path: Path, backend_set: Any) -> None:
    backend_set(_plaintext(tmp_path))
    result = CliRunner().invoke(
        app,
        ["config", "add-profile", "vault", "--server", GOOD["server"], "--company", GOOD["company"],
         "--public-key", GOOD["public_key"], "--client-id", GOOD["client_id"], "--keyring", "--private-key-stdin"],
        input=GOOD["private_key"] + "\n",
    )  # fmt: skip
    assert result.exit_code != 0
    assert "PlaintextKeyring" in " ".join(result.stderr.split())
    assert not config.profiles_path().exists()


def test_the_keyring_extra_does_not_install_keyrings_alt() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extra = project["optional-dependencies"]["keyring"]
    assert any(req.startswith("keyring") for req in extra)
    assert not any(req.lower().startswith("keyrings.alt") for req in extra)
