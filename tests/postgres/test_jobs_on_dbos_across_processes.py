"""Issue 13, item 1, on real processes: two console processes and a `cwdesk worker` on one PostgreSQL database and
one ConnectWise (a standalone sandbox on loopback). A bulk job started in the first console is finished by another
process after the first is killed with SIGKILL mid-job: through DBOS (the dead process's run is recovered from
DBOS's tables in the store's database), without a PATCH sent twice, within a bounded time.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from cwdesk.console.security import Accounts
from cwdesk.store import open_database
from tests.console.conftest import PASSWORD
from tests.loopback import Served, free_port, serve, wait_for
from tests.reliability.harness import Cli

pytestmark = pytest.mark.postgres

API = "/v4_6_release/apis/3.0"
_FORM_CSRF = re.compile(r'name="csrf_token" value="([^"]*)"')


@dataclass
class Process:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@contextmanager
def started(name: str, args: list[str], env: dict[str, str], folder: Path) -> Iterator[Process]:
    log = folder / f"{name}.log"
    with log.open("wb") as out:
        popen = subprocess.Popen([sys.executable, "-m", "cwdesk", *args], env=env, stdout=out, stderr=subprocess.STDOUT)
    process = Process(name, popen, log)
    try:
        yield process
    finally:
        if popen.poll() is None:
            popen.terminate()
            try:
                popen.wait(15)
            except subprocess.TimeoutExpired:
                popen.kill()
                popen.wait(10)


def _home(path: Path) -> Path:
    path.mkdir(mode=0o700)
    return path


def _console_up(process: Process, base: str) -> bool:
    if process.popen.poll() is not None:
        raise AssertionError(f"{process.name} exited with {process.popen.returncode}: {process.output()}")
    try:
        return httpx.get(f"{base}/signin", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def _signed_in(base: str) -> tuple[httpx.Client, str]:
    client = httpx.Client(base_url=base, timeout=30)
    form = client.get("/signin", headers={"accept": "text/html"})
    token = _FORM_CSRF.search(form.text)
    assert token, form.text[:300]
    answer = client.post("/signin", data={"username": "ops", "password": PASSWORD, "csrf_token": token.group(1)})
    assert answer.status_code in (200, 303), answer.text[:300]
    csrf = client.cookies.get("cwdesk_csrf") or ""
    page = client.get("/", headers={"accept": "text/html"})
    found = re.search(r'name="csrf-token" content="([^"]*)"', page.text)
    return client, (found.group(1) if found else csrf)


def _patches(served: Served) -> Counter[str]:
    return Counter(
        e["path"].split(API, 1)[-1]
        for e in served.log()
        if e["method"] == "PATCH" and e["status"] == 200 and "/company/contacts/" in e["path"]
    )


@pytest.fixture
def slow_sandbox(tmp_path: Path) -> Iterator[Served]:
    # 250 ms per call: the bulk job runs for seconds, long enough to be killed in its middle.
    with serve(tmp_path / "server-home", "--seed", "demo", "--latency", "250") as served:
        yield served


def test_a_job_started_in_one_console_is_finished_by_another_process_after_a_sigkill(
    tmp_path: Path, postgres_database: str, slow_sandbox: Served
) -> None:
    engine = open_database(postgres_database)
    try:
        Accounts(engine).create_user("ops", "operator", PASSWORD)
        env = Cli.on(slow_sandbox, tmp_path / "unused", CWDESK_DATABASE_URL=postgres_database).env
        ports = [free_port(), free_port()]
        with ExitStack() as stack:
            consoles = [
                stack.enter_context(
                    started(
                        f"console-{i}",
                        ["console", "--port", str(port)],
                        {**env, "CWDESK_HOME": str(_home(tmp_path / f"console-{i}"))},
                        tmp_path,
                    )
                )
                for i, port in enumerate(ports)
            ]
            bases = [f"http://127.0.0.1:{port}" for port in ports]
            for process, base in zip(consoles, bases, strict=True):
                wait_for(lambda p=process, b=base: _console_up(p, b), 90, f"{process.name} answering")
            worker = stack.enter_context(
                started(
                    "worker",
                    ["worker", "--every", "1"],
                    {**env, "CWDESK_HOME": str(_home(tmp_path / "worker"))},
                    tmp_path,
                )
            )
            browser, csrf = _signed_in(bases[0])
            body = {"company_ids": [1, 2], "contact_filter": "active", "field": "inactiveFlag", "value": "true"}
            headers = {"x-csrf-token": csrf, "accept": "application/json"}
            # Bulk Execute previews first and runs only with the preview's token (issue 15 §2).
            preview = browser.post("/bulk/preview", json=body, headers=headers)
            assert preview.status_code == 200, preview.text
            token = preview.json()["preview"]["confirmation"]
            answer = browser.post("/bulk", json={**body, "confirmation": token}, headers=headers)
            assert answer.status_code == 200, answer.text
            job_id = int(answer.json()["job_id"])

            # SIGKILL the console that runs it once its first PATCH has landed, before its last.
            wait_for(lambda: sum(_patches(slow_sandbox).values()) >= 1, 90, "the job's first PATCH")
            consoles[0].popen.send_signal(signal.SIGKILL)
            consoles[0].popen.wait(10)
            killed_at = time.monotonic()
            with engine.connect() as conn:
                state_then = conn.execute(sa.text("SELECT state FROM jobs WHERE id = :id"), {"id": job_id}).scalar()
            assert state_then == "running", "the job should have been killed in its middle"

            # Another process (the worker, or the second console) finishes it, within a bounded time.
            def finished() -> bool:
                with engine.connect() as conn:
                    state = conn.execute(sa.text("SELECT state FROM jobs WHERE id = :id"), {"id": job_id}).scalar()
                return state in ("succeeded", "partial", "failed")

            wait_for(finished, 90, f"job {job_id} finished by another process")
            took = time.monotonic() - killed_at
            second, _ = _signed_in(bases[1])
            listed = {job["id"]: job for job in second.get("/api/jobs").json()}
            assert worker.popen.poll() is None, worker.output()
        print(f"\nfinished {took:.1f} s after the SIGKILL")
        summary: dict[str, Any] = listed[job_id]  # as the second console shows it
        assert summary["state"] == "succeeded", summary
        assert summary["counts"]["ok"] + summary["counts"]["skipped"] == summary["counts"]["total"] >= 2, summary
        with engine.connect() as conn:
            events = conn.execute(
                sa.text("SELECT type, runner FROM job_events WHERE job_id = :id ORDER BY id"), {"id": job_id}
            ).all()
            runs = conn.execute(
                sa.text(
                    "SELECT workflow_uuid, status, executor_id, recovery_attempts FROM dbos.workflow_status "
                    "WHERE workflow_uuid LIKE :prefix"
                ),
                {"prefix": f"cwdesk-job-{job_id}-%"},
            ).all()
        killed_pid = consoles[0].popen.pid
        takeovers = [runner for kind, runner in events if kind == "takeover"]
        assert len(takeovers) == 1, events
        assert f":{killed_pid}:" not in str(takeovers[0])  # taken by another process than the killed one
        assert [kind for kind, _ in events].count("job_finished") == 1
        # The one run, started by the killed console, was recovered through DBOS and ended in another executor
        # (DBOS moves a recovered workflow to the executor that dequeues it).
        print("DBOS runs:", runs)
        assert len(runs) == 1, runs
        (run,) = runs
        assert run.status == "SUCCESS", runs
        assert run.executor_id and not str(run.executor_id).endswith(f":{killed_pid}"), runs
        assert takeovers[0] is not None and str(takeovers[0]).startswith(str(run.executor_id) + ":"), (runs, events)
        # Nothing was sent twice: every contact was patched once.
        patches = _patches(slow_sandbox)
        assert patches and max(patches.values()) == 1, patches
        assert took < 60
    finally:
        engine.dispose()
        os.environ.pop("CWDESK_DATABASE_URL", None)
