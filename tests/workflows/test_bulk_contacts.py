"""W2 bulk contact update against the sandbox: selection, filters, verify, skip, errors per record, resume."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from cwdesk import ManageClient
from cwdesk.conditions import C, ConditionSyntaxError
from cwdesk.sandbox import Sandbox
from cwdesk.workflows.bulk_contacts import bulk_report, parse_assignments, update_contacts
from cwdesk.workflows.jobs import JobState, get_job, run_job
from cwdesk.workflows.validation import InvalidInput, record_dict


@pytest.fixture
def cw(sandbox: Sandbox) -> ManageClient:
    return ManageClient(**sandbox.manage_credentials, transport=sandbox.transport())


def contacts_of(cw: ManageClient, company_ids: list[int]) -> list[dict[str, Any]]:
    return [record_dict(c) for c in cw.contacts.list(where=C("company/id").in_(company_ids), order_by="id asc")]


def patches(sandbox: Sandbox) -> list[str]:
    return [r.path.rsplit("/", 1)[-1] for r in sandbox.requests if r.method == "PATCH" and r.status < 300]


def test_bulk_contacts_sets_a_field_on_every_contact_of_the_selected_companies(
    engine: sa.Engine, cw: ManageClient, sandbox: Sandbox
) -> None:
    targets = contacts_of(cw, [1, 2])
    others_before = contacts_of(cw, [3])
    sandbox.clear_requests()

    result = update_contacts(engine, cw, changes=parse_assignments(cw, ["type=Billing"]), company_ids=[1, 2])

    assert result.summary is not None and result.summary.state is JobState.succeeded
    assert result.summary.counts.ok == len(targets) > 0
    assert all([t["name"] for t in c["types"]] == ["Billing"] for c in contacts_of(cw, [1, 2]))
    assert contacts_of(cw, [3]) == others_before
    # One PATCH per contact, no more.
    assert sorted(patches(sandbox)) == sorted(str(c["id"]) for c in targets)
    rows = bulk_report(get_job(engine, result.job_id or 0))
    assert {r["result"] for r in rows} == {"ok"} and all(r["after"] == "Billing" for r in rows)


def test_filter_primary_and_active_pick_the_right_contacts(engine: sa.Engine, cw: ManageClient) -> None:
    everyone = contacts_of(cw, [1, 2, 3])
    primaries = [c for c in everyone if c.get("defaultFlag")]
    assert 0 < len(primaries) < len(everyone)

    result = update_contacts(
        engine,
        cw,
        changes=parse_assignments(cw, ["disablePortalLoginFlag=true"]),
        company_ids=[1, 2, 3],
        contact_filter="primary",
    )

    assert result.summary is not None and result.summary.counts.total == len(primaries)
    flagged = {c["id"] for c in contacts_of(cw, [1, 2, 3]) if c.get("disablePortalLoginFlag")}
    assert flagged == {c["id"] for c in primaries}

    # Deactivate one contact; "active" then leaves it out.
    cw.contacts.update(everyone[0]["id"], {"inactiveFlag": True})
    active = update_contacts(
        None,
        cw,
        changes=parse_assignments(cw, ["relationship=Owner"]),
        company_ids=[1, 2, 3],
        contact_filter="active",
        dry_run=True,
    )
    planned = {s.params["contact_id"] for s in active.plan.steps}
    assert planned == {c["id"] for c in everyone} - {everyone[0]["id"]}


def test_contacts_already_holding_the_value_are_skipped_without_a_patch(
    engine: sa.Engine, cw: ManageClient, sandbox: Sandbox
) -> None:
    first = contacts_of(cw, [1])[0]
    cw.contacts.update(first["id"], {"inactiveFlag": True})
    sandbox.clear_requests()

    result = update_contacts(engine, cw, changes=parse_assignments(cw, ["inactiveFlag=yes"]), company_ids=[1])

    assert result.summary is not None and result.summary.counts.skipped == 1
    assert str(first["id"]) not in patches(sandbox)


def test_bad_fields_and_values_fail_before_any_write(cw: ManageClient, sandbox: Sandbox) -> None:
    sandbox.clear_requests()
    with pytest.raises(InvalidInput) as caught:
        parse_assignments(cw, ["title=CEO", "inactiveFlag=maybe", "type=Biling", "relationship"])
    text = str(caught.value)
    assert "cannot be set in bulk" in text
    assert "'maybe' is not true or false" in text
    assert "did you mean 'Billing'" in text
    assert "must be FIELD=VALUE" in text
    with pytest.raises(InvalidInput, match="no company has id 999"):
        update_contacts(None, cw, changes=parse_assignments(cw, ["inactiveFlag=true"]), company_ids=[1, 999])
    with pytest.raises(ConditionSyntaxError):
        update_contacts(None, cw, changes=parse_assignments(cw, ["inactiveFlag=true"]), where='name = "unclosed')
    assert [r for r in sandbox.requests if r.method != "GET"] == []


def test_where_condition_selects_the_companies(engine: sa.Engine, cw: ManageClient) -> None:
    active_ids = [c.id for c in cw.companies.list(where=C("status/name") == "Active")]

    result = update_contacts(
        None, cw, changes=parse_assignments(cw, ["department=Accounting"]), where='status/name = "Active"', dry_run=True
    )

    assert result.plan.params["company_ids"] == sorted(i for i in active_ids if i is not None)
    assert {s.params["company_id"] for s in result.plan.steps} <= set(active_ids)


def test_a_failing_record_does_not_stop_the_job_and_resume_retries_only_it(
    engine: sa.Engine, cw: ManageClient, sandbox: Sandbox
) -> None:
    targets = contacts_of(cw, [1, 2])
    sandbox.faults.fail_next(method="PATCH", path_contains="/company/contacts/", status=400, count=1)
    sandbox.clear_requests()

    result = update_contacts(engine, cw, changes=parse_assignments(cw, ["inactiveFlag=true"]), company_ids=[1, 2])

    assert result.summary is not None and result.summary.state is JobState.partial
    assert (result.summary.counts.ok, result.summary.counts.error) == (len(targets) - 1, 1)
    failed = next(r for r in bulk_report(get_job(engine, result.job_id or 0)) if r["result"] == "error")
    assert failed["contact_id"] == targets[0]["id"] and failed["message"]
    sandbox.clear_requests()

    resumed = run_job(engine, result.job_id or 0, client=cw)

    assert resumed.state is JobState.succeeded
    assert patches(sandbox) == [str(targets[0]["id"])]
    assert all(c["inactiveFlag"] for c in contacts_of(cw, [1, 2]))


def test_a_patch_that_landed_before_a_crash_is_not_sent_again(
    engine: sa.Engine, cw: ManageClient, sandbox: Sandbox
) -> None:
    result = update_contacts(
        None, cw, changes=parse_assignments(cw, ["inactiveFlag=true"]), company_ids=[1], dry_run=True
    )
    from cwdesk.store.jobs import job_steps, jobs
    from cwdesk.workflows.jobs import create_job

    job_id = create_job(engine, result.plan)
    first = result.plan.steps[0]
    # The process patched the first contact, then died before recording the outcome.
    cw.contacts.update(first.params["contact_id"], {"inactiveFlag": True})
    with engine.begin() as conn:
        conn.execute(
            job_steps.update()
            .where(job_steps.c.job_id == job_id, job_steps.c.key == first.key)
            .values(state="running", attempts=1)
        )
        conn.execute(jobs.update().where(jobs.c.id == job_id).values(state="running", runner="gone:1:x"))
    sandbox.clear_requests()

    summary = run_job(engine, job_id, client=cw, force=True)

    assert summary.state is JobState.succeeded
    assert str(first.params["contact_id"]) not in patches(sandbox)
    assert len(patches(sandbox)) == len(result.plan.steps) - 1
