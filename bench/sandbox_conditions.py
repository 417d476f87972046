"""Benchmark: conditions queries over 100,000 contacts through the in-process sandbox (goal: p95 <= 20 ms).

Each query goes the whole way a client's request goes: httpx -> in-process transport -> auth -> conditions parsed
by ``cwdesk.conditions`` -> SQL -> a page of 25 JSON records + the count for the Link header. As a baseline in the
same run, the same page is fetched by id (``GET /company/contacts/{id}``), the cheapest request there is.

    .venv/bin/python bench/sandbox_conditions.py [--companies 20000] [--rounds 200]
"""

from __future__ import annotations

import argparse
import base64
import random
import statistics
import time

import httpx

from cwdesk.sandbox import Sandbox
from cwdesk.sandbox.manage_api import API_ROOT


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--companies", type=int, default=20000, help="companies to seed (about 5 contacts each)")
    parser.add_argument("--rounds", type=int, default=200, help="requests per query shape")
    args = parser.parse_args()

    started = time.perf_counter()
    sb = Sandbox(seed=args.companies)
    seeded = time.perf_counter() - started
    contacts = sb.db.execute("SELECT count(*) FROM mg_contact").fetchone()[0]
    creds = sb.manage_credentials
    token = base64.b64encode(f"{creds['company']}+{creds['public_key']}:{creds['private_key']}".encode()).decode()
    client = httpx.Client(
        transport=sb.transport(),
        base_url=creds["server"] + API_ROOT,
        headers={"Authorization": f"Basic {token}", "clientId": creds["client_id"]},
    )
    rng = random.Random(7)
    emails = [row[0] for row in sb.db.execute("SELECT value FROM mg_contact_item WHERE communication_type = 'Email'")]
    last_names = [row[0] for row in sb.db.execute("SELECT DISTINCT c_lastname FROM mg_contact")]
    companies = sb.db.execute("SELECT max(id) FROM mg_company").fetchone()[0]

    shapes = {
        "by id (baseline)": lambda: ("/company/contacts/" + str(rng.randint(1, contacts)), {}),
        "company/id = N": lambda: ("/company/contacts", {"conditions": f"company/id = {rng.randint(1, companies)}"}),
        "lastName = X and firstName like 'A%'": lambda: (
            "/company/contacts",
            {"conditions": f'lastName = "{rng.choice(last_names)}" and firstName like "A%" and inactiveFlag = false'},
        ),
        "childConditions e-mail =": lambda: (
            "/company/contacts",
            {"childConditions": f'communicationItems/value = "{rng.choice(emails)}"'},
        ),
        "company/name like 'Summit%' orderBy lastName": lambda: (
            "/company/contacts",
            {"conditions": 'company/name like "Summit%"', "orderBy": "lastName asc"},
        ),
        "_info/lastUpdated > [date] (~10%)": lambda: (
            "/company/contacts",
            {"conditions": "_info/lastUpdated > [2025-03-01T00:00:00Z]"},
        ),
        "title contains 'Manager' (no index: scan)": lambda: (
            "/company/contacts",
            {"conditions": 'title contains "Manager"'},
        ),
    }
    print(f"Seeded {args.companies:,} companies / {contacts:,} contacts in {seeded:.1f} s")
    print(f"{'query':48} {'p50 ms':>8} {'p95 ms':>8} {'x baseline p50':>15}")
    baseline = 0.0
    for name, make in shapes.items():
        samples: list[float] = []
        for _ in range(args.rounds):
            path, params = make()
            begin = time.perf_counter()
            response = client.get(path, params=params)
            samples.append((time.perf_counter() - begin) * 1000)
            assert response.status_code == 200, response.text
        p50, p95 = statistics.median(samples), percentile(samples, 0.95)
        baseline = baseline or p50
        mark = "" if p95 <= 20 else "  (over the 20 ms goal)"
        print(f"{name:48} {p50:8.2f} {p95:8.2f} {p50 / baseline:15.1f}{mark}")


if __name__ == "__main__":
    main()
