"""``collection.first(where=...)``: the typed lookup of one record, sync and async twins, against the sandbox."""

from __future__ import annotations

from typing import Any

from cwdesk import AsyncManageClient, C, ManageClient
from cwdesk.manage.models.company import Company


def _an_identifier(cw: ManageClient) -> str:
    some = next(iter(cw.companies.list(order_by="id desc", limit=1)))
    assert some.identifier
    return some.identifier


def test_first_finds_the_company_by_identifier_as_a_company(sandbox_client: ManageClient) -> None:
    identifier = _an_identifier(sandbox_client)
    found = sandbox_client.companies.first(where=C("identifier") == identifier)
    assert isinstance(found, Company)
    assert found.identifier == identifier


def test_first_is_none_when_nothing_matches(sandbox_client: ManageClient) -> None:
    assert sandbox_client.companies.first(where=C("identifier") == "NoSuchCompanyAnywhere") is None


def test_first_asks_for_one_record_with_the_fields_given(sandbox_client: ManageClient, sandbox: Any) -> None:
    identifier = _an_identifier(sandbox_client)
    sandbox.clear_requests()
    found = sandbox_client.companies.first(where=C("identifier") == identifier, fields=["id", "identifier"])
    assert found is not None and found.id is not None and found.name is None  # only the fields asked for came back
    (request,) = [r for r in sandbox.requests if r.path.endswith("/company/companies")]
    assert "pageSize=1" in request.query and "fields=id,identifier" in request.query


def test_first_without_order_is_the_lowest_id(sandbox_client: ManageClient) -> None:
    lowest = min(co.id for co in sandbox_client.companies.list(fields=["id"]) if co.id is not None)
    found = sandbox_client.companies.first()
    assert found is not None and found.id == lowest


async def test_async_first_finds_the_company_or_none(sandbox: Any, sandbox_client: ManageClient) -> None:
    identifier = _an_identifier(sandbox_client)
    async with AsyncManageClient(
        **sandbox.manage_credentials, transport=sandbox.async_transport(), rate_per_minute=600_000
    ) as cw:
        found = await cw.companies.first(where=C("identifier") == identifier, fields=["id", "identifier"])
        assert isinstance(found, Company) and found.identifier == identifier
        assert await cw.companies.first(where=C("identifier") == "NoSuchCompanyAnywhere") is None
