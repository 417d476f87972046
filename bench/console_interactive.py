"""Benchmark: the console's client list with 10,000 companies, in headless Chromium (Debian's /usr/bin/chromium).

Prints (not a test):
- server: paging every company through the SDK from the in-process sandbox into the compact list (cold cache),
  and serving the cached list;
- time to an interactive list: from navigation start to the list rendered with its "N of M" count (the page
  loaded, the compact list fetched and indexed, the visible rows drawn), median of several loads, warm cache;
- keystroke to filtered list: from setting the search box's value and firing its ``input`` event to the next
  animation frame after the filtered rows are drawn, median and p95 over many queries;
- a baseline measured in the same run: a bare ``fetch('/api/clients')`` + ``JSON.parse`` in the page.
Goals (issue 6): interactive <= 1 s, keystroke <= 50 ms.

Run: ``.venv/bin/python bench/console_interactive.py [--companies 10000]``.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
QUERIES = ["a", "ac", "acm", "m", "mo", "mon", "b", "br", "tampa", "den", "xyz", "co", "cor", "corp", "l", "la",
           "law", "s", "st", "ste", "1", "12", "g", "gr", "gra", "p", "pe", "pea", "", "z"]  # fmt: skip

READY_OBSERVER = """
(() => {
  const mark = () => { if (document.body && document.body.dataset.listReady && !window.__listReadyAt)
    window.__listReadyAt = performance.now(); };
  new MutationObserver(mark).observe(document, {attributes: true, subtree: true, attributeFilter: ['data-list-ready']});
})();
"""

KEYSTROKE = """
async (query) => {
  const input = document.getElementById('search-in');
  const t0 = performance.now();
  input.value = query;
  input.dispatchEvent(new Event('input', {bubbles: true}));
  await new Promise((resolve) => requestAnimationFrame(() => resolve()));
  return [performance.now() - t0, document.getElementById('count').textContent];
}
"""

BASELINE = """
async () => {
  const t0 = performance.now();
  const body = await (await fetch('/api/clients')).text();
  JSON.parse(body);
  return performance.now() - t0;
}
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--companies", type=int, default=10_000)
    parser.add_argument("--loads", type=int, default=5)
    args = parser.parse_args()

    home = tempfile.mkdtemp(prefix="cwdesk-bench-")
    os.environ["CWDESK_HOME"] = home
    import uvicorn
    from playwright.sync_api import sync_playwright

    from cwdesk.console.app import ConsoleSettings, create_app
    from cwdesk.console.connections import Connections
    from cwdesk.store import open_database

    started = time.perf_counter()
    connections = Connections.demo(args.companies)
    seed_s = time.perf_counter() - started
    app = create_app(ConsoleSettings(connections=connections, engine=open_database(f"sqlite:///{home}/b.db")))
    token = app.state.accounts.ensure_first_admin()

    started = time.perf_counter()
    document = app.state.client_list.document()
    cold_s = time.perf_counter() - started
    started = time.perf_counter()
    app.state.client_list.document()
    cached_ms = (time.perf_counter() - started) * 1000

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    base = f"http://127.0.0.1:{port}"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            page: Any = browser.new_page(viewport={"width": 1400, "height": 900})
            page.add_init_script(READY_OBSERVER)
            page.goto(f"{base}/signin?token={token}")
            interactive: list[float] = []
            for _ in range(args.loads):
                page.goto(f"{base}/")
                page.wait_for_function("window.__listReadyAt !== undefined", timeout=30_000)
                interactive.append(float(page.evaluate("window.__listReadyAt")))
            count = page.locator("#count").inner_text()
            baseline = [float(page.evaluate(BASELINE)) for _ in range(args.loads)]
            keystrokes: list[float] = []
            for _ in range(2):
                for query in QUERIES:
                    elapsed, _shown = page.evaluate(KEYSTROKE, query)
                    keystrokes.append(float(elapsed))
            browser.close()
    finally:
        server.should_exit = True
        thread.join(timeout=10)

    interactive_ms = statistics.median(interactive)
    keystroke_ms = statistics.median(keystrokes)
    print(f"console client list with {document.total:,} companies (compact list {len(document.body) / 1024:,.0f} KiB)")
    print(f"  sandbox seeded in {seed_s:.1f} s (not part of the figures)")
    print(f"  {'measure':<58}{'figure':>12}{'goal':>10}{'figure/goal':>13}")
    rows = [
        ("server: page all companies through the SDK (cold cache)", f"{cold_s * 1000:,.0f} ms", "", ""),
        ("server: serve the cached list", f"{cached_ms:.2f} ms", "", ""),
        ("baseline: fetch + JSON.parse of the list in the page", f"{statistics.median(baseline):.0f} ms", "", ""),
        (f"time to interactive list (median of {len(interactive)})", f"{interactive_ms:.0f} ms", "1000 ms",
         f"{interactive_ms / 1000:.2f}"),
        (f"keystroke to filtered list (median of {len(keystrokes)})", f"{keystroke_ms:.1f} ms", "50 ms",
         f"{keystroke_ms / 50:.2f}"),
        ("keystroke to filtered list (p95)", f"{_p95(keystrokes):.1f} ms", "50 ms", f"{_p95(keystrokes) / 50:.2f}"),
    ]  # fmt: skip
    for name, figure, goal, ratio in rows:
        print(f"  {name:<58}{figure:>12}{goal:>10}{ratio:>13}")
    print(f"  count shown after the last load: {count!r}")
    Path(home).joinpath("b.db").unlink(missing_ok=True)


if __name__ == "__main__":
    main()
