"""Contact pick lists from ConnectWise and the "Open in ConnectWise" link (issue 15 §6), through the console's
routes on the demo sandbox."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi import FastAPI

from cwdesk.console.app import ConsoleSettings, create_app
from cwdesk.console.connections import Connections, manage_summary
from cwdesk.manage.client import ManageClient
from cwdesk.sandbox import Sandbox
from cwdesk.store import open_database
from tests.console.conftest import PASSWORD, Browser, login_csrf


def test_the_pick_lists_are_connectwise_s_own(sign_in: Callable[[str], Browser], console_sandbox: Sandbox) -> None:
    viewer = sign_in("viewer")
    lists = viewer.get("/api/pick-lists").json()
    assert lists == {
        "type": ["Billing", "End User", "Owner", "Technical"],  # ContactType descriptions
        "relationship": ["Decision Maker", "Employee", "Influencer", "Owner"],
        "department": ["Accounting", "Front Office", "IT", "Operations"],  # /company/contacts/departments
    }


def test_the_contact_editor_offers_the_pick_lists_with_the_current_value(sign_in: Callable[[str], Browser]) -> None:
    operator = sign_in("operator")
    panel = operator.page("/clients/1/panel").text
    assert '<select name="relationship">' in panel and '<select name="department">' in panel
    assert '<option value="Decision Maker" selected>Decision Maker</option>' in panel  # Isaac Ward's
    assert '<option value="Front Office" >Front Office</option>' in panel


def test_a_contact_edit_sets_type_relationship_and_department(
    sign_in: Callable[[str], Browser], console: FastAPI
) -> None:
    operator = sign_in("operator")
    answer = operator.change(
        "/contacts/3",
        data={"first_name": "Wyatt", "last_name": "Allen", "title": "Office Manager", "type": "billing",
              "relationship": "Influencer", "department": "Front Office"},
    )  # fmt: skip
    assert answer.json()["ok"] is True, answer.json()
    assert answer.json()["message"] == (
        "Saved: type End User → Billing; relationship Employee → Influencer; department (empty) → Front Office"
    )
    contact = console.state.connections.manage.contacts.get(3)
    assert [t.name for t in contact.types] == ["Billing"]
    assert contact.relationship.name == "Influencer"
    assert contact.department.name == "Front Office"


def test_a_name_not_in_the_pick_list_is_refused_with_suggestions(sign_in: Callable[[str], Browser]) -> None:
    operator = sign_in("operator")
    answer = operator.change(
        "/contacts/3", data={"first_name": "Wyatt", "last_name": "Allen", "department": "Front Ofice"}
    )
    assert answer.status_code == 400
    assert "Front Office" in answer.json()["errors"]["department"]


def test_a_new_contact_takes_its_pick_lists(sign_in: Callable[[str], Browser], console: FastAPI) -> None:
    operator = sign_in("operator")
    answer = operator.change(
        "/clients/3/contacts",
        data={"first_name": "Nora", "last_name": "Quinn", "type": "Technical", "department": "IT"},
    )
    assert answer.json()["ok"] is True, answer.json()
    (nora,) = [c for c in console.state.connections.manage.contacts.list() if c.first_name == "Nora"]
    assert [t.name for t in nora.types] == ["Technical"] and nora.department.name == "IT"


def test_demo_mode_shows_no_open_in_connectwise_link(sign_in: Callable[[str], Browser]) -> None:
    panel = sign_in("viewer").page("/clients/1/panel").text
    assert "Open in ConnectWise" not in panel


@pytest.fixture
def live_console(console_sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FastAPI:
    """The console in live mode, its ConnectWise being the sandbox (served at https://sandbox.local)."""
    monkeypatch.setenv("CWDESK_HOME", str(tmp_path))
    credentials = dict(console_sandbox.manage_credentials)
    manage = ManageClient(**credentials, transport=console_sandbox.transport())
    connections = Connections(mode="live", manage=manage, manage_info=manage_summary(credentials))
    settings = ConsoleSettings(connections=connections, engine=open_database(f"sqlite:///{tmp_path / 'live.db'}"),
                               take_up_orphaned_jobs=False)  # fmt: skip
    return create_app(settings)


def test_live_mode_links_the_company_and_its_contacts_to_their_connectwise_screens(live_console: FastAPI) -> None:
    live_console.state.accounts.create_user("ann", "viewer", PASSWORD)
    with Browser(live_console) as browser:
        token = login_csrf(browser)
        browser.post("/signin", data={"username": "ann", "password": PASSWORD, "csrf_token": token})
        panel = browser.page("/clients/1").text
    # The codebase is the one the SDK discovered (the sandbox answers v4_6_release/), companyName the login company.
    company = (
        "https://sandbox.local/v4_6_release/services/system_io/router/openrecord.rails"
        "?locale=en_US&amp;recordType=CompanyFV&amp;recid=1&amp;companyName=sandbox"
    )
    assert f'<a href="{company}" id="open-in-connectwise" target="_blank" rel="noopener noreferrer">' in panel
    assert "recordType=ContactFV&amp;recid=1&amp;" in panel


def test_a_cloud_api_host_links_to_its_web_host() -> None:
    class Discovered:
        credentials = type("Credentials", (), {"company": "acme"})()

        def get_base_url(self) -> str:
            return "https://api-eu.myconnectwise.net/v2025_1/apis/3.0"

    connections = Connections(mode="live", manage=Discovered(), manage_info=manage_summary({}))  # type: ignore[arg-type]
    assert connections.web_base() == "https://eu.myconnectwise.net/v2025_1/"
    assert connections.record_url("CompanyFV", 42) == (
        "https://eu.myconnectwise.net/v2025_1/services/system_io/router/openrecord.rails"
        "?locale=en_US&recordType=CompanyFV&recid=42&companyName=acme"
    )
