"""Link headers, and numbered-page iterators (sync and async twins) on top of ``HTTPCore`` / ``AsyncHTTPCore``.

- ``parse_link_header`` / ``next_link``: read the RFC 8288 ``Link`` header. The next page is the URL with
  ``rel="next"``; a Link without any ``rel`` (servers doing forward-only/cursor paging) counts as next. Manage's
  walk over its pages (``cwdesk.manage.paging``, behind ``ManageClient.iter_pages``) decides with them.
- ``iter_numbered_pages`` / ``aiter_numbered_pages``: increment a page-number parameter until an empty page
  (Automate has no Link header) or, optionally, a short page. They copy the caller's ``params`` (never mutate
  them) and go through the core, so throttle, retries and error mapping apply to every page.

Not for: Manage's paging rules (``cwdesk.manage.paging``), building query parameters, decoding records into
models, or counting (the API clients do that).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any

from cwdesk._http.core import AsyncHTTPCore, HTTPCore, QueryParams
from cwdesk._http.errors import UnexpectedResponseError

__all__ = [
    "aiter_numbered_pages",
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
