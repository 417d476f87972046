"""Benchmark: GET-by-id throughput of the standalone sandbox on loopback (requests per second).

Starts ``cwdesk sandbox serve`` (uvicorn, plain HTTP) on a free 127.0.0.1 port, then drives ``GET
/company/companies/{id}`` with N concurrent keep-alive clients for a fixed time. As a baseline in the same run, the
same requests go through the in-process transport (no socket), which bounds what the server could reach.

    .venv/bin/python bench/sandbox_throughput.py [--seconds 5] [--concurrency 8]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import subprocess
import sys
import tempfile
import time

import httpx

from cwdesk.sandbox import Sandbox
from cwdesk.sandbox.manage_api import API_ROOT
from cwdesk.sandbox.server import CLIENT_ID

AUTH = ("sandbox+sandbox-public", "sandbox-private")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def drive(client: httpx.AsyncClient, seconds: float, concurrency: int, companies: int) -> tuple[int, int]:
    done = failed = 0
    deadline = time.perf_counter() + seconds

    async def worker(seed: int) -> None:
        nonlocal done, failed
        rng = random.Random(seed)
        while time.perf_counter() < deadline:
            response = await client.get(f"{API_ROOT}/company/companies/{rng.randint(1, companies)}")
            if response.status_code == 200:
                done += 1
            else:
                failed += 1

    await asyncio.gather(*(worker(n) for n in range(concurrency)))
    return done, failed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--companies", type=int, default=1000)
    args = parser.parse_args()
    headers = {"clientId": CLIENT_ID}

    sb = Sandbox(seed=args.companies)
    in_process = httpx.AsyncClient(
        transport=sb.async_transport(), base_url=sb.base_url, auth=AUTH, headers=headers, timeout=10
    )
    done, failed = asyncio.run(drive(in_process, args.seconds, args.concurrency, args.companies))
    baseline = done / args.seconds

    port = free_port()
    with tempfile.TemporaryDirectory() as home:
        command = [
            sys.executable,
            "-m",
            "cwdesk",
            "sandbox",
            "serve",
            "--port",
            str(port),
            "--seed",
            str(args.companies),
        ]
        server = subprocess.Popen(
            command, env={**os.environ, "CWDESK_HOME": home}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 60
            while True:
                try:
                    httpx.get(base + "/login/companyinfo/sandbox", timeout=1)
                    break
                except httpx.TransportError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise SystemExit("the sandbox server did not start") from None
                    time.sleep(0.2)

            async def over_socket() -> tuple[int, int]:
                limits = httpx.Limits(max_connections=args.concurrency, max_keepalive_connections=args.concurrency)
                async with httpx.AsyncClient(
                    base_url=base, auth=AUTH, headers=headers, timeout=10, limits=limits
                ) as client:
                    return await drive(client, args.seconds, args.concurrency, args.companies)

            s_done, s_failed = asyncio.run(over_socket())
        finally:
            server.terminate()
            server.wait(timeout=10)
    loopback = s_done / args.seconds
    print(f"GET /company/companies/{{id}} for {args.seconds:.0f} s, {args.concurrency} concurrent clients")
    print(f"{'way in':28} {'req/s':>10} {'failed':>8} {'vs in-process':>14}")
    print(f"{'in-process (baseline)':28} {baseline:10.0f} {failed:8d} {1.0:14.2f}")
    print(f"{'uvicorn on loopback':28} {loopback:10.0f} {s_failed:8d} {loopback / baseline:14.2f}")


if __name__ == "__main__":
    main()
