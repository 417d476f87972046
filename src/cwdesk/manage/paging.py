"""How the Manage clients walk the pages of a list: the one set of rules behind ``ManageClient.iter_pages`` (and so
behind ``cw.companies.list()`` and ``cw.operations.query()``), shared by the sync and async twins.

Manage pages two ways (NOTES §4): navigable (``page``, ``Link: <...>; rel="next"``) and forward-only (request
header ``pagination-type: forward-only``, ``pageId`` = the last id seen, ``Link`` to the next page). After each page
``PageWalk.after`` decides what to ask next:

- an empty page ends the list;
- a ``Link`` with ``rel="next"`` (or a bare link, as forward-only servers send) is followed as given, unless it
  points back at a page already read (that would loop forever);
- a ``Link`` header without a next link is the server saying "last page": stop, even if the page is full;
- **no ``Link`` header at all** (an endpoint that ignores forward-only, or a proxy that drops headers): a page
  shorter than ``pageSize`` is the last; a full page is continued by ourselves, by ``pageId`` (forward-only) or
  by ``page`` number (navigable), so nothing is silently dropped. A server answering the same last id twice
  stops the walk with an ``UnexpectedResponseError`` instead of looping.

Not for: building ``conditions``/``orderBy``/``fields`` (``resources/collection.py``), concurrent numbered pages or
the ``POST .../search`` form (also the collection), or Automate's numbered pages (``_http/paging.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from cwdesk._http.paging import next_link
from cwdesk.errors import ConfigurationError, UnexpectedResponseError

__all__ = ["DEFAULT_PAGE_SIZE", "FORWARD_ONLY_HEADERS", "PageWalk", "checked_page_size", "is_forward_only"]

DEFAULT_PAGE_SIZE = 1000  # ConnectWise's hard maximum (NOTES §4); the server default of 25 is 40x the requests
FORWARD_ONLY_HEADERS = {"pagination-type": "forward-only"}


def checked_page_size(page_size: int) -> int:
    """``page_size`` when Manage accepts it (1 to 1000), else a ``ConfigurationError`` saying so."""
    if isinstance(page_size, bool) or not isinstance(page_size, int) or not 1 <= page_size <= DEFAULT_PAGE_SIZE:
        raise ConfigurationError(
            f"page_size must be between 1 and {DEFAULT_PAGE_SIZE} (ConnectWise's limit), got {page_size!r}"
        )
    return page_size


def is_forward_only(headers: Mapping[str, str] | None) -> bool:
    """Whether a request asks for forward-only paging (header names are case-insensitive in HTTP)."""
    return any(k.lower() == "pagination-type" and v.lower() == "forward-only" for k, v in (headers or {}).items())


class PageWalk:
    """The state of one walk over a list: which request comes next, given what the last page looked like."""

    def __init__(self, path: str, params: Mapping[str, Any] | None, *, page_size: int, forward_only: bool) -> None:
        self.path = path
        self.page_size = page_size
        self.forward_only = forward_only
        self._base: dict[str, Any] = {**(params or {}), "pageSize": page_size}
        self._pages = 0
        self._previous_last: int | None = None
        self._seen: set[str] = set()

    def first(self) -> tuple[str, dict[str, Any] | None]:
        """The first request: ``path`` with the caller's params (a copy) and ``pageSize``."""
        return self.path, dict(self._base)

    def records(self, body: Any) -> list[Any]:
        """The page's records; anything but a JSON array (or an empty 204) is an error, never an empty page."""
        if body is None:
            return []
        if not isinstance(body, list):
            raise UnexpectedResponseError(f"{self.path}: expected a list of records, got {type(body).__name__}")
        return body

    def after(
        self, page: list[Any], *, requested: str, link_header: str | None, absolute: Callable[[str], object]
    ) -> tuple[str, dict[str, Any] | None] | None:
        """The next request after ``page`` (read from URL ``requested``), or ``None`` when the list is done.

        ``absolute`` turns a link into the full URL it would fetch (the client's ``url_for``), to spot loops.
        """
        self._pages += 1
        self._seen.add(requested)
        if link_header is not None and link_header.strip():
            link = next_link(link_header)
            if link is None or str(absolute(link)) in self._seen:
                return None
            return link, None  # the next URL carries its own query string
        if len(page) < self.page_size:
            return None
        # A full page and no Link: keep going ourselves rather than drop records silently.
        last = page[-1].get("id") if isinstance(page[-1], Mapping) else None
        if not isinstance(last, int):
            raise UnexpectedResponseError(f"{self.path}: cannot continue paging, the last record on the page has no id")
        if self._previous_last is not None and last == self._previous_last:
            raise UnexpectedResponseError(f"{self.path}: the server returned the same page twice; paging stopped")
        self._previous_last = last
        params = dict(self._base)
        if self.forward_only:
            params["pageId"] = last
        else:
            params["page"] = self._pages + 1
        return self.path, params
