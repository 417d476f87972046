"""P4: conditions queries over ~100,000 contacts in the sandbox, p95 in ms (goal <= 20).

Each request goes the whole way a client's does, through the SDK: conditions built with ``cwdesk.conditions``,
rendered, sent through the in-process transport, parsed by the sandbox, run as SQL, a page of 25 records and its
count answered as JSON, decoded into models. The figure is the p95 over a mix of query shapes people use (by
company, by name, by e-mail, by company name with an order, changed since a date); side by side in the same run:
the cheapest request there is (GET by id), and a ``contains`` on a field without an index (a full scan), reported
on its own line because no index can serve it.

``--db`` keeps the seeded sandbox in a file that ``bench.export_memory`` serves next (seeding takes ~30 s).

    .venv/bin/python -m bench.conditions_p95 [--companies 20000] [--rounds 100] [--db FILE]
"""

from __future__ import annotations

import argparse
import logging
import random
import time
from collections.abc import Callable
from pathlib import Path

from bench.loopback import percentile, table_line

from cwdesk.conditions import C
from cwdesk.manage.client import ManageClient
from cwdesk.sandbox import Sandbox


def _p95_ms(work: Callable[[], object], rounds: int) -> list[float]:
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        work()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--companies", type=int, default=20_000, help="about five contacts each")
    parser.add_argument("--rounds", type=int, default=100, help="requests per query shape")
    parser.add_argument("--db", type=Path, default=None)
    args = parser.parse_args()
    logging.disable(logging.WARNING)

    started = time.perf_counter()
    sb = Sandbox(seed=args.companies, db_path=str(args.db) if args.db else None)
    seeded_s = time.perf_counter() - started
    contacts = int(sb.db.execute("SELECT count(*) FROM mg_contact").fetchone()[0])
    companies = int(sb.db.execute("SELECT max(id) FROM mg_company").fetchone()[0])
    emails = [r[0] for r in sb.db.execute("SELECT value FROM mg_contact_item WHERE communication_type = 'Email'")]
    last_names = [r[0] for r in sb.db.execute("SELECT DISTINCT c_lastname FROM mg_contact")]
    company_names = [r[0] for r in sb.db.execute("SELECT c_name FROM mg_company LIMIT 500")]
    cw = ManageClient(**sb.manage_credentials, transport=sb.transport(), rate_per_minute=600_000)
    rng = random.Random(7)

    shapes: dict[str, Callable[[], object]] = {
        "company/id = N": lambda: cw.contacts.list(where=C("company/id") == rng.randint(1, companies), limit=25),
        "lastName = X and firstName like 'A%'": lambda: cw.contacts.list(
            where=(C("lastName") == rng.choice(last_names)) & C("firstName").like("A%") & (C("inactiveFlag") == False),  # noqa: E712
            limit=25,
        ),
        "childConditions e-mail": lambda: cw.contacts.list(
            child_conditions=C("communicationItems/value") == rng.choice(emails), limit=25
        ),
        "company/name = X order by lastName": lambda: cw.contacts.list(
            where=C("company/name") == rng.choice(company_names), order_by="lastName asc", limit=25
        ),
        "_info/lastUpdated > date": lambda: cw.contacts.list(
            where="_info/lastUpdated > [2025-03-01T00:00:00Z]", limit=25
        ),
    }
    mixed: list[float] = []
    worst = ("", 0.0)
    for name, make in shapes.items():
        samples = _p95_ms(lambda make=make: list(make()), args.rounds)  # type: ignore[misc]
        mixed += samples
        if percentile(samples, 0.95) > worst[1]:
            worst = (name, percentile(samples, 0.95))
    by_id = _p95_ms(lambda: cw.contacts.get(rng.randint(1, contacts)), args.rounds)
    scan = _p95_ms(lambda: list(cw.contacts.list(where=C("title").contains("Manager"), limit=25)), args.rounds // 4)

    print(
        table_line(
            "P4",
            percentile(mixed, 0.95),
            "ms-p95",
            f"conditions queries over {contacts:,} contacts ({len(shapes)} shapes x {args.rounds}, through the SDK): "
            f"worst shape {worst[0]!r} {worst[1]:.1f} ms; baseline GET by id p95 {percentile(by_id, 0.95):.1f} ms "
            f"(seeded in {seeded_s:.0f} s)",
        )
    )
    print(
        table_line(
            "P4s",
            percentile(scan, 0.95),
            "ms-p95",
            "title contains 'Manager' (no index can serve contains: a full scan of every contact)",
        )
    )


if __name__ == "__main__":
    main()
