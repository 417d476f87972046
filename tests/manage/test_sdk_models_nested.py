"""Nested records (references, communication items, custom fields) are built on first read and behave as if eager."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from pydantic import Field

from cwdesk.manage.models import Company, Contact, ContactCommunicationItem, Reference, decode_page
from cwdesk.manage.models.base import ReferenceField

STATUS = {"id": 1, "name": "Active", "_info": {"status_href": "https://cw.example/statuses/1"}}


def _company(**extra: Any) -> dict[str, Any]:
    return {"id": 7, "identifier": "Acme", "name": "Acme Inc", "status": dict(STATUS), **extra}


def test_a_reference_stays_as_received_until_read_then_is_built_once() -> None:
    (company,) = decode_page(Company, [_company()])
    assert type(company.__dict__["status"]) is dict  # not built while the page was decoded
    status = company.status
    assert isinstance(status, Reference)
    assert (status.id, status.name, status.info) == (1, "Active", STATUS["_info"])
    assert company.status is status  # kept: the second read builds nothing


def test_lists_of_nested_records_are_built_on_read() -> None:
    raw = {
        "id": 1,
        "firstName": "Ada",
        "types": [{"id": 4, "name": "End User"}],
        "communicationItems": [{"id": 1, "type": {"id": 1, "name": "Email"}, "value": "ada@example.com"}],
    }
    (contact,) = decode_page(Contact, [raw])
    assert contact.types is not None and contact.types[0].name == "End User"
    items = contact.communication_items
    assert items is not None and isinstance(items[0], ContactCommunicationItem)
    assert items[0].type is not None and items[0].type.name == "Email"


def test_dumps_are_the_same_whether_or_not_nested_records_were_read() -> None:
    raw = _company(types=[{"id": 1, "name": "Client"}], defaultContact={"id": 9, "name": "Ada", "extraMember": 1})
    (untouched,) = decode_page(Company, [raw])
    (touched,) = decode_page(Company, [raw])
    touched.build_nested()
    assert untouched.to_api() == touched.to_api() == raw
    assert untouched.model_dump() == touched.model_dump()
    assert untouched.model_dump()["status"] == {"id": 1, "name": "Active", "identifier": None, "info": STATUS["_info"]}
    assert untouched.model_dump_json() == touched.model_dump_json()


def test_equality_and_repr_see_built_records() -> None:
    (first,) = decode_page(Company, [_company()])
    (second,) = decode_page(Company, [_company()])
    _ = first.status
    assert first == second
    assert "Reference(" in repr(second)
    (other,) = decode_page(Company, [_company(status={"id": 2, "name": "Inactive"})])
    assert first != other


def test_assigned_values_are_read_as_models() -> None:
    company = Company(name="Acme", status=Reference(id=2, name="Inactive"))
    assert company.status is not None and company.status.id == 2
    company.status = {"id": 3, "name": "Prospect"}  # type: ignore[assignment]
    assert isinstance(company.status, Reference) and company.status.name == "Prospect"
    assert company.to_api() == {"name": "Acme", "status": {"id": 3, "name": "Prospect"}}
    company.status = None
    assert company.status is None


def test_a_nested_member_that_is_not_an_object_is_set_aside_when_the_page_is_decoded(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="cwdesk.models"):
        good, odd = decode_page(Company, [_company(), _company(id=8, status="Active")])
    assert good.status is not None and good.status.name == "Active"
    assert odd.status is None and odd.model_extra == {"status": "Active"}
    assert "id=8" in caplog.text and "status" in caplog.text


def test_an_odd_member_inside_a_reference_is_set_aside_when_it_is_read(caplog: pytest.LogCaptureFixture) -> None:
    (company,) = decode_page(Company, [_company(status={"id": "not-a-number", "name": "Active"})])
    with caplog.at_level(logging.WARNING, logger="cwdesk.models"):
        status = company.status
    assert status is not None and status.name == "Active" and status.id is None
    assert status.model_extra == {"id": "not-a-number"}
    assert "Reference" in caplog.text


def test_json_input_is_built_at_once() -> None:
    company = Company.model_validate_json('{"id": 1, "status": {"id": 1, "name": "Active"}}')
    assert isinstance(company.__dict__["status"], Reference)


def test_a_subclass_with_its_own_fields_keeps_nested_records_lazy_and_defaults_empty() -> None:
    class MyCompany(Company):
        my_field: str | None = Field(default=None, alias="myField")
        billing_site: ReferenceField = Field(default=None, alias="billingSite")  # declared again

    (company,) = decode_page(MyCompany, [_company(myField="x", billingSite={"id": 2, "name": "Main"})])
    assert company.my_field == "x"
    assert company.status is not None and company.status.name == "Active"
    assert company.billing_site is not None and company.billing_site.name == "Main"
    empty = MyCompany()
    assert empty.status is None and empty.billing_site is None and empty.to_api() == {}
