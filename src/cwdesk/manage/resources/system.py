"""System records: members, security roles, departments, locations, time zone setups, callbacks and
``/system/info``. Sync and async classes side by side; the behaviour is in ``collection.py``.

The spec has no DELETE on ``/system/members/{id}`` (deactivate with ``inactiveFlag``) and only GET and DELETE on
``/system/securityroles/{id}``; ``/system/info`` has only GET. Not for: member provisioning rules
(``cwdesk.workflows.members``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cwdesk.manage.models.system import (
    CallbackEntry,
    Department,
    Location,
    Member,
    SecurityRole,
    SystemInfo,
    TimeZoneSetup,
)
from cwdesk.manage.resources.collection import AsyncCollection, Collection

if TYPE_CHECKING:
    from cwdesk.manage.client import AsyncManageClient, ManageClient

__all__ = [
    "AsyncCallbacks",
    "AsyncDepartments",
    "AsyncLocations",
    "AsyncMembers",
    "AsyncSecurityRoles",
    "AsyncSystem",
    "AsyncTimeZones",
    "Callbacks",
    "Departments",
    "Locations",
    "Members",
    "SecurityRoles",
    "System",
    "TimeZones",
]

_MEMBER_METHODS = frozenset({"list", "count", "get", "create", "update", "replace"})
_MEMBER_INSTEAD = {"delete": "deactivate the member with update(id, {'inactiveFlag': True})"}
_ROLE_METHODS = frozenset({"list", "count", "get", "create", "delete"})
_ROLE_INSTEAD = {
    "update": "security roles cannot be changed through the API",
    "replace": "security roles cannot be changed through the API",
}


class Members(Collection[Member]):
    """``/system/members`` (no delete: deactivate instead)."""

    path = "/system/members"
    model = Member
    methods = _MEMBER_METHODS
    instead = _MEMBER_INSTEAD


class AsyncMembers(AsyncCollection[Member]):
    path = Members.path
    model = Member
    methods = _MEMBER_METHODS
    instead = _MEMBER_INSTEAD


class SecurityRoles(Collection[SecurityRole]):
    """``/system/securityroles`` (read, create, delete)."""

    path = "/system/securityroles"
    model = SecurityRole
    methods = _ROLE_METHODS
    instead = _ROLE_INSTEAD


class AsyncSecurityRoles(AsyncCollection[SecurityRole]):
    path = SecurityRoles.path
    model = SecurityRole
    methods = _ROLE_METHODS
    instead = _ROLE_INSTEAD


class Departments(Collection[Department]):
    """``/system/departments``."""

    path = "/system/departments"
    model = Department


class AsyncDepartments(AsyncCollection[Department]):
    path = Departments.path
    model = Department


class Locations(Collection[Location]):
    """``/system/locations``."""

    path = "/system/locations"
    model = Location


class AsyncLocations(AsyncCollection[Location]):
    path = Locations.path
    model = Location


class TimeZones(Collection[TimeZoneSetup]):
    """``/system/timeZoneSetups`` (the time zones a company or site can be given)."""

    path = "/system/timeZoneSetups"
    model = TimeZoneSetup


class AsyncTimeZones(AsyncCollection[TimeZoneSetup]):
    path = TimeZones.path
    model = TimeZoneSetup


class Callbacks(Collection[CallbackEntry]):
    """``/system/callbacks`` (webhook registrations)."""

    path = "/system/callbacks"
    model = CallbackEntry


class AsyncCallbacks(AsyncCollection[CallbackEntry]):
    path = Callbacks.path
    model = CallbackEntry


class System:
    """``/system/info``: the server's version, cloud flag and time zone."""

    def __init__(self, client: ManageClient) -> None:
        self._client = client

    def info(self) -> SystemInfo:
        """``GET /system/info``."""
        return SystemInfo.model_validate(self._client.request_json("GET", "/system/info") or {})


class AsyncSystem:
    """Async twin of ``System``."""

    def __init__(self, client: AsyncManageClient) -> None:
        self._client = client

    async def info(self) -> SystemInfo:
        """``GET /system/info``."""
        return SystemInfo.model_validate(await self._client.request_json("GET", "/system/info") or {})
