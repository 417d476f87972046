"""Any Automate operation by its official operationId (M9), e.g. ``client.operations.query("Clients_GetClientList")``.

Driven by the bundled index (``cwdesk/spec/automate-operations.json``): path parameters are filled from
``params``, the rest go to the query (flat names such as ``condition``, ``orderby``, ``pagesize`` or the spec's
``options.*`` names). ``query`` on a list operation pages with ``page`` until an empty page and always returns a
list; on a single-record operation it returns the record. ``mutate`` sends a body (POST/PUT/PATCH), ``delete`` a
DELETE. The operation's method is checked first, so a ``query`` can never write. Sync and async twins.

Not for: typed records (use the resources), or paging rules of other APIs (``manage/operations.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cwdesk._http.core import AsyncHTTPCore, HTTPCore
from cwdesk._http.operations_index import Operation, OperationIndex, fill_path
from cwdesk._http.paging import aiter_numbered_pages, iter_numbered_pages
from cwdesk.conditions import Condition, render
from cwdesk.errors import ConfigurationError

__all__ = ["AsyncAutomateOperations", "AutomateOperations", "prepare_automate_call"]

# The flat list parameters Automate clients send (docs/connectwise.md, "Automate"; gavsto Get-AutomateAPIGeneric.ps1).
_FLAT_LIST_PARAMS = ("condition", "orderby", "pagesize", "page", "includefields", "excludefields", "ids", "expand")
_WRITE_METHODS = ("POST", "PUT", "PATCH")


def prepare_automate_call(
    operation_id: str,
    *,
    allowed_methods: tuple[str, ...],
    params: Mapping[str, Any] | None,
    condition: Condition | str | None = None,
) -> tuple[Operation, str, dict[str, Any]]:
    """The operation, its filled path (``/api/v1/...``) and its query; every check made before sending."""
    operation = OperationIndex.load("automate").find_for(operation_id, allowed_methods=allowed_methods)
    path, query = fill_path(operation, params or {})
    allowed = {name.lower() for name in operation.query_params}
    allowed |= {name.rsplit(".", 1)[-1].lower() for name in operation.query_params}
    if any(name.lower().startswith("options.") for name in operation.query_params):
        allowed |= set(_FLAT_LIST_PARAMS)
    unknown = [key for key in query if key.lower() not in allowed]
    if unknown:
        names = ", ".join(sorted(operation.query_params)) or "none"
        raise ConfigurationError(
            f"{operation.operation_id} does not take {', '.join(unknown)}: its parameters are "
            f"{', '.join(operation.path_params) or 'no path parameters'}; query: {names}"
        )
    if condition is not None:
        query["condition"] = render(condition, dialect="automate")
    return operation, path, query


def _with_page_size(query: dict[str, Any], page_size: int) -> dict[str, Any]:
    if not any(key.lower() in ("pagesize", "options.pagesize") for key in query):
        query["pagesize"] = page_size
    return query


class AutomateOperations:
    """Generic calls on an ``AutomateClient`` (``client.operations``)."""

    def __init__(self, core: HTTPCore, *, root: str) -> None:
        self._core = core
        self._root = root.rstrip("/")  # https://server/cwa: the spec's paths start at /api/v1

    def query(
        self,
        operation_id: str,
        *,
        params: Mapping[str, Any] | None = None,
        conditions: Condition | str | None = None,
        page_size: int = 1000,
    ) -> Any:
        """A GET operation: a list operation answers every page as one list, a single record as a dict."""
        operation, path, query = prepare_automate_call(
            operation_id, allowed_methods=("GET",), params=params, condition=conditions
        )
        url = self._root + path
        if not operation.is_list:
            return self._core.request_json("GET", url, params=query)
        rows: list[Any] = []
        for page in iter_numbered_pages(self._core, url, params=_with_page_size(query, page_size)):
            rows.extend(page)
        return rows

    def mutate(self, operation_id: str, body: Any, *, params: Mapping[str, Any] | None = None) -> Any:
        """A POST, PUT or PATCH operation with ``body``; answers what the server answered (None for 204)."""
        _, path, query = prepare_automate_call(operation_id, allowed_methods=_WRITE_METHODS, params=params)
        operation = OperationIndex.load("automate").find(operation_id)
        return self._core.request_json(operation.method, self._root + path, params=query, json=body)

    def delete(self, operation_id: str, *, params: Mapping[str, Any] | None = None) -> Any:
        """A DELETE operation."""
        _, path, query = prepare_automate_call(operation_id, allowed_methods=("DELETE",), params=params)
        return self._core.request_json("DELETE", self._root + path, params=query)


class AsyncAutomateOperations:
    """Async twin of ``AutomateOperations``."""

    def __init__(self, core: AsyncHTTPCore, *, root: str) -> None:
        self._core = core
        self._root = root.rstrip("/")

    async def query(
        self,
        operation_id: str,
        *,
        params: Mapping[str, Any] | None = None,
        conditions: Condition | str | None = None,
        page_size: int = 1000,
    ) -> Any:
        """A GET operation: a list operation answers every page as one list, a single record as a dict."""
        operation, path, query = prepare_automate_call(
            operation_id, allowed_methods=("GET",), params=params, condition=conditions
        )
        url = self._root + path
        if not operation.is_list:
            return await self._core.request_json("GET", url, params=query)
        rows: list[Any] = []
        async for page in aiter_numbered_pages(self._core, url, params=_with_page_size(query, page_size)):
            rows.extend(page)
        return rows

    async def mutate(self, operation_id: str, body: Any, *, params: Mapping[str, Any] | None = None) -> Any:
        """A POST, PUT or PATCH operation with ``body``; answers what the server answered (None for 204)."""
        _, path, query = prepare_automate_call(operation_id, allowed_methods=_WRITE_METHODS, params=params)
        operation = OperationIndex.load("automate").find(operation_id)
        return await self._core.request_json(operation.method, self._root + path, params=query, json=body)

    async def delete(self, operation_id: str, *, params: Mapping[str, Any] | None = None) -> Any:
        """A DELETE operation."""
        _, path, query = prepare_automate_call(operation_id, allowed_methods=("DELETE",), params=params)
        return await self._core.request_json("DELETE", self._root + path, params=query)
