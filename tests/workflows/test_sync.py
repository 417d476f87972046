"""W6 sync: the first run reads everything, later runs read only what changed since the stored watermark."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
import sqlalchemy as sa

from cwdesk._http.errors import NotFoundError
from cwdesk.manage.client import AsyncManageClient, ManageClient
from cwdesk.sandbox import Sandbox
from cwdesk.store import sync_cache
from cwdesk.workflows.sync import SYNC_KINDS, async_sync_kind, source_of, sync_kind


@pytest.fixture
def cw(sandbox: Sandbox) -> Iterator[ManageClient]:
    client = ManageClient(**sandbox.manage_credentials, transport=sandbox.transport())
    yield client
    client.close()


def member_gets(sandbox: Sandbox) -> list[str]:
    return [r.query for r in sandbox.requests if r.method == "GET" and r.path.endswith("/system/members")]


def test_member_sync_picks_up_only_changed_members_the_second_time(
    sandbox: Sandbox, cw: ManageClient, engine: sa.Engine
) -> None:
    total = cw.members.count()
    first = sync_kind(cw, engine, "members")
    assert (first.mode, first.fetched, first.created) == ("full", total, total)

    jsmith = cw.members.first(where="identifier = 'jsmith'")
    akhan = cw.members.first(where="identifier = 'akhan'")
    assert jsmith is not None and akhan is not None
    cw.members.update(jsmith.id, {"title": "Senior Technician"})  # type: ignore[arg-type]
    cw.members.update(akhan.id, {"officePhone": "312-555-0199"})  # type: ignore[arg-type]
    sandbox.clear_requests()

    second = sync_kind(cw, engine, "members")
    assert second.mode == "incremental"
    assert (second.created, second.updated) == (0, 2)
    # Only records at or after the watermark were asked for: far fewer than all members.
    assert second.fetched < total
    (query,) = member_gets(sandbox)
    assert "_info/lastUpdated" in query
    with engine.connect() as conn:
        cached = {m["identifier"]: m for m in sync_cache.cached_records(conn, source_of(cw), "members")}
    assert cached["jsmith"]["title"] == "Senior Technician"
    assert cached["akhan"]["officePhone"] == "312-555-0199"
    assert len(cached) == total

    third = sync_kind(cw, engine, "members")
    assert third.changed == 0


def test_the_last_sync_time_is_kept_in_the_store(cw: ManageClient, engine: sa.Engine) -> None:
    result = sync_kind(cw, engine, "companies", overlap=timedelta(0))
    with engine.connect() as conn:
        state = sync_cache.get_state(conn, source_of(cw), "companies")
        runs = sync_cache.last_runs(conn, source_of(cw))
    assert state is not None
    assert state.watermark == result.watermark
    assert state.last_full_sync_at is not None
    assert runs[0]["kind"] == "companies"
    assert runs[0]["state"] == "succeeded"
    assert runs[0]["fetched"] == result.fetched == cw.companies.count()


@pytest.mark.parametrize("kind", sorted(SYNC_KINDS))
def test_every_kind_syncs_into_the_store(cw: ManageClient, engine: sa.Engine, kind: str) -> None:
    result = sync_kind(cw, engine, kind)
    resource = SYNC_KINDS[kind].collection(cw)
    assert result.created == resource.count() > 0
    with engine.connect() as conn:
        assert len(list(sync_cache.cached_records(conn, source_of(cw), kind))) == result.created


def test_a_full_sync_marks_records_deleted_at_connectwise(cw: ManageClient, engine: sa.Engine) -> None:
    sync_kind(cw, engine, "agreements")
    victim = next(iter(cw.agreements.list(order_by="id desc", limit=1)))
    cw.agreements.delete(victim.id)  # type: ignore[arg-type]
    incremental = sync_kind(cw, engine, "agreements")
    assert incremental.deleted == 0  # an incremental read cannot see a deletion
    full = sync_kind(cw, engine, "agreements", full=True)
    assert full.deleted == 1
    with engine.connect() as conn:
        assert victim.id not in sync_cache.live_record_ids(conn, source_of(cw), "agreements")


def test_a_failed_sync_is_recorded_and_keeps_the_watermark(
    sandbox: Sandbox, cw: ManageClient, engine: sa.Engine
) -> None:
    first = sync_kind(cw, engine, "contacts")
    sandbox.faults.fail_next(method="GET", path_contains="/company/contacts", status=404, count=1)
    with pytest.raises(NotFoundError):
        sync_kind(cw, engine, "contacts")
    with engine.connect() as conn:
        state = sync_cache.get_state(conn, source_of(cw), "contacts")
        (run,) = [r for r in sync_cache.last_runs(conn) if r["kind"] == "contacts"]
    assert state is not None and state.watermark == first.watermark
    assert run["state"] == "failed"
    assert run["message"]


def test_an_unknown_kind_is_refused(cw: ManageClient, engine: sa.Engine) -> None:
    with pytest.raises(ValueError, match="choose one of"):
        sync_kind(cw, engine, "widgets")


async def test_the_async_twin_syncs_the_same_way(sandbox: Sandbox, engine: sa.Engine) -> None:
    async with AsyncManageClient(**sandbox.manage_credentials, transport=sandbox.async_transport()) as cw:
        first = await async_sync_kind(cw, engine, "companies")
        second = await async_sync_kind(cw, engine, "companies")
        total = await cw.companies.count()
    assert (first.mode, first.created) == ("full", total)
    assert (second.mode, second.changed) == ("incremental", 0)
