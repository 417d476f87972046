"""Servers the tests start on loopback: a free port, waiting until a server answers, and a standalone sandbox
(``cwdesk sandbox serve``, plain or ``--tls``) in a child process, stopped by its PID. One place for these, shared by
every test folder.
"""

from __future__ import annotations

import os
import re
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from cwdesk.sandbox.control import CONTROL_HEADERS
from cwdesk.sandbox.server import CLIENT_ID


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


@dataclass
class Served:
    """A standalone sandbox on loopback and what the tests ask it."""

    base: str
    ca_pem: str | None = None
    """The CA certificate this sandbox printed (``--tls`` only): what its clients must trust."""

    @property
    def verify(self) -> ssl.SSLContext | bool:
        """What httpx should verify this server with: its own CA under ``--tls``."""
        return ssl.create_default_context(cafile=self.ca_pem) if self.ca_pem else True

    @property
    def api(self) -> str:
        return f"{self.base}/v4_6_release/apis/3.0"

    def log(self) -> list[dict[str, Any]]:
        return list(httpx.get(f"{self.base}/_sandbox/requests", timeout=10, verify=self.verify).json())

    def clear_log(self) -> None:
        httpx.delete(f"{self.base}/_sandbox/requests", headers=CONTROL_HEADERS, timeout=10).raise_for_status()

    def get(self, path: str, **params: Any) -> Any:
        auth = ("sandbox+sandbox-public", "sandbox-private")
        answer = httpx.get(
            f"{self.api}{path}",
            params=params,
            auth=auth,
            headers={"clientId": CLIENT_ID},
            timeout=10,
            verify=self.verify,
        )
        answer.raise_for_status()
        return answer.json()

    def all(self, path: str, **params: Any) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        page = 1
        while batch := self.get(path, pageSize=1000, page=page, **params):
            found.extend(batch)
            page += 1
        return found


@contextmanager
def serve(home: Path, *extra: str) -> Iterator[Served]:
    """``cwdesk sandbox serve EXTRA...`` on a free loopback port for the ``with`` block, stopped by its PID.

    With ``--tls`` the server is reached as ``https://localhost:PORT`` and trusted through the CA it printed.
    """
    port = free_port()
    # Beside the home, not in it: the server makes its home a private folder itself (and refuses a wider one).
    home.parent.mkdir(parents=True, exist_ok=True)
    printed = home.parent / f"{home.name}-sandbox-{port}.out"
    with printed.open("w") as out:  # a file, not a pipe: a pipe nobody reads could block the server
        process = subprocess.Popen(
            [sys.executable, "-m", "cwdesk", "sandbox", "serve", "--port", str(port), *extra],
            env={**os.environ, "CWDESK_HOME": str(home)},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    tls = "--tls" in extra
    served = Served(f"https://localhost:{port}" if tls else f"http://127.0.0.1:{port}")

    def up() -> bool:
        if tls and served.ca_pem is None:
            found = re.search(r"trust the CA certificate (\S+)", printed.read_text())
            if found is None:
                return False
            served.ca_pem = found.group(1)
        try:
            return httpx.get(f"{served.base}/_sandbox/requests", timeout=1, verify=served.verify).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        try:
            wait_for(up, 60, "the sandbox server")
        except AssertionError:
            raise AssertionError("the sandbox server did not start:\n" + printed.read_text()) from None
        yield served
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
