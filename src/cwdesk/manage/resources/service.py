"""Service tickets and boards (``/service/tickets``, ``/service/boards``).

Tickets have the spec's ``POST /service/tickets/search`` form, used automatically when a query's URL would pass
2,000 characters. Sync and async classes side by side; the behaviour is in ``collection.py``.
"""

from __future__ import annotations

from cwdesk.manage.models.service import Board, Ticket
from cwdesk.manage.resources.collection import AsyncCollection, Collection

__all__ = ["AsyncBoards", "AsyncTickets", "Boards", "Tickets"]


class Tickets(Collection[Ticket]):
    """``/service/tickets``."""

    path = "/service/tickets"
    model = Ticket
    search_path = "/service/tickets/search"


class AsyncTickets(AsyncCollection[Ticket]):
    path = Tickets.path
    model = Ticket
    search_path = Tickets.search_path


class Boards(Collection[Board]):
    """``/service/boards``."""

    path = "/service/boards"
    model = Board


class AsyncBoards(AsyncCollection[Board]):
    path = Boards.path
    model = Board
