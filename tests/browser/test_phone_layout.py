"""The console on a phone (issue 15 §4): at 390×844 no page scrolls sideways and the header folds into a menu.

"Scrolls sideways" is measured as the browser does: ``document.documentElement.scrollWidth`` wider than the
viewport. Each page is loaded as a user reaches it (signed in as admin, the demo sandbox's data), with the long
values the demo holds; the widest page before this change was the audit log (7,718 px, issue 15 §4).
"""

from __future__ import annotations

from typing import Any

import pytest

from cwdesk.workflows import client_records, primary_contact

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
SCROLL_WIDTH = "document.documentElement.scrollWidth"
# Values with no place to break, as ConnectWise data and audit details can hold (a name is at most 50 characters).
LONG_NAME = "Acme" + "X" * 46
LONG_VALUE = "https://example.test/" + "a" * 300


@pytest.fixture
def phone(browser: Any) -> Any:
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


def _sign_in(page: Any, console_server: Any) -> None:
    page.goto(console_server.signin_link)
    page.click("#signin-link-confirm")
    page.wait_for_url("**/account")
    page.fill('input[name="password"]', "admin password 123")
    page.fill('input[name="confirm"]', "admin password 123")
    page.click('#password-form button[type="submit"]')
    page.wait_for_selector("#account-message")


def _assert_fits(page: Any, what: str) -> None:
    width = page.evaluate(SCROLL_WIDTH)
    assert width <= PHONE["width"], f"{what} is {width} px wide at a 390 px viewport: it scrolls sideways"


def _long_values(console_server: Any) -> None:
    """A company named with 50 characters and no space, and an audit row with a 320-character value."""
    app = console_server.app
    client_records.update_company(app.state.connections.manage, 1, name=LONG_NAME, website=LONG_VALUE[:200])
    app.state.client_list.invalidate()
    app.state.accounts.record(
        username="admin", role="admin", action="edit company", target="company 1",
        detail={"website": LONG_VALUE, "note": LONG_VALUE}, result="ok", message=LONG_VALUE,
    )  # fmt: skip


def _a_finished_job(console_server: Any) -> int:
    """A job in the console's store (set a primary contact: a short job the console itself runs)."""
    app = console_server.app
    manage = app.state.connections.manage
    contact = next(iter(manage.contacts.list(limit=1)))
    result = primary_contact.set_primary_contact(app.state.engine, manage, int(contact.id), created_by="admin")
    return int(result.job_id)


def test_the_sign_in_page_fits_a_phone(phone: Any, console_server: Any) -> None:
    phone.goto(console_server.base_url + "/signin")
    phone.wait_for_selector("#signin-form")
    _assert_fits(phone, "the sign-in page")
    phone.goto(console_server.signin_link)
    _assert_fits(phone, "the sign-in link page")


def test_every_signed_in_page_fits_a_phone(phone: Any, console_server: Any) -> None:
    _sign_in(phone, console_server)
    _assert_fits(phone, "the account page")
    base = console_server.base_url
    _long_values(console_server)
    job_id = _a_finished_job(console_server)
    for path, ready in (
        ("/", ".client-row"),
        ("/onboarding", "#main"),
        ("/jobs", "#jobs-table"),
        (f"/jobs/{job_id}", "#steps-table"),
        ("/audit", "#audit-table"),
        ("/users", "#users-table"),
        ("/settings", "#main"),
        ("/settings/tokens", "#add-token-form"),
        ("/account", "#password-form"),
        ("/automate", "#automate-clients"),
        ("/jobs/999999", "#main"),  # the error page (no such job)
        ("/clients/not-a-number", "#main"),  # a malformed address: the 400 page
        ("/no/such/page", "#main"),  # the 404 page
    ):
        phone.goto(base + path)
        phone.wait_for_selector(ready)
        _assert_fits(phone, path)
    phone.goto(base + "/automate")
    phone.locator("#automate-clients a").first.click()
    phone.wait_for_selector("h1")
    _assert_fits(phone, "an Automate client")
    phone.goto(f"{base}/jobs/{job_id}/rollback")  # the rollback preview (or the page saying why there is none)
    phone.wait_for_selector("#main h1")
    _assert_fits(phone, "the rollback preview")


def test_every_step_of_the_onboarding_wizard_fits_a_phone(phone: Any, console_server: Any) -> None:
    _sign_in(phone, console_server)
    phone.goto(console_server.base_url + "/onboarding")
    phone.wait_for_selector(".wizard-step")
    # All six steps shown at once: the widest of them is what a user meets on the way.
    phone.evaluate("document.querySelectorAll('.wizard-step').forEach((step) => { step.hidden = false; })")
    assert phone.locator(".wizard-step:visible").count() == 6
    _assert_fits(phone, "the onboarding wizard")


def test_client_list_and_detail_stack_on_a_phone(phone: Any, console_server: Any) -> None:
    _sign_in(phone, console_server)
    _long_values(console_server)
    phone.goto(console_server.base_url + "/")
    phone.wait_for_selector(".client-row")
    _assert_fits(phone, "the client list")
    phone.locator(".client-row", has_text=LONG_NAME).click()
    phone.wait_for_selector(f"#client-name:has-text('{LONG_NAME}')")
    _assert_fits(phone, "a client's detail")
    detail = phone.locator("#client-detail").bounding_box()
    rows = phone.locator("#client-list").bounding_box()
    # Stacked: the detail is below the list and about as wide as the screen (it was squeezed to 42 px).
    assert detail["width"] >= 300, detail
    assert detail["y"] >= rows["y"] + rows["height"] - 1, (rows, detail)
    phone.click("#edit-company-open")
    _assert_fits(phone, "the edit company dialog")
    phone.keyboard.press("Escape")
    phone.click("#tab-bulk")
    phone.wait_for_selector("#bulk-panel")
    _assert_fits(phone, "the bulk panel")


def test_the_header_folds_into_a_menu_button_that_opens_the_nav(phone: Any, console_server: Any) -> None:
    _sign_in(phone, console_server)
    phone.goto(console_server.base_url + "/jobs")
    button = phone.locator("#menu-button")
    nav_link = phone.locator("#topbar nav a", has_text="Audit log")
    assert button.is_visible()
    assert button.get_attribute("aria-expanded") == "false"
    assert not nav_link.is_visible()
    button.click()
    assert button.get_attribute("aria-expanded") == "true"
    assert nav_link.is_visible()
    _assert_fits(phone, "the open menu")
    nav_link.click()
    phone.wait_for_url("**/audit")


def test_the_menu_works_with_the_keyboard(phone: Any, console_server: Any) -> None:
    _sign_in(phone, console_server)
    phone.goto(console_server.base_url + "/jobs")
    phone.focus("#menu-button")
    phone.keyboard.press("Enter")
    assert phone.locator("#menu-button").get_attribute("aria-expanded") == "true"
    assert phone.locator("#topbar nav a").first.is_visible()
    phone.keyboard.press("Escape")  # closes the menu and gives the focus back to its button
    assert phone.locator("#menu-button").get_attribute("aria-expanded") == "false"
    assert phone.evaluate("document.activeElement.id") == "menu-button"
    phone.keyboard.press("Space")
    assert phone.locator("#menu-button").get_attribute("aria-expanded") == "true"


def test_on_a_wide_screen_the_nav_shows_without_a_menu_button(page: Any, console_server: Any) -> None:
    _sign_in(page, console_server)
    page.goto(console_server.base_url + "/jobs")
    assert not page.locator("#menu-button").is_visible()
    assert page.locator("#topbar nav a", has_text="Audit log").is_visible()
    assert page.evaluate(SCROLL_WIDTH) <= 1400
