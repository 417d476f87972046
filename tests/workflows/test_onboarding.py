"""W1 onboarding against the sandbox: validation first, the five records, idempotence, resume and rollback."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa

from cwdesk import ManageClient
from cwdesk.conditions import C
from cwdesk.sandbox import Sandbox
from cwdesk.workflows.jobs import JobState, get_job, rollback_job, run_job
from cwdesk.workflows.onboarding import onboard, read_plan_file
from cwdesk.workflows.validation import InvalidInput, record_dict

PLAN: dict[str, Any] = {
    "company": {
        "name": "Acme Corp",
        "identifier": "AcmeCorp",
        "status": "Active",
        "type": "Client",
        "phone": "312-555-0100",
        "website": "https://acme.example",
        "address": {"line1": "1 Main St", "city": "Chicago", "state": "IL", "zip": "60601", "country": "United States"},
    },
    "contacts": [
        {
            "first_name": "Jane",
            "last_name": "Doe",
            "title": "CEO",
            "email": "jane@acme.example",
            "phone": "312-555-0101",
        },
        {"first_name": "Bob", "last_name": "Roe", "email": "bob@acme.example"},
    ],
    "agreement": {"name": "Acme Managed Services", "type": "Managed Service", "bill_amount": 1500},
    "ticket": {"board": "Service Desk"},
}

#: A deleted company still answers, marked deleted (docs/connectwise.md, "Companies").
NOT_DELETED = C("deletedFlag") == False  # noqa: E712


def plan(**overrides: Any) -> dict[str, Any]:
    data = copy.deepcopy(PLAN)
    data.update(overrides)
    return data


@pytest.fixture
def cw(sandbox: Sandbox) -> ManageClient:
    return ManageClient(**sandbox.manage_credentials, transport=sandbox.transport())


def writes(sandbox: Sandbox) -> list[str]:
    return [f"{r.method} {r.path}" for r in sandbox.requests if r.method in ("POST", "PATCH", "PUT", "DELETE")]


def acme(cw: ManageClient) -> dict[str, Any]:
    found = [record_dict(c) for c in cw.companies.list(where=C("identifier") == "AcmeCorp")]
    assert len(found) == 1
    return found[0]


def test_onboarding_creates_company_site_contacts_agreement_and_ticket(engine: sa.Engine, cw: ManageClient) -> None:
    result = onboard(engine, cw, plan())

    assert result.summary is not None and result.summary.state is JobState.succeeded
    company = acme(cw)
    assert company["status"]["name"] == "Active" and company["types"][0]["name"] == "Client"
    sites = [record_dict(s) for s in cw.companies.sites(company["id"]).list()]
    # One site: the one created with the company, filled from the company address; the company points at it.
    assert [(s["name"], s["city"], s["zip"]) for s in sites] == [("Main Office", "Chicago", "60601")]
    assert company["site"]["id"] == sites[0]["id"]
    contacts = {c["firstName"]: c for c in map(record_dict, cw.contacts.list(where=C("company/id") == company["id"]))}
    assert set(contacts) == {"Jane", "Bob"}
    # The first contact is primary, and the company points at it.
    assert contacts["Jane"]["defaultFlag"] is True and contacts["Bob"].get("defaultFlag") is False
    assert company["defaultContact"]["id"] == contacts["Jane"]["id"]
    emails = [i["value"] for i in contacts["Jane"]["communicationItems"] if i["communicationType"] == "Email"]
    assert emails == ["jane@acme.example"]
    agreements = [record_dict(a) for a in cw.agreements.list(where=C("company/id") == company["id"])]
    assert len(agreements) == 1
    # Agreement start defaults to today.
    assert agreements[0]["startDate"].startswith(datetime.now(UTC).date().isoformat())
    assert agreements[0]["contact"]["id"] == contacts["Jane"]["id"]
    tickets = [record_dict(t) for t in cw.tickets.list(where=C("company/id") == company["id"])]
    assert [(t["summary"], t["board"]["name"]) for t in tickets] == [("Onboarding — Acme Corp", "Service Desk")]


def test_plan_with_bad_inputs_fails_before_any_call_and_writes_nothing(
    engine: sa.Engine, cw: ManageClient, sandbox: Sandbox
) -> None:
    bad = plan()
    bad["company"]["identifier"] = "Acme Corp"
    bad["company"]["status"] = "Activ"
    bad["company"]["address"]["state"] = "Illinois"
    bad["company"]["address"]["zip"] = "6060"
    bad["contacts"][0]["email"] = "jane-at-acme"
    bad["contacts"][1]["phone"] = "call me"
    bad["ticket"]["board"] = "Service"
    sandbox.clear_requests()

    with pytest.raises(InvalidInput) as caught:
        onboard(engine, cw, bad)

    fields = {p.field for p in caught.value.problems}
    assert fields == {
        "company.identifier",
        "company.status",
        "company.address.state",
        "company.address.zip",
        "contacts[0].email",
        "contacts[1].phone",
        "ticket.board",
    }
    text = str(caught.value)
    assert "use letters and digits only" in text
    assert "did you mean 'Active'" in text and "did you mean 'Service Desk'" in text
    assert writes(sandbox) == []
    assert engine.connect().execute(sa.text("select count(*) from jobs")).scalar() == 0


def test_identifier_used_by_another_company_is_refused(engine: sa.Engine, cw: ManageClient) -> None:
    taken = record_dict(next(iter(cw.companies.list(limit=1))))
    other = plan()
    other["company"]["identifier"] = taken["identifier"]

    with pytest.raises(InvalidInput, match="already used by company"):
        onboard(engine, cw, other)


def test_dry_run_prints_every_call_and_writes_nothing(cw: ManageClient, sandbox: Sandbox) -> None:
    sandbox.clear_requests()

    result = onboard(None, cw, plan(), dry_run=True)

    assert [f"{c.method} {c.path.split('{')[0]}" for c in result.calls] == [
        "POST /company/companies",
        "PATCH /company/companies/",
        "POST /company/contacts",
        "POST /company/contacts",
        "PATCH /company/companies/",
        "POST /finance/agreements",
        "POST /service/tickets",
    ]
    assert "Onboarding — Acme Corp" in str(result.calls[-1])
    # The company is created with its site in the same call (a real server requires it).
    assert result.calls[0].body["site"] == {"name": "Main Office"}
    assert result.calls[1].path.endswith("/sites/{id of site:AcmeCorp:Main Office}")
    assert writes(sandbox) == []


def test_same_plan_twice_creates_nothing_new_and_says_so(engine: sa.Engine, cw: ManageClient, sandbox: Sandbox) -> None:
    onboard(engine, cw, plan())
    sandbox.clear_requests()

    second = onboard(engine, cw, plan())

    assert second.nothing_new
    assert second.summary is not None and second.summary.counts.skipped == 7
    assert writes(sandbox) == []
    assert any("already exists" in note for note in second.notes)


def test_onboarding_failing_at_agreement_resumes_after_the_fix(
    engine: sa.Engine, cw: ManageClient, sandbox: Sandbox
) -> None:
    sandbox.faults.fail_next(method="POST", path_contains="/finance/agreements", status=500, count=1)

    result = onboard(engine, cw, plan())

    assert result.summary is not None and result.summary.state is JobState.failed
    assert "Agreement Acme Managed Services" in (result.summary.message or "")
    assert "cwdesk jobs resume" in (result.summary.message or "")
    company = acme(cw)
    assert list(cw.agreements.list(where=C("company/id") == company["id"])) == []
    assert list(cw.tickets.list(where=C("company/id") == company["id"])) == []

    assert result.job_id is not None
    resumed = run_job(engine, result.job_id, client=cw)

    assert resumed.state is JobState.succeeded
    assert len(list(cw.agreements.list(where=C("company/id") == company["id"]))) == 1
    assert len(list(cw.tickets.list(where=C("company/id") == company["id"]))) == 1
    assert len(list(cw.companies.list(where=C("identifier") == "AcmeCorp"))) == 1
    assert len(list(cw.contacts.list(where=C("company/id") == company["id"]))) == 2


def test_failed_onboarding_rolls_back_newest_first(engine: sa.Engine, cw: ManageClient, sandbox: Sandbox) -> None:
    sandbox.faults.fail_next(method="POST", path_contains="/finance/agreements", status=500, count=1)
    result = onboard(engine, cw, plan())
    assert result.job_id is not None
    sandbox.clear_requests()

    summary = rollback_job(engine, result.job_id, client=cw)

    assert summary.state is JobState.rolled_back
    ids = {s.action + ":" + s.key: (s.outcome or {}).get("id") for s in get_job(engine, result.job_id).steps}
    company_id = ids["create_company:company:AcmeCorp"]
    # The site goes with the company: it was created with it, so it is not deleted on its own.
    expected = [
        f"DELETE /company/contacts/{ids['create_contact:contact:AcmeCorp:Bob Roe']}",
        f"DELETE /company/contacts/{ids['create_contact:contact:AcmeCorp:Jane Doe']}",
        f"DELETE /company/companies/{company_id}",
    ]
    assert [w.replace("/v4_6_release/apis/3.0", "") for w in writes(sandbox)] == expected
    # A deleted company still answers, marked deleted (docs/connectwise.md, "Companies").
    assert list(cw.companies.list(where=(C("identifier") == "AcmeCorp") & NOT_DELETED)) == []


def test_plan_file_reads_yaml_and_json(tmp_path: Any) -> None:
    (tmp_path / "p.yaml").write_text("company: {name: A, identifier: A1}\ncontacts: []\n", encoding="utf-8")
    (tmp_path / "p.json").write_text('{"company": {"name": "A", "identifier": "A1"}}', encoding="utf-8")
    (tmp_path / "bad.yaml").write_text("company: [", encoding="utf-8")

    assert read_plan_file(tmp_path / "p.yaml")["company"]["identifier"] == "A1"
    assert read_plan_file(tmp_path / "p.json")["company"]["name"] == "A"
    with pytest.raises(InvalidInput, match="not valid YAML"):
        read_plan_file(tmp_path / "bad.yaml")


def test_no_plan_leaves_a_company_with_two_sites(engine: sa.Engine, cw: ManageClient, sandbox: Sandbox) -> None:
    """The company create carries ``site: {name}`` and the site's details are a PATCH of that same site
    (Mwbergamo/SolutionsHub register/api/customers.php: a real server requires the site and makes it itself)."""
    custom = plan()
    custom["site"] = {"name": "Head Office", "phone": "312-555-0142"}
    sandbox.clear_requests()

    result = onboard(engine, cw, custom)

    assert result.summary is not None and result.summary.state is JobState.succeeded
    company = acme(cw)
    sites = [record_dict(s) for s in cw.companies.sites(company["id"]).list()]
    assert [(s["name"], s["phoneNumber"]) for s in sites] == [("Head Office", "312-555-0142")]
    site_writes = [w for w in writes(sandbox) if "/sites" in w]
    assert site_writes == [f"PATCH /v4_6_release/apis/3.0/company/companies/{company['id']}/sites/{sites[0]['id']}"]


def test_onboarding_after_a_rollback_creates_the_company_again(
    engine: sa.Engine, cw: ManageClient, sandbox: Sandbox
) -> None:
    """A rolled-back company stays as a deleted record (rapid7/insightconnect-plugins
    plugins/connectwise/unit_test/responses/get_company.json.resp); the next run does not take it for the live one."""
    sandbox.faults.fail_next(method="POST", path_contains="/finance/agreements", status=500, count=1)
    first = onboard(engine, cw, plan())
    assert first.job_id is not None
    rollback_job(engine, first.job_id, client=cw)

    again = onboard(engine, cw, plan())

    assert again.summary is not None and again.summary.state is JobState.succeeded
    assert not again.nothing_new
    live = [record_dict(c) for c in cw.companies.list(where=(C("identifier") == "AcmeCorp") & NOT_DELETED)]
    assert len(live) == 1 and live[0]["id"] != get_job(engine, first.job_id).steps[0].outcome["id"]  # type: ignore[index]
