"""M2 (one pager): ``ManageClient.iter_pages`` is the one walk over Manage's pages, behind both ``cw.companies.list()``
and ``cw.operations.query()``; sync and async twins. A server that sends no ``Link`` header on full pages loses
nothing through either path; a ``Link`` without a next link is the last page."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from cwdesk import AsyncManageClient, ConfigurationError, ManageClient, UnexpectedResponseError
from cwdesk.manage.paging import FORWARD_ONLY_HEADERS

from .conftest import CREDENTIALS, NO_WAIT, Recorder

BASE = "https://api-na.myconnectwise.net/v4_6_release/apis/3.0"
TOTAL = 7


def _records(ids: list[int]) -> list[dict[str, Any]]:
    return [{"id": i, "name": f"Company {i}", "identifier": f"Co{i}"} for i in ids]


def never_links(request: httpx.Request) -> httpx.Response:
    """An endpoint that pages (``pageId`` or ``page``) but never sends a ``Link`` header, full pages included."""
    size = int(request.url.params["pageSize"])
    every = list(range(1, TOTAL + 1))
    if "pageId" in request.url.params:
        ids = [i for i in every if i > int(request.url.params["pageId"])][:size]
    else:
        page = int(request.url.params.get("page", "1"))
        ids = every[(page - 1) * size : page * size]
    return httpx.Response(200, json=_records(ids))


def test_a_server_without_link_headers_loses_nothing_through_the_collection(
    client: ManageClient, server: Recorder
) -> None:
    server.route("GET", "/company/companies", never_links)
    assert [co.id for co in client.companies.list(page_size=2)] == list(range(1, TOTAL + 1))
    assert [co.id for co in client.companies.list(page_size=2, order_by="id")] == list(range(1, TOTAL + 1))


def test_a_server_without_link_headers_loses_nothing_through_operations(client: ManageClient, server: Recorder) -> None:
    server.route("GET", "/company/companies", never_links)
    rows = client.operations.query("getCompanyCompanies", page_size=2)
    assert [row["id"] for row in rows] == list(range(1, TOTAL + 1))
    pages = server.api_requests()
    assert [r.url.params.get("page") for r in pages] == [None, "2", "3", "4"]  # 2+2+2+1: the short page ends it


async def test_async_twins_lose_nothing_without_link_headers(server: Recorder) -> None:
    server.route("GET", "/company/companies", never_links)
    async with AsyncManageClient(
        **CREDENTIALS, transport=httpx.MockTransport(server), rate_per_minute=600_000, retry=NO_WAIT
    ) as cw:
        assert [co.id async for co in cw.companies.list(page_size=3)] == list(range(1, TOTAL + 1))
        rows = await cw.operations.query("getCompanyCompanies", page_size=3)
        assert [row["id"] for row in rows] == list(range(1, TOTAL + 1))


def test_a_link_without_next_ends_the_list_even_after_a_full_page(client: ManageClient, server: Recorder) -> None:
    def last_page_links_back_to_first(request: httpx.Request) -> httpx.Response:
        after = int(request.url.params.get("pageId", "0"))
        ids = [i for i in (1, 2, 3, 4) if i > after][:2]
        link = (
            f'<{BASE}/company/companies?pageSize=2&pageId={ids[-1]}>; rel="next"'
            if ids[-1] < 4
            else f'<{BASE}/company/companies?pageSize=2>; rel="first"'
        )
        return httpx.Response(200, json=_records(ids), headers={"Link": link})

    server.route("GET", "/company/companies", last_page_links_back_to_first)
    assert [co.id for co in client.companies.list(page_size=2)] == [1, 2, 3, 4]
    assert len(server.api_requests()) == 2  # the full last page said "no next": nothing more was asked


def test_iter_pages_follows_next_links_and_keeps_the_callers_params(client: ManageClient, server: Recorder) -> None:
    def linked(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params.get("page", "1"))
        data = {1: [1, 2], 2: [3, 4], 3: [5]}[page]
        headers = {"Link": f'<{BASE}/things?pageSize=2&page={page + 1}>; rel="next"'} if page < 3 else {}
        return httpx.Response(200, json=data, headers=headers)

    server.route("GET", "/things", linked)
    params = {"conditions": "x = 1"}
    assert list(client.iter_pages("/things", params=params, page_size=2)) == [[1, 2], [3, 4], [5]]
    assert params == {"conditions": "x = 1"}
    assert server.api_requests()[0].url.params["pageSize"] == "2"


def test_a_next_link_back_to_a_page_already_read_stops(client: ManageClient, server: Recorder) -> None:
    loop = {"Link": f'<{BASE}/company/companies?pageSize=2>; rel="next"'}
    server.route("GET", "/company/companies", lambda r: httpx.Response(200, json=_records([1, 2]), headers=loop))
    pages = list(client.iter_pages("/company/companies", headers=FORWARD_ONLY_HEADERS, page_size=2))
    assert pages == [_records([1, 2])]


def test_a_page_that_is_not_a_list_is_an_error_not_an_empty_list(client: ManageClient, server: Recorder) -> None:
    server.route("GET", "/company/companies", httpx.Response(200, json={"id": 1}))
    with pytest.raises(UnexpectedResponseError, match="expected a list of records"):
        client.operations.query("getCompanyCompanies")


def test_iter_pages_refuses_a_page_size_manage_does_not_accept(client: ManageClient) -> None:
    with pytest.raises(ConfigurationError, match="page_size must be between 1 and 1000"):
        list(client.iter_pages("/company/companies", page_size=1001))
