"""What the screen shows is true and current (issue 15 §5), over HTTP: the job page's steps follow the journal
and say what a rollback did, records that no longer exist are named, the client detail counts agreements one way."""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI

from cwdesk.manage.client import ManageClient
from cwdesk.sandbox import Sandbox

from .confirming import confirmed_bulk, confirmed_onboarding, confirmed_rollback
from .test_panels import PLAN, sse_events


def manage_of(sandbox: Sandbox) -> ManageClient:
    return ManageClient(**sandbox.manage_credentials, transport=sandbox.transport())


def test_the_event_stream_moves_each_step_of_the_table_to_its_final_state(sign_in: Any) -> None:
    operator = sign_in("operator")
    body = {"company_ids": [1, 2], "contact_filter": "all", "field": "disablePortalLoginFlag", "value": "true"}
    job_id = confirmed_bulk(operator, body).json()["job_id"]
    events = sse_events(operator, job_id)
    last: dict[str, str] = {}
    for name, data in events:
        if name == "step" and data["state"]:
            last[data["key"]] = data["state"]
    job = operator.get(f"/api/jobs/{job_id}").json()
    assert job["state"] == "succeeded"
    # The stream's last word on each step is the stored state (what the page shows after the end).
    assert last == {step["key"]: step["state"] for step in job["steps"]}
    assert set(last.values()) <= {"ok", "skipped"}
    started = [data["key"] for name, data in events if name == "step" and data["state"] == "running"]
    assert started  # each step was shown running before its outcome


def test_after_a_rollback_the_job_page_says_what_was_undone_and_that_the_company_is_gone(
    sign_in: Any, console_sandbox: Sandbox
) -> None:
    operator = sign_in("operator")
    console_sandbox.faults.fail_next(method="POST", path_contains="/finance/agreements", status=400, count=1)
    job_id = confirmed_onboarding(operator, PLAN).json()["job_id"]
    assert next(data for name, data in sse_events(operator, job_id) if name == "end")["state"] == "failed"
    before = operator.page(f"/jobs/{job_id}").text
    assert "Stopped at step" in before and 'id="rollback-report" hidden' in before
    company = manage_of(console_sandbox).companies.first(where="identifier = 'QuartzLabs'")
    assert company is not None

    assert confirmed_rollback(operator, job_id).json()["ok"]
    events = sse_events(operator, job_id)
    end = next(data for name, data in events if name == "end")
    assert end["state"] == "rolled_back" and end["message"].startswith("Rolled back:")
    assert any(name == "step" and data["state"] == "rolled_back" for name, data in events)

    page = operator.page(f"/jobs/{job_id}").text
    message = re.search(r'<p id="job-message" >(.*?)</p>', page, re.S)
    assert message and message.group(1).startswith("Rolled back:") and "Stopped at step" not in message.group(1)
    report = page.split('id="rollback-report-table"')[1].split("</table>")[0]
    assert "undone" in report and f"company:{PLAN['company']['identifier']}".lower() in report.lower()
    assert f"Company {company.id} (Quartz Labs) no longer exists in ConnectWise: it was deleted." in page
    job = operator.get(f"/api/jobs/{job_id}").json()
    company_step = next(step for step in job["steps"] if step["key"].startswith("company"))
    assert company_step["state"] == "rolled_back"
    assert company_step["message"] != "" and "created company" not in company_step["message"]


def test_a_job_whose_companies_all_exist_names_none_gone(sign_in: Any) -> None:
    operator = sign_in("operator")
    body = {"company_ids": [1], "contact_filter": "all", "field": "disablePortalLoginFlag", "value": "true"}
    job_id = confirmed_bulk(operator, body).json()["job_id"]
    assert next(data for name, data in sse_events(operator, job_id) if name == "end")["state"] == "succeeded"
    assert "no longer exists" not in operator.page(f"/jobs/{job_id}").text


def test_the_hero_and_the_section_count_agreements_the_same_way(sign_in: Any, console_sandbox: Sandbox) -> None:
    viewer = sign_in("viewer")
    cw = manage_of(console_sandbox)
    # The demo's Fulton Street CPAs has one agreement, cancelled.
    company = cw.companies.first(where="name = 'Fulton Street CPAs'")
    assert company is not None
    agreements = list(cw.agreements.list(where=f"company/id = {company.id}"))
    active = [a for a in agreements if not a.cancelled_flag and (a.agreement_status or "Active") == "Active"]
    html = viewer.get(f"/clients/{company.id}/panel").text
    hero = re.search(r'<div class="k">Agreements</div><div class="v"><span class="">(\d+)</span>', html)
    assert hero and int(hero.group(1)) == len(active)
    assert f"<summary>Agreements ({len(active)})" in html
    assert f"+ {len(agreements) - len(active)} not active" in html


def test_employees_shows_number_of_employees(sign_in: Any, console: FastAPI, console_sandbox: Sandbox) -> None:
    viewer = sign_in("viewer")
    manage_of(console_sandbox).companies.patch(2, [{"op": "replace", "path": "numberOfEmployees", "value": 42}])
    console.state.client_list.invalidate()
    html = viewer.get("/clients/2/panel").text
    assert re.search(r'<div class="k">Employees</div><div class="v"><span class="">42</span>', html)


def test_the_jobs_list_says_when_an_onboarded_client_no_longer_exists(sign_in: Any, console_sandbox: Sandbox) -> None:
    operator = sign_in("operator")
    job_id = confirmed_onboarding(operator, PLAN).json()["job_id"]
    assert next(data for name, data in sse_events(operator, job_id) if name == "end")["state"] == "succeeded"
    assert "no longer exists" not in operator.page("/jobs").text
    company = manage_of(console_sandbox).companies.first(where="identifier = 'QuartzLabs'")
    assert company is not None
    manage_of(console_sandbox).companies.delete(company.id)  # deleted elsewhere (or a demo restart)
    listing = operator.page("/jobs").text
    row = listing.split(f'data-job-id="{job_id}"')[1].split("</tr>")[0]
    assert f"Company {company.id} (Quartz Labs) no longer exists in ConnectWise" in row


def test_a_company_id_that_now_names_another_company_is_said_to_be_gone(sign_in: Any, console_sandbox: Sandbox) -> None:
    operator = sign_in("operator")
    job_id = confirmed_onboarding(operator, PLAN).json()["job_id"]
    assert next(data for name, data in sse_events(operator, job_id) if name == "end")["state"] == "succeeded"
    company = manage_of(console_sandbox).companies.first(where="identifier = 'QuartzLabs'")
    assert company is not None
    # What a demo restarted in memory does: the same id, another company.
    manage_of(console_sandbox).companies.patch(company.id, [{"op": "replace", "path": "identifier", "value": "Other"}])
    page = operator.page(f"/jobs/{job_id}").text
    assert f"Company {company.id} (QuartzLabs) no longer exists in ConnectWise: the id now names" in page
