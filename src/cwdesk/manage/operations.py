"""Any Manage operation by its official operationId (M9): ``client.operations.query("getCompanyCompanies", ...)``.

Driven by the bundled index of every operation of the Manage spec (``cwdesk/spec/manage-operations.json``, built
from the full reconstruction: 3,000+ operations). Path parameters are filled from ``params`` (``id``,
``parentId``, ...), the rest become the query after a check against the operation's documented parameters;
``conditions`` may be a ``Condition`` (rendered and escaped by ``cwdesk.conditions``) or a raw string.

- ``query``: GET only. A list operation reads every page through ``client.iter_pages`` (the same paging rules
  as the resources, ``manage/paging.py``: ``Link`` next followed, a full page without ``Link`` continued;
  ``pageSize`` 1000 unless given) and always returns one list, whatever the number of pages; other GETs return
  the decoded body (a dict, or ``{"count": n}`` for ``/count``). Only the client's public methods are used.
- ``mutate``: POST, PUT or PATCH with a body (a PATCH body is the JSON Patch array, as Manage requires).
- ``delete``: DELETE.

The operation's method is checked before anything is sent, so ``query`` can never write. An unknown operationId
fails with the closest names. Sync and async twins; ``ManageOperations(client)`` works on any ``ManageClient``.
Not for: typed records (use the resources) or Automate (``automate/operations.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from cwdesk._http.operations_index import Operation, OperationIndex, fill_path
from cwdesk.conditions import Condition, render
from cwdesk.errors import ConfigurationError

if TYPE_CHECKING:
    from cwdesk.manage.client import AsyncManageClient, ManageClient

__all__ = ["AsyncManageOperations", "ManageOperations", "prepare_manage_call"]

_WRITE_METHODS = ("POST", "PUT", "PATCH")


def prepare_manage_call(
    operation_id: str,
    *,
    allowed_methods: tuple[str, ...],
    params: Mapping[str, Any] | None,
    conditions: Condition | str | None = None,
) -> tuple[Operation, str, dict[str, Any]]:
    """The operation, its filled path and its query: every check made before sending."""
    operation = OperationIndex.load("manage").find_for(operation_id, allowed_methods=allowed_methods)
    path, query = fill_path(operation, params or {})
    canonical = {name.lower(): name for name in operation.query_params}
    fixed: dict[str, Any] = {}
    unknown = []
    for key, value in query.items():
        name = canonical.get(key.lower())
        if name is None:
            unknown.append(key)
        else:
            fixed[name] = value
    if unknown:
        raise ConfigurationError(
            f"{operation.operation_id} does not take {', '.join(unknown)}: path parameters "
            f"{', '.join(operation.path_params) or 'none'}; query parameters "
            f"{', '.join(operation.query_params) or 'none'}"
        )
    if conditions is not None:
        fixed["conditions"] = render(conditions, dialect="manage")
    return operation, path, fixed


def _page_size(query: dict[str, Any], page_size: int) -> int:
    """A ``pageSize`` given in ``params`` wins over ``page_size=`` (it is what the caller wrote for this call)."""
    given = query.pop("pageSize", None)
    if given is None:
        return page_size
    try:
        return int(given)
    except (TypeError, ValueError):
        raise ConfigurationError(f"pageSize {given!r} is not a number: Manage accepts 1 to 1000") from None


class ManageOperations:
    """Generic calls on a ``ManageClient`` (``client.operations`` or ``ManageOperations(client)``)."""

    def __init__(self, client: ManageClient) -> None:
        self._client = client

    def query(
        self,
        operation_id: str,
        *,
        params: Mapping[str, Any] | None = None,
        conditions: Condition | str | None = None,
        page_size: int = 1000,
    ) -> Any:
        """A GET operation: every page of a list as one list, or the single answer."""
        operation, path, query = prepare_manage_call(
            operation_id, allowed_methods=("GET",), params=params, conditions=conditions
        )
        if not operation.is_list:
            return self._client.request_json("GET", path, params=query)
        rows: list[Any] = []
        for page in self._client.iter_pages(path, params=query, page_size=_page_size(query, page_size)):
            rows.extend(page)
        return rows

    def mutate(self, operation_id: str, body: Any, *, params: Mapping[str, Any] | None = None) -> Any:
        """A POST, PUT or PATCH operation with ``body``; the decoded answer."""
        operation, path, query = prepare_manage_call(operation_id, allowed_methods=_WRITE_METHODS, params=params)
        return self._client.request_json(operation.method, path, params=query, json=body)

    def delete(self, operation_id: str, *, params: Mapping[str, Any] | None = None) -> Any:
        """A DELETE operation (None for 204)."""
        _, path, query = prepare_manage_call(operation_id, allowed_methods=("DELETE",), params=params)
        return self._client.request_json("DELETE", path, params=query)


class AsyncManageOperations:
    """Async twin of ``ManageOperations``."""

    def __init__(self, client: AsyncManageClient) -> None:
        self._client = client

    async def query(
        self,
        operation_id: str,
        *,
        params: Mapping[str, Any] | None = None,
        conditions: Condition | str | None = None,
        page_size: int = 1000,
    ) -> Any:
        """A GET operation: every page of a list as one list, or the single answer."""
        operation, path, query = prepare_manage_call(
            operation_id, allowed_methods=("GET",), params=params, conditions=conditions
        )
        if not operation.is_list:
            return await self._client.request_json("GET", path, params=query)
        rows: list[Any] = []
        async for page in self._client.iter_pages(path, params=query, page_size=_page_size(query, page_size)):
            rows.extend(page)
        return rows

    async def mutate(self, operation_id: str, body: Any, *, params: Mapping[str, Any] | None = None) -> Any:
        """A POST, PUT or PATCH operation with ``body``; the decoded answer."""
        operation, path, query = prepare_manage_call(operation_id, allowed_methods=_WRITE_METHODS, params=params)
        return await self._client.request_json(operation.method, path, params=query, json=body)

    async def delete(self, operation_id: str, *, params: Mapping[str, Any] | None = None) -> Any:
        """A DELETE operation (None for 204)."""
        _, path, query = prepare_manage_call(operation_id, allowed_methods=("DELETE",), params=params)
        return await self._client.request_json("DELETE", path, params=query)
