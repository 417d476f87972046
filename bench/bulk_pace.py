"""P1: a bulk update of N contacts with the sandbox limited to R requests/minute, as a multiple of the floor.

The floor is ``calls / R`` minutes: no client can finish sooner once the sandbox's token bucket is empty (its
bucket starts full, holding a minute's worth of requests, so the bench empties it first with cheap GETs on the same
credential; otherwise the first R calls would be free and any figure would look good). Calls are every request the
sandbox logged during the run (the plan's reads, the PATCHes, any refused 429).

Side by side, on the same sandbox in the same run: the console seed's pacing (10 calls, then a 3 s pause, the
"~200 req/min guidance") patching ``--seed-contacts`` contacts with the same plan.

    .venv/bin/python -m bench.bulk_pace [--contacts 500] [--rate 1200] [--seed-contacts 100]
"""

from __future__ import annotations

import argparse
import logging
import shutil
import tempfile
import time
from pathlib import Path

import httpx
from bench.loopback import table_line

from cwdesk.manage.client import ManageAuth, ManageClient
from cwdesk.sandbox import Sandbox
from cwdesk.store import open_database
from cwdesk.workflows.bulk_contacts import parse_assignments, plan_bulk_contacts, update_contacts


def _drain_bucket(sb: Sandbox, client: httpx.Client, rate: int) -> None:
    """Spend the sandbox's burst allowance so the run starts at the steady rate."""
    for _ in range(rate + 5):
        if client.get("/system/info").status_code == 429:
            break
    sb.clear_requests()


def _companies_for(sb: Sandbox, contacts: int) -> list[int]:
    """The fewest companies (in id order) with at least ``contacts`` active ones."""
    rows = sb.db.execute(
        "SELECT c_company_id, count(*) FROM mg_contact WHERE c_company_id IS NOT NULL AND c_inactiveflag = 0 "
        "GROUP BY c_company_id ORDER BY c_company_id"
    ).fetchall()
    picked: list[int] = []
    total = 0
    for company_id, count in rows:
        picked.append(int(company_id))
        total += count
        if total >= contacts:
            break
    return picked


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=500)
    parser.add_argument("--rate", type=int, default=1200, help="the sandbox's limit, requests/minute")
    parser.add_argument("--seed-contacts", type=int, default=100, help="contacts patched with the seed's pacing")
    args = parser.parse_args()
    logging.disable(logging.WARNING)

    sb = Sandbox(seed=max(60, (args.contacts + args.seed_contacts) // 3), random_seed=1)
    creds = sb.manage_credentials
    home = Path(tempfile.mkdtemp(prefix="cwdesk-bench-p1-"))
    engine = open_database(f"sqlite:///{home / 'jobs.db'}")
    cw = ManageClient(**creds, transport=sb.transport())
    raw = httpx.Client(
        transport=sb.transport(), base_url=cw.base_url, auth=ManageAuth(cw.credentials), headers=dict(cw.headers)
    )
    changes = parse_assignments(cw, ["inactiveFlag=true"])
    ours = _companies_for(sb, args.contacts)
    theirs = [c for c in _companies_for(sb, args.contacts + args.seed_contacts) if c not in ours]
    sb.faults.set(rate_limit_per_min=args.rate)

    # cwdesk: plan + durable job + one PATCH per contact at the SDK's adaptive pace.
    _drain_bucket(sb, raw, args.rate)
    started = time.perf_counter()
    result = update_contacts(engine, cw, changes=changes, company_ids=ours, contact_filter="active")
    ours_s = time.perf_counter() - started
    log = sb.requests
    calls = len(log)
    refused = sum(1 for entry in log if entry.status == 429)
    summary = result.summary
    assert summary is not None
    failed = summary.counts.error
    patched = sum(1 for entry in log if entry.method == "PATCH" and entry.status == 200)
    floor_s = calls / (args.rate / 60.0)

    # The seed's pacing: the same plan, raw PATCHes, a 3 s pause after every 10 calls.
    plan = plan_bulk_contacts(cw, changes=changes, company_ids=theirs, contact_filter="active")
    steps = plan.steps[: args.seed_contacts]
    _drain_bucket(sb, raw, args.rate)
    started = time.perf_counter()
    sent = 0
    for step in steps:
        contact_id = int(step.key.rsplit(":", 1)[-1])
        body = [{"op": "replace", "path": "/inactiveFlag", "value": True}]
        response = raw.patch(f"/company/contacts/{contact_id}", json=body)
        while response.status_code == 429:  # the seed waits as told, then sends again
            time.sleep(float(response.headers.get("retry-after", "1")))
            response = raw.patch(f"/company/contacts/{contact_id}", json=body)
        response.raise_for_status()
        sent += 1
        if sent % 10 == 0:
            time.sleep(3.0)
    seed_s = time.perf_counter() - started
    seed_calls = len(sb.requests)
    seed_refused = sum(1 for entry in sb.requests if entry.status == 429)
    seed_floor_s = seed_calls / (args.rate / 60.0)

    engine.dispose()
    shutil.rmtree(home, ignore_errors=True)
    print(
        table_line(
            "P1",
            ours_s / floor_s,
            "x-floor",
            f"bulk update of {patched} contacts under a {args.rate}/min limit: {ours_s:.1f} s for {calls} calls "
            f"(floor {floor_s:.1f} s), {failed} failed, {refused} answered 429 (retried inside the SDK)",
        )
    )
    print(
        table_line(
            "P1s",
            seed_s / seed_floor_s,
            "x-floor",
            f"baseline: the console seed's pacing (10 calls, 3 s pause), {sent} contacts on the same sandbox: "
            f"{seed_s:.1f} s (floor {seed_floor_s:.1f} s), {seed_refused} answered 429",
        )
    )


if __name__ == "__main__":
    main()
