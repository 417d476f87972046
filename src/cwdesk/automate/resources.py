"""The Automate resources: clients, locations, computers, groups, group computers and extra fields (A2).

Each resource is a thin layer over the shared request core: it builds the query (``condition`` rendered in the
Automate dialect by ``cwdesk.conditions``, so values are always escaped; ``orderby``; ``pagesize``;
``includefields``), pages with ``page`` until an empty page (Automate sends no ``Link`` header), and decodes
records into the lenient models. Sync and async twins sit side by side: ``ClientsResource`` /
``AsyncClientsResource`` and so on.

Reads: ``iter(...)`` yields records page by page, ``list(...)`` collects them, ``get(id)`` one record.
Writes: ``create(data)``, ``update(id, changes)`` (sent as Automate PatchOperations ``{Op, Path, Value}``),
``replace(id, data)`` (PUT), ``delete(id)``. ``data`` may use snake_case or the API's PascalCase names.

Two calls use paths the bundled spec lacks and the sandbox emulates (see ``sandbox/automate_api.py``):
``clients.set_extra_field`` (``PATCH /Clients/{id}/ExtraFields/{definitionId}``) and ``computers.move``
(``PATCH /Computers/{id}`` with ``Location/Id``). A real server may answer 404/405 to them.

Not for: retries, throttling, auth or error mapping (``cwdesk._http`` and ``automate/auth.py``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
from typing import Any, Generic, TypeVar

from cwdesk._http.core import AsyncHTTPCore, HTTPCore
from cwdesk._http.paging import aiter_numbered_pages, iter_numbered_pages
from cwdesk.automate.models import (
    Client,
    Computer,
    ExtraField,
    Group,
    GroupComputer,
    Location,
    decode_page,
    decode_record,
)
from cwdesk.conditions import Condition, render
from cwdesk.errors import ConfigurationError
from cwdesk.models import CWModel, to_api_payload

__all__ = [
    "AsyncClientsResource",
    "AsyncComputersResource",
    "AsyncGroupComputersResource",
    "AsyncGroupsResource",
    "AsyncLocationsResource",
    "ClientsResource",
    "ComputersResource",
    "GroupComputersResource",
    "GroupsResource",
    "LocationsResource",
    "list_params",
    "patch_operations",
]

M = TypeVar("M", bound=CWModel)

MAX_PAGE_SIZE = 1000


def list_params(
    *,
    where: Condition | str | None = None,
    order_by: str | None = None,
    page_size: int = MAX_PAGE_SIZE,
    fields: Iterable[str] | None = None,
) -> dict[str, str | int]:
    """The query of an Automate list call (without ``page``): checked before anything is sent."""
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ConfigurationError(f"page_size {page_size} is out of range: Automate accepts 1 to {MAX_PAGE_SIZE}")
    params: dict[str, str | int] = {"pagesize": page_size}
    if where is not None:
        params["condition"] = render(where, dialect="automate")
    if order_by:
        params["orderby"] = order_by
    if fields:
        params["includefields"] = ",".join(fields)
    return params


def patch_operations(model: type[CWModel], changes: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Automate PatchOperations (``{Op: "replace", Path, Value}``) for a dict of changes (either spelling)."""
    if not changes:
        raise ConfigurationError("Nothing to change: give at least one field")
    payload = to_api_payload(model, changes)
    return [{"Op": "replace", "Path": path, "Value": value} for path, value in payload.items()]


def _record_id(value: int | str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ConfigurationError(f"{value!r} is not an Automate id: ids are whole numbers") from None


# ------------------------------------------------------------------------------------------ sync resources


class _Collection(Generic[M]):
    path = ""
    model: type[M]

    def __init__(self, core: HTTPCore) -> None:
        self._core = core

    def iter(
        self,
        *,
        where: Condition | str | None = None,
        order_by: str | None = None,
        page_size: int = MAX_PAGE_SIZE,
        fields: Iterable[str] | None = None,
    ) -> Iterator[M]:
        """Every matching record, page after page until Automate answers an empty page."""
        params = list_params(where=where, order_by=order_by, page_size=page_size, fields=fields)
        for page in iter_numbered_pages(self._core, self.path, params=params):
            yield from decode_page(self.model, page)

    def list(
        self,
        *,
        where: Condition | str | None = None,
        order_by: str | None = None,
        page_size: int = MAX_PAGE_SIZE,
        fields: Iterable[str] | None = None,
    ) -> list[M]:
        """``iter(...)`` collected into a list."""
        return [*self.iter(where=where, order_by=order_by, page_size=page_size, fields=fields)]

    def _one(self, method: str, path: str, *, json: Any = None) -> M:
        return decode_record(self.model, self._core.request_json(method, path, json=json))

    def _delete(self, record_id: int | str) -> None:
        self._core.request("DELETE", f"{self.path}/{_record_id(record_id)}")


class _Readable(_Collection[M]):
    def get(self, record_id: int | str) -> M:
        """One record by id (``NotFoundError`` when there is none)."""
        return self._one("GET", f"{self.path}/{_record_id(record_id)}")


class _Writable(_Readable[M]):
    def create(self, data: Mapping[str, Any] | M) -> M:
        """POST a new record; Automate answers the created record."""
        return self._one("POST", self.path, json=to_api_payload(self.model, data))

    def update(self, record_id: int | str, changes: Mapping[str, Any]) -> M:
        """PATCH the given fields (a ``replace`` operation each); answers the updated record."""
        return self._one("PATCH", f"{self.path}/{_record_id(record_id)}", json=patch_operations(self.model, changes))

    def replace(self, record_id: int | str, data: Mapping[str, Any] | M) -> M:
        """PUT the whole record (fields left out are reset by the server)."""
        return self._one("PUT", f"{self.path}/{_record_id(record_id)}", json=to_api_payload(self.model, data))

    def delete(self, record_id: int | str) -> None:
        """DELETE the record (204)."""
        self._delete(record_id)


class _ExtraFieldsMixin:
    path = ""
    _core: HTTPCore

    def extra_fields(self, record_id: int | str) -> list[ExtraField]:
        """The record's extra fields (EDFs), each with its definition and current value."""
        path = f"{self.path}/{_record_id(record_id)}/ExtraFields"
        found: list[ExtraField] = []
        for page in iter_numbered_pages(self._core, path, params={"pagesize": MAX_PAGE_SIZE}):
            found.extend(decode_page(ExtraField, page))
        return found

    def set_extra_field(self, record_id: int | str, definition_id: int | str, value: Any) -> ExtraField:
        """Set one extra field's value (text, ``True``/``False`` for a checkbox, an option for a dropdown)."""
        path = f"{self.path}/{_record_id(record_id)}/ExtraFields/{_record_id(definition_id)}"
        body = [{"Op": "replace", "Path": "Value", "Value": value}]
        return decode_record(ExtraField, self._core.request_json("PATCH", path, json=body))

    def reset_extra_field(self, record_id: int | str, definition_id: int | str) -> ExtraField:
        """Put one extra field back to its default value."""
        path = f"{self.path}/{_record_id(record_id)}/ExtraFields/{_record_id(definition_id)}"
        return decode_record(ExtraField, self._core.request_json("DELETE", path))


class ClientsResource(_ExtraFieldsMixin, _Writable[Client]):
    """``/Clients``: list, get, create, update, replace, delete, and the clients' extra fields."""

    path = "/Clients"
    model = Client


class LocationsResource(_ExtraFieldsMixin, _Writable[Location]):
    """``/Locations`` (top-level; a location names its client as ``Client: {Id}``) and their extra fields."""

    path = "/Locations"
    model = Location

    def create_for(self, client_id: int | str, name: str, **fields: Any) -> Location:
        """A new location of ``client_id`` called ``name``."""
        return self.create({**fields, "Name": name, "Client": {"Id": _record_id(client_id)}})


class ComputersResource(_Collection[Computer]):
    """``/Computers``: list only (the spec has no GET by id), plus ``move`` (an emulated path, see above)."""

    path = "/Computers"
    model = Computer

    def move(self, computer_id: int | str, location_id: int | str) -> Computer:
        """Move a computer to another location (and so to that location's client)."""
        body = [{"Op": "replace", "Path": "Location/Id", "Value": _record_id(location_id)}]
        return self._one("PATCH", f"{self.path}/{_record_id(computer_id)}", json=body)


class GroupsResource(_Writable[Group]):
    """``/Groups``."""

    path = "/Groups"
    model = Group


class GroupComputersResource(_Readable[GroupComputer]):
    """``/GroupComputers``: which computer is in which group."""

    path = "/GroupComputers"
    model = GroupComputer

    def add(self, group_id: int | str, computer_id: int | str) -> GroupComputer:
        """Put a computer into a group."""
        body = {"GroupId": str(_record_id(group_id)), "ComputerId": str(_record_id(computer_id))}
        return self._one("POST", self.path, json=body)

    def remove(self, membership_id: int | str) -> None:
        """Take a computer out of a group (by the membership's id)."""
        self._delete(membership_id)


# ----------------------------------------------------------------------------------------- async resources


class _AsyncCollection(Generic[M]):
    path = ""
    model: type[M]

    def __init__(self, core: AsyncHTTPCore) -> None:
        self._core = core

    async def iter(
        self,
        *,
        where: Condition | str | None = None,
        order_by: str | None = None,
        page_size: int = MAX_PAGE_SIZE,
        fields: Iterable[str] | None = None,
    ) -> AsyncIterator[M]:
        """Every matching record, page after page until Automate answers an empty page."""
        params = list_params(where=where, order_by=order_by, page_size=page_size, fields=fields)
        async for page in aiter_numbered_pages(self._core, self.path, params=params):
            for record in decode_page(self.model, page):
                yield record

    async def list(
        self,
        *,
        where: Condition | str | None = None,
        order_by: str | None = None,
        page_size: int = MAX_PAGE_SIZE,
        fields: Iterable[str] | None = None,
    ) -> list[M]:
        """``iter(...)`` collected into a list."""
        return [r async for r in self.iter(where=where, order_by=order_by, page_size=page_size, fields=fields)]

    async def _one(self, method: str, path: str, *, json: Any = None) -> M:
        return decode_record(self.model, await self._core.request_json(method, path, json=json))

    async def _delete(self, record_id: int | str) -> None:
        await self._core.request("DELETE", f"{self.path}/{_record_id(record_id)}")


class _AsyncReadable(_AsyncCollection[M]):
    async def get(self, record_id: int | str) -> M:
        """One record by id (``NotFoundError`` when there is none)."""
        return await self._one("GET", f"{self.path}/{_record_id(record_id)}")


class _AsyncWritable(_AsyncReadable[M]):
    async def create(self, data: Mapping[str, Any] | M) -> M:
        """POST a new record; Automate answers the created record."""
        return await self._one("POST", self.path, json=to_api_payload(self.model, data))

    async def update(self, record_id: int | str, changes: Mapping[str, Any]) -> M:
        """PATCH the given fields (a ``replace`` operation each); answers the updated record."""
        return await self._one(
            "PATCH", f"{self.path}/{_record_id(record_id)}", json=patch_operations(self.model, changes)
        )

    async def replace(self, record_id: int | str, data: Mapping[str, Any] | M) -> M:
        """PUT the whole record (fields left out are reset by the server)."""
        return await self._one("PUT", f"{self.path}/{_record_id(record_id)}", json=to_api_payload(self.model, data))

    async def delete(self, record_id: int | str) -> None:
        """DELETE the record (204)."""
        await self._delete(record_id)


class _AsyncExtraFieldsMixin:
    path = ""
    _core: AsyncHTTPCore

    async def extra_fields(self, record_id: int | str) -> list[ExtraField]:
        """The record's extra fields (EDFs), each with its definition and current value."""
        path = f"{self.path}/{_record_id(record_id)}/ExtraFields"
        found: list[ExtraField] = []
        async for page in aiter_numbered_pages(self._core, path, params={"pagesize": MAX_PAGE_SIZE}):
            found.extend(decode_page(ExtraField, page))
        return found

    async def set_extra_field(self, record_id: int | str, definition_id: int | str, value: Any) -> ExtraField:
        """Set one extra field's value (text, ``True``/``False`` for a checkbox, an option for a dropdown)."""
        path = f"{self.path}/{_record_id(record_id)}/ExtraFields/{_record_id(definition_id)}"
        body = [{"Op": "replace", "Path": "Value", "Value": value}]
        return decode_record(ExtraField, await self._core.request_json("PATCH", path, json=body))

    async def reset_extra_field(self, record_id: int | str, definition_id: int | str) -> ExtraField:
        """Put one extra field back to its default value."""
        path = f"{self.path}/{_record_id(record_id)}/ExtraFields/{_record_id(definition_id)}"
        return decode_record(ExtraField, await self._core.request_json("DELETE", path))


class AsyncClientsResource(_AsyncExtraFieldsMixin, _AsyncWritable[Client]):
    """Async twin of ``ClientsResource``."""

    path = "/Clients"
    model = Client


class AsyncLocationsResource(_AsyncExtraFieldsMixin, _AsyncWritable[Location]):
    """Async twin of ``LocationsResource``."""

    path = "/Locations"
    model = Location

    async def create_for(self, client_id: int | str, name: str, **fields: Any) -> Location:
        """A new location of ``client_id`` called ``name``."""
        return await self.create({**fields, "Name": name, "Client": {"Id": _record_id(client_id)}})


class AsyncComputersResource(_AsyncCollection[Computer]):
    """Async twin of ``ComputersResource``."""

    path = "/Computers"
    model = Computer

    async def move(self, computer_id: int | str, location_id: int | str) -> Computer:
        """Move a computer to another location (and so to that location's client)."""
        body = [{"Op": "replace", "Path": "Location/Id", "Value": _record_id(location_id)}]
        return await self._one("PATCH", f"{self.path}/{_record_id(computer_id)}", json=body)


class AsyncGroupsResource(_AsyncWritable[Group]):
    """Async twin of ``GroupsResource``."""

    path = "/Groups"
    model = Group


class AsyncGroupComputersResource(_AsyncReadable[GroupComputer]):
    """Async twin of ``GroupComputersResource``."""

    path = "/GroupComputers"
    model = GroupComputer

    async def add(self, group_id: int | str, computer_id: int | str) -> GroupComputer:
        """Put a computer into a group."""
        body = {"GroupId": str(_record_id(group_id)), "ComputerId": str(_record_id(computer_id))}
        return await self._one("POST", self.path, json=body)

    async def remove(self, membership_id: int | str) -> None:
        """Take a computer out of a group (by the membership's id)."""
        await self._delete(membership_id)
