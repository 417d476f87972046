"""Page decoding pauses the garbage collector only while it runs, and keeps ``_info`` links as received."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from typing import Any

import pytest

from cwdesk.manage.models import Company, decode_page


def _page() -> list[dict[str, Any]]:
    return [
        {
            "id": 1,
            "name": "Acme",
            "status": {"id": 1, "name": "Active", "_info": {"status_href": "https://x/statuses/1"}},
            "_info": {"lastUpdated": "2024-01-01T00:00:00Z", "contacts_href": "https://x/contacts"},
        },
        {"id": 2, "name": "Odd", "numberOfEmployees": "about forty"},
    ]


def test_the_collector_is_back_on_after_a_page_when_it_was_on() -> None:
    assert gc.isenabled()
    decoded = decode_page(Company, _page())
    assert [c.id for c in decoded] == [1, 2]
    assert gc.isenabled()


def test_the_collector_stays_off_when_the_application_turned_it_off() -> None:
    gc.disable()
    try:
        decode_page(Company, _page())
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_the_collector_is_back_on_when_reading_the_page_fails() -> None:
    def broken() -> Iterator[dict[str, Any]]:
        yield {"id": 1}
        raise ConnectionError("page cut short")

    with pytest.raises(ConnectionError):
        decode_page(Company, broken())
    assert gc.isenabled()


def test_info_links_are_kept_as_received_and_given_back_on_the_wire() -> None:
    company = decode_page(Company, _page())[0]
    assert company.info == {"lastUpdated": "2024-01-01T00:00:00Z", "contacts_href": "https://x/contacts"}
    assert company.status is not None and company.status.info == {"status_href": "https://x/statuses/1"}
    wire = company.model_dump(by_alias=True, exclude_unset=True)
    assert wire["_info"]["contacts_href"] == "https://x/contacts"
    assert wire["status"]["_info"] == {"status_href": "https://x/statuses/1"}
