"""What the benchmark scripts share: a standalone sandbox on a free loopback port, the sandbox's credentials, and
the one-line format of the benchmark table.

``serve_sandbox`` starts ``cwdesk sandbox serve`` in a child process (plain HTTP, or HTTPS with the generated CA for
clients such as pyconnectwise that hard-code ``https://``), waits until it answers, and stops it on exit.
``table_line`` formats ``ID FIGURE UNIT  description`` so a script can read the table with ``split()``.

Not for: measuring anything (each ``bench/*.py`` measures one thing), or tests (tests use ``cwdesk.sandbox.testing``).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from cwdesk.sandbox.control import CONTROL_HEADERS
from cwdesk.sandbox.manage_api import API_ROOT

COMPANY = "sandbox"
PUBLIC_KEY = "sandbox-public"
PRIVATE_KEY = "sandbox-private"
CLIENT_ID = "6f1c7a52-3c1b-4d8e-9a0f-2b7c4d5e6f70"
CWDESK = str(Path(sys.executable).with_name("cwdesk"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def percentile(samples: list[float], share: float) -> float:
    """The nearest-rank percentile (``share`` 0.95 for p95)."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def table_line(measure_id: str, figure: float | None, unit: str, text: str) -> str:
    """``P1 1.03 x-floor  bulk update ...``; a figure that could not be measured is ``n/a``."""
    shown = "n/a" if figure is None else (f"{figure:.3g}" if abs(figure) < 100 else f"{figure:.0f}")
    return f"{measure_id:<4} {shown:>7} {unit:<9} {text}"


@dataclass(frozen=True)
class ServedSandbox:
    """A running standalone sandbox."""

    base_url: str
    """``http://127.0.0.1:PORT`` or ``https://localhost:PORT``."""
    host_port: str
    ca_pem: Path | None
    process: subprocess.Popen[bytes]

    @property
    def manage_url(self) -> str:
        return self.base_url + API_ROOT

    def control(self) -> httpx.Client:
        """An httpx client for the control endpoints (``/_sandbox/...``)."""
        verify: bool | str = str(self.ca_pem) if self.ca_pem else True
        return httpx.Client(base_url=self.base_url, verify=verify, timeout=60, headers=CONTROL_HEADERS)


@contextmanager
def serve_sandbox(
    *,
    seed: str = "demo",
    tls: bool = False,
    db: Path | None = None,
    latency_ms: int = 0,
    rate_limit: str | None = None,
    rate_burst: int | None = None,
    ready_timeout: float = 240.0,
) -> Iterator[ServedSandbox]:
    """``cwdesk sandbox serve`` on a free 127.0.0.1 port for the ``with`` block, then stopped (by its PID)."""
    port = free_port()
    home = tempfile.mkdtemp(prefix="cwdesk-bench-sandbox-")
    args = [CWDESK, "sandbox", "serve", "--port", str(port), "--seed", seed]
    if tls:
        args.append("--tls")
    if db is not None:
        args += ["--db", str(db)]
    if latency_ms:
        args += ["--latency", str(latency_ms)]
    if rate_limit:
        args += ["--rate-limit", rate_limit]
    if rate_burst:
        args += ["--rate-burst", str(rate_burst)]
    log = Path(home) / "serve.log"
    env = {**os.environ, "CWDESK_HOME": home}
    with log.open("wb") as out:
        process = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, env=env)
    try:
        base = f"https://localhost:{port}" if tls else f"http://127.0.0.1:{port}"
        ca: Path | None = None
        deadline = time.monotonic() + ready_timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"cwdesk sandbox serve exited: {log.read_text()[-2000:]}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"cwdesk sandbox serve not ready after {ready_timeout:.0f} s")
            text = log.read_text(errors="replace")
            if tls and ca is None:
                found = re.search(r"trust the CA certificate (\S+)", text)
                ca = Path(found.group(1)) if found else None
            if "listening on" in text and (ca is not None or not tls):
                try:
                    httpx.get(f"{base}/login/companyinfo/{COMPANY}", verify=str(ca) if ca else True, timeout=2)
                    break
                except httpx.HTTPError:
                    pass
            time.sleep(0.2)
        yield ServedSandbox(base, f"{'localhost' if tls else '127.0.0.1'}:{port}", ca, process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(home, ignore_errors=True)
