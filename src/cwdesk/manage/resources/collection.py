"""What every Manage resource does, in one place: query building, paging, and list/get/count/create/update/
replace/delete, as ``Collection`` (sync) and ``AsyncCollection`` (async) side by side.

A resource module only declares ``path``, ``model``, ``methods`` (what the spec allows on it) and, where the spec
has one, ``search_path`` (the ``POST .../search`` form). Rules kept here:

- **Query**: built by ``manage/query.py`` (``build_query``: ``where``, ``child_conditions``,
  ``custom_field_conditions``, ``order_by``, ``fields``, ``page_size``, ``after_id``; names checked against the
  model before any request).
- **Paging**: with ``order_by`` navigable paging (``Link: rel="next"``); without it forward-only paging
  (header ``pagination-type: forward-only``, ``pageId``), which is faster and stable under concurrent inserts.
  If a full page comes back without a ``Link`` (an endpoint that does not support forward-only), paging
  continues by id (forward-only) or by page number (navigable) so nothing is silently dropped.
  ``after_id`` resumes after the last id seen. ``concurrency > 1`` asks ``/count`` and fetches numbered pages in
  parallel, yielding them in order. The caller's arguments are never mutated.
- **Long queries**: a URL over 2,000 characters switches to ``POST {search_path}`` (body ``FilterValues``) where
  the spec has one; elsewhere a ``QueryTooLongError`` says to shorten the condition (e.g. fewer ``in`` values).
- **Writes**: ``create``/``replace`` accept a model or a dict in either spelling; ``update`` sends JSON Patch
  (``manage/patch.py``) with references reduced to ``{"id"}``/``{"name"}`` and ``customFields`` merged and sent
  whole; ``update_from_diff`` patches the difference of two records. A method the spec does not have on this
  path fails with a ``ConfigurationError`` naming the alternative.

Not for: auth, retries or throttling (``_http`` via the client), or business rules (``cwdesk.workflows``).
"""

from __future__ import annotations

import builtins
import dataclasses
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from itertools import islice
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeAlias, TypeVar

from cwdesk.conditions import Condition
from cwdesk.errors import ConfigurationError, QueryTooLongError, UnexpectedResponseError
from cwdesk.manage.models.base import CWModel, decode_page, reference_fields, to_api_payload
from cwdesk.manage.paging import DEFAULT_PAGE_SIZE, FORWARD_ONLY_HEADERS
from cwdesk.manage.patch import PatchOperation, patch_from_changes, patch_from_diff
from cwdesk.manage.query import MAX_URL_LENGTH, ListQuery, build_query, search_body

if TYPE_CHECKING:
    # (asyncio is imported by the async methods that use it: a sync count never loads it; docs/cli.md "Start-up".)
    import asyncio

    from cwdesk.manage.client import AsyncManageClient, ManageClient

__all__ = [
    "ALL_METHODS",
    "DEFAULT_PAGE_SIZE",
    "MAX_URL_LENGTH",
    "AsyncCollection",
    "Collection",
    "ListQuery",
    "build_query",
]

M = TypeVar("M", bound=CWModel)
RawPage: TypeAlias = list[Any]  # one page of JSON records (an alias: inside the classes `list` is a method)
RawWindow: TypeAlias = list["Future[RawPage]"]
AsyncRawWindow: TypeAlias = list["asyncio.Task[RawPage]"]

ALL_METHODS = frozenset({"list", "count", "get", "create", "update", "replace", "delete"})


class _CollectionRules(Generic[M]):
    """Declarations and the request-free rules shared by the sync and async collections."""

    path: ClassVar[str]
    model: type[M]
    methods: ClassVar[frozenset[str]] = ALL_METHODS
    search_path: ClassVar[str | None] = None
    # What to say when a method is missing on this path (e.g. members cannot be deleted).
    instead: ClassVar[dict[str, str]] = {}
    # Fields GET returns that a real server refuses in a PUT; ``replace`` leaves them out (docs/connectwise.md).
    create_only: ClassVar[tuple[str, ...]] = ()

    def __init__(self, *, parent_id: int | None = None) -> None:
        if "{parent_id}" in self.path and parent_id is None:
            raise ConfigurationError(f"{type(self).__name__} needs the parent record's id")
        self._path = self.path.format(parent_id=parent_id) if parent_id is not None else self.path
        self._search_path = (
            self.search_path.format(parent_id=parent_id)
            if self.search_path and parent_id is not None
            else self.search_path
        )

    @property
    def resource(self) -> str:
        return self._path

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._path!r})"

    def _require(self, method: str) -> None:
        if method not in self.methods:
            hint = self.instead.get(method, "")
            raise ConfigurationError(f"ConnectWise has no {method} on {self._path}{': ' + hint if hint else ''}")

    @staticmethod
    def _id(record_id: int) -> int:
        if isinstance(record_id, bool) or not isinstance(record_id, int) or record_id < 0:
            raise ConfigurationError(f"A record id must be a non-negative int, got {record_id!r}")
        return record_id

    @staticmethod
    def _numbered(query: ListQuery) -> tuple[dict[str, Any], ListQuery]:
        """For numbered pages fetched concurrently: the filters ``/count`` takes, and the query in a stable order."""
        count_params = {
            k: v for k, v in query.params.items() if k in ("conditions", "childConditions", "customFieldConditions")
        }
        if not query.forward_only:
            return count_params, query
        # Forward-only paging orders by id itself; numbered pages need that order asked for.
        return count_params, dataclasses.replace(query, params={**query.params, "orderBy": "id asc"})

    def _query(self, **options: Any) -> ListQuery:
        return build_query(self.model, self._path, **options)

    def _payload(self, data: Mapping[str, Any] | CWModel) -> dict[str, Any]:
        payload = to_api_payload(self.model, data)
        if not payload:
            raise ConfigurationError(f"Nothing to send to {self._path}: the record is empty")
        return payload

    def _replacement(self, data: Mapping[str, Any] | CWModel) -> dict[str, Any]:
        """A PUT body: the record without the fields a real server only takes on create (``create_only``)."""
        payload = self._payload(data)
        for name in self.create_only:
            payload.pop(name, None)
        return payload

    def _changes(self, changes: Mapping[str, Any] | CWModel) -> dict[str, Any]:
        return to_api_payload(self.model, changes)

    def _patch(self, changes: Mapping[str, Any], current_custom_fields: Any = None) -> list[PatchOperation]:
        return patch_from_changes(
            changes, reference_fields=reference_fields(self.model), current_custom_fields=current_custom_fields
        )

    def _diff(self, before: Mapping[str, Any] | CWModel, after: Mapping[str, Any] | CWModel) -> list[PatchOperation]:
        return patch_from_diff(
            to_api_payload(self.model, before),
            to_api_payload(self.model, after),
            reference_fields=reference_fields(self.model),
        )

    def _one(self, body: Any) -> M:
        if not isinstance(body, Mapping):
            raise UnexpectedResponseError(f"{self._path}: expected one record, got {type(body).__name__}")
        return decode_page(self.model, [body])[0]


class Collection(_CollectionRules[M]):
    """A Manage collection through a ``ManageClient`` (sync)."""

    def __init__(self, client: ManageClient, *, parent_id: int | None = None) -> None:
        super().__init__(parent_id=parent_id)
        self._client = client

    # -- reading -------------------------------------------------------------------------------------------
    def iter_pages(
        self,
        *,
        where: Condition | str | None = None,
        child_conditions: Condition | str | None = None,
        custom_field_conditions: Condition | str | None = None,
        order_by: str | Sequence[str] | None = None,
        fields: Sequence[str] | str | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        after_id: int | None = None,
        concurrency: int = 1,
    ) -> Iterator[list[M]]:
        """Each page of matching records as models (see the module docstring for paging)."""
        for raw in self.iter_raw_pages(
            where=where,
            child_conditions=child_conditions,
            custom_field_conditions=custom_field_conditions,
            order_by=order_by,
            fields=fields,
            page_size=page_size,
            after_id=after_id,
            concurrency=concurrency,
        ):
            yield decode_page(self.model, raw)

    def iter_raw_pages(
        self,
        *,
        where: Condition | str | None = None,
        child_conditions: Condition | str | None = None,
        custom_field_conditions: Condition | str | None = None,
        order_by: str | Sequence[str] | None = None,
        fields: Sequence[str] | str | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        after_id: int | None = None,
        concurrency: int = 1,
    ) -> Iterator[RawPage]:
        """Each page as ConnectWise sent it (decoded JSON: dicts, no models), paged as ``iter_pages`` pages.

        For writers that copy fields as they are (``cwdesk companies list --output csv``): no model is built, so
        a record costs its JSON decoding only. The values are ConnectWise's own (dates as the text it sent).
        """
        self._require("list")
        query = self._query(
            where=where,
            child_conditions=child_conditions,
            custom_field_conditions=custom_field_conditions,
            order_by=order_by,
            fields=fields,
            page_size=page_size,
            after_id=after_id,
        )
        yield from self._raw_pages(query, concurrency)

    def list(
        self,
        *,
        where: Condition | str | None = None,
        child_conditions: Condition | str | None = None,
        custom_field_conditions: Condition | str | None = None,
        order_by: str | Sequence[str] | None = None,
        fields: Sequence[str] | str | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        after_id: int | None = None,
        concurrency: int = 1,
        limit: int | None = None,
    ) -> Iterator[M]:
        """Every matching record, lazily, page after page; ``limit`` stops after that many."""
        if limit is not None and limit <= 0:
            return
        seen = 0
        for page in self.iter_pages(
            where=where,
            child_conditions=child_conditions,
            custom_field_conditions=custom_field_conditions,
            order_by=order_by,
            fields=fields,
            page_size=page_size if limit is None else min(page_size, max(limit, 1)),
            after_id=after_id,
            concurrency=concurrency,
        ):
            for record in page:
                yield record
                seen += 1
                if limit is not None and seen >= limit:
                    return

    def all(self, **options: Any) -> builtins.list[M]:
        """``list(...)`` gathered into a Python list (the twin of ``AsyncCollection.all``)."""
        return builtins.list(self.list(**options))

    def first(
        self,
        *,
        where: Condition | str | None = None,
        order_by: str | Sequence[str] | None = None,
        fields: Sequence[str] | str | None = None,
    ) -> M | None:
        """The first matching record as its model (``cw.companies.first(where=C("identifier") == "Acme")``), or None.

        Without ``order_by`` "first" is the lowest id (forward-only paging runs in id order).
        """
        return next(self.list(where=where, order_by=order_by, fields=fields, limit=1), None)

    def _raw_pages(self, query: ListQuery, concurrency: int) -> Iterator[RawPage]:
        client = self._client
        url = str(client.url_for(self._path, query.params))
        if len(url) > MAX_URL_LENGTH:
            yield from self._search_pages(query)
            return
        if concurrency > 1:
            yield from self._concurrent_pages(query, concurrency)
            return
        headers = FORWARD_ONLY_HEADERS if query.forward_only else None
        yield from client.iter_pages(self._path, params=query.params, headers=headers, page_size=query.page_size)

    def _numbered_page(self, query: ListQuery, number: int) -> RawPage:
        params = dict(query.params)
        params.pop("pageId", None)
        params["page"] = number
        body = self._client.request_json("GET", self._path, params=params)
        return body if isinstance(body, list) else []

    def _concurrent_pages(self, query: ListQuery, concurrency: int) -> Iterator[RawPage]:
        count_params, ordered = self._numbered(query)
        numbers = iter(range(1, -(-self._count(count_params) // query.page_size) + 1))
        with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="cwdesk-page") as pool:
            window: RawWindow = [pool.submit(self._numbered_page, ordered, n) for n in islice(numbers, concurrency)]
            while window:
                page = window.pop(0).result()
                # Ask for the next page before handing this one over: it is in flight while the caller decodes.
                following = next(numbers, None)
                if following is not None:
                    window.append(pool.submit(self._numbered_page, ordered, following))
                if page:
                    yield page

    def _search_pages(self, query: ListQuery) -> Iterator[RawPage]:
        if not self._search_path:
            raise QueryTooLongError(
                f"The query for {self._path} is longer than {MAX_URL_LENGTH} characters and ConnectWise has no "
                "search form for it: shorten the condition (e.g. split a long 'in (...)' list into several calls)"
            )
        number = 1
        base = {k: v for k, v in query.params.items() if k in ("fields", "pageSize")}
        while True:
            body = self._client.request_json(
                "POST", self._search_path, params={**base, "page": number}, json=search_body(query.filters)
            )
            page = body if isinstance(body, list) else []
            if not page:
                return
            yield page
            if len(page) < query.page_size:
                return
            number += 1

    def _count(self, params: Mapping[str, Any]) -> int:
        body = self._client.request_json("GET", f"{self._path}/count", params=params)
        if not isinstance(body, Mapping) or not isinstance(body.get("count"), int):
            raise UnexpectedResponseError(f"{self._path}/count: expected {{'count': <int>}}")
        return int(body["count"])

    def count(
        self,
        *,
        where: Condition | str | None = None,
        child_conditions: Condition | str | None = None,
        custom_field_conditions: Condition | str | None = None,
    ) -> int:
        """How many records match (``GET .../count``)."""
        self._require("count")
        query = self._query(
            where=where, child_conditions=child_conditions, custom_field_conditions=custom_field_conditions
        )
        return self._count(query.filters)

    def get(self, record_id: int, *, fields: Sequence[str] | str | None = None) -> M:
        """One record by id (``NotFoundError`` when there is none)."""
        self._require("get")
        params = {"fields": self._query(fields=fields).params.get("fields")} if fields else None
        return self._one(self._client.request_json("GET", f"{self._path}/{self._id(record_id)}", params=params))

    # -- writing -------------------------------------------------------------------------------------------
    def create(self, data: Mapping[str, Any] | CWModel) -> M:
        """Create a record (POST, never retried blindly) and return it as the server stored it."""
        self._require("create")
        return self._one(self._client.request_json("POST", self._path, json=self._payload(data)))

    def update(self, record_id: int, changes: Mapping[str, Any] | CWModel) -> M:
        """Change some fields with one JSON Patch call; returns the updated record."""
        self._require("update")
        record_id = self._id(record_id)
        api_changes = self._changes(changes)
        current_custom: Any = None
        if "customFields" in api_changes:
            current = self._client.request_json("GET", f"{self._path}/{record_id}", params={"fields": "customFields"})
            current_custom = (current or {}).get("customFields") if isinstance(current, Mapping) else None
        return self.patch(record_id, self._patch(api_changes, current_custom))

    def update_from_diff(
        self, record_id: int, before: Mapping[str, Any] | CWModel, after: Mapping[str, Any] | CWModel
    ) -> M:
        """Patch the difference between two versions of a record; no call (returns ``get``) when nothing changed."""
        self._require("update")
        operations = self._diff(before, after)
        if not operations:
            return self.get(record_id)
        return self.patch(record_id, operations)

    def patch(self, record_id: int, operations: Sequence[PatchOperation]) -> M:
        """Send JSON Patch operations as they are."""
        self._require("update")
        body = self._client.request_json("PATCH", f"{self._path}/{self._id(record_id)}", json=list(operations))
        return self._one(body)

    def replace(self, record_id: int, data: Mapping[str, Any] | CWModel) -> M:
        """Replace the whole record (PUT), leaving out what only a create takes (``create_only``)."""
        self._require("replace")
        return self._one(
            self._client.request_json("PUT", f"{self._path}/{self._id(record_id)}", json=self._replacement(data))
        )

    def delete(self, record_id: int) -> None:
        """Delete a record (``ConflictError`` when ConnectWise refuses because it is in use)."""
        self._require("delete")
        self._client.request_json("DELETE", f"{self._path}/{self._id(record_id)}")


class AsyncCollection(_CollectionRules[M]):
    """A Manage collection through an ``AsyncManageClient``; the twin of ``Collection``."""

    def __init__(self, client: AsyncManageClient, *, parent_id: int | None = None) -> None:
        super().__init__(parent_id=parent_id)
        self._client = client

    async def iter_pages(
        self,
        *,
        where: Condition | str | None = None,
        child_conditions: Condition | str | None = None,
        custom_field_conditions: Condition | str | None = None,
        order_by: str | Sequence[str] | None = None,
        fields: Sequence[str] | str | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        after_id: int | None = None,
        concurrency: int = 1,
    ) -> AsyncIterator[list[M]]:
        """Each page of matching records as models."""
        async for raw in self.iter_raw_pages(
            where=where,
            child_conditions=child_conditions,
            custom_field_conditions=custom_field_conditions,
            order_by=order_by,
            fields=fields,
            page_size=page_size,
            after_id=after_id,
            concurrency=concurrency,
        ):
            yield decode_page(self.model, raw)

    async def iter_raw_pages(
        self,
        *,
        where: Condition | str | None = None,
        child_conditions: Condition | str | None = None,
        custom_field_conditions: Condition | str | None = None,
        order_by: str | Sequence[str] | None = None,
        fields: Sequence[str] | str | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        after_id: int | None = None,
        concurrency: int = 1,
    ) -> AsyncIterator[RawPage]:
        """Each page as ConnectWise sent it (decoded JSON, no models); the twin of ``Collection.iter_raw_pages``."""
        self._require("list")
        query = self._query(
            where=where,
            child_conditions=child_conditions,
            custom_field_conditions=custom_field_conditions,
            order_by=order_by,
            fields=fields,
            page_size=page_size,
            after_id=after_id,
        )
        async for raw in self._raw_pages(query, concurrency):
            yield raw

    async def list(
        self,
        *,
        where: Condition | str | None = None,
        child_conditions: Condition | str | None = None,
        custom_field_conditions: Condition | str | None = None,
        order_by: str | Sequence[str] | None = None,
        fields: Sequence[str] | str | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        after_id: int | None = None,
        concurrency: int = 1,
        limit: int | None = None,
    ) -> AsyncIterator[M]:
        """Every matching record, lazily (``async for``); ``limit`` stops after that many."""
        if limit is not None and limit <= 0:
            return
        seen = 0
        async for page in self.iter_pages(
            where=where,
            child_conditions=child_conditions,
            custom_field_conditions=custom_field_conditions,
            order_by=order_by,
            fields=fields,
            page_size=page_size if limit is None else min(page_size, max(limit, 1)),
            after_id=after_id,
            concurrency=concurrency,
        ):
            for record in page:
                yield record
                seen += 1
                if limit is not None and seen >= limit:
                    return

    async def all(self, **options: Any) -> builtins.list[M]:
        """``list(...)`` gathered into a Python list."""
        return [record async for record in self.list(**options)]

    async def first(
        self,
        *,
        where: Condition | str | None = None,
        order_by: str | Sequence[str] | None = None,
        fields: Sequence[str] | str | None = None,
    ) -> M | None:
        """The first matching record as its model, or None (the twin of ``Collection.first``)."""
        async for record in self.list(where=where, order_by=order_by, fields=fields, limit=1):
            return record
        return None

    async def _raw_pages(self, query: ListQuery, concurrency: int) -> AsyncIterator[RawPage]:
        client = self._client
        url = str(client.url_for(self._path, query.params))
        if len(url) > MAX_URL_LENGTH:
            async for page in self._search_pages(query):
                yield page
            return
        if concurrency > 1:
            async for page in self._concurrent_pages(query, concurrency):
                yield page
            return
        headers = FORWARD_ONLY_HEADERS if query.forward_only else None
        async for page in client.iter_pages(
            self._path, params=query.params, headers=headers, page_size=query.page_size
        ):
            yield page

    async def _numbered_page(self, query: ListQuery, number: int) -> RawPage:
        params = dict(query.params)
        params.pop("pageId", None)
        params["page"] = number
        body = await self._client.request_json("GET", self._path, params=params)
        return body if isinstance(body, list) else []

    async def _concurrent_pages(self, query: ListQuery, concurrency: int) -> AsyncIterator[RawPage]:
        import asyncio

        count_params, ordered = self._numbered(query)
        numbers = iter(range(1, -(-(await self._count(count_params)) // query.page_size) + 1))
        window: AsyncRawWindow = [
            asyncio.ensure_future(self._numbered_page(ordered, n)) for n in islice(numbers, concurrency)
        ]
        try:
            while window:
                page = await window.pop(0)
                # Ask for the next page before handing this one over: it is in flight while the caller decodes.
                following = next(numbers, None)
                if following is not None:
                    window.append(asyncio.ensure_future(self._numbered_page(ordered, following)))
                if page:
                    yield page
        finally:
            for task in window:
                task.cancel()

    async def _search_pages(self, query: ListQuery) -> AsyncIterator[RawPage]:
        if not self._search_path:
            raise QueryTooLongError(
                f"The query for {self._path} is longer than {MAX_URL_LENGTH} characters and ConnectWise has no "
                "search form for it: shorten the condition (e.g. split a long 'in (...)' list into several calls)"
            )
        number = 1
        base = {k: v for k, v in query.params.items() if k in ("fields", "pageSize")}
        while True:
            body = await self._client.request_json(
                "POST", self._search_path, params={**base, "page": number}, json=search_body(query.filters)
            )
            page = body if isinstance(body, list) else []
            if not page:
                return
            yield page
            if len(page) < query.page_size:
                return
            number += 1

    async def _count(self, params: Mapping[str, Any]) -> int:
        body = await self._client.request_json("GET", f"{self._path}/count", params=params)
        if not isinstance(body, Mapping) or not isinstance(body.get("count"), int):
            raise UnexpectedResponseError(f"{self._path}/count: expected {{'count': <int>}}")
        return int(body["count"])

    async def count(
        self,
        *,
        where: Condition | str | None = None,
        child_conditions: Condition | str | None = None,
        custom_field_conditions: Condition | str | None = None,
    ) -> int:
        """How many records match (``GET .../count``)."""
        self._require("count")
        query = self._query(
            where=where, child_conditions=child_conditions, custom_field_conditions=custom_field_conditions
        )
        return await self._count(query.filters)

    async def get(self, record_id: int, *, fields: Sequence[str] | str | None = None) -> M:
        """One record by id (``NotFoundError`` when there is none)."""
        self._require("get")
        params = {"fields": self._query(fields=fields).params.get("fields")} if fields else None
        return self._one(await self._client.request_json("GET", f"{self._path}/{self._id(record_id)}", params=params))

    async def create(self, data: Mapping[str, Any] | CWModel) -> M:
        """Create a record (POST, never retried blindly) and return it as the server stored it."""
        self._require("create")
        return self._one(await self._client.request_json("POST", self._path, json=self._payload(data)))

    async def update(self, record_id: int, changes: Mapping[str, Any] | CWModel) -> M:
        """Change some fields with one JSON Patch call; returns the updated record."""
        self._require("update")
        record_id = self._id(record_id)
        api_changes = self._changes(changes)
        current_custom: Any = None
        if "customFields" in api_changes:
            current = await self._client.request_json(
                "GET", f"{self._path}/{record_id}", params={"fields": "customFields"}
            )
            current_custom = (current or {}).get("customFields") if isinstance(current, Mapping) else None
        return await self.patch(record_id, self._patch(api_changes, current_custom))

    async def update_from_diff(
        self, record_id: int, before: Mapping[str, Any] | CWModel, after: Mapping[str, Any] | CWModel
    ) -> M:
        """Patch the difference between two versions of a record; no call (returns ``get``) when nothing changed."""
        self._require("update")
        operations = self._diff(before, after)
        if not operations:
            return await self.get(record_id)
        return await self.patch(record_id, operations)

    async def patch(self, record_id: int, operations: Sequence[PatchOperation]) -> M:
        """Send JSON Patch operations as they are."""
        self._require("update")
        body = await self._client.request_json("PATCH", f"{self._path}/{self._id(record_id)}", json=list(operations))
        return self._one(body)

    async def replace(self, record_id: int, data: Mapping[str, Any] | CWModel) -> M:
        """Replace the whole record (PUT), leaving out what only a create takes (``create_only``)."""
        self._require("replace")
        body = await self._client.request_json(
            "PUT", f"{self._path}/{self._id(record_id)}", json=self._replacement(data)
        )
        return self._one(body)

    async def delete(self, record_id: int) -> None:
        """Delete a record (``ConflictError`` when ConnectWise refuses because it is in use)."""
        self._require("delete")
        await self._client.request_json("DELETE", f"{self._path}/{self._id(record_id)}")
