"""W3 primary contact against the sandbox: one primary per company, failures reported with the state left, repair."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from cwdesk import ManageClient
from cwdesk.conditions import C
from cwdesk.sandbox import Sandbox
from cwdesk.workflows.jobs import JobState, run_job
from cwdesk.workflows.jobs import runner as job_runner
from cwdesk.workflows.primary_contact import (
    find_several_primaries,
    primaries_of,
    repair_primaries,
    set_primary_contact,
)
from cwdesk.workflows.validation import InvalidInput, record_dict


@pytest.fixture
def cw(sandbox: Sandbox) -> ManageClient:
    return ManageClient(**sandbox.manage_credentials, transport=sandbox.transport())


@pytest.fixture(autouse=True)
def no_backoff_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(job_runner, "_sleep", lambda _seconds: None)


def company_with_contacts(cw: ManageClient) -> tuple[int, list[dict[str, Any]]]:
    """A demo company with a primary and at least one other active contact."""
    for company in cw.companies.list(order_by="id asc"):
        contacts = [record_dict(c) for c in cw.contacts.list(where=C("company/id") == company.id, order_by="id asc")]
        if any(c.get("defaultFlag") for c in contacts) and sum(not c.get("defaultFlag") for c in contacts) >= 1:
            assert company.id is not None
            return company.id, contacts
    raise AssertionError("the demo data has no company with a primary and another contact")


def default_contact_of(cw: ManageClient, company_id: int) -> int | None:
    ref = record_dict(cw.companies.get(company_id)).get("defaultContact") or {}
    return ref.get("id")


def test_set_primary_clears_the_old_primary_and_keeps_the_company_in_step(engine: sa.Engine, cw: ManageClient) -> None:
    company_id, contacts = company_with_contacts(cw)
    new = next(c for c in contacts if not c.get("defaultFlag") and not c.get("inactiveFlag"))

    result = set_primary_contact(engine, cw, new["id"])

    assert result.summary is not None and result.summary.state is JobState.succeeded
    assert [c["id"] for c in primaries_of(cw, company_id)] == [new["id"]]
    assert default_contact_of(cw, company_id) == new["id"]


def test_a_transient_failure_is_retried_and_the_change_completes(
    engine: sa.Engine, cw: ManageClient, sandbox: Sandbox
) -> None:
    company_id, contacts = company_with_contacts(cw)
    new = next(c for c in contacts if not c.get("defaultFlag"))
    sandbox.faults.fail_next(method="PATCH", path_contains=f"/company/contacts/{new['id']}", status=503, count=1)

    result = set_primary_contact(engine, cw, new["id"])

    assert result.summary is not None and result.summary.state is JobState.succeeded
    assert [c["id"] for c in primaries_of(cw, company_id)] == [new["id"]]


def test_a_lasting_failure_says_which_state_it_left_and_resume_repairs_it(
    engine: sa.Engine, cw: ManageClient, sandbox: Sandbox
) -> None:
    company_id, contacts = company_with_contacts(cw)
    new = next(c for c in contacts if not c.get("defaultFlag"))
    sandbox.faults.fail_next(method="PATCH", path_contains=f"/company/contacts/{new['id']}", status=503, count=20)

    result = set_primary_contact(engine, cw, new["id"])

    assert result.summary is not None and result.summary.state is JobState.failed
    message = result.summary.message or ""
    # The old primary was cleared first: never two primaries; the message says so and how to repair.
    assert "has NO primary contact now" in message
    assert f"cwdesk jobs resume {result.job_id}" in message
    assert primaries_of(cw, company_id) == []

    sandbox.faults.clear()
    resumed = run_job(engine, result.job_id or 0, client=cw)

    assert resumed.state is JobState.succeeded
    assert [c["id"] for c in primaries_of(cw, company_id)] == [new["id"]]
    assert default_contact_of(cw, company_id) == new["id"]


def test_an_inactive_contact_cannot_become_primary(engine: sa.Engine, cw: ManageClient, sandbox: Sandbox) -> None:
    _company_id, contacts = company_with_contacts(cw)
    other = next(c for c in contacts if not c.get("defaultFlag"))
    cw.contacts.update(other["id"], {"inactiveFlag": True})
    sandbox.clear_requests()

    with pytest.raises(InvalidInput, match="is inactive"):
        set_primary_contact(engine, cw, other["id"])
    assert [r for r in sandbox.requests if r.method != "GET"] == []


def test_repair_finds_companies_with_several_primaries_and_fixes_them(engine: sa.Engine, cw: ManageClient) -> None:
    company_id, contacts = company_with_contacts(cw)
    pointed = default_contact_of(cw, company_id)
    # The old console's failure: another contact flagged primary, the old one never cleared.
    extra = next(c for c in contacts if not c.get("defaultFlag"))
    cw.contacts.update(extra["id"], {"defaultFlag": True})
    assert len(primaries_of(cw, company_id)) == 2

    cases, dry = repair_primaries(None, cw, dry_run=True)
    assert [c.company_id for c in cases] == [company_id]
    keep = cases[0].keep_id
    assert keep == (pointed if pointed in {c["id"] for c in cases[0].primaries} else extra["id"])
    assert dry is not None and dry.job_id is None
    assert len(primaries_of(cw, company_id)) == 2  # a dry run changes nothing

    _cases, result = repair_primaries(engine, cw)

    assert result is not None and result.summary is not None and result.summary.state is JobState.succeeded
    assert [c["id"] for c in primaries_of(cw, company_id)] == [keep]
    assert default_contact_of(cw, company_id) == keep
    assert find_several_primaries(cw) == []
