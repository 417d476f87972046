"""Benchmark: a full sync of N companies into the store, then an incremental sync after a few changes.

Both runs go the whole way (SDK -> in-process sandbox -> store, SQLite under a temporary folder). The baseline,
measured in the same run, is the full sync; the figures are records per second of the full sync, and the time and
requests of the incremental sync as a share of the full one (goal: an incremental sync of k changes costs about
k records, not N).

    .venv/bin/python bench/sync_incremental.py [--companies 5000] [--changes 10]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from cwdesk.manage.client import ManageClient
from cwdesk.sandbox import Sandbox
from cwdesk.store import open_database
from cwdesk.workflows.sync import sync_kind


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--companies", type=int, default=5000, help="companies to seed")
    parser.add_argument("--changes", type=int, default=10, help="companies changed before the incremental sync")
    args = parser.parse_args()

    sb = Sandbox(seed=args.companies)
    cw = ManageClient(**sb.manage_credentials, transport=sb.transport())
    with tempfile.TemporaryDirectory() as folder:
        engine = open_database(f"sqlite:///{Path(folder) / 'bench.db'}")

        sb.clear_requests()
        started = time.perf_counter()
        full = sync_kind(cw, engine, "companies", overlap=timedelta(0))
        full_s = time.perf_counter() - started
        full_requests = len(sb.requests)

        ids = [c.id for c in cw.companies.list(fields=["id"], limit=args.changes)]
        for company_id in ids:
            cw.companies.update(company_id, {"phoneNumber": "312-555-0199"})  # type: ignore[arg-type]

        sb.clear_requests()
        started = time.perf_counter()
        incremental = sync_kind(cw, engine, "companies", overlap=timedelta(0))
        incremental_s = time.perf_counter() - started
        incremental_requests = len(sb.requests)
        engine.dispose()
    cw.close()
    sb.close()

    print(f"{'measure':<44}{'value':>14}")
    print(f"{'full sync: companies':<44}{full.fetched:>14,}")
    print(f"{'full sync: seconds':<44}{full_s:>14.2f}")
    print(f"{'full sync: records per second':<44}{full.fetched / full_s:>14,.0f}")
    print(f"{'full sync: requests':<44}{full_requests:>14}")
    print(f"{'incremental: companies changed':<44}{len(ids):>14}")
    print(f"{'incremental: fetched / changed (updated)':<44}{incremental.fetched:>7} / {incremental.updated:<6}")
    print(f"{'incremental: seconds':<44}{incremental_s:>14.3f}")
    print(f"{'incremental: requests':<44}{incremental_requests:>14}")
    print(f"{'incremental time / full time':<44}{incremental_s / full_s:>14.4f}")


if __name__ == "__main__":
    main()
