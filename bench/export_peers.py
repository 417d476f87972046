"""P2 and P3: cwdesk against pyconnectwise 0.6.1.2 (PyPI) on the same standalone sandbox, in the same run.

- P2: export every company and every contact (``--seed`` companies, about five contacts each) with ``--latency``
  ms added by the sandbox to every answer, into models. cwdesk pages with ``iter_pages(page_size=1000,
  concurrency=C)``; pyconnectwise pages with ``paginated(1, 1000)`` and ``all()`` (its documented way), one
  request at a time. Figures: pyconnectwise's time / cwdesk's (``P2``, goal >= 5) and cwdesk's time / the floor
  ``pages x latency / concurrency`` (``P2f``, goal <= 1.2).
- P3: decode the same 1,000-company page (as the sandbox returned it) into models, median of ``--rounds``:
  cwdesk's ``decode_page(Company, ...)`` / pyconnectwise's ``[Company.model_validate(r) ...]`` (goal <= 0.5).

pyconnectwise hard-codes ``https://``, so the sandbox serves HTTPS with its generated CA, trusted by both clients
through ``REQUESTS_CA_BUNDLE`` / ``SSL_CERT_FILE``. Without pyconnectwise installed (``pip install
'.[bench]'``), the cwdesk figures are still printed and the ratios say ``n/a``.

    .venv/bin/python -m bench.export_peers [--seed 10000] [--latency 50] [--concurrency 8]
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

from bench.loopback import CLIENT_ID, COMPANY, PRIVATE_KEY, PUBLIC_KEY, serve_sandbox, table_line

from cwdesk.manage.client import ManageClient
from cwdesk.manage.models import Company, decode_page

PAGE = 1000


def _median_s(work: Callable[[], object], rounds: int) -> float:
    work()  # warm up: both libraries build their validators on first use
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        work()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


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
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    logging.disable(logging.WARNING)

    with serve_sandbox(seed=str(args.seed), tls=True, latency_ms=args.latency) as served:
        assert served.ca_pem is not None
        os.environ["SSL_CERT_FILE"] = os.environ["REQUESTS_CA_BUNDLE"] = str(served.ca_pem)
        with served.control() as control:
            totals = {
                kind: int(control.get(f"{served.manage_url}/{path}/count", headers=_headers()).json()["count"])
                for kind, path in (("companies", "company/companies"), ("contacts", "company/contacts"))
            }
            page_json = control.get(
                f"{served.manage_url}/company/companies", params={"pageSize": PAGE}, headers=_headers()
            ).json()
        pages = sum(-(-total // PAGE) for total in totals.values())
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
        got = 0
        for resource in (cw.companies, cw.contacts):
            for page in resource.iter_pages(page_size=PAGE, concurrency=args.concurrency):
                got += len(page)
        ours_s = time.perf_counter() - started
        assert got == sum(totals.values()), (got, totals)
        # The floor counts no CPU at all: the client's own work (TLS, JSON, models) is shown beside it.
        ours_cpu_s = time.process_time() - cpu_started

        theirs_s: float | None = None
        peer = _pyconnectwise(served.host_port)
        if peer is not None:
            started = time.perf_counter()
            theirs = 0
            for endpoint in (peer.company.companies, peer.company.contacts):
                for _record in endpoint.paginated(1, PAGE).all():
                    theirs += 1
            theirs_s = time.perf_counter() - started
            assert theirs == got, (theirs, got)

    ours_decode = _median_s(lambda: decode_page(Company, page_json), args.rounds)
    theirs_decode: float | None = None
    if peer is not None:
        from pyconnectwise.models.manage import Company as PeerCompany

        theirs_decode = _median_s(lambda: [PeerCompany.model_validate(r) for r in page_json], args.rounds)

    what = f"{totals['companies']:,} companies + {totals['contacts']:,} contacts, {args.latency} ms latency"
    missing = "pyconnectwise 0.6.1.2 not installed: pip install '.[bench]'"
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
            f"cwdesk's own CPU time {ours_cpu_s:.1f} s (TLS, JSON, models; one GIL for its {args.concurrency} threads)",
        )
    )
    print(
        table_line(
            "P3",
            ours_decode / theirs_decode if theirs_decode else None,
            "x-time",
            f"decode one {len(page_json)}-company page into models: cwdesk {ours_decode * 1000:.0f} ms vs "
            + (f"pyconnectwise {theirs_decode * 1000:.0f} ms" if theirs_decode else f"n/a ({missing})"),
        )
    )


def _headers() -> dict[str, str]:
    import base64

    token = base64.b64encode(f"{COMPANY}+{PUBLIC_KEY}:{PRIVATE_KEY}".encode()).decode()
    return {"Authorization": f"Basic {token}", "clientId": CLIENT_ID}


if __name__ == "__main__":
    main()
