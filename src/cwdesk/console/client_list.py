"""The client list's data (C1): every company in a compact form, paged through ConnectWise, kept for a short while.

The browser gets one compact JSON document (id, name, identifier, city, state, status per company) and filters it
as the user types, so a keystroke never waits for the network. The list is read through the SDK's pager, 1,000
per page, with no ceiling (the seed stopped at 1,000 companies). Above ``browser_limit`` companies the browser
gets only the first page and searches go to ConnectWise with escaped conditions instead (``search``); while the
kept list holds every company, ``search`` answers from it without calling ConnectWise.
The encoded document is cached (``ttl`` seconds) because a large MSP's list takes a moment to page through and
every open console would otherwise ask ConnectWise again. ``invalidate`` is the one place a change made through
the console forgets what was read before it: the list and every kept detail panel (``ClientPanels``).
Not for: changing companies (``cwdesk.workflows``), or a company's detail (``client_detail``)."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from typing import Any

from cwdesk.conditions import C, Condition, matches
from cwdesk.console.client_detail import ClientPanels

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
    rows: tuple[tuple[Any, ...], ...] = ()


#: Companies still in ConnectWise: a deleted one still answers, with ``deletedFlag: true`` (docs/connectwise.md,
#: "Companies"), and is left out of the client list as ConnectWise's own screens leave it out.
LIVE_COMPANIES: Condition = C("deletedFlag") == False  # noqa: E712  (a condition, not a comparison)


def search_condition(text: str, *, active_only: bool) -> Condition:
    """Name, identifier or city containing ``text`` (escaped: user input never changes the query's meaning)."""
    words: Condition = C("name").contains(text) | C("identifier").contains(text) | C("city").contains(text)
    if active_only:
        return words & (C("status/name") == "Active")
    return words


class ClientList:
    """The compact company list of one console process, shared by every browser."""

    def __init__(
        self,
        manage: Any,
        *,
        browser_limit: int = 20_000,
        ttl: float = 60.0,
        panels: ClientPanels | None = None,
    ) -> None:
        self._manage = manage
        self._browser_limit = browser_limit
        self._ttl = ttl
        self._lock = threading.Lock()
        # (document, monotonic time its read started, generation it was read in), replaced as a whole.
        self._kept: tuple[ClientListDocument, float, int] | None = None
        # Bumped by ``invalidate`` without waiting for a load under way; a document read before it is never served.
        self._generation = 0
        self.panels = panels if panels is not None else ClientPanels(manage)

    def kept_document(self) -> ClientListDocument | None:
        """The document when it is fresh, else None: never waits and never calls ConnectWise (safe on the loop)."""
        kept = self._kept
        if kept is None or kept[2] != self._generation or time.monotonic() - kept[1] >= self._ttl:
            return None
        return kept[0]

    def document(self) -> ClientListDocument:
        """The cached document, or a fresh one when it is older than ``ttl`` or was invalidated."""
        with self._lock:
            kept = self.kept_document()
            if kept is not None:
                return kept
            generation, started = self._generation, time.monotonic()
            document = self._load()
            self._kept = (document, started, generation)
            return document

    def invalidate(self) -> None:
        """Forget the cached list and every kept detail panel (after a change): the next reads ask ConnectWise."""
        self._generation += 1
        self.panels.invalidate()

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
        total = int(self._manage.companies.count(where=LIVE_COMPANIES))
        complete = total <= self._browser_limit
        listing = self._manage.companies.list(
            where=LIVE_COMPANIES,
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
        return ClientListDocument(body=body, total=total, complete=complete, rows=tuple(tuple(r) for r in rows))

    def search(self, text: str, *, active_only: bool) -> dict[str, Any]:
        """Name, identifier or city containing ``text``, by name: up to ``SEARCH_LIMIT`` rows.

        Answered from the kept list when it holds every company (the same match as ConnectWise's ``contains`` and
        ``=``, which ignore case); otherwise with conditions sent to ConnectWise.
        """
        document = self.document()
        if document.complete:
            return _search_kept(document.rows, text, active_only=active_only)
        return self._search_connectwise(text, active_only=active_only)

    def search_kept(self, text: str, *, active_only: bool) -> dict[str, Any] | None:
        """``search`` when the kept list is fresh and complete, else None: never waits (safe on the event loop)."""
        document = self.kept_document()
        if document is None or not document.complete:
            return None
        return _search_kept(document.rows, text, active_only=active_only)

    def _search_connectwise(self, text: str, *, active_only: bool) -> dict[str, Any]:
        where = search_condition(text, active_only=active_only) & LIVE_COMPANIES
        total = int(self._manage.companies.count(where=where))
        listing = self._manage.companies.list(where=where, order_by="name", fields=LIST_FIELDS, limit=SEARCH_LIMIT)
        rows = [_row(company) for company in listing]
        return {"columns": COLUMNS, "rows": rows, "total": total, "complete": total <= len(rows)}


def _search_kept(rows: tuple[tuple[Any, ...], ...], text: str, *, active_only: bool) -> dict[str, Any]:
    """``search_condition`` evaluated over the kept rows (columns as ``COLUMNS``), in the list's order (by name).

    The same condition ConnectWise would be sent, read by the one in-memory evaluator (``cwdesk.conditions``)."""
    where = search_condition(text, active_only=active_only)
    found = [list(row) for row in rows if matches(where, _record(row))]
    shown = found[:SEARCH_LIMIT]
    return {"columns": COLUMNS, "rows": shown, "total": len(found), "complete": len(found) <= len(shown)}


def _record(row: tuple[Any, ...]) -> dict[str, Any]:
    """A kept row in the shape of a ConnectWise company (what ``LIST_FIELDS`` asked for)."""
    return {
        "id": row[0],
        "name": row[1],
        "identifier": row[2],
        "city": row[3],
        "state": row[4],
        "status": {"name": row[5]},
    }
