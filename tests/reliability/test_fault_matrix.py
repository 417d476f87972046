"""R1 fault matrix, in-process columns: {bulk update, onboarding, set primary, sync} x {429 storm, 10 % 5xx,
timeouts, dropped connections}. Every cell completes, or resumes to completion, with nothing lost and nothing
duplicated, checked against the sandbox's records and its request log once the faults are cleared.

The faults come from the sandbox's fault API (``sb.faults``: a per-credential token bucket answering 429 with
``Retry-After``, random 5xx, hangs and drops that strike before the emulator acts) plus ``LostAnswers``, which loses
the answer of a share of requests *after* the sandbox acted, so a write may have landed without the client knowing.
The SIGKILL column is in ``test_kill_and_resume.py``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from cwdesk.conditions import C
from cwdesk.manage.client import ManageAuth, ManageClient
from cwdesk.sandbox import Sandbox
from cwdesk.store import sync_cache
from cwdesk.workflows.bulk_contacts import parse_assignments, update_contacts
from cwdesk.workflows.jobs import TRANSIENT_ERRORS, JobState, resume_job
from cwdesk.workflows.onboarding import onboard
from cwdesk.workflows.primary_contact import primaries_of, set_primary_contact
from cwdesk.workflows.sync import source_of, sync_kind
from cwdesk.workflows.validation import record_dict

from .harness import LostAnswers, fast_client

ATTEMPTS = 25  # first run + resumes; each resume retries only what is not done yet


# -- the faults (columns) -------------------------------------------------------------------------------------------


def _storm(sb: Sandbox) -> httpx.BaseTransport:
    """A 600/min limit whose bucket is already empty: from the first call on, most requests answer 429."""
    sb.faults.set(rate_limit_per_min=600)
    cw = ManageClient(**sb.manage_credentials, transport=sb.transport())
    with httpx.Client(transport=sb.transport(), auth=ManageAuth(cw.credentials), headers=dict(cw.headers)) as raw:
        while raw.get(f"{cw.base_url}/system/info").status_code != 429:
            pass
    return sb.transport()


def _strike_first(sb: Sandbox, **fault: Any) -> None:
    """Random faults may miss a short run: the first read and the first write of each kind fail for sure."""
    for method in ("GET", "POST", "PATCH"):
        sb.faults.fail_next(method=method, **fault)


def _server_errors(sb: Sandbox) -> httpx.BaseTransport:
    sb.faults.set(error_rate=0.10, seed=11)
    _strike_first(sb, status=503)
    return sb.transport()


def _timeouts(sb: Sandbox) -> httpx.BaseTransport:
    sb.faults.set(hang_rate=0.05, hang_seconds=0.05, seed=12)
    _strike_first(sb, action="hang")
    return LostAnswers(sb.transport(), rate=0.05, error=httpx.ReadTimeout, seed=13)


def _drops(sb: Sandbox) -> httpx.BaseTransport:
    sb.faults.set(drop_rate=0.05, seed=14)
    _strike_first(sb, action="drop")
    return LostAnswers(sb.transport(), rate=0.05, error=httpx.RemoteProtocolError, seed=15)


FAULTS: dict[str, Callable[[Sandbox], httpx.BaseTransport]] = {
    "429 storm": _storm,
    "10% 5xx": _server_errors,
    "timeouts": _timeouts,
    "dropped connections": _drops,
}


# -- the workflows (rows) -------------------------------------------------------------------------------------------


@dataclass
class Cell:
    sb: Sandbox
    engine: sa.Engine
    clean: ManageClient  # no faults: to read the truth before and after

    def faulty(self, fault: str) -> ManageClient:
        return fast_client(self.sb, FAULTS[fault](self.sb))

    def settle(self) -> None:
        self.sb.faults.clear()


def _run_job_to_the_end(start: Callable[[], Any], cw: ManageClient, engine: sa.Engine) -> int:
    """Start the job (its checks and plan may fail transiently: then nothing was stored, start again), then resume
    until it succeeds. Returns the job id."""
    job_id: int | None = None
    for _ in range(ATTEMPTS):
        try:
            if job_id is None:
                result = start()
                job_id = result.job_id
                state = result.summary.state
            else:
                state = resume_job(engine, job_id, client=cw).state
        except TRANSIENT_ERRORS:
            continue
        if state is JobState.succeeded:
            assert job_id is not None
            return job_id
    raise AssertionError(f"job {job_id} did not complete in {ATTEMPTS} runs")


def _successes(sb: Sandbox, method: str, status: int) -> Counter[str]:
    return Counter(e.path for e in sb.requests if e.method == method and e.status == status)


def bulk_update(cell: Cell, fault: str) -> None:
    companies = [1, 2, 3]
    everyone = [record_dict(c) for c in cell.clean.contacts.list(where=C("company/id").in_(companies))]
    targeted = {c["id"] for c in everyone if not c.get("inactiveFlag")}
    others = {c["id"]: c for c in map(record_dict, cell.clean.contacts.list(where=C("company/id") > 3))}
    assert 5 <= len(targeted) <= 30
    cell.sb.clear_requests()
    cw = cell.faulty(fault)

    _run_job_to_the_end(
        lambda: update_contacts(
            cell.engine, cw, changes=parse_assignments(cw, ["inactiveFlag=true"]), company_ids=companies
        ),
        cw,
        cell.engine,
    )

    cell.settle()
    after = {c["id"]: c for c in map(record_dict, cell.clean.contacts.list(where=C("company/id").in_(companies)))}
    assert all(after[i]["inactiveFlag"] is True for i in targeted), "a contact was lost"
    patched = _successes(cell.sb, "PATCH", 200)
    assert {int(p.rsplit("/", 1)[1]) for p in patched} == targeted, "only the targeted contacts are patched"
    assert max(patched.values()) == 1, f"a contact was patched twice: {patched.most_common(3)}"
    assert {c["id"]: c for c in map(record_dict, cell.clean.contacts.list(where=C("company/id") > 3))} == others


ONBOARDING_PLAN: dict[str, Any] = {
    "company": {
        "name": "Faulty Widgets",
        "identifier": "FaultyWidgets",
        "status": "Active",
        "type": "Client",
        "phone": "312-555-0100",
        "address": {"line1": "1 Main St", "city": "Chicago", "state": "IL", "zip": "60601", "country": "United States"},
    },
    "contacts": [
        {"first_name": "Jane", "last_name": "Doe", "email": "jane@faulty.example"},
        {"first_name": "Bob", "last_name": "Roe", "email": "bob@faulty.example"},
    ],
    "agreement": {"name": "Faulty Managed Services", "type": "Managed Service", "bill_amount": 900},
    "ticket": {"board": "Service Desk"},
}


def onboarding(cell: Cell, fault: str) -> None:
    cell.sb.clear_requests()
    cw = cell.faulty(fault)

    _run_job_to_the_end(lambda: onboard(cell.engine, cw, ONBOARDING_PLAN), cw, cell.engine)

    cell.settle()
    (company,) = [record_dict(c) for c in cell.clean.companies.list(where=C("identifier") == "FaultyWidgets")]
    contacts = [record_dict(c) for c in cell.clean.contacts.list(where=C("company/id") == company["id"])]
    assert sorted(c["firstName"] for c in contacts) == ["Bob", "Jane"]
    assert company["defaultContact"]["id"] == next(c["id"] for c in contacts if c["firstName"] == "Jane")
    assert len(list(cell.clean.companies.sites(company["id"]).list())) == 1
    assert len(list(cell.clean.agreements.list(where=C("company/id") == company["id"]))) == 1
    assert len(list(cell.clean.tickets.list(where=C("company/id") == company["id"]))) == 1
    created = Counter(p.rsplit("/apis/3.0", 1)[-1] for p in _successes(cell.sb, "POST", 201).elements())
    assert created == {
        "/company/companies": 1,  # with its site: no site POST (docs/workflows.md, W1)
        "/company/contacts": 2,
        "/finance/agreements": 1,
        "/service/tickets": 1,
    }, f"something was created twice or not at all: {created}"


def set_primary(cell: Cell, fault: str) -> None:
    company_id, new_id = 0, 0
    for company in cell.clean.companies.list(order_by="id asc"):
        contacts = [record_dict(c) for c in cell.clean.contacts.list(where=C("company/id") == company.id)]
        others = [c for c in contacts if not c.get("defaultFlag") and not c.get("inactiveFlag")]
        if any(c.get("defaultFlag") for c in contacts) and others:
            company_id, new_id = int(company.id or 0), int(others[0]["id"])
            break
    assert new_id, "the demo data has no company with a primary and another active contact"
    untouched = [record_dict(c) for c in cell.clean.contacts.list(where=C("company/id") != company_id)]
    cell.sb.clear_requests()
    cw = cell.faulty(fault)

    _run_job_to_the_end(lambda: set_primary_contact(cell.engine, cw, new_id), cw, cell.engine)

    cell.settle()
    assert [c["id"] for c in primaries_of(cell.clean, company_id)] == [new_id]
    assert record_dict(cell.clean.companies.get(company_id))["defaultContact"]["id"] == new_id
    assert [record_dict(c) for c in cell.clean.contacts.list(where=C("company/id") != company_id)] == untouched


def sync(cell: Cell, fault: str) -> None:
    cw = cell.faulty(fault)
    for kind, resource in (("companies", cell.clean.companies), ("contacts", cell.clean.contacts)):
        for _ in range(ATTEMPTS):
            try:
                sync_kind(cw, cell.engine, kind)
                break
            except TRANSIENT_ERRORS:
                continue
        else:
            raise AssertionError(f"the {kind} sync never completed")
        cell.settle()
        truth = {int(r.id or 0) for r in resource.list()}  # type: ignore[attr-defined]
        with cell.engine.connect() as conn:
            cached = list(sync_cache.cached_records(conn, source_of(cell.clean), kind))
        ids = [int(r["id"]) for r in cached]
        assert len(ids) == len(set(ids)), "a record is cached twice"
        assert set(ids) == set(truth), "a record was lost or invented"
        cw = cell.faulty(fault)


WORKFLOWS: dict[str, Callable[[Cell, str], None]] = {
    "bulk update": bulk_update,
    "onboarding": onboarding,
    "set primary": set_primary,
    "sync": sync,
}


@pytest.mark.parametrize("fault", list(FAULTS))
@pytest.mark.parametrize("workflow", list(WORKFLOWS))
def test_every_workflow_completes_under_every_fault_with_nothing_lost_or_duplicated(
    workflow: str, fault: str, sandbox: Sandbox, engine: sa.Engine
) -> None:
    cell = Cell(sandbox, engine, ManageClient(**sandbox.manage_credentials, transport=sandbox.transport()))
    WORKFLOWS[workflow](cell, fault)
    # The fault really struck: a cell that saw no fault proves nothing.
    assert any(e.status in (0, 429, 500, 502, 503) for e in sandbox.requests), "no fault struck: proves nothing"
