"""R6: 50 simulated users searching and opening clients on the demo console for 30 s: p95 < 200 ms, 0 errors.

``cwdesk console --demo`` runs in its own process on a free loopback port (as ``make demo`` starts it); this process
signs in with the printed one-time link and runs ``--users`` asyncio users, each in a loop: type a search
(``GET /api/clients/search?q=...``, the server-side search), open one of the clients found
(``GET /clients/{id}/panel``, which reads the company, contacts, sites and agreements from ConnectWise), then think
for ``--think`` seconds (uniformly 0.5x-1.5x). Every answer other than 200 counts as an error. Side by side in the
same run: the p95 of ``GET /api/clients`` (the cached compact list, the cheapest authenticated page) under the same
load, as the baseline.

    .venv/bin/python -m bench.console_load [--users 50] [--seconds 30] [--think 1.0]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from bench.loopback import CWDESK, free_port, percentile, table_line

SEARCHES = ["a", "ac", "acme", "den", "dental", "law", "b", "br", "co", "tampa", "summit", "e", "x", "st", "gr"]


# The console with the SDK's per-credential pace lifted from ~200/min (ConnectWise's guidance) to 60,000/min: shows
# what the console itself serves when the API budget is not what limits it.
UNTHROTTLED = (
    "import sys, cwdesk._http.throttle as t; t.DEFAULT_RATE_PER_MINUTE = 60000.0; "
    "from cwdesk.cli.app import app; app(sys.argv[1:], prog_name='cwdesk')"
)


def _start_console(port: int, home: Path, unthrottled: bool) -> tuple[subprocess.Popen[bytes], str]:
    log = home / "console.log"
    command = [sys.executable, "-c", UNTHROTTLED] if unthrottled else [CWDESK]
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*command, "console", "--demo", "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "CWDESK_HOME": str(home)},
        )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"cwdesk console exited: {log.read_text()[-2000:]}")
        found = re.search(r"(http://127\.0\.0\.1:\d+/signin\?token=\S+)", log.read_text(errors="replace"))
        if found:
            try:
                httpx.get(f"http://127.0.0.1:{port}/signin", timeout=2)
                return process, found.group(1)
            except httpx.HTTPError:
                pass
        time.sleep(0.2)
    process.terminate()
    raise RuntimeError("cwdesk console did not start within 120 s")


async def _load(base: str, link: str, users: int, seconds: float, think: float) -> dict[str, list[float]]:
    timings: dict[str, list[float]] = {"search": [], "panel": [], "list": [], "errors": []}
    limits = httpx.Limits(max_connections=users + 5, max_keepalive_connections=users + 5)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        signed = await client.get(link)
        if signed.status_code not in (200, 303):
            raise RuntimeError(f"sign-in link refused: {signed.status_code}")
        listing = (await client.get("/api/clients")).json()
        deadline = time.perf_counter() + seconds

        async def timed(name: str, path: str, params: dict[str, str] | None = None) -> httpx.Response | None:
            started = time.perf_counter()
            try:
                response = await client.get(path, params=params)
            except httpx.HTTPError:
                timings["errors"].append(1.0)
                return None
            timings[name].append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                timings["errors"].append(1.0)
            return response

        async def user(number: int) -> None:
            rng = random.Random(number)
            await asyncio.sleep(rng.uniform(0, think))  # users arrive spread over one think time
            while time.perf_counter() < deadline:
                found = await timed("search", "/api/clients/search", {"q": rng.choice(SEARCHES)})
                rows = found.json().get("rows", []) if found is not None and found.status_code == 200 else []
                ids = [row[0] if isinstance(row, list) else row.get("id") for row in rows] or [None]
                company_id = rng.choice(ids) or rng.choice(_all_ids(listing))
                await timed("panel", f"/clients/{company_id}/panel")
                if rng.random() < 0.2:
                    await timed("list", "/api/clients")
                await asyncio.sleep(think * rng.uniform(0.5, 1.5))

        await asyncio.gather(*(user(n) for n in range(users)))
    return timings


def _all_ids(listing: object) -> list[int]:
    """Company ids from the compact list document, whatever its exact shape (rows of lists or of objects)."""
    rows = listing.get("rows", []) if isinstance(listing, dict) else listing
    ids: list[int] = []
    for row in rows if isinstance(rows, list) else []:
        value = row[0] if isinstance(row, list) else row.get("id") if isinstance(row, dict) else None
        if isinstance(value, int):
            ids.append(value)
    return ids or [1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--think", type=float, default=1.0, help="mean seconds a user pauses between actions")
    parser.add_argument("--unthrottled", action="store_true", help="lift the SDK's ~200/min pace in the console")
    args = parser.parse_args()

    home = Path(tempfile.mkdtemp(prefix="cwdesk-bench-r6-"))
    port = free_port()
    process, link = _start_console(port, home, args.unthrottled)
    try:
        timings = asyncio.run(_load(f"http://127.0.0.1:{port}", link, args.users, args.seconds, args.think))
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(home, ignore_errors=True)
    actions = timings["search"] + timings["panel"]
    errors = len(timings["errors"])
    total = len(actions) + len(timings["list"])
    print(
        table_line(
            "R6u" if args.unthrottled else "R6",
            percentile(actions, 0.95) if actions else None,
            "ms-p95",
            ("the same with the SDK's pace lifted to 60,000/min in the console: " if args.unthrottled else "")
            + f"{args.users} users searching and opening clients on the demo console for {args.seconds:.0f} s: "
            f"{total:,} requests, {errors} errors, search p95 {percentile(timings['search'], 0.95):.0f} ms, "
            f"client panel p95 {percentile(timings['panel'], 0.95):.0f} ms; baseline cached list p95 "
            f"{percentile(timings['list'] or [0.0], 0.95):.0f} ms",
        )
    )


if __name__ == "__main__":
    main()
