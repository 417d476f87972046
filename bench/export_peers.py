"""P2 and P3: cwdesk against pyconnectwise 0.6.1.2 (PyPI) on the same standalone sandbox, in the same run.

- P2: export every company and every contact (``--seed`` companies, about five contacts each) with ``--latency``
  ms added by the sandbox to every answer, into models, and from each model the row an export writes (id, names,
  and the company's status or the contact's company, read through a reference); both exports must be equal.
  cwdesk pages with ``iter_pages(page_size=1000, concurrency=C)``; pyconnectwise pages with ``paginated(1, 1000)``
  and ``all()`` (its documented way), one request at a time. Figures: pyconnectwise's time / cwdesk's (``P2``,
  goal >= 5) and cwdesk's time / the floor ``pages x latency / concurrency`` (``P2f``, goal <= 1.2), with
  cwdesk's own CPU time beside it: on a 2-core machine that also runs the sandbox, CPU, not latency, is the bound.
- P3: decode the same 1,000-company page (as the sandbox returned it) into models, median of ``--rounds`` taken
  in turn, on a heap cleared of the exports:
  cwdesk's ``decode_page(Company, ...)`` / pyconnectwise's ``[Company.model_validate(r) ...]`` (goal <= 0.5).
  cwdesk builds nested references on first read, so ``P3n`` also reads every one of them (the eager equivalent).

pyconnectwise hard-codes ``https://``, so the sandbox serves HTTPS with its generated CA, trusted by both clients
through ``REQUESTS_CA_BUNDLE`` / ``SSL_CERT_FILE``. ``make install`` (the ``dev`` extra) installs pyconnectwise, so
``make bench`` on a fresh clone prints every figure; without it (an install without ``dev`` or ``bench``), the
cwdesk figures are still printed and the ratios say ``n/a``.

    .venv/bin/python -m bench.export_peers [--seed 10000] [--latency 50] [--concurrency 8]
"""

from __future__ import annotations

import argparse
import gc
import logging
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.loopback import CLIENT_ID, COMPANY, PRIVATE_KEY, PUBLIC_KEY, serve_sandbox, table_line

from cwdesk.manage.client import ManageClient
from cwdesk.manage.models import Company, decode_page

PAGE = 1000


def _medians_s(works: dict[str, Callable[[], object]], rounds: int) -> dict[str, float]:
    """Median wall time of each piece of work, rounds taken in turn so a noisy spell hits them alike."""
    for work in works.values():
        work()  # warm up: both libraries build their validators on first use
    samples: dict[str, list[float]] = {name: [] for name in works}
    for _ in range(rounds):
        for name, work in works.items():
            started = time.perf_counter()
            work()
            samples[name].append(time.perf_counter() - started)
    return {name: statistics.median(taken) for name, taken in samples.items()}


def _pyconnectwise(host_port: str) -> Any | None:
    try:
        from pyconnectwise import ConnectWiseManageAPIClient
    except ImportError:
        return None
    return ConnectWiseManageAPIClient(COMPANY, host_port, CLIENT_ID, PUBLIC_KEY, PRIVATE_KEY)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=10_000, help="companies (about 5 contacts each)")
    parser.add_argument("--latency", type=int, default=50, help="ms the sandbox adds to every answer")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    logging.disable(logging.WARNING)

    with serve_sandbox(seed=str(args.seed), tls=True, latency_ms=args.latency) as served:
        assert served.ca_pem is not None
        os.environ["SSL_CERT_FILE"] = os.environ["REQUESTS_CA_BUNDLE"] = str(served.ca_pem)
        with served.control() as control:
            paths = {"companies": "company/companies", "contacts": "company/contacts"}
            totals = {
                kind: int(control.get(f"{served.manage_url}/{path}/count", headers=_headers()).json()["count"])
                for kind, path in paths.items()
            }
            pages_of = {kind: -(-total // PAGE) for kind, total in totals.items()}
            page_json = control.get(
                f"{served.manage_url}/company/companies", params={"pageSize": PAGE}, headers=_headers()
            ).json()
            # Warm the sandbox (its database pages and query plans) so neither export pays for a cold server.
            for kind, path in paths.items():
                for number in range(1, pages_of[kind] + 1):
                    control.get(
                        f"{served.manage_url}/{path}", params={"pageSize": PAGE, "page": number}, headers=_headers()
                    )
        pages = sum(pages_of.values())
        floor_s = pages * args.latency / 1000 / args.concurrency

        # cwdesk: the SDK's rate is raised from the ~200/min default to the sandbox's (unlimited) pace, as a user
        # exporting from a server without a limit would; concurrency fetches numbered pages in parallel.
        cw = ManageClient(
            server=served.base_url,
            company=COMPANY,
            public_key=PUBLIC_KEY,
            private_key=PRIVATE_KEY,
            client_id=CLIENT_ID,
            rate_per_minute=60_000,
            max_concurrency=args.concurrency,
        )
        started, cpu_started = time.perf_counter(), time.process_time()
        server_cpu_started = _process_cpu_s(served.process.pid)
        ours_rows: list[tuple[Any, ...]] = []
        for resource, row in ((cw.companies, _company_row), (cw.contacts, _contact_row)):
            for page in resource.iter_pages(page_size=PAGE, concurrency=args.concurrency):
                ours_rows.extend(row(record) for record in page)
        ours_s = time.perf_counter() - started
        got = len(ours_rows)
        assert got == sum(totals.values()), (got, totals)
        # The floor counts no CPU at all: the client's own work (TLS, JSON, models) is shown beside it.
        ours_cpu_s = time.process_time() - cpu_started
        server_cpu_s = _process_cpu_s(served.process.pid) - server_cpu_started
        cores = os.cpu_count() or 1
        # No schedule ends before the client's own CPU time, nor before both processes' CPU time spread on all cores.
        cpu_bound_s = max(ours_cpu_s, (ours_cpu_s + server_cpu_s) / cores)

        theirs_s: float | None = None
        peer = _pyconnectwise(served.host_port)
        if peer is not None:
            started = time.perf_counter()
            theirs_rows: list[tuple[Any, ...]] = []
            for endpoint, row in ((peer.company.companies, _company_row), (peer.company.contacts, _contact_row)):
                theirs_rows.extend(row(record) for record in endpoint.paginated(1, PAGE).all())
            theirs_s = time.perf_counter() - started
            assert sorted(theirs_rows) == sorted(ours_rows), "the two exports differ"

    # A clean heap for P3: the exports' rows would otherwise make every collection during decoding longer.
    del ours_rows
    if peer is not None:
        del theirs_rows
    gc.collect()
    works: dict[str, Callable[[], object]] = {
        "ours": lambda: decode_page(Company, page_json),
        "ours_built": lambda: [record.build_nested() for record in decode_page(Company, page_json)],
    }
    if peer is not None:
        from pyconnectwise.models.manage import Company as PeerCompany

        works["theirs"] = lambda: [PeerCompany.model_validate(r) for r in page_json]
    medians = _medians_s(works, args.rounds)
    ours_decode, ours_built, theirs_decode = medians["ours"], medians["ours_built"], medians.get("theirs")

    what = f"{totals['companies']:,} companies + {totals['contacts']:,} contacts, {args.latency} ms latency"
    missing = "pyconnectwise 0.6.1.2 not installed: make install (or pip install '.[bench]')"
    print(
        table_line(
            "P2",
            theirs_s / ours_s if theirs_s else None,
            "x-faster",
            f"export {what}: cwdesk {ours_s:.1f} s (concurrency {args.concurrency}) vs pyconnectwise "
            + (f"{theirs_s:.1f} s (one page at a time)" if theirs_s else f"n/a ({missing})"),
        )
    )
    print(
        table_line(
            "P2f",
            ours_s / floor_s,
            "x-floor",
            f"the same export vs the floor {pages} pages x {args.latency} ms / {args.concurrency} = {floor_s:.2f} s; "
            f"CPU bounds it instead: cwdesk {ours_cpu_s:.1f} s (TLS, JSON, models), the sandbox {server_cpu_s:.1f} s, "
            f"on {cores} cores no run ends before {cpu_bound_s:.1f} s = {cpu_bound_s / floor_s:.1f}x the floor",
        )
    )
    theirs_text = f"pyconnectwise {theirs_decode * 1000:.0f} ms" if theirs_decode else f"n/a ({missing})"
    print(
        table_line(
            "P3",
            ours_decode / theirs_decode if theirs_decode else None,
            "x-time",
            f"decode one {len(page_json)}-company page into models: cwdesk {ours_decode * 1000:.1f} ms "
            f"(nested references built on first read) vs {theirs_text}",
        )
    )
    print(
        table_line(
            "P3n",
            ours_built / theirs_decode if theirs_decode else None,
            "x-time",
            f"the same, then every nested reference of the page read (built): cwdesk {ours_built * 1000:.1f} ms "
            f"vs {theirs_text}",
        )
    )


def _process_cpu_s(pid: int) -> float:
    """User + system CPU seconds of another process so far (Linux ``/proc``; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _company_row(record: Any) -> tuple[Any, ...]:
    """What an export of companies writes: a few columns, one of them read through a reference."""
    return ("company", record.id, record.identifier, record.name, record.status.name if record.status else None)


def _contact_row(record: Any) -> tuple[Any, ...]:
    company = record.company.identifier if record.company else None
    return ("contact", record.id, record.first_name, record.last_name, company)


def _headers() -> dict[str, str]:
    import base64

    token = base64.b64encode(f"{COMPANY}+{PUBLIC_KEY}:{PRIVATE_KEY}".encode()).decode()
    return {"Authorization": f"Basic {token}", "clientId": CLIENT_ID}


if __name__ == "__main__":
    main()
