"""The console as a user drives it, in headless Chromium against the demo sandbox (issue 6's flows)."""

from __future__ import annotations

import re
from typing import Any

import pytest

pytestmark = pytest.mark.browser
SANDBOX_PRIVATE_KEY = "sandbox-private"
ADMIN_PASSWORD = "admin password 123"  # as set by the signed_in_page fixture


def open_client(page: Any, name: str) -> None:
    page.fill("#search-in", name)
    page.locator(".client-row", has_text=name).first.click()
    page.wait_for_selector(f"#client-name:has-text('{name}')")


def test_sign_in_by_the_one_time_link_and_the_link_works_only_once(page: Any, console_server: Any) -> None:
    page.goto(console_server.signin_link)
    assert "signs you in as admin" in page.locator("#signin-link-account").inner_text()
    page.click("#signin-link-confirm")
    page.wait_for_url("**/account")
    assert page.locator("#no-password").is_visible()
    assert "token=" not in page.url
    page.context.clear_cookies()
    page.goto(console_server.signin_link)
    assert "not valid" in page.locator("#signin-message").inner_text()


def test_header_shows_sandbox_mode_clock_and_api_version(signed_in_page: Any, console_server: Any) -> None:
    page = signed_in_page
    page.goto(console_server.base_url + "/")
    badge = page.locator("#mode-badge")
    assert badge.inner_text().strip() == "SANDBOX"
    assert "mode-sandbox" in (badge.get_attribute("class") or "")
    assert re.match(r"Manage API v\d", page.locator("#api-version").inner_text())
    page.wait_for_function("/^\\d\\d:\\d\\d:\\d\\d$/.test(document.getElementById('clock').textContent)")


def test_search_filters_by_name_identifier_or_city_with_the_count(signed_in_page: Any, console_server: Any) -> None:
    page = signed_in_page
    page.goto(console_server.base_url + "/")
    page.wait_for_selector(".client-row")
    assert page.locator("#count").inner_text() == "7 of 7"
    page.fill("#search-in", "cedar")
    assert page.locator("#count").inner_text() == "1 of 7"
    assert page.locator(".client-row .name").all_inner_texts() == ["Cedar & Finch Law"]
    page.fill("#search-in", "boise")  # a city
    assert page.locator(".client-row .name").all_inner_texts() == ["Evergreen Veterinary Clinic"]
    page.fill("#search-in", "")
    page.click("#filter-all")
    assert page.locator("#count").inner_text() == "8 of 8"


def test_open_a_client_edit_it_add_a_contact_and_set_primary(signed_in_page: Any, console_server: Any) -> None:
    page = signed_in_page
    page.goto(console_server.base_url + "/")
    open_client(page, "Acme Dental Group")
    assert page.locator("#hero").inner_text().count("\n") >= 7
    assert page.locator(".badge-primary").count() == 1

    page.click("#edit-company-open")
    page.fill('#edit-company-form input[name="phone"]', "not a phone")
    page.click('#edit-company-form button[type="submit"]')
    page.wait_for_selector('#edit-company-form [data-error-for="phone"]:not(:empty)')
    assert "not a phone number" in page.locator('#edit-company-form [data-error-for="phone"]').inner_text()
    page.fill('#edit-company-form input[name="phone"]', "813-555-0199")
    page.click('#edit-company-form button[type="submit"]')
    page.wait_for_selector("#hero:has-text('813-555-0199')")

    page.click("#add-contact-open")
    page.fill('#add-contact-form input[name="first_name"]', "Rita")
    page.fill('#add-contact-form input[name="last_name"]', "Moreno")
    page.fill('#add-contact-form input[name="email"]', "rita@acmedental.example")
    page.click('#add-contact-form button[type="submit"]')
    new_contact = page.locator(".contact", has_text="Rita Moreno")
    new_contact.wait_for()
    assert new_contact.locator(".badge-primary").count() == 0

    new_contact.locator(".set-primary button").click()
    page.click("#confirm-ok")  # the dialog says what will change first (issue 15 §2)
    page.wait_for_selector(".contact:has-text('Rita Moreno') .badge-primary")
    assert page.locator(".badge-primary").count() == 1


def test_bulk_update_runs_as_a_job_and_the_page_watches_it_finish(signed_in_page: Any, console_server: Any) -> None:
    page = signed_in_page
    base = console_server.base_url
    page.goto(base + "/")
    page.wait_for_selector(".client-row")
    page.locator(".client-row", has_text="BrightPath Logistics").locator("input").check()
    page.locator(".client-row", has_text="Cedar & Finch Law").locator("input").check()
    assert page.locator("#selected-count").inner_text() == "2 selected"
    page.click("#bulk-open")
    page.select_option("#bulk-field", "disablePortalLoginFlag")
    page.fill("#bulk-value", "true")
    page.click("#bulk-execute")  # the preview first (issue 15 §2), then its Confirm starts the job
    page.click("#bulk-confirm")
    page.wait_for_selector("#bulk-job .job-state.badge-succeeded", timeout=20_000)
    counter = page.locator("#bulk-job .job-counter").inner_text()
    done, total = re.match(r"(\d+) / (\d+)", counter).groups()  # type: ignore[union-attr]
    assert done == total and int(total) > 0
    assert page.locator("#bulk-job .job-log .ok").count() + page.locator("#bulk-job .job-log .skipped").count() == int(
        total
    )
    # The jobs page lists it, and reopening the job shows it finished.
    page.goto(base + "/jobs")
    page.locator("#jobs-table a", has_text="Set disablePortalLoginFlag").first.click()
    page.wait_for_selector("#job-progress .job-state.badge-succeeded")


def test_rolling_back_a_bulk_job_shows_what_it_will_do_then_puts_the_values_back(
    signed_in_page: Any, console_server: Any
) -> None:
    page = signed_in_page
    base = console_server.base_url
    page.goto(base + "/")
    page.wait_for_selector(".client-row")
    page.locator(".client-row", has_text="BrightPath Logistics").locator("input").check()
    page.click("#bulk-open")
    page.select_option("#bulk-field", "disablePortalLoginFlag")
    page.fill("#bulk-value", "true")
    page.click("#bulk-execute")  # the preview first (issue 15 §2), then its Confirm starts the job
    page.click("#bulk-confirm")
    page.wait_for_selector("#bulk-job .job-state.badge-succeeded", timeout=20_000)
    page.goto(base + "/jobs")
    page.locator("#jobs-table a", has_text="Set disablePortalLoginFlag").first.click()
    page.wait_for_selector("#job-progress .job-state.badge-succeeded")

    page.click("#rollback-link")
    # The preview: nothing has changed yet, and each contact's value now -> back to.
    page.wait_for_selector("#rollback-restore")
    rows = page.locator("#rollback-restore tbody tr")
    assert rows.count() > 0
    assert "disablePortalLoginFlag = true" in rows.first.inner_text()
    page.click("form.js-rollback-confirm button[type=submit]")
    page.wait_for_selector("#job-progress .job-state.badge-rolled_back", timeout=20_000)
    page.reload()
    assert re.match(r"Rolled back: 0 deleted, \d+ put back\.", page.locator("#job-message").inner_text())


def test_onboard_a_client_through_all_six_steps(signed_in_page: Any, console_server: Any) -> None:
    page = signed_in_page
    base = console_server.base_url
    page.goto(base + "/onboarding")
    page.fill('[data-path="company.name"]', "Juniper Analytics")
    page.fill('[data-path="company.identifier"]', "JuniperAnalytics")
    page.fill('[data-path="company.phone"]', "312-555-0100")
    page.fill('[data-path="company.address.line1"]', "1 Main St")
    page.fill('[data-path="company.address.city"]', "Chicago")
    page.fill('[data-path="company.address.state"]', "IL")
    page.fill('[data-path="company.address.zip"]', "60601")
    page.click("#wizard-next")  # 2 site
    assert page.locator('[data-path="site.name"]').input_value() == "Main Office"
    page.click("#wizard-next")  # 3 contacts
    page.fill('#contact-blocks [data-contact-field="first_name"]', "Jane")
    page.fill('#contact-blocks [data-contact-field="last_name"]', "Doe")
    page.fill('#contact-blocks [data-contact-field="email"]', "jane@juniper.example")
    page.click("#wizard-next")  # 4 agreement
    page.click("#wizard-next")  # 5 ticket
    assert page.locator('[data-path="ticket.summary"]').input_value() == "Onboarding — Juniper Analytics"
    page.click("#wizard-next")  # 6 review
    page.wait_for_selector("#review-calls li")
    calls = page.locator("#review-calls li").all_inner_texts()
    assert calls[0].startswith("POST /company/companies")
    assert any(call.startswith("POST /service/tickets") for call in calls)
    page.click("#wizard-submit")
    page.wait_for_url("**/jobs/*")
    page.wait_for_selector("#job-progress .job-state.badge-succeeded", timeout=20_000)
    page.goto(base + "/")
    page.fill("#search-in", "juniper")
    page.wait_for_selector(".client-row:has-text('Juniper Analytics')")


def test_audit_log_lists_every_change(signed_in_page: Any, console_server: Any) -> None:
    page = signed_in_page
    base = console_server.base_url
    page.goto(base + "/")
    open_client(page, "Granite Peak Outfitters")
    page.click("#edit-company-open")
    page.fill('#edit-company-form input[name="website"]', "https://granite.example")
    page.click('#edit-company-form button[type="submit"]')
    page.wait_for_selector("#client-detail[data-saved='true']")
    page.goto(base + "/audit")
    table = page.locator("#audit-table").inner_text()
    assert "edit company" in table and "set own password" in table and "sign in by link" in table
    assert page.locator("#audit-table tr.result-ok").count() >= 3


def test_a_viewer_cannot_change_anything(signed_in_page: Any, console_server: Any, browser: Any) -> None:
    admin = signed_in_page
    base = console_server.base_url
    admin.goto(base + "/users")
    admin.fill('#add-user-form input[name="username"]', "vera")
    admin.select_option('#add-user-form select[name="role"]', "viewer")
    admin.fill('#add-user-form input[name="password"]', "viewer password 1")
    admin.click('#add-user-form button[type="submit"]')
    admin.wait_for_selector("#users-message")

    context = browser.new_context()
    viewer = context.new_page()
    viewer.goto(base + "/signin")
    viewer.fill('input[name="username"]', "vera")
    viewer.fill('input[name="password"]', "viewer password 1")
    viewer.click('#signin-form button[type="submit"]')
    viewer.wait_for_selector(".client-row")
    open_client(viewer, "Acme Dental Group")
    assert viewer.locator("#edit-company-open").count() == 0
    assert viewer.locator(".set-primary").count() == 0
    # Even with the page's own CSRF token, the server refuses the change.
    status = viewer.evaluate(
        """async () => {
            const token = document.querySelector('meta[name="csrf-token"]').content;
            const body = new FormData(); body.append('name', 'Hacked');
            const r = await fetch('/clients/1', {method: 'POST', body, headers: {'X-CSRF-Token': token}});
            return r.status;
        }"""
    )
    assert status == 403
    context.close()
    admin.goto(base + "/clients/1/panel")
    assert "Hacked" not in admin.content()


def test_a_change_without_the_csrf_token_is_refused(signed_in_page: Any, console_server: Any) -> None:
    page = signed_in_page
    base = console_server.base_url
    page.goto(base + "/")
    status = page.evaluate(
        """async () => {
            const body = new FormData(); body.append('name', 'No Token Inc');
            const r = await fetch('/clients/1', {method: 'POST', body});
            return r.status;
        }"""
    )
    assert status == 403
    page.goto(base + "/audit")
    assert "missing or wrong CSRF token" in page.locator("#audit-table").inner_text()


def test_the_private_key_appears_in_no_page_script_response_or_storage(page: Any, console_server: Any) -> None:
    bodies: list[bytes] = []
    page.on("response", lambda response: bodies.append(response.body()) if response.ok else None)
    page.goto(console_server.signin_link)
    page.click("#signin-link-confirm")
    page.fill('input[name="password"]', ADMIN_PASSWORD)
    page.fill('input[name="confirm"]', ADMIN_PASSWORD)
    page.click('#password-form button[type="submit"]')
    page.wait_for_selector("#account-message")
    for path in ("/", "/settings", "/onboarding", "/jobs", "/automate", "/audit", "/users"):
        page.goto(console_server.base_url + path)
    page.goto(console_server.base_url + "/")
    open_client(page, "Acme Dental Group")
    assert "••••••••" in page.evaluate("fetch('/settings').then(r => r.text())")
    assert len(bodies) > 10
    for body in bodies:
        assert SANDBOX_PRIVATE_KEY.encode() not in body
        assert b"sandbox-password" not in body
    storage = page.evaluate(
        "() => JSON.stringify([Object.entries(localStorage), Object.entries(sessionStorage), document.cookie])"
    )
    assert storage == '[[],[],""]'  # nothing stored; the session cookie is HttpOnly
    cookies = page.context.cookies()
    session = next(c for c in cookies if c["name"] == "cwdesk_session")
    assert session["httpOnly"] and session["sameSite"] == "Lax"
