"""What the reliability tests (R1 fault matrix, R3 bad inputs) share: faulty transports, fast clients, and a
standalone sandbox + CLI in child processes for the SIGKILL column. The fixtures are in ``conftest.py``.

- ``LostAnswers`` wraps the in-process sandbox transport: a seeded share of requests *reach the sandbox and take
  effect*, then their answer is lost (a read timeout or a dropped connection). The sandbox's own hang/drop faults
  strike before the emulator acts; this is the other, harder half: the client cannot know the write landed.
- ``fast_client`` builds a ``ManageClient`` whose retry backoff is pinned short through ``RetryPolicy`` and whose
  pace is explicit (``conftest.py`` also makes the job engine's step retries instant and forgets the process-wide
  throttles between tests, so an earlier test's 429s never slow the next one).
- ``serve`` runs ``cwdesk sandbox serve`` on a free loopback port; ``Cli`` runs ``python -m cwdesk`` with
  ``CWM_*`` pointing at it and its own ``CWDESK_HOME``.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import httpx

from cwdesk._http.retry import RetryPolicy
from cwdesk.manage.client import ManageClient
from cwdesk.sandbox import Sandbox
from tests.loopback import CLIENT_ID, Served

# Retries stay bounded but patient enough for a 10 % fault rate, and never sleep long.
FAST_RETRY = RetryPolicy(max_retries=12, base_delay=0.001, max_delay=0.01, max_retry_after=0.2)


class LostAnswers(httpx.BaseTransport):
    """A share of requests take effect on the sandbox, then the client gets ``error`` instead of the answer."""

    def __init__(
        self, inner: httpx.BaseTransport, *, rate: float, error: type[httpx.TransportError], seed: int
    ) -> None:
        self.inner = inner
        self.rate = rate
        self.error = error
        self.rng = random.Random(seed)
        self.lost = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if self.rate and self.rng.random() < self.rate:
            self.lost += 1
            raise self.error("the answer was lost after the server acted (test fault)", request=request)
        return response


def fast_client(sandbox: Sandbox, transport: httpx.BaseTransport | None = None) -> ManageClient:
    return ManageClient(
        **sandbox.manage_credentials,
        transport=transport or sandbox.transport(),
        retry=FAST_RETRY,
        rate_per_minute=6000,
        timeout=httpx.Timeout(5.0, read=0.5),
    )


# -- child processes (SIGKILL column) -----------------------------------------------------------------------------


@dataclass
class Cli:
    """``python -m cwdesk`` in a child process against ``served_sandbox``."""

    env: dict[str, str]
    home: Path

    @classmethod
    def on(cls, served: Served, home: Path, **env: str) -> Cli:
        """A CLI whose ``CWM_*`` point at ``served``, with its own ``CWDESK_HOME`` (and any ``env`` added)."""
        clean = {k: v for k, v in os.environ.items() if not k.startswith(("CWM_", "CWA_", "CWDESK_"))}
        clean.update(
            CWDESK_HOME=str(home),
            CWM_SERVER=served.base,
            CWM_COMPANY="sandbox",
            CWM_PUBKEY="sandbox-public",
            CWM_PRIVATEKEY="sandbox-private",
            CWM_CLIENTID=CLIENT_ID,
            **env,
        )
        return cls(clean, home)

    @property
    def command(self) -> list[str]:
        return [sys.executable, "-m", "cwdesk"]

    def run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*self.command, *args], env=self.env, capture_output=True, text=True, timeout=timeout)

    def start(self, *args: str) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [*self.command, *args], env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
