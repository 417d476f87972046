"""Issue 14, finding 2: cwdesk's folders are 0700 and its files 0600 on disk (SQLite's -wal and -shm included),
whatever the umask, and a wider existing folder or file is refused with the ``chmod`` that fixes it.

Checked on disk after real starts: ``cwdesk console --demo`` and ``cwdesk jobs list`` in child processes, and
``cwdesk config add-profile`` writing the profile file.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.loopback import free_port, wait_for

from .console_process import running_console


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def permissive_umask() -> Iterator[None]:
    """The usual desktop umask (022), under which a plain open() makes world-readable files."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def _cwdesk(home: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CWM_", "CWA_", "CWDESK_"))}
    env["CWDESK_HOME"] = str(home)
    return subprocess.run(
        [sys.executable, "-m", "cwdesk", *args], env=env, input=stdin, capture_output=True, text=True, timeout=120
    )


def test_a_first_console_start_leaves_a_0700_folder_and_0600_database_files(tmp_path: Path) -> None:
    home = tmp_path / "fresh-home"  # does not exist yet: the console creates it
    with running_console(home):
        # While the console runs, SQLite's side files exist (WAL mode): they must be private too.
        names = {path.name: _mode(path) for path in home.iterdir()}
        assert _mode(home) == 0o700
        assert {"cwdesk.db", "cwdesk.db-wal", "cwdesk.db-shm"} <= set(names), names
        for name in ("cwdesk.db", "cwdesk.db-wal", "cwdesk.db-shm"):
            assert names[name] == 0o600, (name, oct(names[name]))


def test_a_cli_command_creates_its_data_folder_and_database_private(tmp_path: Path) -> None:
    home = tmp_path / "cli-home"
    done = _cwdesk(home, "jobs", "list", "-o", "json")
    assert done.returncode == 0, done.stderr
    assert _mode(home) == 0o700
    assert _mode(home / "cwdesk.db") == 0o600
    for side in ("cwdesk.db-wal", "cwdesk.db-shm"):
        if (home / side).exists():  # SQLite removes them when the last connection closes cleanly
            assert _mode(home / side) == 0o600


def test_the_profile_file_and_its_folder_are_private(tmp_path: Path) -> None:
    home = tmp_path / "config-home"
    done = _cwdesk(
        home, "config", "add-profile", "p", "--server", "na.myconnectwise.net", "--company", "acme",
        "--public-key", "pub", "--client-id", "1d4c2a5e-7b7f-4c1e-9a53-0f2b8c6d9e10", "--private-key-stdin",
        stdin="the-private-key\n",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert _mode(home) == 0o700
    assert _mode(home / "profiles.yaml") == 0o600


def test_an_existing_folder_other_users_can_read_is_refused_naming_the_chmod(tmp_path: Path) -> None:
    home = tmp_path / "old-home"
    home.mkdir(mode=0o755)
    home.chmod(0o755)
    done = _cwdesk(home, "jobs", "list")
    assert done.returncode != 0
    flat = " ".join(done.stderr.split())
    assert f"chmod 700 {home}" in flat.replace("\n", ""), done.stderr
    assert "Traceback" not in done.stderr
    assert not (home / "cwdesk.db").exists()  # refused before anything was written


@pytest.mark.parametrize("name", ["cwdesk.db", "cwdesk.db-wal", "cwdesk.db-shm"])
def test_an_existing_database_file_other_users_can_read_is_refused_naming_the_chmod(tmp_path: Path, name: str) -> None:
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    assert _cwdesk(home, "jobs", "list").returncode == 0
    wide = home / name
    wide.touch()
    wide.chmod(0o644)
    done = _cwdesk(home, "jobs", "list")
    assert done.returncode != 0
    assert f"chmod 600 {wide}" in "".join(done.stderr.split("\n")).replace(
        "  ", " "
    ) or f"chmod 600 {wide}" in " ".join(done.stderr.split()), done.stderr


def test_the_console_refuses_to_start_on_a_readable_database_and_says_how_to_fix_it(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    assert _cwdesk(home, "jobs", "list").returncode == 0
    (home / "cwdesk.db").chmod(0o644)
    done = _cwdesk(home, "console", "--demo", "--port", "1")
    assert done.returncode != 0
    assert f"chmod 600 {home / 'cwdesk.db'}" in " ".join(done.stderr.split()), done.stderr


def test_the_tls_sandbox_keeps_its_keys_in_the_private_data_folder(tmp_path: Path) -> None:
    """``sandbox serve --tls`` is often the first command run: it must not leave a data folder the console refuses."""
    home = tmp_path / "tls-home"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CWM_", "CWA_", "CWDESK_"))}
    process = subprocess.Popen(
        [sys.executable, "-m", "cwdesk", "sandbox", "serve", "--tls", "--port", str(free_port())],
        env={**env, "CWDESK_HOME": str(home)}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        # Each run has its own folder under sandbox-tls/ (removed when it stops): look while it runs.
        wait_for(lambda: any(home.glob("sandbox-tls/*/*key*")), 60, "the sandbox's TLS key")
        keys = list(home.glob("sandbox-tls/*/*key*"))
        assert keys and all(_mode(key) == 0o600 for key in keys)
        assert all(_mode(key.parent) == 0o700 for key in keys)
    finally:
        process.terminate()
        process.wait(15)
    assert _mode(home) == 0o700
    assert _cwdesk(home, "jobs", "list").returncode == 0  # and the app starts on that folder
