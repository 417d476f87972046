"""C1–C6 through the app's routes: list, search, detail, edits, bulk job with live events, onboarding, Automate."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from cwdesk.console.app import ConsoleSettings, create_app
from cwdesk.console.connections import Connections
from cwdesk.manage.client import ManageClient
from cwdesk.sandbox import Sandbox
from cwdesk.store import open_database

from .confirming import confirmed_bulk, confirmed_onboarding, confirmed_primary, confirmed_rollback
from .conftest import PASSWORD, Browser, login_csrf

SECRETS = (b"sandbox-private", b"sandbox-password")
EVERY_PAGE = ("/", "/api/clients", "/clients/1/panel", "/jobs", "/api/jobs", "/onboarding", "/automate",
              "/automate/clients/1", "/settings", "/users", "/audit", "/account", "/static/console.js",
              "/static/clients.js", "/static/onboarding.js")  # fmt: skip


def manage_of(sandbox: Sandbox) -> ManageClient:
    return ManageClient(**sandbox.manage_credentials, transport=sandbox.transport())


def sse_events(browser: Browser, job_id: int) -> list[tuple[str, dict[str, Any]]]:
    events = []
    with browser.stream("GET", f"/jobs/{job_id}/events") as stream:
        name = ""
        for line in stream.iter_lines():
            if line.startswith("event: "):
                name = line[len("event: ") :]
            elif line.startswith("data: "):
                events.append((name, json.loads(line[len("data: ") :])))
    return events


def test_client_list_is_compact_and_complete(sign_in: Any) -> None:
    body = sign_in("viewer").get("/api/clients").json()
    assert body["columns"] == ["id", "name", "identifier", "city", "state", "status"]
    assert body["total"] == 8 == len(body["rows"]) and body["complete"] is True
    assert body["rows"][2][1:4] == ["Cedar & Finch Law", "CedarLaw", "Portland"]


def test_large_lists_page_past_1000_and_search_server_side(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CWDESK_HOME", str(tmp_path))
    sandbox = Sandbox(seed=1200)
    try:
        engine = open_database(f"sqlite:///{tmp_path / 'big.db'}")
        settings = ConsoleSettings(connections=Connections.on_sandbox(sandbox), engine=engine)
        full = create_app(settings)
        full.state.accounts.create_user("v", "viewer", PASSWORD)
        with Browser(full) as browser:
            token = login_csrf(browser)
            browser.post("/signin", data={"username": "v", "password": PASSWORD, "csrf_token": token})
            body = browser.get("/api/clients").json()
            assert body["total"] == 1200 and len(body["rows"]) == 1200  # no 1,000-company ceiling
            name = body["rows"][700][1]
            settings.browser_list_limit = 100
            session = browser.cookies.get("cwdesk_session")
        with Browser(create_app(settings)) as browser:  # same database: the session still holds
            browser.cookies.set("cwdesk_session", session or "")
            limited = browser.get("/api/clients").json()
            assert limited["complete"] is False and limited["total"] == 1200 and len(limited["rows"]) == 1000
            found = browser.get("/api/clients/search", params={"q": name, "active": "false"}).json()
            assert name in [row[1] for row in found["rows"]]
            injection = browser.get("/api/clients/search", params={"q": 'x" or id > 0 or name = "'}).json()
            assert injection["rows"] == [] and injection["total"] == 0
    finally:
        sandbox.close()


def test_detail_panel_shows_hero_contacts_sites_agreements(sign_in: Any) -> None:
    html = sign_in("viewer").page("/clients/1/panel").text
    for label in ("Status", "Type", "Phone", "Location", "Employees", "Contacts", "Agreements", "Total MRR"):
        assert f'<div class="k">{label}</div>' in html
    assert html.count("PRIMARY") == 1
    assert "Main Office" in html and "Managed Service" in html and "$2,450.00" in html


def test_unknown_client_is_a_clear_404(sign_in: Any) -> None:
    answer = sign_in("viewer").page("/clients/999999/panel")
    assert answer.status_code == 404 and "999999 was not found" in answer.text


def test_company_named_script_is_shown_as_text(sign_in: Any, console_sandbox: Sandbox) -> None:
    evil = "<script>alert(1)</script>"
    created = manage_of(console_sandbox).companies.create(
        {"name": evil, "identifier": "EvilCo", "addressLine1": "1 Main St", "site": {"name": "Main"}}
    )
    viewer = sign_in("viewer")
    html = viewer.page(f"/clients/{created.id}/panel").text
    assert evil not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    page = viewer.page("/")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert "<script>" not in page.text.replace('<script src="/static/', "")  # no inline script anywhere


def test_secrets_never_appear_in_any_response(sign_in: Any) -> None:
    admin = sign_in("admin")
    for path in EVERY_PAGE:
        answer = admin.get(path)
        assert answer.status_code == 200, path
        for secret in SECRETS:
            assert secret not in answer.content, (path, secret)
    settings = admin.page("/settings").text
    assert "••••••••" in settings and "sandbox-public" in settings


def test_edit_company_saves_through_the_workflow_and_is_audited(
    console: FastAPI, sign_in: Any, console_sandbox: Sandbox
) -> None:
    operator = sign_in("operator")
    answer = operator.change("/clients/3", data={"name": "Cedar & Finch LLP", "phone": "503-555-0100",
                                                 "status": "Active", "website": "https://cedar.example"})  # fmt: skip
    assert answer.status_code == 200 and answer.json()["ok"], answer.text
    company = manage_of(console_sandbox).companies.get(3)
    assert company.name == "Cedar & Finch LLP" and company.website == "https://cedar.example"
    entry = console.state.accounts.audit_entries()[0]
    assert (entry.action, entry.target, entry.result) == ("edit company", "company 3", "ok")
    assert entry.detail["name"] == "Cedar & Finch LLP"
    assert "Cedar & Finch LLP" in [row[1] for row in operator.get("/api/clients").json()["rows"]]


def test_edit_errors_come_back_by_field_and_nothing_is_sent(sign_in: Any, console_sandbox: Sandbox) -> None:
    operator = sign_in("operator")
    console_sandbox.clear_requests()
    answer = operator.change("/clients/3", data={"name": "", "phone": "call me", "status": "Nope", "website": "x"})
    assert answer.status_code == 400
    errors = answer.json()["errors"]
    assert set(errors) >= {"name", "phone", "status", "website"}
    assert "did you mean" in errors["status"] or "choose one of" in errors["status"]
    assert not [r for r in console_sandbox.requests if r.method == "PATCH"]


def test_add_contact_and_set_primary_leave_exactly_one_primary(sign_in: Any, console_sandbox: Sandbox) -> None:
    operator = sign_in("operator")
    added = operator.change("/clients/2/contacts", data={"first_name": "Ivy", "last_name": "Chen", "title": "CTO",
                                                         "email": "ivy@brightpath.example"})  # fmt: skip
    assert added.status_code == 200, added.text
    cw = manage_of(console_sandbox)
    ivy = next(c for c in cw.contacts.list(where="company/id = 2") if c.first_name == "Ivy")
    assert confirmed_primary(operator, ivy.id).json()["ok"]
    primaries = [c.id for c in cw.contacts.list(where="company/id = 2") if c.default_flag]
    assert primaries == [ivy.id]
    assert operator.change(f"/contacts/{ivy.id}", data={"first_name": "Ivy", "last_name": "Chen-Li", "title": "CTO",
                                                        "inactive": "true"}).json()["ok"]  # fmt: skip
    edited = cw.contacts.get(ivy.id)
    assert edited.last_name == "Chen-Li" and edited.inactive_flag is True


def test_bulk_update_runs_as_a_job_and_streams_each_record(console: FastAPI, sign_in: Any) -> None:
    operator = sign_in("operator")
    started = confirmed_bulk(
        operator, {"company_ids": [1, 2], "contact_filter": "all", "field": "disablePortalLoginFlag", "value": "true"}
    )
    assert started.status_code == 200, started.text
    job_id = started.json()["job_id"]
    events = sse_events(operator, job_id)
    records = [data for name, data in events if name == "record"]
    end = next(data for name, data in events if name == "end")
    assert end["state"] == "succeeded" and end["done"] == end["total"] == len(records) > 0
    assert {r["outcome"] for r in records} <= {"ok", "skipped"}
    # Reopening replays the whole job; the jobs page lists it.
    assert len([1 for name, _ in sse_events(operator, job_id) if name == "record"]) == len(records)
    assert f'href="/jobs/{job_id}"' in operator.page("/jobs").text


def test_bulk_update_with_a_bad_value_is_refused_before_any_job(sign_in: Any) -> None:
    operator = sign_in("operator")
    answer = operator.change("/bulk", json={"company_ids": [1], "contact_filter": "all", "field": "inactiveFlag",
                                            "value": "maybe"})  # fmt: skip
    assert answer.status_code == 400 and "value" in answer.json()["errors"]
    assert (
        operator.change("/bulk", json={"company_ids": [], "field": "inactiveFlag", "value": "true"}).status_code == 400
    )
    assert operator.get("/api/jobs").json() == []


PLAN = {
    "company": {"name": "Quartz Labs", "identifier": "QuartzLabs", "status": "Active", "type": "Client",
                "address": {"line1": "5 Elm St", "city": "Austin", "state": "TX", "zip": "78701"}},
    "site": {"name": "Main Office"},
    "contacts": [{"first_name": "Quinn", "last_name": "Hale", "email": "quinn@quartz.example"}],
    "agreement": {"name": "Quartz Managed Services", "type": "Managed Service", "bill_amount": 900},
    "ticket": {"board": "Service Desk", "summary": "Onboarding — Quartz Labs"},
}  # fmt: skip


def test_onboarding_review_lists_every_call_and_submit_runs_the_job(sign_in: Any, console_sandbox: Sandbox) -> None:
    operator = sign_in("operator")
    assert "Onboard a client" in operator.page("/onboarding").text
    review = operator.change("/onboarding/review", json={"plan": PLAN})
    assert review.status_code == 200, review.text
    paths = [(c["method"], c["path"]) for c in review.json()["calls"]]
    assert paths[0] == ("POST", "/company/companies") and ("POST", "/service/tickets") in paths
    assert ("POST", "/finance/agreements") in paths
    submitted = confirmed_onboarding(operator, PLAN)
    job_id = submitted.json()["job_id"]
    end = next(data for name, data in sse_events(operator, job_id) if name == "end")
    assert end["state"] == "succeeded", end
    assert manage_of(console_sandbox).companies.first(where="identifier = 'QuartzLabs'") is not None


def test_onboarding_problems_come_back_by_wizard_field(sign_in: Any) -> None:
    bad = json.loads(json.dumps(PLAN))
    bad["company"]["identifier"] = "Quartz Labs!"
    bad["contacts"][0]["email"] = "not-an-email"
    answer = sign_in("operator").change("/onboarding/review", json={"plan": bad})
    errors = answer.json()["errors"]
    assert answer.status_code == 400 and "company.identifier" in errors
    assert any(key.startswith("contacts[0]") and "email" in key for key in errors)


def test_automate_view_lists_clients_and_counts_computer_health(sign_in: Any, console_sandbox: Sandbox) -> None:
    from cwdesk.automate.client import AutomateClient
    from cwdesk.conditions import C

    viewer = sign_in("viewer")
    automate = AutomateClient(**console_sandbox.automate_credentials, transport=console_sandbox.transport())
    client = automate.clients.list()[0]
    computers = automate.computers.list(where=C("Client.Id") == client.id)
    online = sum(1 for c in computers if (c.status or "").lower() == "online")
    assert client.name in viewer.page("/automate").text
    html = viewer.page(f"/automate/clients/{client.id}").text
    assert f'id="online-count">{online}<' in html
    assert f'id="offline-count">{len(computers) - online}<' in html or len(computers) == 0


def test_a_failed_onboarding_offers_resume_and_roll_back(sign_in: Any, console_sandbox: Sandbox) -> None:
    operator = sign_in("operator")
    # A 400 is not retried: the agreement step fails and the job stops there.
    console_sandbox.faults.fail_next(method="POST", path_contains="/finance/agreements", status=400, count=1)
    job_id = confirmed_onboarding(operator, PLAN).json()["job_id"]
    end = next(data for name, data in sse_events(operator, job_id) if name == "end")
    assert end["state"] == "failed"
    page = operator.page(f"/jobs/{job_id}").text
    assert f'action="/jobs/{job_id}/resume"' in page and f'href="/jobs/{job_id}/rollback"' in page
    # One click does not delete: without the preview's confirmation nothing changes.
    unconfirmed = operator.change(f"/jobs/{job_id}/rollback")
    assert unconfirmed.status_code == 400 and "Nothing changed" in unconfirmed.json()["message"]
    assert manage_of(console_sandbox).companies.first(where="identifier = 'QuartzLabs'") is not None
    preview = operator.page(f"/jobs/{job_id}/rollback").text
    deleted = preview.split('id="rollback-delete">')[1].split("</ul>")[0]
    assert deleted.startswith("<li>Contact Quinn Hale")
    assert deleted.endswith("<li>Company Quartz Labs (QuartzLabs)</li>")
    assert f"Deletes {deleted.count('<li>')} record(s) the job created" in preview
    assert "Company&#39;s default contact" in preview.split('id="rollback-covered"')[1]
    assert confirmed_rollback(operator, job_id).json()["ok"]
    end = next(data for name, data in sse_events(operator, job_id) if name == "end")
    assert end["state"] == "rolled_back", end
    # A deleted company still answers, marked deleted (docs/connectwise.md, "Companies").
    assert manage_of(console_sandbox).companies.first(where="identifier = 'QuartzLabs' and deletedFlag = false") is None


def _bulk_job(operator: Browser, field: str, value: str) -> int:
    """Run a bulk job on company 1's contacts through the console and wait for it to end."""
    body = {"company_ids": [1], "contact_filter": "all", "field": field, "value": value}
    started = confirmed_bulk(operator, body)
    assert started.status_code == 200, started.text
    job_id = int(started.json()["job_id"])
    end = next(data for name, data in sse_events(operator, job_id) if name == "end")
    assert end["state"] == "succeeded", end
    return job_id


def test_a_bulk_job_rollback_previews_before_and_after_and_puts_values_back(
    sign_in: Any, console_sandbox: Sandbox
) -> None:
    operator = sign_in("operator")
    cw = manage_of(console_sandbox)
    before = {c.id: bool(c.disable_portal_login_flag) for c in cw.contacts.list(where="company/id = 1")}
    job_id = _bulk_job(operator, "disablePortalLoginFlag", "true")
    changed = sum(1 for flag in before.values() if not flag)

    preview = operator.page(f"/jobs/{job_id}/rollback").text

    assert f"Puts back {changed} value(s) the job replaced" in preview
    rows = preview.split('id="rollback-restore"')[1].split("</table>")[0].split("<tr><td>")[1:]
    assert len(rows) == changed
    # Each row: now (what the job set) -> back to (what the contact held: false, or no value at all).
    assert all("<td>disablePortalLoginFlag = true</td>" in row for row in rows)
    assert all(
        "<td>disablePortalLoginFlag = false</td>" in row or "<td>disablePortalLoginFlag = (empty)</td>" in row
        for row in rows
    )
    assert confirmed_rollback(operator, job_id).json()["ok"]
    end = next(data for name, data in sse_events(operator, job_id) if name == "end")
    assert end["state"] == "rolled_back", end
    assert {c.id: bool(c.disable_portal_login_flag) for c in cw.contacts.list(where="company/id = 1")} == before


def test_a_job_with_nothing_to_undo_is_not_offered_a_rollback(sign_in: Any, console_sandbox: Sandbox) -> None:
    operator = sign_in("operator")
    _bulk_job(operator, "disablePortalLoginFlag", "true")
    job_id = _bulk_job(operator, "disablePortalLoginFlag", "true")  # every contact already holds it

    page = operator.page(f"/jobs/{job_id}").text
    assert 'id="rollback-unavailable"' in page and "nothing to roll back" in page
    assert f'href="/jobs/{job_id}/rollback"' not in page
    refused = operator.change(f"/jobs/{job_id}/rollback", json={"confirm": "yes"})

    assert refused.status_code == 409 and "nothing to roll back" in refused.json()["message"]
    audit = operator.page("/audit").text
    assert "roll back job" in audit and "refused" in audit


def test_a_console_job_records_its_target_and_creator_and_is_not_resumed_elsewhere(
    console: FastAPI, sign_in: Any
) -> None:
    import sqlalchemy as sa

    from cwdesk.store.jobs import jobs
    from cwdesk.workflows.jobs import get_job

    operator = sign_in("operator")
    job_id = _bulk_job(operator, "disablePortalLoginFlag", "true")
    engine = console.state.engine
    summary = get_job(engine, job_id).summary
    assert (summary.created_by or "").startswith("operator")  # the signed-in operator's user name
    manage = console.state.connections.manage
    assert summary.target == f"{manage.base_url} ({manage.credentials.company})"
    with engine.begin() as conn:
        conn.execute(sa.update(jobs).where(jobs.c.id == job_id).values(target="https://other.example (acme)"))
    for refused in (operator.change(f"/jobs/{job_id}/resume"), confirmed_rollback(operator, job_id)):
        assert refused.status_code == 409, refused.text
        assert "was made against https://other.example (acme)" in refused.json()["message"]
    assert get_job(engine, job_id).summary.state is summary.state
