"""The Automate view as a user drives it in headless Chromium (issue 18 item 2): search, a client, its edits, 390 px.

Expected values are read from the console's own sandbox with the SDK, so the demo data may change.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from cwdesk.automate.client import AutomateClient
from cwdesk.conditions import C

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def automate_of(console_server: Any) -> AutomateClient:
    sandbox = console_server.sandbox
    return AutomateClient(**sandbox.automate_credentials, transport=sandbox.transport())


def client_with_offline_computers(cwa: AutomateClient) -> Any:
    for client in cwa.clients.list(order_by="Name asc"):
        computers = cwa.computers.list(where=C("Client.Id") == client.id)
        if any(not computer.is_online for computer in computers):
            return client
    raise AssertionError("the demo seed has no Automate client with an offline computer")


def test_search_as_you_type_narrows_the_list_and_the_address_follows(signed_in_page: Any, console_server: Any) -> None:
    page = signed_in_page
    cwa = automate_of(console_server)
    names = [client.name for client in cwa.clients.list(order_by="Name asc")]
    page.goto(console_server.base_url + "/automate")
    rows = page.locator("#automate-rows tr[data-client-id] td[data-label='Client']")
    assert rows.all_inner_texts() == names
    page.fill("#automate-q", "cedar")  # no Enter: the list follows the typing
    expect(rows).to_have_count(1)
    assert rows.all_inner_texts() == [n for n in names if "cedar" in (n or "").lower()]
    assert page.locator("#automate-count").inner_text().startswith("1 client(s)")
    assert page.url.endswith("/automate?q=cedar")
    page.reload()
    assert page.input_value("#automate-q") == "cedar" and rows.count() == 1
    page.fill("#automate-q", "")
    expect(rows).to_have_count(len(names))
    # Signed out meanwhile (the session ended): typing leads to sign-in, not to a sign-in page inside the table.
    page.context.clear_cookies()
    page.fill("#automate-q", "ce")
    page.wait_for_url("**/signin")


def test_open_a_client_from_the_list_and_see_its_health(signed_in_page: Any, console_server: Any) -> None:
    page = signed_in_page
    cwa = automate_of(console_server)
    client = client_with_offline_computers(cwa)
    computers = cwa.computers.list(where=C("Client.Id") == client.id)
    offline = [c for c in computers if not c.is_online]
    page.goto(console_server.base_url + "/automate")
    page.click(f"#automate-rows tr[data-client-id='{client.id}'] a[href='/automate/clients/{client.id}']")
    page.wait_for_selector("#automate-client-name")
    assert page.locator("#automate-client-name").inner_text() == client.name
    assert page.locator("#computer-count").inner_text() == str(len(computers))
    assert page.locator("#offline-count").inner_text() == str(len(offline))
    assert page.locator("#automate-offline tbody tr").count() == len(offline)
    # The Manage company of the same name is one click away, and links back.
    page.click("#manage-match a")
    page.wait_for_url("**/clients/*")
    assert page.url.rstrip("/").split("/")[-1].isdigit()


def confirm_in_dialog(page: Any, *, expect_rows: int | None = None) -> None:
    dialog = page.locator("#automate-confirm")
    expect(dialog).to_be_visible()
    assert "Nothing has changed yet." in dialog.inner_text()
    if expect_rows is not None:
        expect(dialog.locator("tbody tr")).to_have_count(expect_rows)
    page.click("#automate-confirm-yes")
    expect(dialog).to_be_hidden()


def test_edit_a_client_with_its_confirmation_and_see_it_saved(signed_in_page: Any, console_server: Any) -> None:
    page = signed_in_page
    cwa = automate_of(console_server)
    client = cwa.clients.list(order_by="Name asc")[0]
    page.goto(f"{console_server.base_url}/automate/clients/{client.id}")
    page.click("#edit-client summary")
    page.fill('#edit-client-form input[name="PhoneNumber"]', "775-555-0142")
    page.click('#edit-client-form button[type="submit"]')
    dialog = page.locator("#automate-confirm")
    expect(dialog).to_be_visible()
    cells = dialog.locator("tbody tr").first.locator("td").all_inner_texts()
    assert cells == ["Phone", client.phone_number or "(empty)", "775-555-0142"]
    # Cancel leaves everything as it was.
    page.click("#automate-confirm-no")
    expect(page.locator("#edit-client-form .form-message")).to_have_text("Nothing was changed.")
    assert cwa.clients.get(client.id).phone_number == client.phone_number
    page.click('#edit-client-form button[type="submit"]')
    confirm_in_dialog(page, expect_rows=1)
    expect(page.locator("#automate-status")).to_contain_text("Saved.")
    assert "775-555-0142" in page.locator("#automate-status").inner_text()
    expect(page.locator("#fact-phone")).to_have_text("775-555-0142")  # the page was read again
    assert cwa.clients.get(client.id).phone_number == "775-555-0142"


def test_a_refused_field_is_shown_next_to_it(signed_in_page: Any, console_server: Any) -> None:
    page = signed_in_page
    cwa = automate_of(console_server)
    client = cwa.clients.list(order_by="Name asc")[0]
    page.goto(f"{console_server.base_url}/automate/clients/{client.id}")
    page.click("#edit-client summary")
    page.fill('#edit-client-form input[name="Name"]', "   ")
    page.evaluate("document.querySelector('#edit-client-form input[name=Name]').removeAttribute('required')")
    page.click('#edit-client-form button[type="submit"]')
    expect(page.locator('#edit-client-form [data-error-for="Name"]')).not_to_be_empty()
    assert page.locator("#automate-confirm").is_hidden()


def test_add_a_location_and_set_extra_fields_with_type_aware_inputs(signed_in_page: Any, console_server: Any) -> None:
    page = signed_in_page
    cwa = automate_of(console_server)
    client = cwa.clients.list(order_by="Name asc")[0]
    page.goto(f"{console_server.base_url}/automate/clients/{client.id}")
    page.click("#add-location summary")
    page.fill('#add-location-form input[name="Name"]', "Warehouse")
    page.fill('#add-location-form input[name="City"]', "Sparks")
    page.click('#add-location-form button[type="submit"]')
    confirm_in_dialog(page)
    expect(page.locator("#automate-locations")).to_contain_text("Warehouse")
    expect(page.locator("#automate-status")).to_contain_text("Saved.")

    fields = {edf.title: edf for edf in cwa.clients.extra_fields(client.id)}
    dropdown = next(edf for edf in fields.values() if edf.kind == "Dropdown")
    checkbox = next(edf for edf in fields.values() if edf.kind == "Checkbox")
    text = next(edf for edf in fields.values() if edf.kind == "Text")
    option = next(o for o in dropdown.options if o != dropdown.value)
    page.select_option(f'select[name="edf:{dropdown.title}"]', option)
    page.locator(f'input[type="checkbox"][name="edf:{checkbox.title}"]').set_checked(not checkbox.value)
    page.fill(f'input[name="edf:{text.title}"]', "Jo March")
    page.click('#edit-edfs-form button[type="submit"]')
    confirm_in_dialog(page, expect_rows=3)
    # The status still says "Saved." from the location: wait for this save's own line (it names the new value).
    expect(page.locator("#automate-status")).to_contain_text("Jo March")
    expect(page.locator("#automate-status")).to_contain_text("Saved.")
    after = {edf.title: edf.value for edf in cwa.clients.extra_fields(client.id)}
    assert (after[dropdown.title], after[checkbox.title], after[text.title]) == (
        option,
        not checkbox.value,
        "Jo March",
    )
    expect(page.locator(f'select[name="edf:{dropdown.title}"]')).to_have_value(option)  # the page read again


def test_add_the_client_to_a_group_then_remove_it_after_confirming(signed_in_page: Any, console_server: Any) -> None:
    page = signed_in_page
    cwa = automate_of(console_server)
    client = client_with_offline_computers(cwa)
    ids = {c.id for c in cwa.computers.list(where=C("Client.Id") == client.id)}
    held = {m.group_id for m in cwa.group_computers.list() if m.computer_id in ids}
    group = next(g for g in cwa.groups.list() if g.id not in held)
    page.goto(f"{console_server.base_url}/automate/clients/{client.id}")
    page.select_option("#add-group-select", str(group.id))
    page.click('#add-group-form button[type="submit"]')
    confirm_in_dialog(page, expect_rows=len(ids))
    row = page.locator(f"#automate-groups tr[data-group-id='{group.id}']")
    expect(row).to_have_count(1)
    row.locator("button.remove-group").click()
    dialog = page.locator("#automate-confirm")
    expect(dialog).to_be_visible()
    assert "danger" in (page.locator("#automate-confirm-yes").get_attribute("class") or "")
    page.keyboard.press("Escape")  # leaving the dialog removes nothing
    expect(dialog).to_be_hidden()
    assert {m.computer_id for m in cwa.group_computers.list(where=C("GroupId") == group.id)} >= ids
    row.locator("button.remove-group").click()
    confirm_in_dialog(page, expect_rows=len(ids))
    expect(page.locator(f"#automate-groups tr[data-group-id='{group.id}']")).to_have_count(0)
    expect(page.locator("#automate-status")).to_contain_text("Saved.")
    assert not {m.computer_id for m in cwa.group_computers.list(where=C("GroupId") == group.id)} & ids


def test_automate_pages_do_not_scroll_sideways_at_390_px(browser: Any, console_server: Any) -> None:
    context = browser.new_context(viewport=PHONE)
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto(console_server.signin_link)
    page.click("#signin-link-confirm")
    page.wait_for_url("**/account")
    cwa = automate_of(console_server)
    client = client_with_offline_computers(cwa)
    long_name = "Northwest Regional Orthopaedic and Sports Medicine Associates International"
    cwa.clients.create({"Name": long_name})
    # The header is the shared layout's (its phone menu is issue 15 §4, on another branch): measured here is that
    # nothing on the Automate pages themselves reaches past the screen's right edge.
    made = cwa.clients.list(where=C("Name") == long_name)[0]
    for path in (
        "/automate",
        "/automate?q=Orthopaedic",
        f"/automate/clients/{client.id}",
        f"/automate/clients/{made.id}",
    ):
        page.goto(console_server.base_url + path)
        assert_fits(page, path)
    # The confirmation dialog, open, with a long value in it, and the edit form it came from.
    page.goto(f"{console_server.base_url}/automate/clients/{client.id}")
    page.click("#edit-client summary")
    page.fill('#edit-client-form input[name="NewTicketNotificationEmail"]', "a" * 60 + "@example.com")
    page.click('#edit-client-form button[type="submit"]')
    expect(page.locator("#automate-confirm")).to_be_visible()
    assert_fits(page, "the confirmation dialog")
    page.click("#automate-confirm-no")
    context.close()


def assert_fits(page: Any, where: str) -> None:
    """Nothing inside the page's main area reaches past the right edge of a phone's screen."""
    widest = page.evaluate(
        """() => {
            const main = document.getElementById('main');
            let right = 0;
            for (const node of main.querySelectorAll('*')) {
                right = Math.max(right, node.getBoundingClientRect().right);
            }
            return {main: main.scrollWidth, right: Math.ceil(right)};
        }"""
    )
    assert widest["main"] <= PHONE["width"] and widest["right"] <= PHONE["width"], (where, widest)


def test_a_viewer_sees_the_client_but_no_edit_control_and_the_server_refuses_the_change(
    browser: Any, console_server: Any
) -> None:
    console_server.app.state.accounts.create_user("vera", "viewer", "viewer password 1")
    cwa = automate_of(console_server)
    client = cwa.clients.list(order_by="Name asc")[0]
    context = browser.new_context()
    context.set_default_timeout(10_000)
    viewer = context.new_page()
    viewer.goto(console_server.base_url + "/signin")
    viewer.fill('input[name="username"]', "vera")
    viewer.fill('input[name="password"]', "viewer password 1")
    viewer.click('#signin-form button[type="submit"]')
    viewer.wait_for_url(console_server.base_url + "/")
    viewer.goto(f"{console_server.base_url}/automate/clients/{client.id}")
    expect(viewer.locator("#automate-client-name")).to_have_text(client.name or "")
    assert viewer.locator("form.js-automate-edit").count() == 0
    assert viewer.locator("#automate-edfs select, #automate-edfs input").count() == 0
    status = viewer.evaluate(
        """async (id) => {
            const token = document.querySelector('meta[name="csrf-token"]').content;
            const body = new FormData(); body.append('PhoneNumber', '000'); body.append('confirm', 'yes');
            const headers = {'X-CSRF-Token': token};
            const answer = await fetch('/automate/clients/' + id, {method: 'POST', body, headers});
            return answer.status;
        }""",
        client.id,
    )
    assert status == 403 and cwa.clients.get(client.id).phone_number == client.phone_number
    context.close()


def test_a_hostile_name_is_shown_as_text_in_the_page_and_the_confirmation(
    signed_in_page: Any, console_server: Any
) -> None:
    page = signed_in_page
    alerts: list[str] = []
    page.on("dialog", lambda dialog: (alerts.append(dialog.message), dialog.dismiss()))
    cwa = automate_of(console_server)
    hostile = "<img src=x onerror=alert(1)> \"Quote' & Co"
    made = cwa.clients.create({"Name": hostile})
    page.goto(console_server.base_url + "/automate?q=Quote")
    expect(page.locator("#automate-rows td[data-label='Client']")).to_have_text([hostile])
    page.goto(f"{console_server.base_url}/automate/clients/{made.id}")
    expect(page.locator("#automate-client-name")).to_have_text(hostile)
    page.click("#edit-client summary")
    page.fill('#edit-client-form input[name="Name"]', hostile + " <b>2</b>")
    page.click('#edit-client-form button[type="submit"]')
    cells = page.locator("#automate-confirm tbody tr td")
    expect(cells).to_have_text(["Name", hostile, hostile + " <b>2</b>"])
    assert page.locator("#automate-confirm img, #automate-confirm b").count() == 0
    page.click("#automate-confirm-no")
    assert alerts == []
