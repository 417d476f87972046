"""Issue 14 item 9: job progress streams (SSE) follow the session and the job, over a real HTTP stream: a disabled
user's open stream ends, a stream of an orphaned job ends and says so, streams are capped in time and per user."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
import uvicorn

from cwdesk.console.app import ConsoleSettings, create_app
from cwdesk.console.connections import Connections
from cwdesk.console.routes import jobs as job_routes
from cwdesk.manage.client import ManageClient
from cwdesk.sandbox import Sandbox
from cwdesk.store import open_database
from cwdesk.store.jobs import jobs
from cwdesk.workflows.jobs import start_job
from cwdesk.workflows.primary_contact import plan_set_primary
from tests.loopback import free_port, wait_for

PASSWORD = "Tr0ub4dor&3-correct-horse"
_FORM_CSRF = re.compile(r'name="csrf_token" value="([^"]*)"')


class LiveConsole:
    def __init__(self, base: str, engine: sa.Engine, app: object, job_id: int) -> None:
        self.base, self.engine, self.app, self.job_id = base, engine, app, job_id

    def signed_in(self, username: str) -> httpx.Client:
        client = httpx.Client(base_url=self.base, timeout=10)
        form = client.get("/signin", headers={"accept": "text/html"})
        token = _FORM_CSRF.search(form.text)
        assert token
        answer = client.post("/signin", data={"username": username, "password": PASSWORD, "csrf_token": token.group(1)})
        assert answer.status_code in (200, 303), answer.text
        return client


@pytest.fixture
def live(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LiveConsole]:
    monkeypatch.setenv("CWDESK_HOME", str(tmp_path))
    monkeypatch.delenv("CWDESK_DATABASE_URL", raising=False)
    monkeypatch.setattr(job_routes, "STREAM_RECHECK_SECONDS", 0.3)
    sandbox = Sandbox(seed="demo")
    engine = open_database(f"sqlite:///{tmp_path / 'console.db'}")
    app = create_app(ConsoleSettings(connections=Connections.on_sandbox(sandbox), engine=engine))
    for name in ("viewer", "other"):
        app.state.accounts.create_user(name, "viewer", PASSWORD)
    cw = ManageClient(**sandbox.manage_credentials, transport=sandbox.transport())
    job_id = start_job(engine, plan_set_primary(cw, 2), client=cw, created_by="viewer")  # planned: never started
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for(lambda: server.started, 30, "the console")
    try:
        yield LiveConsole(f"http://127.0.0.1:{port}", engine, app, job_id)
    finally:
        server.should_exit = True
        thread.join(10)
        cw.close()
        sandbox.close()


def read_stream(client: httpx.Client, job_id: int, *, seconds: float) -> tuple[int, str, float, dict[str, str]]:
    """Read the job's stream until it ends or ``seconds`` pass; (status, text, elapsed, headers)."""
    started = time.monotonic()
    text = ""
    with client.stream("GET", f"/jobs/{job_id}/events", timeout=seconds + 5) as answer:
        if answer.status_code != 200:
            answer.read()
            return answer.status_code, answer.text, time.monotonic() - started, dict(answer.headers)
        for chunk in answer.iter_text():
            text += chunk
            if time.monotonic() - started > seconds:
                break
    return 200, text, time.monotonic() - started, dict(answer.headers)


def stream_status(client: httpx.Client, job_id: int) -> int:
    """The status a new stream is answered with (the stream is closed at once)."""
    with client.stream("GET", f"/jobs/{job_id}/events", timeout=10) as answer:
        return answer.status_code


def test_a_disabled_viewers_open_stream_ends(live: LiveConsole) -> None:
    client = live.signed_in("viewer")
    threading.Timer(0.5, lambda: live.app.state.accounts.set_disabled("viewer", True)).start()  # type: ignore[attr-defined]
    status, text, elapsed, _ = read_stream(client, live.job_id, seconds=15)
    assert status == 200
    assert "event: signed_out" in text
    assert elapsed < 10
    assert client.get(f"/jobs/{live.job_id}/events").status_code == 401  # the browser's reconnect is refused


def test_a_stream_of_an_orphaned_job_ends_and_says_why(live: LiveConsole) -> None:
    with live.engine.begin() as conn:  # running, with no runner: its process is gone
        conn.execute(sa.update(jobs).where(jobs.c.id == live.job_id).values(state="running", runner=""))
    status, text, elapsed, _ = read_stream(live.signed_in("viewer"), live.job_id, seconds=15)
    assert status == 200
    assert "event: end" in text
    assert "runner stopped" in text
    assert elapsed < 10


def test_a_stream_lasts_at_most_the_cap(live: LiveConsole, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(job_routes, "STREAM_MAX_SECONDS", 1.0)
    status, text, elapsed, _ = read_stream(live.signed_in("viewer"), live.job_id, seconds=15)
    assert status == 200
    assert text.startswith("retry: 2000")
    assert elapsed < 5


def test_one_user_holds_a_bounded_number_of_streams(live: LiveConsole, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(job_routes, "STREAMS_PER_USER", 2)
    client = live.signed_in("viewer")
    opened = [client.stream("GET", f"/jobs/{live.job_id}/events", timeout=10) for _ in range(2)]
    answers = [stream.__enter__() for stream in opened]
    try:
        assert [a.status_code for a in answers] == [200, 200]
        refused = client.get(f"/jobs/{live.job_id}/events")
        assert refused.status_code == 429
        assert "close a job page" in refused.json()["message"]
        assert refused.headers["retry-after"] == "30"
        assert stream_status(live.signed_in("other"), live.job_id) == 200  # another user is not affected
    finally:
        for stream in opened:
            stream.__exit__(None, None, None)
    wait_for(lambda: stream_status(client, live.job_id) == 200, 10, "a stream slot freed on close")
