"""Page iterators over JSON-array endpoints, sync and async twins, on top of ``HTTPCore`` / ``AsyncHTTPCore``.

Two ways APIs page, two pairs of iterators (each yields one page = the decoded JSON list):

- ``iter_link_pages`` / ``aiter_link_pages``: follow the RFC 8288 ``Link`` header. The next page is the URL with
  ``rel="next"``; a Link without any ``rel`` (servers doing forward-only/cursor paging) is followed as-is. Stops
  when there is no next link, on an empty page, or if the server points back at the same URL. Use for Manage's
  navigable paging (``page``) and forward-only paging (``pageId``, with the request header the caller passes).
- ``iter_numbered_pages`` / ``aiter_numbered_pages``: increment a page-number parameter until an empty page
  (Automate has no Link header) or, optionally, a short page.

Both copy the caller's ``params`` (never mutate them) and go through the core, so throttle, retries and error
mapping apply to every page. ``parse_link_header`` is public for anyone who needs ``first``/``last``.

Not for: building query parameters, decoding records into models, or counting (the API clients do that).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any

from cwdesk._http.core import AsyncHTTPCore, HTTPCore, QueryParams, decode_json
from cwdesk._http.errors import UnexpectedResponseError

__all__ = [
    "aiter_link_pages",
    "aiter_numbered_pages",
    "iter_link_pages",
    "iter_numbered_pages",
    "next_link",
    "parse_link_header",
]

_LINK_PART = re.compile(r"<([^>]*)>((?:\s*;\s*[^;,]+)*)")
_REL = re.compile(r"""rel\s*=\s*"?([^";]+)"?""", re.IGNORECASE)


def parse_link_header(value: str | None) -> list[tuple[str, set[str]]]:
    """The (url, rels) pairs of a ``Link`` header, in order. ``rels`` is empty for a link without ``rel``."""
    if not value:
        return []
    found: list[tuple[str, set[str]]] = []
    for match in _LINK_PART.finditer(value):
        url, attributes = match.group(1).strip(), match.group(2) or ""
        rel_match = _REL.search(attributes)
        rels = set(rel_match.group(1).lower().split()) if rel_match else set()
        found.append((url, rels))
    return found


def next_link(link_header: str | None) -> str | None:
    """The URL of the next page: the ``rel="next"`` link, else the first link that has no ``rel`` at all."""
    links = parse_link_header(link_header)
    for url, rels in links:
        if "next" in rels:
            return url
    for url, rels in links:
        if not rels and url:
            return url
    return None


def _page(body: Any, url: str) -> list[Any]:
    if body is None:
        return []
    if not isinstance(body, list):
        raise UnexpectedResponseError(f"expected a JSON array of records from {url}, got {type(body).__name__}")
    return body


def iter_link_pages(
    core: HTTPCore,
    path: str,
    *,
    params: QueryParams | None = None,
    headers: Mapping[str, str] | None = None,
    method: str = "GET",
    json: Any = None,
) -> Iterator[list[Any]]:
    """Yield each page of a Link-paged list, starting at ``path`` with ``params`` (copied, never mutated)."""
    url: str | None = path
    query: dict[str, Any] | None = dict(params) if params is not None else None
    seen: set[str] = set()
    while url is not None:
        response = core.request(method, url, params=query, headers=headers, json=json)
        page = _page(decode_json(response), path)
        if not page:
            return
        yield page
        seen.add(str(response.request.url))
        url = next_link(response.headers.get("link"))
        if url is not None and str(core.url_for(url)) in seen:
            return  # a server pointing back at a page we already read would loop forever
        query = None  # the next URL carries its own query string


async def aiter_link_pages(
    core: AsyncHTTPCore,
    path: str,
    *,
    params: QueryParams | None = None,
    headers: Mapping[str, str] | None = None,
    method: str = "GET",
    json: Any = None,
) -> AsyncIterator[list[Any]]:
    """Async twin of ``iter_link_pages``."""
    url: str | None = path
    query: dict[str, Any] | None = dict(params) if params is not None else None
    seen: set[str] = set()
    while url is not None:
        response = await core.request(method, url, params=query, headers=headers, json=json)
        page = _page(decode_json(response), path)
        if not page:
            return
        yield page
        seen.add(str(response.request.url))
        url = next_link(response.headers.get("link"))
        if url is not None and str(core.url_for(url)) in seen:
            return
        query = None


def iter_numbered_pages(
    core: HTTPCore,
    path: str,
    *,
    params: QueryParams | None = None,
    headers: Mapping[str, str] | None = None,
    page_param: str = "page",
    first_page: int = 1,
    page_size: int | None = None,
) -> Iterator[list[Any]]:
    """Yield pages ``first_page, first_page + 1, ...`` until an empty page (or a page shorter than ``page_size``)."""
    number = first_page
    while True:
        query = dict(params or {})
        query[page_param] = number
        page = _page(core.request_json("GET", path, params=query, headers=headers), path)
        if not page:
            return
        yield page
        if page_size is not None and len(page) < page_size:
            return
        number += 1


async def aiter_numbered_pages(
    core: AsyncHTTPCore,
    path: str,
    *,
    params: QueryParams | None = None,
    headers: Mapping[str, str] | None = None,
    page_param: str = "page",
    first_page: int = 1,
    page_size: int | None = None,
) -> AsyncIterator[list[Any]]:
    """Async twin of ``iter_numbered_pages``."""
    number = first_page
    while True:
        query = dict(params or {})
        query[page_param] = number
        page = _page(await core.request_json("GET", path, params=query, headers=headers), path)
        if not page:
            return
        yield page
        if page_size is not None and len(page) < page_size:
            return
        number += 1
