"""The onboarding wizard tells the truth (issue 15 §5), in headless Chromium: auto-filled values follow their
source until edited, each step is checked when left, leaving with unsaved input asks, a viewer learns at step 1."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.browser


def _value(page: Any, path: str) -> str:
    return str(page.locator(f'[data-path="{path}"]').input_value())


def _fill_company(page: Any, name: str) -> None:
    page.fill('[data-path="company.name"]', name)
    page.fill('[data-path="company.identifier"]', "JuniperAnalytics")
    page.fill('[data-path="company.phone"]', "312-555-0100")
    page.fill('[data-path="company.address.line1"]', "1 Main St")
    page.fill('[data-path="company.address.city"]', "Chicago")


def _next_to(page: Any, step: int) -> None:
    page.click("#wizard-next")
    page.wait_for_selector(f'.wizard-step[data-step="{step}"]:not([hidden])')


def test_auto_filled_values_follow_step_one_until_the_user_edits_them(signed_in_page: Any, console_server: Any) -> None:
    page = signed_in_page
    page.goto(console_server.base_url + "/onboarding")
    _fill_company(page, "Junpier Analytics")  # the typo
    _next_to(page, 2)
    assert _value(page, "site.phone") == "312-555-0100"
    for step in (3, 4):
        if step == 4:
            page.fill('#contact-blocks [data-contact-field="first_name"]', "Jane")
            page.fill('#contact-blocks [data-contact-field="last_name"]', "Doe")
        _next_to(page, step)
    assert _value(page, "agreement.name") == "Junpier Analytics Managed Services"
    for _ in range(3):
        page.click("#wizard-back")
    page.wait_for_selector('.wizard-step[data-step="1"]:not([hidden])')
    page.fill('[data-path="company.name"]', "Juniper Analytics")  # fixed in step 1
    page.fill('[data-path="company.phone"]', "312-555-0199")
    assert _value(page, "agreement.name") == "Juniper Analytics Managed Services"
    assert _value(page, "ticket.summary") == "Onboarding — Juniper Analytics"
    assert _value(page, "site.phone") == "312-555-0199"
    # Once the user types in a filled field it is theirs: the source no longer overwrites it.
    for step in (2, 3, 4):
        _next_to(page, step)
    page.fill('[data-path="agreement.name"]', "Juniper Gold Plan")
    for _ in range(3):
        page.click("#wizard-back")
    page.wait_for_selector('.wizard-step[data-step="1"]:not([hidden])')
    page.fill('[data-path="company.name"]', "Juniper Analytics LLC")
    assert _value(page, "agreement.name") == "Juniper Gold Plan"
    assert _value(page, "ticket.summary") == "Onboarding — Juniper Analytics LLC"
    # The review lists the calls with the fixed name: the agreement is created under the user's name.
    for step in (2, 3, 4, 5, 6):
        _next_to(page, step)
    page.wait_for_selector("#review-calls li")
    calls = page.locator("#review-calls").inner_text()
    assert "Junpier" not in calls and '"name":"Juniper Gold Plan"' in calls


def test_each_step_is_checked_by_the_server_when_left(signed_in_page: Any, console_server: Any) -> None:
    page = signed_in_page
    page.goto(console_server.base_url + "/onboarding")
    _fill_company(page, "Juniper Analytics")
    page.fill('[data-path="company.identifier"]', "Juniper Analytics!")  # not letters and digits
    page.click("#wizard-next")
    page.wait_for_selector('[data-error-for="company.identifier"]:not(:empty)')
    assert page.locator('.wizard-step[data-step="1"]').is_visible()  # it stays on the step
    assert "to fix on this step" in page.locator("#wizard-message").inner_text()
    page.fill('[data-path="company.identifier"]', "JuniperAnalytics")
    _next_to(page, 2)
    _next_to(page, 3)
    page.fill('#contact-blocks [data-contact-field="first_name"]', "Jane")
    page.fill('#contact-blocks [data-contact-field="last_name"]', "Doe")
    page.fill('#contact-blocks [data-contact-field="email"]', "not-an-email")
    page.click("#wizard-next")
    page.wait_for_selector('[data-error-for="contacts[0].email"]:not(:empty)')
    assert page.locator('.wizard-step[data-step="3"]').is_visible()


def test_leaving_the_wizard_with_unsaved_input_asks_first(signed_in_page: Any, console_server: Any) -> None:
    page = signed_in_page
    page.goto(console_server.base_url + "/onboarding")
    asked: list[str] = []

    def answer(dialog: Any) -> None:
        asked.append(dialog.type)
        dialog.dismiss()  # "stay on this page"

    page.on("dialog", answer)
    page.fill('[data-path="company.name"]', "Half Typed Co")
    page.click('nav a[href="/jobs"]', no_wait_after=True)
    page.wait_for_timeout(500)
    assert asked == ["beforeunload"]
    assert page.url.endswith("/onboarding")
    assert _value(page, "company.name") == "Half Typed Co"


def test_an_untouched_wizard_leaves_without_asking(signed_in_page: Any, console_server: Any) -> None:
    page = signed_in_page
    page.goto(console_server.base_url + "/onboarding")
    asked: list[str] = []
    page.on("dialog", lambda dialog: (asked.append(dialog.type), dialog.dismiss()))
    page.click('nav a[href="/jobs"]')
    page.wait_for_url("**/jobs")
    assert asked == []


def test_a_viewer_learns_at_step_one_that_they_cannot_submit(console_server: Any, browser: Any) -> None:
    console_server.app.state.accounts.create_user("vic", "viewer", "viewer password 1")
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(console_server.base_url + "/signin")
        page.fill('input[name="username"]', "vic")
        page.fill('input[name="password"]', "viewer password 1")
        page.click('#signin-form button[type="submit"]')
        page.wait_for_url(console_server.base_url + "/")
        page.goto(console_server.base_url + "/onboarding")
        assert page.locator('.wizard-step[data-step="1"]').is_visible()
        notice = page.locator("#viewer-notice")
        assert notice.is_visible() and "not submit it" in notice.inner_text()
        assert page.locator("#wizard-submit").count() == 0
    finally:
        context.close()
