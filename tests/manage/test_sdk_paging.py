"""M2 and M3 (SDK side): the list iterator — forward-only or Link paging, never mutating arguments, resume, concurrent
pages, the query parameters, and the switch to POST search for long URLs."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from cwdesk import AsyncManageClient, C, ConfigurationError, ManageClient, QueryTooLongError, UnexpectedResponseError

BASE = "https://api-na.myconnectwise.net/v4_6_release/apis/3.0"


def _companies(ids: range | list[int]) -> list[dict[str, Any]]:
    return [{"id": i, "name": f"Company {i}", "phoneNumber": "555", "status": {"id": 1, "name": "Active"}} for i in ids]


def forward_only_server(total: int) -> Any:
    """Forward-only paging as the sandbox and ConnectWise do it: Link to ?pageId=<last id> until the last page."""

    def answer(request: httpx.Request) -> httpx.Response:
        size = int(request.url.params["pageSize"])
        if "orderBy" in request.url.params or "page" in request.url.params:  # navigable: numbered pages, Link next
            page = int(request.url.params.get("page", "1"))
            ids = list(range(1, total + 1))[(page - 1) * size : page * size]
            more = page * size < total
            link = f'<{BASE}/company/companies?pageSize={size}&page={page + 1}>; rel="next"'
            return httpx.Response(200, json=_companies(ids), headers={"Link": link} if more else {})
        after = int(request.url.params.get("pageId", "0"))
        ids = [i for i in range(1, total + 1) if i > after][:size]
        headers = {}
        if ids and ids[-1] < total:
            headers["Link"] = f'<{BASE}/company/companies?pageSize={size}&pageId={ids[-1]}>; rel="next"'
        return httpx.Response(200, json=_companies(ids), headers=headers)

    return answer


def test_without_order_by_paging_is_forward_only(client: ManageClient, server: Any) -> None:
    server.route("GET", "/company/companies", forward_only_server(5))
    names = [co.name for co in client.companies.list(page_size=2)]
    assert names == [f"Company {i}" for i in range(1, 6)]
    requests = server.api_requests()
    assert [r.headers.get("pagination-type") for r in requests] == ["forward-only"] * 3
    assert [r.url.params.get("pageId") for r in requests] == [None, "2", "4"]


def test_with_order_by_paging_follows_link_next(client: ManageClient, server: Any) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params.get("page", "1"))
        ids = {1: [1, 2], 2: [3]}[page]
        headers = (
            {"Link": f'<{BASE}/company/companies?orderBy=name&pageSize=2&page=2>; rel="next"'} if page == 1 else {}
        )
        return httpx.Response(200, json=_companies(ids), headers=headers)

    server.route("GET", "/company/companies", answer)
    assert [co.id for co in client.companies.list(order_by="name", page_size=2)] == [1, 2, 3]
    first = server.api_requests()[0]
    assert "pagination-type" not in first.headers
    assert first.url.params["orderBy"] == "name"


def test_the_callers_arguments_are_never_mutated(client: ManageClient, server: Any) -> None:
    server.route("GET", "/company/companies", forward_only_server(3))
    fields = ["id", "name"]
    order = ["name desc"]
    where = C("status/name") == "Active"
    list(client.companies.list(where=where, fields=fields, page_size=1))
    list(client.companies.list(where=where, fields=fields, order_by=order, page_size=1))
    assert fields == ["id", "name"] and order == ["name desc"]
    assert where == (C("status/name") == "Active")


def test_query_parameters_are_built_and_escaped(client: ManageClient, server: Any) -> None:
    server.route("GET", "/company/companies", httpx.Response(200, json=[]))
    attempt = 'x" or id > 0 or name = "'
    list(
        client.companies.list(
            where=(C("name") == attempt) & (C("phone_number") != None),  # noqa: E711 - the builder's null test
            fields=["id", "phone_number", "status/name"],
            order_by="name desc, id",
            custom_field_conditions='caption = "Tier" and value = "Gold"',
        )
    )
    params = server.api_requests()[0].url.params
    assert params["conditions"] == 'name = "x\\" or id > 0 or name = \\"" and phoneNumber != null'
    assert params["fields"] == "id,phoneNumber,status/name"
    assert params["orderBy"] == "name desc, id"
    assert params["pageSize"] == "1000"
    assert params["customFieldConditions"] == 'caption = "Tier" and value = "Gold"'


def test_contacts_child_conditions_search_communication_items(client: ManageClient, server: Any) -> None:
    server.route("GET", "/company/contacts", httpx.Response(200, json=[]))
    cond = (C("communicationItems/value") == "john@example.com") & (
        C("communicationItems/communicationType") == "Email"
    )
    list(client.contacts.list(child_conditions=cond))
    expected = 'communicationItems/value = "john@example.com" and communicationItems/communicationType = "Email"'
    assert server.api_requests()[0].url.params["childConditions"] == expected


@pytest.mark.parametrize(
    ("kwargs", "says"),
    [
        ({"where": C("phone") == "1"}, "did you mean 'phoneNumber'"),
        ({"fields": ["id", "nmae"]}, "did you mean 'name'"),
        ({"order_by": "identifer"}, "did you mean 'identifier'"),
        ({"order_by": "name sideways"}, "use 'field', 'field asc' or 'field desc'"),
        ({"page_size": 5000}, "between 1 and 1000"),
        ({"after_id": 10, "order_by": "name"}, "resumes in id order"),
    ],
)
def test_bad_queries_fail_before_any_request(
    client: ManageClient, server: Any, kwargs: dict[str, Any], says: str
) -> None:
    with pytest.raises(ConfigurationError, match=says):
        list(client.companies.list(**kwargs))
    assert server.api_requests() == []


def test_resume_from_the_last_id_seen(client: ManageClient, server: Any) -> None:
    server.route("GET", "/company/companies", forward_only_server(6))
    assert [co.id for co in client.companies.list(page_size=2, after_id=3)] == [4, 5, 6]
    assert server.api_requests()[0].url.params["pageId"] == "3"


def test_a_full_page_without_link_continues_by_id_instead_of_dropping_records(
    client: ManageClient, server: Any
) -> None:
    def no_links(request: httpx.Request) -> httpx.Response:  # an endpoint that ignores forward-only headers
        after = int(request.url.params.get("pageId", "0"))
        return httpx.Response(200, json=_companies([i for i in range(1, 6) if i > after][:2]))

    server.route("GET", "/company/companies", no_links)
    assert [co.id for co in client.companies.list(page_size=2)] == [1, 2, 3, 4, 5]


def test_a_server_repeating_the_same_page_stops_paging_with_an_error(client: ManageClient, server: Any) -> None:
    server.route("GET", "/company/companies", httpx.Response(200, json=_companies([1, 2])))
    with pytest.raises(UnexpectedResponseError, match="same page twice"):
        list(client.companies.list(page_size=2, order_by="name"))


def test_iter_pages_and_limit(client: ManageClient, server: Any) -> None:
    server.route("GET", "/company/companies", forward_only_server(5))
    assert [[co.id for co in page] for page in client.companies.iter_pages(page_size=2)] == [[1, 2], [3, 4], [5]]
    assert [co.id for co in client.companies.list(limit=3)] == [1, 2, 3]


def numbered_server(total: int) -> Any:
    def answer(request: httpx.Request) -> httpx.Response:
        size = int(request.url.params["pageSize"])
        page = int(request.url.params.get("page", "1"))
        start = (page - 1) * size + 1
        return httpx.Response(200, json=_companies(range(start, min(total, start + size - 1) + 1)))

    return answer


def test_concurrent_page_fetch_uses_count_and_keeps_order(client: ManageClient, server: Any) -> None:
    server.route("GET", "/company/companies/count", httpx.Response(200, json={"count": 7}))
    server.route("GET", "/company/companies", numbered_server(7))
    assert [co.id for co in client.companies.list(page_size=2, concurrency=3)] == list(range(1, 8))
    pages = sorted(int(r.url.params["page"]) for r in server.api_requests() if r.url.path.endswith("/companies"))
    assert pages == [1, 2, 3, 4]


def test_a_long_ticket_query_switches_to_post_search(client: ManageClient, server: Any) -> None:
    server.route("POST", "/service/tickets/search", httpx.Response(200, json=[{"id": 1, "summary": "s"}]))
    long_where = C("id").in_(list(range(1000, 1600)))
    tickets = list(client.tickets.list(where=long_where, order_by="id"))
    assert [t.id for t in tickets] == [1]
    request = server.api_requests()[0]
    body = json.loads(request.content)
    assert body["conditions"].startswith("id in (1000, 1001")
    assert body["orderBy"] == "id"
    assert request.url.params["page"] == "1"


def test_a_long_query_without_a_search_form_is_a_clear_error(client: ManageClient, server: Any) -> None:
    with pytest.raises(QueryTooLongError, match="2000 characters"):
        list(client.companies.list(where=C("id").in_(list(range(1000, 1600)))))
    assert server.api_requests() == []


async def test_async_list_pages_the_same_way(async_client: AsyncManageClient, server: Any) -> None:
    server.route("GET", "/company/companies", forward_only_server(5))
    server.route("GET", "/company/companies/count", httpx.Response(200, json={"count": 5}))
    assert [co.id async for co in async_client.companies.list(page_size=2)] == [1, 2, 3, 4, 5]
    assert await async_client.companies.count(where=C("name").contains("Co")) == 5
    assert server.api_requests()[-1].url.params["conditions"] == 'name contains "Co"'


async def test_async_concurrent_pages(async_client: AsyncManageClient, server: Any) -> None:
    server.route("GET", "/company/companies/count", httpx.Response(200, json={"count": 5}))
    server.route("GET", "/company/companies", numbered_server(5))
    assert [co.id for co in await async_client.companies.all(page_size=2, concurrency=2)] == [1, 2, 3, 4, 5]
