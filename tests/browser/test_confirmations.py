"""Nothing destructive in one unconfirmed click, and what the screen shows is true (issue 15 §2, §5), in headless
Chromium: the bulk preview's numbers, the confirm dialogs and pages, the live steps table, hidden selections."""

from __future__ import annotations

from typing import Any

import pytest

from cwdesk.manage.client import ManageClient
from cwdesk.workflows import bulk_contacts, jobs
from tests.browser.test_console_in_chromium import open_client

pytestmark = pytest.mark.browser


def manage_of(console_server: Any) -> ManageClient:
    sandbox = console_server.sandbox
    return ManageClient(**sandbox.manage_credentials, transport=sandbox.transport())


def _check(page: Any, name: str) -> None:
    page.locator(".client-row", has_text=name).first.locator("input[type=checkbox]").check()


def test_bulk_execute_shows_the_preview_numbers_and_only_confirm_runs_it(
    signed_in_page: Any, console_server: Any
) -> None:
    page, cw = signed_in_page, manage_of(console_server)
    page.goto(console_server.base_url + "/")
    page.wait_for_selector(".client-row")
    _check(page, "Acme Dental Group")
    _check(page, "BrightPath Logistics")
    expected = [c for c in cw.contacts.list(where="company/id in (1, 2)") if not c.disable_portal_login_flag]
    page.click("#bulk-open")
    page.select_option("#bulk-field", "disablePortalLoginFlag")
    page.fill("#bulk-value", "true")
    page.click("#bulk-execute")
    page.wait_for_selector("#bulk-preview:not([hidden])")
    summary = page.locator("#bulk-preview-summary").inner_text()
    assert summary.startswith(f"{len(expected)} contacts in 2 companies will change")
    assert page.locator("#bulk-preview-table tbody tr").count() == len(expected)
    assert page.locator("#bulk-preview-table tbody tr").first.locator("td").nth(3).inner_text() == (
        "disablePortalLoginFlag = true"
    )
    assert page.locator("#bulk-job").is_hidden()
    assert page.evaluate("fetch('/api/jobs').then(r => r.json())") == []  # the preview ran nothing
    assert page.locator("#bulk-confirm").inner_text() == f"Update {len(expected)} contacts"
    page.click("#bulk-confirm")
    page.wait_for_selector("#bulk-job .job-state.badge-succeeded", timeout=20_000)
    assert all(c.disable_portal_login_flag for c in cw.contacts.list(where="company/id in (1, 2)"))


def test_a_stale_bulk_preview_is_shown_again_with_the_new_numbers(signed_in_page: Any, console_server: Any) -> None:
    page, cw = signed_in_page, manage_of(console_server)
    page.goto(console_server.base_url + "/")
    page.wait_for_selector(".client-row")
    _check(page, "Acme Dental Group")
    page.click("#bulk-open")
    page.select_option("#bulk-field", "disablePortalLoginFlag")
    page.fill("#bulk-value", "true")
    page.click("#bulk-execute")
    page.wait_for_selector("#bulk-preview:not([hidden])")
    before = page.locator("#bulk-preview-table tbody tr").count()
    first = int(page.locator("#bulk-preview-table tbody tr").first.get_attribute("data-contact-id"))
    cw.contacts.patch(first, [{"op": "replace", "path": "disablePortalLoginFlag", "value": True}])  # someone else
    page.click("#bulk-confirm")
    page.wait_for_selector("#bulk-preview-message.error")
    assert "changed since the preview" in page.locator("#bulk-preview-message").inner_text()
    page.wait_for_function(f"document.querySelectorAll('#bulk-preview-table tbody tr').length === {before - 1}")
    assert page.evaluate("fetch('/api/jobs').then(r => r.json())") == []


def test_hidden_selections_are_shown_and_can_be_cleared(signed_in_page: Any, console_server: Any) -> None:
    page = signed_in_page
    page.goto(console_server.base_url + "/")
    page.wait_for_selector(".client-row")
    page.click("#filter-all")
    inactive = next(c.name for c in manage_of(console_server).companies.list() if c.status.name != "Active")
    _check(page, inactive)
    _check(page, "Acme Dental Group")
    assert page.locator("#selected-count").inner_text() == "2 selected"
    page.click("#filter-active")  # the inactive company is filtered out, and still selected
    assert page.locator("#selected-count").inner_text() == "2 selected, 1 hidden by the filter"
    page.click("#bulk-open")
    assert "1 of them hidden" in page.locator("#bulk-panel").inner_text()
    page.click("#clear-hidden")
    assert page.locator("#selected-count").inner_text() == "1 selected"
    assert page.locator("#clear-hidden").is_hidden()
    page.click("#clear-selection")
    assert page.locator("#selected-count").inner_text() == "0 selected"


def test_set_primary_asks_in_a_dialog_and_cancel_changes_nothing(signed_in_page: Any, console_server: Any) -> None:
    page, cw = signed_in_page, manage_of(console_server)
    page.goto(console_server.base_url + "/")
    open_client(page, "Acme Dental Group")
    other = page.locator(".contact:has(.set-primary)").first
    name = other.locator(".contact-name").inner_text()
    other.locator(".set-primary button").click()
    page.wait_for_selector("#confirm-dialog[open]")
    assert f"Make {name}" in page.locator("#confirm-dialog h2").inner_text()
    assert page.locator("#confirm-dialog li").count() >= 3  # clear the old primary, set, point, verify
    page.click("#confirm-cancel")
    assert page.locator("#confirm-dialog[open]").count() == 0
    assert page.evaluate("fetch('/api/jobs').then(r => r.json())") == []
    other.locator(".set-primary button").click()
    page.click("#confirm-ok")
    page.wait_for_selector(f".contact:has-text('{name}') .badge-primary")
    assert [f"{c.first_name} {c.last_name}" for c in cw.contacts.list(where="company/id = 1") if c.default_flag] == [
        name
    ]


def test_cancel_asks_in_a_dialog_and_the_steps_table_follows_the_job_live(
    signed_in_page: Any, console_server: Any
) -> None:
    page, cw = signed_in_page, manage_of(console_server)
    engine = console_server.app.state.engine
    changes = bulk_contacts.parse_assignments(cw, ["disablePortalLoginFlag=true"])
    plan = bulk_contacts.plan_bulk_contacts(cw, changes=changes, company_ids=[1, 2, 3])
    job_id = jobs.start_job(engine, plan, client=cw, created_by="admin")  # stored, not started
    page.goto(f"{console_server.base_url}/jobs/{job_id}")
    assert set(page.locator("#steps-table .step-state").all_inner_texts()) == {"pending"}
    page.click("#cancel-open")
    page.wait_for_selector("#cancel-dialog[open]")
    assert "Steps already done stay done" in page.locator("#cancel-dialog").inner_text()
    page.click("#cancel-dialog [data-confirm-close]")
    assert jobs.get_job(engine, job_id).summary.state.value == "planned"

    # Run it slowly: the table moves row by row while the page watches, and ends with no row left pending.
    console_server.sandbox.faults.set(latency_ms=150)
    jobs.start_in_background(engine, job_id, client=cw)
    page.wait_for_selector("#steps-table .step-state.badge-ok, #steps-table .step-state.badge-skipped")
    seen_mid_run = page.locator("#steps-table .step-state.badge-pending").count()
    page.wait_for_selector("#job-progress .job-state.badge-succeeded", timeout=30_000)
    page.wait_for_selector("#steps-table[data-final='succeeded']")
    console_server.sandbox.faults.set(latency_ms=0)
    states = page.locator("#steps-table .step-state").all_inner_texts()
    assert set(states) <= {"ok", "skipped"} and len(states) == len(plan.steps)
    assert seen_mid_run > 0  # some rows were still pending while others were done: it updated live


def test_a_rollback_is_told_on_the_job_page_without_a_reload(signed_in_page: Any, console_server: Any) -> None:
    page = signed_in_page
    page.goto(console_server.base_url + "/")
    page.wait_for_selector(".client-row")
    _check(page, "Cedar & Finch Law")
    page.click("#bulk-open")
    page.select_option("#bulk-field", "disablePortalLoginFlag")
    page.fill("#bulk-value", "true")
    page.click("#bulk-execute")
    page.click("#bulk-confirm")
    page.wait_for_selector("#bulk-job .job-state.badge-succeeded", timeout=20_000)
    page.click("#bulk-job-link")
    page.wait_for_selector("#job-progress .job-state.badge-succeeded")
    page.click("#rollback-link")
    page.click("form.js-rollback-confirm button[type=submit]")
    page.wait_for_url("**/jobs/*")
    page.wait_for_selector("#steps-table[data-final='rolled_back']", timeout=20_000)
    assert page.locator("#job-message").inner_text().startswith("Rolled back:")
    assert page.locator("#rollback-report").is_visible()
    assert "undone" in page.locator("#rollback-report-table").inner_text()
    assert set(page.locator("#steps-table .step-state").all_inner_texts()) <= {"rolled_back", "skipped"}


def test_disabling_a_user_shows_a_confirm_page_first(signed_in_page: Any, console_server: Any) -> None:
    page = signed_in_page
    console_server.app.state.accounts.create_user("dora", "operator", "dora password 123")
    page.goto(console_server.base_url + "/users")
    page.locator('tr[data-username="dora"] form[action$="/disabled"] button').click()
    page.wait_for_selector("#confirm-page")
    assert "dora (operator) is signed out of every session" in page.locator("#confirm-lines").inner_text()
    assert not next(u for u in console_server.app.state.accounts.list_users() if u.username == "dora").disabled
    page.click("#confirm-submit")
    page.wait_for_selector("#users-message")
    assert next(u for u in console_server.app.state.accounts.list_users() if u.username == "dora").disabled
