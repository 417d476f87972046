"""Issue 14, info item: a client that sends its request slowly (slowloris) cannot hold a console connection open.

Against ``cwdesk console --demo --read-timeout 2`` in a child process, with raw sockets: a request head that never
ends and a body that stops half-way are both cut at the deadline, while ordinary requests are served as before.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest

from .console_process import RunningConsole, running_console

DEADLINE = 2.0


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningConsole]:
    home = tmp_path_factory.mktemp("slow") / "home"
    with running_console(home, extra=("--read-timeout", str(DEADLINE))) as running:
        yield running


def _connect(console: RunningConsole) -> socket.socket:
    address = urlsplit(console.base)
    return socket.create_connection((address.hostname, address.port), timeout=10)


def _seconds_until_closed(sock: socket.socket, limit: float) -> float | None:
    """How long until the server closes the connection (reads return b""), or None if still open at ``limit``."""
    started = time.monotonic()
    sock.settimeout(0.2)
    while time.monotonic() - started < limit:
        try:
            if sock.recv(65536) == b"":
                return time.monotonic() - started
        except TimeoutError:
            continue
        except ConnectionResetError:
            return time.monotonic() - started
    return None


def test_a_request_head_that_never_ends_is_cut_at_the_deadline(console: RunningConsole) -> None:
    with _connect(console) as sock:
        sock.sendall(b"GET /signin HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        closed = _seconds_until_closed(sock, DEADLINE + 5)
    assert closed is not None and closed <= DEADLINE + 1.5, closed


def test_a_head_dripped_byte_by_byte_is_cut_too(console: RunningConsole) -> None:
    """Each byte arrives in time, but the whole head does not: the deadline is for the request, not per read."""
    cut_at = None
    with _connect(console) as sock:
        sock.settimeout(0.25)
        started = time.monotonic()
        for byte in b"GET /signin HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 100:
            try:
                sock.sendall(bytes([byte]))
                if sock.recv(65536) == b"":
                    cut_at = time.monotonic() - started
                    break
            except TimeoutError:
                pass
            except (BrokenPipeError, ConnectionResetError):
                cut_at = time.monotonic() - started
                break
            if time.monotonic() - started > DEADLINE + 5:
                break
    assert cut_at is not None and cut_at <= DEADLINE + 1.5, cut_at


def test_a_body_that_stops_half_way_is_cut_at_the_deadline(console: RunningConsole) -> None:
    with _connect(console) as sock:
        sock.sendall(
            b"POST /signin HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            b"Content-Length: 100\r\n\r\nusername=a"
        )
        closed = _seconds_until_closed(sock, DEADLINE + 5)
    assert closed is not None and closed <= DEADLINE + 1.5, closed


def test_ordinary_requests_and_kept_alive_connections_are_served(console: RunningConsole) -> None:
    with httpx.Client(base_url=console.base, timeout=30) as client:
        assert client.get("/signin").status_code == 200
        time.sleep(DEADLINE + 0.5)  # idle between requests is keep-alive's business, not the read deadline's
        assert client.get("/signin").status_code == 200
