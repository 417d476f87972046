"""The shared rate limit on Redis (issue 13 item 2): throttles of several processes or machines on one credential
reserve from one schedule and learn one rate through a real ``redis-server``; a Redis that stops costs one warning
line, never a failed call; no secret reaches Redis.

``redis_server`` starts Debian's ``redis-server`` on a free 127.0.0.1 port from a temporary folder (no
persistence), and stops it by its PID. Without the binary the tests are skipped locally, but fail in CI
(``CI=true``), where ``.ci/run`` installs it.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis

from cwdesk._http.throttle import Throttle, share_throttles
from cwdesk.store import shared_throttle
from cwdesk.store.shared_throttle import rate_limit_url, share_rate_limits
from cwdesk.store.throttle_redis import KEY_PREFIX, KEY_TTL_S, RedisPacingStore, redis_key
from tests.loopback import free_port

KEY = "manage:127.0.0.1/sandbox/sandbox-public"


@dataclass
class RedisServer:
    url: str
    process: subprocess.Popen[bytes]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


def _start_redis(folder: Path) -> RedisServer:
    binary = shutil.which("redis-server")
    if binary is None:
        message = "the Redis tests need Debian's redis-server (apt-get install -y redis-server)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    port = free_port()
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
