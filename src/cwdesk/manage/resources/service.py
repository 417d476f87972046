"""Service tickets, boards and priorities (``/service/tickets``, ``/service/boards``, ``/service/priorities``).

Tickets have the spec's ``POST /service/tickets/search`` form, used automatically when a query's URL would pass
2,000 characters. Sync and async classes side by side; the behaviour is in ``collection.py``.
"""

from __future__ import annotations

from cwdesk.manage.models.service import Board, Priority, Ticket
from cwdesk.manage.resources.collection import AsyncCollection, Collection

__all__ = ["AsyncBoards", "AsyncPriorities", "AsyncTickets", "Boards", "Priorities", "Tickets"]


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


class Priorities(Collection[Priority]):
    """``/service/priorities`` (the priorities a ticket can be given, e.g. "Priority 3 - Normal Response")."""

    path = "/service/priorities"
    model = Priority


class AsyncPriorities(AsyncCollection[Priority]):
    path = Priorities.path
    model = Priority
