"""W4 members: provision with every check before a write, deprovision (409 explained), export."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import httpx
import pytest
import sqlalchemy as sa

from cwdesk.manage.client import ManageClient
from cwdesk.sandbox import Sandbox
from cwdesk.workflows.jobs import JobState, resume_job, rollback_job
from cwdesk.workflows.members import (
    EXPORT_COLUMNS,
    NewMember,
    check_new_member,
    deprovision_member,
    export_members,
    find_member,
    provision_member,
)
from cwdesk.workflows.validation import InvalidInput


@pytest.fixture
def cw(sandbox: Sandbox) -> Iterator[ManageClient]:
    client = ManageClient(**sandbox.manage_credentials, transport=sandbox.transport())
    yield client
    client.close()


def writes(sandbox: Sandbox) -> list[tuple[str, str]]:
    return [(r.method, r.path) for r in sandbox.requests if r.method in ("POST", "PATCH", "PUT", "DELETE")]


def new_member(**changes: object) -> NewMember:
    values: dict[str, object] = {
        "identifier": "bjones",
        "first_name": "Bob",
        "last_name": "Jones",
        "email": "bob.jones@example.com",
        "security_role": "technician",
        "hire_date": date(2026, 3, 2),
    }
    values.update(changes)
    return NewMember(**values)  # type: ignore[arg-type]


def test_provision_creates_the_member_with_the_role_resolved_by_name(
    sandbox: Sandbox, cw: ManageClient, engine: sa.Engine
) -> None:
    result = provision_member(engine, cw, new_member(phone="312-555-0100", title="Technician"))
    assert result.summary is not None and result.summary.state is JobState.succeeded
    created = find_member(cw, "bjones")
    assert created is not None
    assert created["securityRole"]["name"] == "Technician"
    assert created["licenseClass"] == "F"
    assert created["officeEmail"] == "bob.jones@example.com"
    assert created["defaultEmail"] == "Office"
    assert created["hireDate"].startswith("2026-03-02")
    assert writes(sandbox).count(("POST", "/v4_6_release/apis/3.0/system/members")) == 1


def test_bad_member_input_fails_before_any_write_and_lists_every_problem(
    sandbox: Sandbox, cw: ManageClient, engine: sa.Engine
) -> None:
    bad = new_member(
        identifier="a.very.long.identifier",
        email="not-an-email",
        license_class="Z",
        default_phone="Fax",
        first_name=" ",
    )
    with pytest.raises(InvalidInput) as caught:
        provision_member(engine, cw, bad)
    fields = {p.field for p in caught.value.problems}
    assert fields == {"identifier", "email", "license_class", "default_phone", "first_name"}
    assert "at most 15" in str(caught.value)
    assert writes(sandbox) == []


def test_an_unknown_role_gets_suggestions_and_a_taken_identifier_is_refused(sandbox: Sandbox, cw: ManageClient) -> None:
    with pytest.raises(InvalidInput) as caught:
        check_new_member(cw, new_member(identifier="JSmith", security_role="Technican"))
    text = str(caught.value)
    assert "did you mean 'Technician'" in text
    assert "'JSmith' is already used by member" in text
    assert writes(sandbox) == []


def test_provision_dry_run_sends_nothing(sandbox: Sandbox, cw: ManageClient) -> None:
    result = provision_member(None, cw, new_member(hire_date=None), dry_run=True, today=date(2026, 5, 1))
    assert result.job_id is None
    assert result.calls == ("POST /system/members (bjones)",)
    assert "hire date set to today (2026-05-01)" in result.notes
    assert writes(sandbox) == []


class LoseFirstMemberPost(httpx.BaseTransport):
    """The first POST /system/members reaches the sandbox and is applied, but its answer never arrives."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.lost = False

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if request.method == "POST" and request.url.path.endswith("/system/members") and not self.lost:
            self.lost = True
            raise httpx.ReadTimeout("the answer was lost", request=request)
        return response


def test_a_provision_whose_answer_was_lost_is_resumed_without_a_second_member(
    sandbox: Sandbox, engine: sa.Engine
) -> None:
    with ManageClient(**sandbox.manage_credentials, transport=LoseFirstMemberPost(sandbox.transport())) as cw:
        first = provision_member(engine, cw, new_member())
        assert first.job_id is not None and first.summary is not None
        assert first.summary.state is JobState.failed  # the outcome of the POST is unknown
        resumed = resume_job(engine, first.job_id, client=cw)
        assert resumed.state is JobState.succeeded
        posts = [r for r in sandbox.requests if r.method == "POST" and r.path.endswith("/system/members")]
        assert [r.status for r in posts] == [201]
        assert len(list(cw.members.list(where="identifier = 'bjones'"))) == 1
        # The member found on resume is known to be this job's: rollback removes it.
        rollback_job(engine, first.job_id, client=cw)
        assert find_member(cw, "bjones") is None


def test_rollback_removes_the_provisioned_member(cw: ManageClient, engine: sa.Engine) -> None:
    result = provision_member(engine, cw, new_member())
    assert result.job_id is not None
    rollback_job(engine, result.job_id, client=cw)
    assert find_member(cw, "bjones") is None


def test_deprovision_deactivates_and_verifies(sandbox: Sandbox, cw: ManageClient, engine: sa.Engine) -> None:
    result = deprovision_member(engine, cw, "mlopez")
    assert result.summary is not None and result.summary.state is JobState.succeeded
    member = find_member(cw, "mlopez")
    assert member is not None and member["inactiveFlag"] is True
    again = deprovision_member(engine, cw, "mlopez")
    assert again.summary is not None and again.summary.counts.skipped == 1


def test_deprovision_with_delete_of_a_member_owning_tickets_explains_the_409(
    cw: ManageClient, engine: sa.Engine
) -> None:
    owner = next(
        (t.owner.id for t in cw.tickets.list(fields=["id", "owner"]) if t.owner is not None and t.owner.id), None
    )
    assert owner is not None, "the demo data has tickets with owners"
    result = deprovision_member(engine, cw, owner, delete=True)
    assert result.summary is not None and result.summary.state is JobState.failed
    message = result.summary.message or ""
    assert "409" in message
    assert "tickets" in message
    assert "inactive" in message
    member = find_member(cw, owner)
    assert member is not None and member["inactiveFlag"] is True


def test_deprovision_with_delete_removes_a_member_without_history(cw: ManageClient, engine: sa.Engine) -> None:
    provision_member(engine, cw, new_member())
    result = deprovision_member(engine, cw, "bjones", delete=True)
    assert result.summary is not None and result.summary.state is JobState.succeeded
    assert find_member(cw, "bjones") is None


def test_deprovision_of_an_unknown_member_fails_before_any_write(sandbox: Sandbox, cw: ManageClient) -> None:
    with pytest.raises(InvalidInput, match="nobody"):
        deprovision_member(None, cw, "nobody", dry_run=True)
    assert writes(sandbox) == []


def test_export_lists_active_members_as_flat_rows(cw: ManageClient, engine: sa.Engine) -> None:
    deprovision_member(engine, cw, "akhan")
    rows = list(export_members(cw))
    assert [r["identifier"] for r in rows] == sorted(r["identifier"] for r in rows)
    assert "akhan" not in {r["identifier"] for r in rows}
    assert set(rows[0]) == set(EXPORT_COLUMNS)
    assert all(isinstance(r["securityRole"], str) for r in rows)
    everyone = list(export_members(cw, include_inactive=True))
    assert len(everyone) == len(rows) + 1
