"""S1: navigable paging with ConnectWise's Link header (docs/connectwise.md, "Paging"), page sizes, and forward-only
paging."""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx

from cwdesk.sandbox import Sandbox

Connect = Callable[..., httpx.Client]

# pyconnectwise reads Link headers with exactly this pattern (docs/connectwise.md, "Paging").
PYCONNECTWISE_LINK = re.compile(r'page=(\d+)>; rel="(.*?)"')


def rels(response: httpx.Response) -> dict[str, str]:
    header = response.headers.get("link", "")
    return {rel: url for url, rel in re.findall(r'<([^>]+)>; rel="([a-z]+)"', header)}


def test_default_page_size_is_25_and_link_has_next_and_last(sandbox: Sandbox, connect: Connect) -> None:
    sandbox.reset(seed=12)
    with connect(sandbox) as manage:
        total = manage.get("/company/contacts/count").json()["count"]
        first = manage.get("/company/contacts")
        assert len(first.json()) == 25
        links = rels(first)
        assert set(links) == {"next", "last"}
        assert links["next"].endswith("page=2")
        assert links["last"].endswith(f"page={-(-total // 25)}")


def test_link_urls_keep_the_query_with_page_last_as_clients_expect(manage: httpx.Client) -> None:
    response = manage.get("/company/contacts", params={"pageSize": 4, "conditions": 'lastName != "x"', "page": 2})
    header = response.headers["link"]
    assert dict((rel, int(page)) for page, rel in PYCONNECTWISE_LINK.findall(header)) == {
        "first": 1,
        "prev": 1,
        "next": 3,
        "last": 4,
    }
    assert rels(response)["next"].startswith(
        "https://sandbox.local/v4_6_release/apis/3.0/company/contacts?pageSize=4&conditions=lastName%20%21%3D%20%22x%22"
    )


def test_following_next_links_visits_every_record_once(manage: httpx.Client) -> None:
    seen: list[int] = []
    url: str | None = "/company/contacts?pageSize=5"
    while url:
        response = manage.get(url)
        seen += [c["id"] for c in response.json()]
        url = rels(response).get("next")
    assert seen == list(range(1, manage.get("/company/contacts/count").json()["count"] + 1))


def test_last_page_has_first_and_prev_only_and_past_the_end_is_empty(manage: httpx.Client) -> None:
    last = manage.get("/company/companies", params={"pageSize": 3, "page": 3})
    assert set(rels(last)) == {"first", "prev"}
    past = manage.get("/company/companies", params={"pageSize": 3, "page": 9})
    assert past.status_code == 200
    assert past.json() == []


def test_a_single_page_has_no_link_header(manage: httpx.Client) -> None:
    response = manage.get("/company/companies", params={"pageSize": 100})
    assert len(response.json()) == 8
    assert "link" not in response.headers


def test_page_size_is_capped_at_1000_and_bad_values_are_400(sandbox: Sandbox, connect: Connect) -> None:
    sandbox.reset(seed=300)
    with connect(sandbox) as manage:
        assert len(manage.get("/company/contacts", params={"pageSize": 5000}).json()) == 1000
        assert manage.get("/company/contacts", params={"pageSize": 0}).status_code == 400
        assert manage.get("/company/contacts", params={"page": "two"}).status_code == 400


def test_forward_only_pages_by_id_with_a_next_link_until_the_end(manage: httpx.Client) -> None:
    headers = {"pagination-type": "forward-only"}
    seen: list[int] = []
    url: str | None = "/company/contacts?pageSize=6&conditions=inactiveFlag%3Dfalse"
    pages = 0
    while url:
        response = manage.get(url, headers=headers)
        assert response.status_code == 200
        seen += [c["id"] for c in response.json()]
        url = rels(response).get("next")
        if url:
            assert "pageId=" in url
            assert "conditions=inactiveFlag" in url
        pages += 1
    assert seen == sorted(seen)
    assert len(seen) == manage.get("/company/contacts/count").json()["count"]
    assert pages == -(-len(seen) // 6)


def test_forward_only_page_id_means_id_greater_than(manage: httpx.Client) -> None:
    response = manage.get(
        "/company/companies", params={"pageId": 5, "pageSize": 10}, headers={"Pagination-Type": "Forward-Only"}
    )
    assert [c["id"] for c in response.json()] == [6, 7, 8]
    assert response.headers["link"] == ""  # the last page: an empty Link header (test_manage_fidelity.py)


def test_forward_only_refuses_order_by(manage: httpx.Client) -> None:
    response = manage.get("/company/companies", params={"orderBy": "name"}, headers={"pagination-type": "forward-only"})
    assert response.status_code == 400
    assert "orderBy" in response.json()["message"]
