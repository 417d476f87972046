"""The SDK against the in-process sandbox: paging across Link headers, forward-only, count, writes, errors,
rate limits and faults — the same calls a user makes against ConnectWise."""

from __future__ import annotations

from typing import Any

import pytest

from cwdesk import (
    AsyncManageClient,
    AuthenticationError,
    C,
    ConditionError,
    InvalidObjectError,
    ManageClient,
    NotFoundError,
    RetryPolicy,
    ServerError,
)


def test_lists_active_companies_ordered_with_chosen_fields(sandbox_client: ManageClient) -> None:
    companies = list(
        sandbox_client.companies.list(
            where=C("status/name") == "Active", order_by="name", fields=["id", "name"], page_size=2
        )
    )
    names = [co.name for co in companies]
    assert names == sorted(names)
    assert len(names) == sandbox_client.companies.count(where=C("status/name") == "Active")
    assert all(co.phone_number is None for co in companies)  # only the fields asked for came back


def test_navigable_paging_follows_link_headers(sandbox_client: ManageClient, sandbox: Any) -> None:
    sandbox.clear_requests()
    ids = [co.id for co in sandbox_client.companies.list(order_by="id", page_size=3)]
    assert ids == sorted(ids) and len(ids) == sandbox_client.companies.count()
    pages = [r for r in sandbox.requests if r.path.endswith("/company/companies")]
    assert len(pages) == -(-len(ids) // 3)
    assert "page=2" in pages[1].query


def test_forward_only_paging_reads_everything_once(sandbox_client: ManageClient, sandbox: Any) -> None:
    sandbox.clear_requests()
    ids = [co.id for co in sandbox_client.companies.list(page_size=3)]
    assert len(ids) == len(set(ids)) == sandbox_client.companies.count()
    assert any("pageId=" in r.query for r in sandbox.requests if r.path.endswith("/company/companies"))


def test_resume_after_the_last_id_seen(sandbox_client: ManageClient) -> None:
    every = [co.id for co in sandbox_client.companies.list(page_size=2) if co.id is not None]
    rest = [co.id for co in sandbox_client.companies.list(page_size=2, after_id=every[2])]
    assert rest == every[3:]


def test_create_update_and_delete_a_company(sandbox_client: ManageClient) -> None:
    created = sandbox_client.companies.create(
        {
            "identifier": "NewCo1",
            "name": "New Co",
            "status": {"name": "Active"},
            "city": "Chicago",
            "site": {"name": "Main"},
        }
    )
    assert created.id is not None and created.identifier == "NewCo1"
    assert created.site is not None and created.site.name == "Main"
    updated = sandbox_client.companies.update(created.id, {"phone_number": "312-555-0100", "website": "newco.example"})
    assert updated.phone_number == "312-555-0100"
    assert sandbox_client.companies.get(created.id).website == "newco.example"
    sandbox_client.companies.delete(created.id)
    # A deleted company still answers, marked deleted (docs/connectwise.md, "Companies").
    assert sandbox_client.companies.get(created.id).deleted_flag is True
    with pytest.raises(NotFoundError):
        sandbox_client.contacts.get(999_999)


def test_a_duplicate_identifier_is_an_invalid_object_error_with_field_errors(sandbox_client: ManageClient) -> None:
    existing = next(sandbox_client.companies.list(limit=1))
    with pytest.raises(InvalidObjectError) as caught:
        sandbox_client.companies.create(
            {
                "identifier": existing.identifier,
                "name": "Dup",
                "status": {"name": "Active"},
                "city": "X",
                "site": {"name": "Main"},
            }
        )
    assert caught.value.errors


def test_a_raw_condition_naming_an_unknown_field_is_a_condition_error(sandbox_client: ManageClient) -> None:
    with pytest.raises(ConditionError):
        list(sandbox_client.companies.list(where='nosuchfield = "x"'))


def test_wrong_private_key_is_an_authentication_error(sandbox: Any) -> None:
    creds = {**sandbox.manage_credentials, "private_key": "Not-The-Key-9"}
    with ManageClient(**creds, transport=sandbox.transport()) as cw, pytest.raises(AuthenticationError) as caught:
        cw.companies.count()
    assert "Not-The-Key-9" not in str(caught.value)


def test_rate_limited_calls_are_retried_until_they_pass(sandbox: Any) -> None:
    sandbox.faults.fail_next(method="GET", path_contains="/company/companies", status=429, count=2)
    retry = RetryPolicy(max_retries=4, base_delay=0.01, max_delay=0.05, max_retry_after=0.05)
    with ManageClient(
        **sandbox.manage_credentials, transport=sandbox.transport(), retry=retry, rate_per_minute=600_000
    ) as cw:
        assert cw.companies.count() > 0


def test_a_create_is_not_resent_after_a_server_error(sandbox: Any, sandbox_client: ManageClient) -> None:
    before = sandbox_client.companies.count()
    sandbox.faults.fail_next(method="POST", path_contains="/company/companies", status=503, count=1)
    with pytest.raises(ServerError):
        sandbox_client.companies.create({"identifier": "Once1", "name": "Once", "city": "X", "site": {"name": "Main"}})
    assert sandbox_client.companies.count() == before


def test_sites_contacts_and_lookups(sandbox_client: ManageClient) -> None:
    company = next(sandbox_client.companies.list(limit=1))
    assert company.id is not None
    sites = list(sandbox_client.companies.sites(company.id).list())
    assert sites and all(site.name for site in sites)
    contacts = list(sandbox_client.contacts.list(where=C("company/id") == company.id))
    assert contacts and all(c.company is not None and c.company.id == company.id for c in contacts)
    assert sandbox_client.company_statuses.count() > 0
    assert sandbox_client.boards.count() >= 0
    assert sandbox_client.system.info().version


async def test_async_client_lists_and_counts(sandbox: Any) -> None:
    async with AsyncManageClient(
        **sandbox.manage_credentials, transport=sandbox.async_transport(), rate_per_minute=600_000
    ) as cw:
        names = [co.name async for co in cw.companies.list(order_by="name", page_size=2)]
        assert names == sorted(names)
        assert len(names) == await cw.companies.count()


def test_replace_of_a_company_as_read_leaves_out_its_types(sandbox_client: ManageClient) -> None:
    """A real server refuses a PUT carrying ``types`` ("typeIds can only be used when creating a new company.",
    Mwbergamo/SolutionsHub register/api/customers.php); ``replace`` of the record as read still succeeds."""
    company = sandbox_client.companies.get(2)
    assert company.types
    replaced = sandbox_client.companies.replace(2, company.model_copy(update={"city": "Dayton"}))
    assert replaced.city == "Dayton"
    assert replaced.types == company.types


async def test_async_replace_of_a_company_as_read_leaves_out_its_types(sandbox: Any) -> None:
    async with AsyncManageClient(
        **sandbox.manage_credentials, transport=sandbox.async_transport(), rate_per_minute=600_000
    ) as cw:
        company = await cw.companies.get(2)
        replaced = await cw.companies.replace(2, company.model_copy(update={"city": "Dayton"}))
        assert replaced.city == "Dayton" and replaced.types == company.types


def test_forward_only_paging_stops_on_the_empty_link_of_the_last_page(sandbox_client: ManageClient) -> None:
    """Every forward-only page carries a Link header, the last one empty (christaylorcodes/ConnectWiseManageAPI
    Public/Invoke/Invoke-CWMAllResult.ps1); the SDK reads each record once and stops."""
    ids = [co.id for co in sandbox_client.companies.list(page_size=3)]
    assert ids == sorted(set(ids))
    assert len(ids) == sandbox_client.companies.count()
