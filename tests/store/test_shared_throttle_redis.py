"""The shared rate limit on Redis (issue 13 item 2): throttles of several processes or machines on one credential
reserve from one schedule and learn one rate through a real ``redis-server``; a Redis that stops costs one warning
line, never a failed call; no secret reaches Redis.

``redis_server`` starts Debian's ``redis-server`` on a free 127.0.0.1 port from a temporary folder (no
persistence), and stops it by its PID. Without the binary the tests are skipped locally, but fail in CI
(``CI=true``), where ``.ci/run`` installs it.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis

from cwdesk._http.throttle import BACKGROUND_AHEAD_S, SHARED_RETRY_S, Lane, Throttle, share_throttles
from cwdesk.logs import redact
from cwdesk.store import shared_throttle
from cwdesk.store.shared_throttle import rate_limit_url, share_rate_limits
from cwdesk.store.throttle_redis import KEY_PREFIX, KEY_TTL_S, RedisPacingStore, redis_key
from tests.loopback import free_port, serve

KEY = "manage:127.0.0.1/sandbox/sandbox-public"


@dataclass
class RedisServer:
    url: str
    process: subprocess.Popen[bytes]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


def _start_redis(folder: Path, port: int | None = None) -> RedisServer:
    binary = shutil.which("redis-server")
    if binary is None:
        message = "the Redis tests need Debian's redis-server (apt-get install -y redis-server)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    port = port or free_port()
    folder.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(folder), "--save", "", "--appendonly",
         "no", "--daemonize", "no", "--logfile", str(folder / "redis.log")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url, socket_connect_timeout=0.5)
    deadline = time.monotonic() + 15
    while True:
        try:
            if client.ping():
                break
        except redis.ConnectionError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(f"redis-server did not start: {(folder / 'redis.log').read_text()}") from None
            time.sleep(0.05)
    client.close()
    return RedisServer(url, process)


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    server = _start_redis(tmp_path / "redis")
    try:
        yield server
    finally:
        server.stop()


def _all_keys_and_values(url: str) -> dict[str, str]:
    client = redis.Redis.from_url(url, decode_responses=True)
    try:
        return {key: str(client.get(key)) for key in client.scan_iter("*")}
    finally:
        client.close()


def test_the_rate_limit_url_comes_from_cwdesk_rate_limit_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CWDESK_RATE_LIMIT_URL", raising=False)
    assert rate_limit_url() is None
    monkeypatch.setenv("CWDESK_RATE_LIMIT_URL", " redis://127.0.0.1:6379/2 ")
    assert rate_limit_url() == "redis://127.0.0.1:6379/2"


def test_throttles_on_one_redis_share_one_schedule(redis_server: RedisServer) -> None:
    now = [5_000.0]
    stores = [RedisPacingStore(redis_server.url) for _ in range(3)]  # three "machines", each its own client
    throttles = [
        Throttle(rate_per_minute=600, adaptive=False, clock=lambda: now[0], key=KEY, shared=store) for store in stores
    ]
    waits: list[float] = []
    lock = threading.Lock()

    def reserve(throttle: Throttle) -> None:
        for _ in range(5):
            wait = throttle._reserve_with_lock()
            with lock:
                waits.append(wait)

    threads = [threading.Thread(target=reserve, args=(t,)) for t in throttles]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    # Fifteen reservations from three clients at one instant: one schedule, one start every 100 ms, none lost to a
    # concurrent write (WATCH/MULTI runs a change again when another client wrote in between).
    assert sorted(waits) == pytest.approx([i * 0.1 for i in range(15)])
    assert all(t.shared for t in throttles)
    for store in stores:
        store.close()


def test_both_lanes_plan_from_the_one_schedule_in_redis(redis_server: RedisServer) -> None:
    now = [5_000.0]
    job_side, person_side = RedisPacingStore(redis_server.url), RedisPacingStore(redis_server.url)
    job = Throttle(rate_per_minute=480, adaptive=False, clock=lambda: now[0], key=KEY, shared=job_side)
    person = Throttle(rate_per_minute=480, adaptive=False, clock=lambda: now[0], key=KEY, shared=person_side)
    planned = []
    while (plan := job._plan_with_lock(Lane.background))[0]:
        planned.append(plan[1])
    # The background lane fills the schedule up to BACKGROUND_AHEAD_S ahead, then waits unreserved ...
    interval = 0.125  # 480/min: exact in binary, so the horizon's edge is no rounding question
    assert planned == pytest.approx([i * interval for i in range(round(BACKGROUND_AHEAD_S / interval) + 1)])
    # ... while a person's request in another process still takes the next free start, right behind it.
    assert person._plan_with_lock(Lane.interactive) == (True, pytest.approx(BACKGROUND_AHEAD_S + interval))
    job_side.close()
    person_side.close()


def test_the_learned_rate_is_shared_and_the_key_expires(redis_server: RedisServer) -> None:
    one, other = RedisPacingStore(redis_server.url), RedisPacingStore(redis_server.url)
    first = Throttle(rate_per_minute=300, key=KEY, shared=one)
    second = Throttle(rate_per_minute=300, key=KEY, shared=other)
    for _ in range(3):
        first._reserve_with_lock()  # paced requests (not a burst), so the 429 below counts
        time.sleep(0.25)
    first.on_rate_limited(retry_after=None)
    second._reserve_with_lock()  # reads the state the other client wrote
    assert second.rate_per_minute == pytest.approx(300 * 0.8)

    client = redis.Redis.from_url(redis_server.url)
    ttl = client.ttl(redis_key(KEY))
    client.close()
    assert 0 < ttl <= KEY_TTL_S
    one.close()
    other.close()


def test_a_redis_that_is_not_running_costs_one_warning_line(caplog: pytest.LogCaptureFixture) -> None:
    url = f"redis://:hunter2-secret@127.0.0.1:{free_port()}/0"  # nobody listens there
    throttle = Throttle(rate_per_minute=600, key=KEY, shared=RedisPacingStore(url, socket_timeout=0.5))
    with caplog.at_level(logging.WARNING, logger="cwdesk.throttle"):
        for _ in range(3):
            throttle._reserve_with_lock()
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1
    assert "Redis server for the shared rate limit (redis://127.0.0.1:" in warnings[0]
    assert "start it or fix CWDESK_RATE_LIMIT_URL" in warnings[0]
    assert "hunter2" not in warnings[0]
    assert "\n" not in warnings[0]
    assert not throttle.shared
    assert redact("connecting with hunter2-secret") == "connecting with ***"  # the URL's password is masked


def test_a_throttle_shares_again_once_redis_is_back(
    redis_server: RedisServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    now = [5_000.0]
    store = RedisPacingStore(redis_server.url, socket_timeout=0.5)
    throttle = Throttle(rate_per_minute=600, adaptive=False, clock=lambda: now[0], key=KEY, shared=store)
    throttle._reserve_with_lock()
    redis_server.stop()
    with caplog.at_level(logging.WARNING, logger="cwdesk.throttle"):
        throttle._reserve_with_lock()  # fails: paces alone
        now[0] += SHARED_RETRY_S + 1
        throttle._reserve_with_lock()  # tried again, still down: no second line
        assert not throttle.shared
        port = int(redis_server.url.rsplit(":", 1)[1].split("/")[0])
        again = _start_redis(tmp_path / "redis-again", port)
        try:
            now[0] += SHARED_RETRY_S + 1
            throttle._reserve_with_lock()
            assert throttle.shared
            assert _all_keys_and_values(again.url) != {}  # the state is in the new server
        finally:
            again.stop()
            store.close()
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 2, lines
    assert "is not answering" in lines[0]
    assert "answers again" in lines[1]


def test_a_rate_limit_url_that_is_not_redis_is_refused_in_one_line(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(shared_throttle, "_shared", None)
    monkeypatch.setenv("CWDESK_RATE_LIMIT_URL", "http://user:pw-secret@cache.example/0")
    with caplog.at_level(logging.WARNING, logger="cwdesk.throttle"):
        assert share_rate_limits() is False
    (warning,) = [r.getMessage() for r in caplog.records]
    assert "must be a redis://HOST:PORT/DB" in warning
    assert "pw-secret" not in warning


def test_share_rate_limits_uses_redis_when_configured(
    redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(shared_throttle, "_shared", None)
    monkeypatch.setenv("CWDESK_RATE_LIMIT_URL", redis_server.url)
    monkeypatch.setenv("CWDESK_DATABASE_URL", f"sqlite:///{tmp_path / 'never-made.db'}")
    try:
        assert share_rate_limits() is True
        assert isinstance(shared_throttle._shared, RedisPacingStore)
    finally:
        share_throttles(None)
        if shared_throttle._shared is not None:
            shared_throttle._shared.close()
    assert not (tmp_path / "never-made.db").exists()  # the app's database is not opened for the rate limit
    assert all(key.startswith(KEY_PREFIX) for key in _all_keys_and_values(redis_server.url))


# Each process: the SDK on the sandbox, sharing its rate limit the way the CLI does (``share_rate_limits()`` with
# ``CWDESK_RATE_LIMIT_URL`` set), ``CALLS`` reads, then one JSON line: calls done, errors, seconds.
_PROCESS = """
import json, logging, sys, time
logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
from cwdesk.manage.client import ManageClient
from cwdesk.sandbox.server import CLIENT_ID
from cwdesk.store.shared_throttle import share_rate_limits
assert share_rate_limits()
server, calls, rate = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
client = ManageClient(server=server, company="sandbox", public_key="sandbox-public", private_key="sandbox-private",
                      client_id=CLIENT_ID, rate_per_minute=rate)
done, errors, began = 0, [], time.monotonic()
for _ in range(calls):
    try:
        client.companies.count()
        done += 1
    except Exception as error:
        errors.append(type(error).__name__)
print(json.dumps({"done": done, "errors": errors, "seconds": time.monotonic() - began,
                  "shared": client.throttle.shared, "identity": client.credentials.identity}))
"""

RATE = 300  # requests a minute the sandbox allows the credential
BURST = 10
PROCESSES = 2
CALLS = 30  # per process: 60 calls, about (60 - 10) / 5 = 10 s at the limit


@dataclass
class Run:
    results: list[dict[str, object]]
    stderr: list[str]
    wall: float


def _run_processes(
    base: str, url: str, tmp_path: Path, *, during: float = 0.0, then: Callable[[], None] | None = None
) -> Run:
    env = {**os.environ, "CWDESK_RATE_LIMIT_URL": url, "CWDESK_HOME": str(tmp_path / "home")}
    (tmp_path / "home").mkdir(mode=0o700, exist_ok=True)
    began = time.monotonic()
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", _PROCESS, base, str(CALLS), str(RATE)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(PROCESSES)
    ]
    if then is not None:
        time.sleep(during)
        then()
    outputs = [p.communicate(timeout=120) for p in processes]
    wall = time.monotonic() - began
    assert [p.returncode for p in processes] == [0] * PROCESSES, outputs
    return Run(
        results=[json.loads(out.strip().splitlines()[-1]) for out, _ in outputs],
        stderr=[err for _, err in outputs],
        wall=wall,
    )


def test_two_processes_on_one_credential_pace_together_through_redis(redis_server: RedisServer, tmp_path: Path) -> None:
    with serve(tmp_path / "sandbox", "--rate-limit", f"{RATE}/min", "--rate-burst", str(BURST)) as served:
        run = _run_processes(served.base, redis_server.url, tmp_path)
        log = [r for r in served.log() if "/apis/3.0/" in r["path"]]
    stored = _all_keys_and_values(redis_server.url)

    rate_limited = sum(1 for r in log if r["status"] == 429)
    served_calls = len(log) - rate_limited
    floor = (served_calls - BURST) / (RATE / 60)
    share = rate_limited / len(log)
    print(f"redis shared rate limit: {PROCESSES} processes x {CALLS} calls at {RATE}/min: wall {run.wall:.1f} s, "
          f"floor {floor:.1f} s, wall/floor {run.wall / floor:.2f}, 429 share {share:.1%}")  # fmt: skip
    assert [r["errors"] for r in run.results] == [[]] * PROCESSES
    assert [r["done"] for r in run.results] == [CALLS] * PROCESSES
    assert all(r["shared"] for r in run.results)
    assert not any("WARNING" in err or "Traceback" in err for err in run.stderr), run.stderr
    assert share < 0.10
    # Together, not each at the full rate: two processes pacing alone would finish in about half the floor.
    assert 0.85 * floor <= run.wall <= 1.6 * floor + 3.0  # (+3 s: two interpreters starting)
    # One key for the one credential, holding state and nothing of the credential's secret or identity.
    assert list(stored) == [redis_key(str(run.results[0]["identity"]))]
    for key, value in stored.items():
        for secret in ("sandbox-private", "sandbox-public", "sandbox+"):
            assert secret not in key and secret not in value


def test_redis_stopped_mid_run_costs_one_warning_line_and_every_call_finishes(
    redis_server: RedisServer, tmp_path: Path
) -> None:
    with serve(tmp_path / "sandbox", "--rate-limit", f"{RATE}/min", "--rate-burst", str(BURST)) as served:
        run = _run_processes(served.base, redis_server.url, tmp_path, during=4.0, then=redis_server.stop)
    assert [r["errors"] for r in run.results] == [[]] * PROCESSES
    assert [r["done"] for r in run.results] == [CALLS] * PROCESSES
    for err in run.stderr:
        lines = [line for line in err.splitlines() if line.strip()]
        assert len(lines) == 1, err  # one line per process, no traceback
        assert "Redis server for the shared rate limit" in lines[0]
        assert "start it or fix CWDESK_RATE_LIMIT_URL" in lines[0]
    assert all(not r["shared"] for r in run.results)
