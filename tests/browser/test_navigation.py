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
