"""M2 (shared part): Link-header and page-number iterators that never mutate the caller's arguments."""

from __future__ import annotations

import httpx

from cwdesk._http.core import AsyncHTTPCore, HTTPCore
from cwdesk._http.paging import (
    aiter_numbered_pages,
    iter_numbered_pages,
    next_link,
    parse_link_header,
)


def test_link_header_is_parsed_with_its_rels() -> None:
    header = '<https://h/x?pageSize=2&page=2>; rel="next", <https://h/x?pageSize=2&page=5>; rel="last"'
    assert parse_link_header(header) == [
        ("https://h/x?pageSize=2&page=2", {"next"}),
        ("https://h/x?pageSize=2&page=5", {"last"}),
    ]
    assert next_link(header) == "https://h/x?pageSize=2&page=2"
    assert next_link('<https://h/x?page=1>; rel="first", <https://h/x?page=3>; rel="last"') is None
    assert next_link("<https://h/x?pageId=40>") == "https://h/x?pageId=40"  # forward-only: a bare link
    assert next_link(None) is None


def _numbered_server(request: httpx.Request) -> httpx.Response:
    page = int(request.url.params["page"])
    return httpx.Response(200, json=[page] * 2 if page <= 3 else [])


def test_numbered_pages_stop_on_an_empty_page() -> None:
    core = HTTPCore(base_url="https://api.example.com", transport=httpx.MockTransport(_numbered_server))
    assert list(iter_numbered_pages(core, "things", params={"pagesize": 2})) == [[1, 1], [2, 2], [3, 3]]


async def test_async_twins_yield_the_same_pages() -> None:
    numbered = AsyncHTTPCore(base_url="https://api.example.com", transport=httpx.MockTransport(_numbered_server))
    assert [p async for p in aiter_numbered_pages(numbered, "things", page_size=2)] == [[1, 1], [2, 2], [3, 3]]
