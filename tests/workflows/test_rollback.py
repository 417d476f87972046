"""Rollback tells the truth: what it deletes, what it puts back, what it leaves and what it cannot undo."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from cwdesk import ManageClient
from cwdesk.conditions import C
from cwdesk.sandbox import Sandbox
from cwdesk.workflows.bulk_contacts import parse_assignments, update_contacts
from cwdesk.workflows.jobs import (
    Action,
    JobKind,
    JobState,
    JobStateError,
    Outcome,
    Plan,
    Step,
    StepContext,
    create_job,
    get_job,
    plan_rollback,
    read_events,
    register_kind,
    rollback_job,
    run_job,
)
from cwdesk.workflows.validation import record_dict


@pytest.fixture
def cw(sandbox: Sandbox) -> ManageClient:
    return ManageClient(**sandbox.manage_credentials, transport=sandbox.transport())


def contacts_of(cw: ManageClient, company_ids: list[int]) -> dict[int, dict[str, Any]]:
    found = cw.contacts.list(where=C("company/id").in_(company_ids), order_by="id asc")
    return {int(c.id or 0): record_dict(c) for c in found}


def test_bulk_rollback_puts_back_the_value_each_contact_had(
    engine: sa.Engine, cw: ManageClient, sandbox: Sandbox
) -> None:
    before = contacts_of(cw, [1, 2])
    already = next(iter(before))
    cw.contacts.update(already, {"disablePortalLoginFlag": True})
    before = contacts_of(cw, [1, 2])
    changes = parse_assignments(cw, ["disablePortalLoginFlag=true"])
    result = update_contacts(engine, cw, changes=changes, company_ids=[1, 2])
    assert result.summary is not None and result.summary.state is JobState.succeeded
    assert all(c.get("disablePortalLoginFlag") for c in contacts_of(cw, [1, 2]).values())
    changed = [i for i, c in before.items() if not c.get("disablePortalLoginFlag")]
    assert changed and already not in changed

    plan = plan_rollback(get_job(engine, result.job_id or 0))
    assert [s.params["contact_id"] for s in plan.restore] == sorted(changed, reverse=True)
    assert not plan.delete and not plan.cannot
    sandbox.clear_requests()

    summary = rollback_job(engine, result.job_id or 0, client=cw)

    assert summary.state is JobState.rolled_back
    assert summary.message == f"Rolled back: 0 deleted, {len(changed)} put back."
    after = contacts_of(cw, [1, 2])
    assert {i: bool(c.get("disablePortalLoginFlag")) for i, c in after.items()} == {
        i: bool(c.get("disablePortalLoginFlag")) for i, c in before.items()
    }
    # The contact that already held the value was not touched by the rollback either.
    patched = {r.path.rsplit("/", 1)[-1] for r in sandbox.requests if r.method == "PATCH"}
    assert patched == {str(i) for i in changed}


def test_bulk_rollback_puts_back_a_reference_and_an_empty_one(engine: sa.Engine, cw: ManageClient) -> None:
    before = contacts_of(cw, [1])
    first, second = list(before)[:2]
    cw.contacts.update(second, {"relationship": None})
    before = contacts_of(cw, [1])
    wanted = "Owner" if (before[first].get("relationship") or {}).get("name") != "Owner" else "Vendor"
    result = update_contacts(engine, cw, changes=parse_assignments(cw, [f"relationship={wanted}"]), company_ids=[1])
    assert result.summary is not None and result.summary.state is JobState.succeeded

    rollback_job(engine, result.job_id or 0, client=cw)

    after = contacts_of(cw, [1])
    for contact_id, contact in before.items():
        was = (contact.get("relationship") or {}).get("id")
        assert (after[contact_id].get("relationship") or {}).get("id") == was, contact_id
    assert after[second].get("relationship") is None


def test_bulk_rollback_leaves_a_contact_changed_since_and_says_so(engine: sa.Engine, cw: ManageClient) -> None:
    before = contacts_of(cw, [2])
    result = update_contacts(engine, cw, changes=parse_assignments(cw, ["inactiveFlag=true"]), company_ids=[2])
    job_id = result.job_id or 0
    someone_else = next(i for i, c in before.items() if not c.get("inactiveFlag"))
    cw.contacts.update(someone_else, {"inactiveFlag": False})  # another user re-activated this one since

    summary = rollback_job(engine, job_id, client=cw)

    assert summary.state is JobState.rolled_back
    assert "1 left as they are because they changed since the job" in (summary.message or "")
    skipped = [e for e in read_events(engine, job_id) if e.type == "step_rollback_skipped"]
    assert [e.step_key for e in skipped] == [f"contact:{someone_else}"]
    assert "changed after the job" in skipped[0].message
    step = next(s for s in get_job(engine, job_id).steps if s.key == f"contact:{someone_else}")
    assert step.state.value == "ok"  # not called undone


def test_rollback_with_nothing_to_undo_is_refused_and_keeps_the_state(engine: sa.Engine, cw: ManageClient) -> None:
    for contact_id in contacts_of(cw, [3]):
        cw.contacts.update(contact_id, {"disablePortalLoginFlag": True})
    result = update_contacts(
        engine, cw, changes=parse_assignments(cw, ["disablePortalLoginFlag=true"]), company_ids=[3]
    )
    job_id = result.job_id or 0
    assert result.summary is not None and result.summary.counts.skipped == result.summary.counts.total > 0

    with pytest.raises(JobStateError, match="nothing to roll back"):
        rollback_job(engine, job_id, client=cw)

    assert get_job(engine, job_id).summary.state is JobState.succeeded
    assert not [e for e in read_events(engine, job_id) if e.type.startswith("rollback")]


def test_rollback_when_every_record_changed_since_is_not_called_rolled_back(
    engine: sa.Engine, cw: ManageClient
) -> None:
    targets = [i for i, c in contacts_of(cw, [4]).items() if not c.get("disablePortalLoginFlag")]
    result = update_contacts(
        engine, cw, changes=parse_assignments(cw, ["disablePortalLoginFlag=true"]), company_ids=[4]
    )
    for contact_id in targets:
        cw.contacts.update(contact_id, {"disablePortalLoginFlag": False})

    summary = rollback_job(engine, result.job_id or 0, client=cw)

    assert summary.state is JobState.succeeded
    assert (summary.message or "").startswith("Nothing was undone;")


def _noop(ctx: StepContext) -> Outcome:
    return Outcome.done("changed a setting")


register_kind(
    JobKind(
        name="test_not_undoable",
        actions={
            "change": Action(_noop, not_undoable="the old setting was not recorded"),
            "check": Action(_noop, reads_only=True),
        },
    )
)


def test_a_job_whose_changes_cannot_be_undone_is_not_offered_a_rollback(engine: sa.Engine) -> None:
    plan = Plan(
        kind="test_not_undoable",
        title="change one thing",
        params={},
        steps=[Step("setting:1", "change", {}, "Setting 1"), Step("check:1", "check", {}, "Check")],
    )
    job_id = create_job(engine, plan)
    assert run_job(engine, job_id, client=None).state is JobState.succeeded

    rollback = plan_rollback(get_job(engine, job_id))

    assert not rollback.undoable
    assert [(s.key, why) for s, why in rollback.cannot] == [("setting:1", "the old setting was not recorded")]
    with pytest.raises(JobStateError, match="cannot be rolled back: nothing it did can be undone"):
        rollback_job(engine, job_id, client=None)
    assert get_job(engine, job_id).summary.state is JobState.succeeded
