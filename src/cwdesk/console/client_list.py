"""The client list's data (C1): every company in a compact form, paged through ConnectWise, kept for a short while.

The browser gets one compact JSON document (id, name, identifier, city, state, status per company) and filters it
as the user types, so a keystroke never waits for the network. The list is read through the SDK's pager, 1,000
per page, with no ceiling (the seed stopped at 1,000 companies). Above ``browser_limit`` companies the browser
gets only the first page and searches go to ConnectWise with escaped conditions instead (``search``).
The encoded document is cached (``ttl`` seconds; ``invalidate`` after a change) because a large MSP's list takes
a moment to page through and every open console would otherwise ask ConnectWise again.
Not for: changing companies (``cwdesk.workflows``), or a company's detail (``client_detail``).
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from typing import Any

from cwdesk.conditions import C, Condition

COLUMNS = ("id", "name", "identifier", "city", "state", "status")
LIST_FIELDS = ["id", "name", "identifier", "city", "state", "status/name"]
PAGE_SIZE = 1000
SEARCH_LIMIT = 200
# Pages fetched at once when the total is known (the SDK's throttle still paces them).
PAGE_CONCURRENCY = 4


def _row(company: Any) -> list[Any]:
    status = getattr(company, "status", None)
    return [
        getattr(company, "id", None),
        getattr(company, "name", None) or "",
        getattr(company, "identifier", None) or "",
        getattr(company, "city", None) or "",
        getattr(company, "state", None) or "",
        (getattr(status, "name", None) if status is not None else None) or "",
    ]


@dataclass(frozen=True)
class ClientListDocument:
    """One answer for the browser: ``body`` is the encoded JSON, ready to send."""

    body: bytes
    total: int
    complete: bool


def search_condition(text: str, *, active_only: bool) -> Condition:
    """Name, identifier or city containing ``text`` (escaped: user input never changes the query's meaning)."""
    words: Condition = C("name").contains(text) | C("identifier").contains(text) | C("city").contains(text)
    if active_only:
        return words & (C("status/name") == "Active")
    return words


class ClientList:
    """The compact company list of one console process, shared by every browser."""

    def __init__(self, manage: Any, *, browser_limit: int = 20_000, ttl: float = 60.0) -> None:
        self._manage = manage
        self._browser_limit = browser_limit
        self._ttl = ttl
        self._lock = threading.Lock()
        self._document: ClientListDocument | None = None
        self._loaded_at = 0.0
        self._stale = False

    def document(self) -> ClientListDocument:
        """The cached document, or a fresh one when it is older than ``ttl`` or was invalidated."""
        with self._lock:
            fresh = self._document is not None and not self._stale and time.monotonic() - self._loaded_at < self._ttl
            if not fresh:
                self._document = self._load()
                self._loaded_at = time.monotonic()
                self._stale = False
            assert self._document is not None
            return self._document

    def invalidate(self) -> None:
        """Forget the cached list (after a change to a company): the next request reads ConnectWise again."""
        with self._lock:
            self._stale = True

    def warm(self) -> threading.Thread:
        """Load the list on a background thread (at start-up, so the first page view is fast)."""
        thread = threading.Thread(target=self._warm, name="cwdesk-client-list", daemon=True)
        thread.start()
        return thread

    def _warm(self) -> None:
        try:
            self.document()
        except Exception:  # the first page view reports the problem; warming is only an optimisation
            return

    def _load(self) -> ClientListDocument:
        total = int(self._manage.companies.count())
        complete = total <= self._browser_limit
        listing = self._manage.companies.list(
            order_by="name",
            fields=LIST_FIELDS,
            page_size=PAGE_SIZE,
            limit=None if complete else PAGE_SIZE,
            concurrency=PAGE_CONCURRENCY,
        )
        rows = [_row(company) for company in listing]
        # More companies may have appeared between the count and the last page.
        total = max(total, len(rows)) if complete else total
        payload = {"columns": COLUMNS, "rows": rows, "total": total, "complete": complete}
        body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
        return ClientListDocument(body=body, total=total, complete=complete)

    def search(self, text: str, *, active_only: bool) -> dict[str, Any]:
        """Server-side search with conditions (for lists too large for the browser): up to ``SEARCH_LIMIT`` rows."""
        where = search_condition(text, active_only=active_only)
        total = int(self._manage.companies.count(where=where))
        listing = self._manage.companies.list(where=where, order_by="name", fields=LIST_FIELDS, limit=SEARCH_LIMIT)
        rows = [_row(company) for company in listing]
        return {"columns": COLUMNS, "rows": rows, "total": total, "complete": total <= len(rows)}
