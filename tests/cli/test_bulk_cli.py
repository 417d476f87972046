"""``cwdesk bulk contacts``: report and exit codes in-process, and a job killed with SIGKILL then resumed for real."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from cwdesk.cli import connection
from cwdesk.cli.app import app
from cwdesk.sandbox import Sandbox
from tests.loopback import serve, wait_for


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sandbox: Sandbox) -> Iterator[CliRunner]:
    monkeypatch.setenv("CWDESK_HOME", str(tmp_path))
    monkeypatch.delenv("CWDESK_DATABASE_URL", raising=False)
    with connection.use_sandbox(sandbox):
        yield CliRunner()


def test_bulk_contacts_prints_a_report_and_exits_0(runner: CliRunner) -> None:
    result = runner.invoke(
        app, ["bulk", "contacts", "--companies", "1,2", "--set", "relationship=Owner", "-q", "--output", "json"]
    )

    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert rows and {r["result"] for r in rows} == {"ok"}
    assert all(r["after"] == "Owner" and r["field"] == "relationship" for r in rows)


def test_bulk_contacts_with_a_failing_record_exits_3_and_names_the_resume(runner: CliRunner, sandbox: Sandbox) -> None:
    sandbox.faults.fail_next(method="PATCH", path_contains="/company/contacts/", status=400, count=1)

    result = runner.invoke(app, ["bulk", "contacts", "--companies", "1", "--set", "inactiveFlag=true", "-o", "csv"])

    assert result.exit_code == 3, result.output
    assert "contact_id,contact,company,field,before,after,result,message" in result.stdout
    assert ",error," in result.stdout
    assert "cwdesk jobs resume" in result.output


def test_bulk_contacts_dry_run_and_usage_errors(runner: CliRunner, sandbox: Sandbox) -> None:
    sandbox.clear_requests()
    dry = runner.invoke(
        app, ["bulk", "contacts", "--where", "id <= 2", "--set", "inactiveFlag=true", "--dry-run", "-o", "json"]
    )
    assert dry.exit_code == 0 and {r["result"] for r in json.loads(dry.stdout)} == {"would update"}
    both = runner.invoke(app, ["bulk", "contacts", "--companies", "1", "--where", "id=1", "--set", "inactiveFlag=1"])
    assert both.exit_code == 2 and "exactly one" in both.output
    bad = runner.invoke(app, ["bulk", "contacts", "--companies", "1", "--set", "type=Bilin"])
    assert bad.exit_code == 2 and "did you mean 'Billing'" in bad.output
    assert [r for r in sandbox.requests if r.method != "GET"] == []


# ---------------------------------------------------------------------------------------------------------------
# The real thing: a CLI process killed with SIGKILL in the middle of a bulk job, then `cwdesk jobs resume`.


@pytest.fixture
def sandbox_server(tmp_path: Path) -> Iterator[str]:
    with serve(tmp_path / "server-home", "--seed", "10", "--latency", "15") as served:
        yield served.base


def _cli_env(tmp_path: Path, base: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CWM_", "CWDESK_"))}
    env.update(
        CWDESK_HOME=str(tmp_path / "cli-home"),
        CWM_SERVER=base,
        CWM_COMPANY="sandbox",
        CWM_PUBKEY="sandbox-public",
        CWM_PRIVATEKEY="sandbox-private",
        CWM_CLIENTID="50c0f8ed-7df4-56f2-8072-b76acd413bf0",
    )
    return env


def _patches(base: str) -> Counter[str]:
    log = httpx.get(f"{base}/_sandbox/requests", timeout=10).json()
    return Counter(e["path"] for e in log if e["method"] == "PATCH" and e["status"] == 200)


def _contacts(base: str) -> list[dict[str, Any]]:
    auth = ("sandbox+sandbox-public", "sandbox-private")
    headers = {"clientId": "50c0f8ed-7df4-56f2-8072-b76acd413bf0"}
    url = f"{base}/v4_6_release/apis/3.0/company/contacts"
    found: list[dict[str, Any]] = []
    page = 1
    while True:
        batch = httpx.get(url, params={"pageSize": 1000, "page": page}, auth=auth, headers=headers, timeout=10).json()
        if not batch:
            return found
        found.extend(batch)
        page += 1


def test_bulk_contacts_resumes_after_kill_without_patching_twice(tmp_path: Path, sandbox_server: str) -> None:
    base = sandbox_server
    targeted = {c["id"] for c in _contacts(base) if not c.get("inactiveFlag")}
    assert len(targeted) > 30
    env = _cli_env(tmp_path, base)
    command = [sys.executable, "-m", "cwdesk", "bulk", "contacts", "--where", "id > 0", "--set", "inactiveFlag=true"]
    worker = subprocess.Popen([*command, "-q"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_for(lambda: sum(_patches(base).values()) >= 8 or worker.poll() is not None, 60, "the first patches")
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
    done_before_kill = sum(_patches(base).values())
    assert 8 <= done_before_kill < len(targeted), "the job was not killed mid-run"

    listed = subprocess.run(
        [sys.executable, "-m", "cwdesk", "jobs", "list", "-o", "json"], env=env, capture_output=True, timeout=60
    )
    jobs = json.loads(listed.stdout)
    assert len(jobs) == 1 and jobs[0]["state"] == "running"  # the killed process never finished it
    resumed = subprocess.run(
        [sys.executable, "-m", "cwdesk", "jobs", "resume", str(jobs[0]["id"]), "-q", "-o", "json"],
        env=env,
        capture_output=True,
        timeout=120,
    )

    assert resumed.returncode == 0, resumed.stderr.decode()
    assert json.loads(resumed.stdout)["state"] == "succeeded"
    patched = _patches(base)
    # Every targeted contact is updated, and none was patched twice.
    assert {int(path.rsplit("/", 1)[1]) for path in patched} == targeted
    assert max(patched.values()) == 1
    assert all(c.get("inactiveFlag") for c in _contacts(base))
