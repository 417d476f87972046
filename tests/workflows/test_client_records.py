"""The console's edits (C3) through ``client_records``: checked before sending, only changes patched."""

from __future__ import annotations

import pytest

from cwdesk import ManageClient
from cwdesk.sandbox import Sandbox
from cwdesk.workflows.client_records import add_contact, company_by_identifier, update_company, update_contact
from cwdesk.workflows.validation import InvalidInput, record_dict


@pytest.fixture
def cw(sandbox: Sandbox) -> ManageClient:
    return ManageClient(**sandbox.manage_credentials, transport=sandbox.transport())


def writes(sandbox: Sandbox) -> list[str]:
    return [f"{r.method} {r.path.replace('/v4_6_release/apis/3.0', '')}" for r in sandbox.requests if r.method != "GET"]


def test_edit_company_sends_one_patch_with_only_the_changes(cw: ManageClient, sandbox: Sandbox) -> None:
    before = record_dict(cw.companies.get(1))
    sandbox.clear_requests()

    after = update_company(cw, 1, name=before["name"], phone="312-555-0199", status="inactive")

    assert writes(sandbox) == ["PATCH /company/companies/1"]
    assert after["phoneNumber"] == "312-555-0199" and after["status"]["name"] == "Inactive"
    assert after["name"] == before["name"]
    sandbox.clear_requests()
    update_company(cw, 1, phone="312-555-0199")
    assert writes(sandbox) == []  # nothing changed, nothing sent


def test_edit_company_bad_input_is_refused_before_any_call(cw: ManageClient, sandbox: Sandbox) -> None:
    sandbox.clear_requests()
    with pytest.raises(InvalidInput) as caught:
        update_company(cw, 1, name=" ", phone="12", status="Activ", website="not a site")
    assert {p.field for p in caught.value.problems} == {"name", "phone", "status", "website"}
    assert "did you mean 'Active'" in str(caught.value)
    assert writes(sandbox) == []


def test_edit_contact_replaces_the_default_email_and_keeps_other_items(cw: ManageClient) -> None:
    company = company_by_identifier(cw, record_dict(cw.companies.get(1))["identifier"])
    assert company is not None
    created = add_contact(cw, 1, first_name="Ann", last_name="Lee", email="ann@old.example", phone="312-555-0111")

    updated = update_contact(cw, created["id"], email="ann@new.example", first_name="Anne")

    items = {i["communicationType"]: i["value"] for i in updated["communicationItems"]}
    assert items == {"Email": "ann@new.example", "Phone": "312-555-0111"}
    assert updated["firstName"] == "Anne" and updated["lastName"] == "Lee"
    assert updated.get("defaultFlag") is False
