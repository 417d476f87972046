"""The real ``cwdesk`` command in a subprocess, against ``cwdesk sandbox serve`` on loopback: env vars, exit
codes, JSON logs without secrets, and shell completion."""

from __future__ import annotations

import base64
import json
import os
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tests.cli.conftest import Standalone


def test_companies_list_reads_the_cwm_env_vars(standalone: Standalone) -> None:
    result = standalone.cwdesk("companies", "list", "--output", "json")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert len(rows) == 8
    assert {"id", "identifier", "name"} <= set(rows[0])


def test_exit_codes_are_0_ok_1_failure_2_usage(standalone: Standalone) -> None:
    assert standalone.cwdesk("companies", "count").returncode == 0
    assert standalone.cwdesk("companies", "get", "424242").returncode == 1
    assert standalone.cwdesk("companies", "list", "--where", "name = ").returncode == 2
    assert standalone.cwdesk("companies", "list", "--output", "yaml").returncode == 2
    wrong_key = standalone.cwdesk("companies", "count", CWM_PRIVATEKEY="wrong-private-key")
    assert wrong_key.returncode == 1
    assert "wrong-private-key" not in wrong_key.stdout + wrong_key.stderr


def test_json_logs_are_one_object_per_line_and_never_carry_the_key(standalone: Standalone) -> None:
    result = standalone.cwdesk("--log-format", "json", "--log-level", "debug", "members", "sync")
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines, "debug logging produced no lines"
    entries = [json.loads(line) for line in lines]
    assert all({"ts", "level", "logger", "message"} <= set(entry) for entry in entries)
    secret = standalone.env["CWM_PRIVATEKEY"]
    auth = base64.b64encode(
        f"{standalone.env['CWM_COMPANY']}+{standalone.env['CWM_PUBKEY']}:{secret}".encode()
    ).decode()
    for text in (result.stdout, result.stderr):
        assert secret not in text
        assert auth not in text


def test_a_saved_profile_is_used_with_profile(standalone: Standalone) -> None:
    env = {k: v for k, v in standalone.env.items() if not k.startswith("CWM_")}
    add = subprocess.run(
        [
            *standalone.command(),
            "config",
            "add-profile",
            "lab",
            "--server",
            standalone.env["CWM_SERVER"],
            "--company",
            standalone.env["CWM_COMPANY"],
            "--public-key",
            standalone.env["CWM_PUBKEY"],
            "--private-key",
            standalone.env["CWM_PRIVATEKEY"],
            "--client-id",
            standalone.env["CWM_CLIENTID"],
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert add.returncode == 0, add.stderr
    counted = subprocess.run(
        [*standalone.command(), "--profile", "lab", "companies", "count"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert counted.returncode == 0, counted.stderr
    assert counted.stdout.strip() == "8"
    assert (Path(env["CWDESK_HOME"]) / "profiles.yaml").stat().st_mode & 0o077 == 0


def test_shell_completion_lists_commands(standalone: Standalone) -> None:
    script = Path(os.environ.get("VIRTUAL_ENV", "")) / "bin" / "cwdesk"
    executable = script if script.exists() else Path(__file__).resolve().parents[2] / ".venv" / "bin" / "cwdesk"
    result = subprocess.run(
        [str(executable)],
        env={**standalone.env, "COMP_WORDS": "cwdesk comp", "COMP_CWORD": "1", "_CWDESK_COMPLETE": "complete_bash"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert {"companies", "company-statuses", "company-types"} <= set(result.stdout.split())
