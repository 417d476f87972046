"""M2/M4: ``cw.priorities`` (``/service/priorities``) on the sync and async clients, against the sandbox."""

from __future__ import annotations

from typing import Any

from cwdesk import AsyncManageClient, C, ManageClient
from cwdesk.manage.models import Priority


def test_priorities_are_listed_counted_and_found_by_name(sandbox_client: ManageClient) -> None:
    listed = list(sandbox_client.priorities.list(order_by="sortOrder"))
    assert all(isinstance(p, Priority) for p in listed)
    assert [p.name for p in listed][2] == "Priority 3 - Normal Response"
    assert [p.name for p in listed if p.default_flag] == ["Priority 3 - Normal Response"]
    assert sandbox_client.priorities.count() == len(listed) == 5
    first = sandbox_client.priorities.first(where=C("name") == "Priority 5 - Next Time")
    assert first is not None and first.sort_order == 5


def test_a_priority_is_created_and_deleted_through_the_sdk(sandbox_client: ManageClient) -> None:
    created = sandbox_client.priorities.create({"name": "Priority 6 - Someday", "color": "Purple"})
    assert created.id is not None and created.color == "Purple"
    assert sandbox_client.priorities.get(created.id).name == "Priority 6 - Someday"
    sandbox_client.priorities.delete(created.id)
    assert sandbox_client.priorities.count() == 5


async def test_async_client_lists_priorities(sandbox: Any) -> None:
    async with AsyncManageClient(
        **sandbox.manage_credentials, transport=sandbox.async_transport(), rate_per_minute=600_000
    ) as cw:
        names = [p.name async for p in cw.priorities.list(order_by="name")]
        assert names[0] == "Priority 1 - Emergency Response" and len(names) == await cw.priorities.count() == 5
