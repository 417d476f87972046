"""Navigation and feedback staff expect (issue 15 §6), in headless Chromium against the demo sandbox.

Each client has its own address (``/clients/{id}``) that survives a reload and the browser's back and forward.
"""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.browser


def _open(page: Any, name: str) -> None:
    page.fill("#search-in", name)
    page.locator(".client-row", has_text=name).first.click()
    page.wait_for_selector(f"#client-name:has-text('{name}')")


def test_opening_a_client_gives_it_its_own_address(signed_in_page: Any, console_server: Any) -> None:
    page = signed_in_page
    page.goto(console_server.base_url + "/")
    page.wait_for_selector(".client-row")
    _open(page, "Cedar & Finch Law")
    assert page.url == console_server.base_url + "/clients/3"
    assert page.title().startswith("Cedar & Finch Law")


def test_a_client_address_loads_directly_with_its_detail(signed_in_page: Any, console_server: Any) -> None:
    page = signed_in_page
    page.goto(console_server.base_url + "/clients/3")
    assert page.locator("#client-name").inner_text() == "Cedar & Finch Law"
    page.wait_for_selector(".client-row.selected")
    assert "Cedar & Finch Law" in page.locator(".client-row.selected").inner_text()
    # The detail rendered by the server works as a loaded one does: its dialogs open.
    page.click("#edit-company-open")
    assert page.locator("#edit-company").is_visible()


def test_a_reload_keeps_the_client_open(signed_in_page: Any, console_server: Any) -> None:
    page = signed_in_page
    page.goto(console_server.base_url + "/")
    page.wait_for_selector(".client-row")
    _open(page, "Granite Peak Outfitters")
    page.reload()
    assert page.locator("#client-name").inner_text() == "Granite Peak Outfitters"


def test_back_and_forward_move_between_the_clients_opened(signed_in_page: Any, console_server: Any) -> None:
    page = signed_in_page
    base = console_server.base_url
    page.goto(base + "/")
    page.wait_for_selector(".client-row")
    _open(page, "Acme Dental Group")
    _open(page, "Harbor Montessori Schools")
    page.go_back()
    page.wait_for_selector("#client-name:has-text('Acme Dental Group')")
    assert page.url == base + "/clients/1"
    page.go_back()
    page.wait_for_selector("#panel-detail .empty")
    assert page.url == base + "/"
    page.go_forward()
    page.wait_for_selector("#client-name:has-text('Acme Dental Group')")
    page.go_forward()
    page.wait_for_selector("#client-name:has-text('Harbor Montessori Schools')")


def test_an_unknown_client_address_says_so(signed_in_page: Any, console_server: Any) -> None:
    page = signed_in_page
    response = page.goto(console_server.base_url + "/clients/999999")
    assert response.status == 404
    assert "Company 999999 was not found" in page.locator("#panel-message").inner_text()
    page.wait_for_selector(".client-row")  # the list still works around it


# ---- feedback: every edit says it was saved, and what changed -------------------------------------------------


def test_an_edit_shows_saved_with_what_changed(signed_in_page: Any, console_server: Any) -> None:
    page = signed_in_page
    page.goto(console_server.base_url + "/clients/1")
    page.click("#edit-company-open")
    page.fill('#edit-company-form input[name="phone"]', "813-555-0177")
    page.click('#edit-company-form button[type="submit"]')
    status = page.locator("#save-status")
    status.wait_for()
    assert status.get_attribute("aria-live") == "polite"
    assert status.inner_text() == "Saved: phone 8135550142 → 813-555-0177"
    assert "813-555-0177" in page.locator("#hero").inner_text()


def test_a_refused_edit_shows_the_error_and_stays_open(signed_in_page: Any, console_server: Any) -> None:
    page = signed_in_page
    page.goto(console_server.base_url + "/clients/1")
    page.click("#edit-company-open")
    page.fill('#edit-company-form input[name="phone"]', "call me")
    page.click('#edit-company-form button[type="submit"]')
    message = page.locator("#edit-company-form .form-message")
    page.wait_for_selector("#edit-company-form .form-message.error")
    assert "nothing was sent" in message.inner_text()
    assert page.locator("#edit-company").is_visible()
    assert page.locator("#save-status").is_hidden()


def test_setting_a_primary_contact_says_so(signed_in_page: Any, console_server: Any) -> None:
    page = signed_in_page
    page.goto(console_server.base_url + "/clients/1")
    page.locator(".contact", has_text="Wyatt Allen").locator(".set-primary button").click()
    page.wait_for_selector("#confirm-dialog[open]")  # asks first (issue 15 §2)
    page.click("#confirm-ok")
    page.wait_for_selector("#save-status:not([hidden])")
    assert page.locator("#save-status").inner_text() == "Primary contact set."


# ---- pick lists ----------------------------------------------------------------------------------------------


def test_the_contact_editor_picks_type_relationship_and_department(signed_in_page: Any, console_server: Any) -> None:
    page = signed_in_page
    page.goto(console_server.base_url + "/clients/1")
    contact = page.locator(".contact", has_text="Wyatt Allen")
    contact.locator("button", has_text="Edit").click()
    dialog = page.locator("dialog[open]")
    departments = dialog.locator('select[name="department"] option').all_inner_texts()
    assert departments == ["—", "Accounting", "Front Office", "IT", "Operations"]
    dialog.locator('select[name="relationship"]').select_option("Influencer")
    dialog.locator('select[name="department"]').select_option("IT")
    dialog.locator('button[type="submit"]').click()
    page.wait_for_selector("#save-status:not([hidden])")
    assert page.locator("#save-status").inner_text() == (
        "Saved: relationship Employee → Influencer; department (empty) → IT"
    )
    assert "Influencer · IT" in page.locator(".contact", has_text="Wyatt Allen").inner_text()


def test_the_bulk_value_offers_the_pick_list_of_its_field(signed_in_page: Any, console_server: Any) -> None:
    page = signed_in_page
    page.goto(console_server.base_url + "/")
    page.wait_for_selector(".client-row")
    page.click("#tab-bulk")
    page.select_option("#bulk-field", "relationship")
    page.wait_for_selector("#bulk-value[list='bulk-value-options']")
    offered = page.eval_on_selector_all("#bulk-value-options option", "nodes => nodes.map(n => n.value)")
    assert offered == ["Decision Maker", "Employee", "Influencer", "Owner"]
    page.select_option("#bulk-field", "department")
    page.wait_for_function("document.querySelector('#bulk-value-options option').value === 'Accounting'")
    page.select_option("#bulk-field", "inactiveFlag")  # not a pick list: nothing offered
    page.wait_for_function("!document.getElementById('bulk-value').hasAttribute('list')")
