"""Benchmark: decoding a realistic 1,000-company Manage page into the SDK's lenient models, µs per record.

Prints (not a test):
- baseline: ``json.loads`` of the page body (what any client pays);
- SDK fast path: ``json.loads`` + ``decode_page(Company, ...)`` (one pydantic validation call for the page);
- SDK slow path: the same page with one odd record (a string where an int belongs), which makes the decoder
  fall back to record-by-record validation for that page;
and the ratios of each to the baseline. The page mimics ConnectWise's shape: ~40 filled fields per company,
references with ``_info`` links, ``customFields``, ``_info`` timestamps.

Run: ``.venv/bin/python bench/decode_page.py [--records 1000] [--rounds 20]``.
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import time
from collections.abc import Callable
from typing import Any

from cwdesk.manage.models import Company, decode_page

HOST = "https://api-na.myconnectwise.net/v4_6_release/apis/3.0"


def _ref(kind: str, rec_id: int, name: str, **extra: Any) -> dict[str, Any]:
    return {"id": rec_id, "name": name, **extra, "_info": {f"{kind}_href": f"{HOST}/{kind}/{rec_id}"}}


def company(i: int) -> dict[str, Any]:
    """One company as ConnectWise returns it (field names and shapes from manage-core.json)."""
    return {
        "id": 1000 + i,
        "identifier": f"Client{i:05d}",
        "name": f"Client {i} Dental & Partners, LLC",
        "status": _ref("company/companies/statuses", 1, "Active"),
        "addressLine1": f"{100 + i} Main Street",
        "addressLine2": "Suite 200",
        "city": "Chicago",
        "state": "IL",
        "zip": "60601",
        "country": _ref("company/countries", 1, "United States", identifier="US"),
        "phoneNumber": "3125550100",
        "faxNumber": "3125550101",
        "website": f"www.client{i}.example",
        "territory": _ref("system/locations", 2, "Chicago"),
        "market": _ref("company/marketDescriptions", 3, "Healthcare"),
        "accountNumber": f"A-{i:06d}",
        "defaultContact": _ref("company/contacts", 5000 + i, "Pat Doe"),
        "dateAcquired": "2019-05-20T18:12:38Z",
        "annualRevenue": 1250000.0,
        "numberOfEmployees": 40 + i % 200,
        "timeZoneSetup": _ref("system/timeZoneSetups", 1, "US Central"),
        "leadFlag": False,
        "unsubscribeFlag": False,
        "userDefinedField1": "",
        "taxCode": _ref("finance/taxCodes", 4, "Illinois"),
        "billingTerms": _ref("finance/billingTerms", 1, "Net 30 days"),
        "billToCompany": _ref("company/companies", 1000 + i, f"Client {i}", identifier=f"Client{i:05d}"),
        "billingSite": _ref("company/companies/sites", 7000 + i, "Main"),
        "invoiceDeliveryMethod": _ref("finance/billingDeliveries", 1, "Mail"),
        "invoiceToEmailAddress": f"billing@client{i}.example",
        "deletedFlag": False,
        "mobileGuid": "7f0c4a58-7a0a-4f7e-9d3c-1f0a8b2c3d4e",
        "currency": {"id": 7, "symbol": "$", "currencyCode": "USD", "name": "US Dollars", "_info": {}},
        "territoryManager": _ref("system/members", 150, "Dana Tech", identifier="dtech", dailyCapacity=8.0),
        "isVendorFlag": False,
        "types": [_ref("company/companies/types", 1, "Client")],
        "site": _ref("company/companies/sites", 7000 + i, "Main"),
        "integratorTags": [],
        "_info": {
            "lastUpdated": "2024-03-02T10:11:12Z",
            "updatedBy": "api",
            "dateEntered": "2019-05-20T18:12:38Z",
            "enteredBy": "admin",
            "contacts_href": f"{HOST}/company/contacts?conditions=company/id={1000 + i}",
            "sites_href": f"{HOST}/company/companies/{1000 + i}/sites",
        },
        "customFields": [
            {"id": 1, "caption": "Tier", "type": "Text", "entryMethod": "List", "numberOfDecimals": 0, "value": "Gold"},
            {
                "id": 2,
                "caption": "MRR",
                "type": "Currency",
                "entryMethod": "EntryField",
                "numberOfDecimals": 2,
                "value": 1999.0,
            },
        ],
    }


def _median_us_per_record(work: Callable[[], object], records: int, rounds: int) -> float:
    work()  # warm up (pydantic builds its validators on first use)
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        work()
        samples.append((time.perf_counter() - started) / records * 1e6)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    logging.getLogger("cwdesk.manage.models").setLevel(logging.ERROR)  # the odd record's warning is expected

    page = [company(i) for i in range(args.records)]
    body = json.dumps(page).encode()
    odd = [dict(record) for record in page]
    odd[len(odd) // 2]["numberOfEmployees"] = "about forty"
    odd_body = json.dumps(odd).encode()

    baseline = _median_us_per_record(lambda: json.loads(body), args.records, args.rounds)
    fast = _median_us_per_record(lambda: decode_page(Company, json.loads(body)), args.records, args.rounds)
    slow = _median_us_per_record(lambda: decode_page(Company, json.loads(odd_body)), args.records, args.rounds)
    decoded = decode_page(Company, json.loads(odd_body))
    assert len(decoded) == args.records and decoded[len(decoded) // 2].numberOfEmployees == "about forty"

    print(f"decode a {args.records}-company page ({len(body) / 1024:.0f} KiB), median of {args.rounds} rounds")
    print(f"{'path':<44}{'µs/record':>12}{'x baseline':>12}")
    print(f"{'baseline: json.loads only':<44}{baseline:>12.1f}{1.0:>12.2f}")
    print(f"{'SDK: json.loads + decode_page (one call)':<44}{fast:>12.1f}{fast / baseline:>12.2f}")
    print(f"{'SDK: page with one odd record (fallback)':<44}{slow:>12.1f}{slow / baseline:>12.2f}")


if __name__ == "__main__":
    main()
