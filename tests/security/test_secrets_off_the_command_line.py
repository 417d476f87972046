"""Issue 14, finding 10: ``config add-profile`` never needs a secret on its command line, where ``ps`` shows it to
every local user. Checked on a real child process: its argv (``/proc/PID/cmdline``, what ``ps`` prints) while it
waits for the secret on standard input, then the saved profile."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

CLIENT_ID = "1d4c2a5e-7b7f-4c1e-9a53-0f2b8c6d9e10"
SECRET = "pk-never-in-ps-7c1e9a53"
PASSWORD = "automate-pass-never-in-ps"
MANAGE = ["--server", "na.myconnectwise.net", "--company", "acme", "--public-key", "pub", "--client-id", CLIENT_ID]
AUTOMATE = ["--automate-server", "automate.example.com", "--automate-username", "ops",
            "--automate-client-id", CLIENT_ID]  # fmt: skip


def _env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CWM_", "CWA_", "CWDESK_"))}
    return {**env, "CWDESK_HOME": str(home), **extra}


def _ps_args(pid: int) -> str:
    """The command line as ``ps -o args`` shows it to any local user."""
    shown = subprocess.run(["ps", "-o", "args=", "-p", str(pid)], capture_output=True, text=True, check=False).stdout
    cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    return shown + "\n" + cmdline


@pytest.mark.parametrize(
    ("options", "secret", "section", "key"),
    [
        ([*MANAGE, "--private-key-stdin"], SECRET, "manage", "private_key"),
        ([*AUTOMATE, "--automate-password-stdin"], PASSWORD, "automate", "password"),
    ],
)
def test_the_secret_read_from_stdin_is_never_in_the_process_list(
    tmp_path: Path, options: list[str], secret: str, section: str, key: str
) -> None:
    home = tmp_path / "home"
    command = [sys.executable, "-m", "cwdesk", "config", "add-profile", "p", *options]
    process = subprocess.Popen(
        command, env=_env(home), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        time.sleep(1.5)  # it has started and waits on stdin: this is what `ps` shows meanwhile
        assert process.poll() is None
        listed = _ps_args(process.pid)
        assert "add-profile" in listed  # the listing really is this process
        assert secret not in listed
        out, err = process.communicate(secret + "\n", timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, err
    saved = yaml.safe_load((home / "profiles.yaml").read_text())
    assert saved["p"][section][key] == secret
    assert secret not in out + err


def test_the_secret_may_come_from_the_environment_variable(tmp_path: Path) -> None:
    home = tmp_path / "home"
    done = subprocess.run(
        [sys.executable, "-m", "cwdesk", "config", "add-profile", "p", *MANAGE, *AUTOMATE],
        env=_env(home, CWM_PRIVATEKEY=SECRET, CWA_PASSWORD=PASSWORD), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    saved = yaml.safe_load((home / "profiles.yaml").read_text())["p"]
    assert saved["manage"]["private_key"] == SECRET and saved["automate"]["password"] == PASSWORD
    assert "Warning" not in done.stderr


def test_a_secret_given_as_an_option_value_still_works_but_warns(tmp_path: Path) -> None:
    home = tmp_path / "home"
    done = subprocess.run(
        [sys.executable, "-m", "cwdesk", "config", "add-profile", "p", *MANAGE, "--private-key", SECRET],
        env=_env(home), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    warning = " ".join(done.stderr.split())
    assert "process list" in warning and "--private-key-stdin" in warning and "CWM_PRIVATEKEY" in warning
    assert SECRET not in done.stderr


def test_an_empty_stdin_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "cwdesk", "config", "add-profile", "p", *MANAGE, "--private-key-stdin"],
        env=_env(tmp_path / "home"), input="", capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode != 0
    assert "standard input was empty" in " ".join(done.stderr.split())
