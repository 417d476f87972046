"""M8: lenient models — snake_case attributes over camelCase on the wire, unknown fields kept, one odd record
never fails a page; resources follow the spec's methods."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest

from cwdesk import ConfigurationError, ManageClient
from cwdesk.manage.models import Company, Contact, decode_page
from cwdesk.manage.models.base import to_api_payload


def test_snake_case_attributes_read_camel_case_fields() -> None:
    company = Company.model_validate(
        {
            "id": 1,
            "phoneNumber": "312",
            "status": {"id": 1, "name": "Active"},
            "_info": {"lastUpdated": "2024-01-01T00:00:00Z"},
        }
    )
    assert company.phone_number == "312"
    assert company.status is not None and company.status.name == "Active"
    assert company.info == {"lastUpdated": "2024-01-01T00:00:00Z"}
    assert company.to_api()["phoneNumber"] == "312"


def test_unknown_fields_are_kept() -> None:
    contact = Contact.model_validate({"id": 2, "brandNewField": {"x": 1}})
    assert contact.brandNewField == {"x": 1}
    assert contact.to_api()["brandNewField"] == {"x": 1}


def test_one_odd_record_never_fails_a_page(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    page = decode_page(
        Company, [{"id": 1, "name": "A"}, {"id": 2, "numberOfEmployees": "lots", "name": "B"}, {"id": 3}]
    )
    assert [c.id for c in page] == [1, 2, 3]
    assert page[1].name == "B" and page[1].number_of_employees is None
    assert page[1].numberOfEmployees == "lots"  # kept as the raw value
    assert "numberOfEmployees" in caplog.text


def test_create_accepts_either_spelling() -> None:
    payload = to_api_payload(Company, {"phone_number": "1", "addressLine1": "Main St", "status": {"name": "Active"}})
    assert payload == {"phoneNumber": "1", "addressLine1": "Main St", "status": {"name": "Active"}}


def test_methods_the_spec_lacks_are_refused_with_the_alternative(client: ManageClient, server: Any) -> None:
    with pytest.raises(ConfigurationError, match="inactiveFlag"):
        client.members.delete(3)
    with pytest.raises(ConfigurationError, match="cannot be changed"):
        client.security_roles.update(3, {"name": "x"})
    assert server.api_requests() == []


def test_every_resource_of_the_feature_list_is_there(client: ManageClient, server: Any) -> None:
    server.route("GET", "/count", httpx.Response(200, json={"count": 1}))
    resources = [
        client.companies,
        client.companies.sites(1),
        client.contacts,
        client.contacts.communications(1),
        client.agreements,
        client.agreement_types,
        client.tickets,
        client.boards,
        client.members,
        client.security_roles,
        client.company_statuses,
        client.company_types,
        client.contact_types,
        client.contact_relationships,
        client.departments,
        client.locations,
        client.time_zones,
        client.callbacks,
    ]
    assert all(resource.count() == 1 for resource in resources)
    paths = [r.url.path.removeprefix("/v4_6_release/apis/3.0") for r in server.api_requests()]
    assert "/company/companies/1/sites/count" in paths
    assert "/company/contacts/1/communications/count" in paths
    assert "/system/timeZoneSetups/count" in paths
