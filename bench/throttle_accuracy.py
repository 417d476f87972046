"""Benchmark: how close the adaptive throttle runs to a server's rate limit, and whether any call fails.

A tiny loopback HTTP server (``http.server`` on 127.0.0.1, a thread) allows R requests per minute with a token
bucket (one second of burst) and answers 429 + ``Retry-After`` above it, like ConnectWise's limiter in the
sandbox. Several worker threads drive N calls through the SDK's request core (``HTTPCore`` + ``Throttle`` +
the default ``RetryPolicy``). Printed per scenario: achieved rate / R (goal >= 0.95), the 429s the server sent,
and the calls that failed for the caller (goal 0). Scenarios:

- ``known limit``: the throttle starts at R (the user configured the known limit);
- ``unknown, start 2R``: it starts twice too fast and must find the limit through AIMD;
- ``unknown, start R/2``: it starts too slow and must grow.

Bounded: each scenario stops after ``--seconds`` (default 15 s), so the run takes under a minute.
Run: ``.venv/bin/python bench/throttle_accuracy.py [--rate 600] [--seconds 15] [--workers 4]``.
"""

from __future__ import annotations

import argparse
import math
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from cwdesk._http.core import HTTPCore
from cwdesk._http.retry import RetryPolicy
from cwdesk._http.throttle import Throttle
from cwdesk.errors import CWDeskError


class RateLimitedServer:
    """A loopback server allowing ``per_minute`` requests (token bucket, one second of burst)."""

    def __init__(self, per_minute: float) -> None:
        self.per_second = per_minute / 60.0
        self.capacity = max(1.0, self.per_second)
        self.tokens = self.capacity
        self.updated = time.monotonic()
        self.lock = threading.Lock()
        self.accepted = 0
        self.refused = 0
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                wait = owner.take()
                if wait is None:
                    body = b'[{"id": 1}]'
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                else:
                    body = b'{"code": "TooManyRequests", "message": "Rate limit exceeded"}'
                    self.send_response(429)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Retry-After", str(max(1, math.ceil(wait))))
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def take(self) -> float | None:
        """None if the request may pass, else the seconds until the next token."""
        with self.lock:
            now = time.monotonic()
            self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.per_second)
            self.updated = now
            if self.tokens >= 1.0:
                self.tokens -= 1.0
                self.accepted += 1
                return None
            self.refused += 1
            return (1.0 - self.tokens) / self.per_second

    def __enter__(self) -> RateLimitedServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def scenario(
    name: str, limit: float, start_rate: float, seconds: float, workers: int
) -> tuple[str, float, int, int, float]:
    with RateLimitedServer(limit) as server:
        throttle = Throttle(rate_per_minute=start_rate, max_concurrency=workers)
        core = HTTPCore(base_url=server.url, throttle=throttle, retry=RetryPolicy(max_retries=6), timeout=10.0)
        done = [0]
        failed = [0]
        lock = threading.Lock()
        deadline = time.monotonic() + seconds

        def work() -> None:
            while time.monotonic() < deadline:
                try:
                    core.request("GET", "/company/companies")
                except CWDeskError:
                    with lock:
                        failed[0] += 1
                    continue
                with lock:
                    done[0] += 1

        started = time.monotonic()
        threads = [threading.Thread(target=work) for _ in range(workers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=seconds + 30)
        elapsed = time.monotonic() - started
        core.close()
        achieved_per_minute = done[0] / elapsed * 60.0
        return name, achieved_per_minute / limit, server.refused, failed[0], throttle.rate_per_minute


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=600.0, help="the server's limit R, requests per minute")
    parser.add_argument("--seconds", type=float, default=15.0, help="duration of each scenario")
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    rows = [
        scenario("known limit (start R)", args.rate, args.rate, args.seconds, args.workers),
        scenario("unknown, start 2R", args.rate, args.rate * 2, args.seconds, args.workers),
        scenario("unknown, start R/2", args.rate, args.rate / 2, args.seconds, args.workers),
    ]
    print(f"throttle accuracy against a loopback server limited to R = {args.rate:.0f} requests/min")
    print(f"({args.workers} worker threads, {args.seconds:.0f} s per scenario; goal: rate/R >= 0.95, 0 failed calls)")
    print(f"{'scenario':<26}{'rate / R':>10}{'429s sent':>11}{'failed':>8}{'final rate/min':>16}")
    for name, ratio, refused, failed, final in rows:
        print(f"{name:<26}{ratio:>10.3f}{refused:>11}{failed:>8}{final:>16.0f}")


if __name__ == "__main__":
    main()
