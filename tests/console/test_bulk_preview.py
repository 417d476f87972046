"""Bulk Execute previews from the real data (issue 15 §2): counts, records with before -> after, pages, and a
confirm that runs exactly what was previewed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from cwdesk.manage.client import ManageClient
from cwdesk.sandbox import Sandbox

from .confirming import confirmed_bulk
from .test_panels import sse_events


def manage_of(sandbox: Sandbox) -> ManageClient:
    return ManageClient(**sandbox.manage_credentials, transport=sandbox.transport())


def _writes(sandbox: Sandbox) -> list[str]:
    return [f"{r.method} {r.path}" for r in sandbox.requests if r.method not in ("GET", "HEAD")]


def test_preview_counts_contacts_and_companies_that_will_change_and_those_that_already_hold_it(
    sign_in: Any, console_sandbox: Sandbox
) -> None:
    operator = sign_in("operator")
    cw = manage_of(console_sandbox)
    # Two of company 1's contacts and one of company 3's already have portal login disabled.
    contacts = {1: [c.id for c in cw.contacts.list(where="company/id = 1")],
                3: [c.id for c in cw.contacts.list(where="company/id = 3")]}  # fmt: skip
    already = contacts[1][:2] + contacts[3][:1]
    for contact_id in already:
        cw.contacts.patch(contact_id, [{"op": "replace", "path": "disablePortalLoginFlag", "value": True}])
    total = sum(len(ids) for ids in contacts.values())
    console_sandbox.clear_requests()

    body = {"company_ids": [1, 3], "contact_filter": "all", "field": "disablePortalLoginFlag", "value": "true"}
    answer = operator.change("/bulk/preview", json=body)

    assert answer.status_code == 200, answer.text
    result = answer.json()
    will_change = total - len(already)
    assert result["counts"] == {"will_change": will_change, "already": 3, "companies": 2, "selected_companies": 2,
                                "companies_without_contacts": 0}  # fmt: skip
    assert result["message"] == (
        f"{will_change} contacts in 2 companies will change (disablePortalLoginFlag = true); 3 already have this value."
    )
    rows = result["rows"]
    assert sorted(r["contact_id"] for r in rows) == sorted(set(contacts[1] + contacts[3]) - set(already))
    assert {r["after"] for r in rows} == {"disablePortalLoginFlag = true"}
    assert all(r["before"] in ("disablePortalLoginFlag = false", "disablePortalLoginFlag = (empty)") for r in rows)
    assert {r["company"] for r in rows} == {cw.companies.get(1).name, cw.companies.get(3).name}
    # A preview reads only: nothing was written, no job was stored.
    assert _writes(console_sandbox) == []
    assert operator.get("/api/jobs").json() == []


def test_preview_says_when_nothing_will_change(sign_in: Any, console_sandbox: Sandbox) -> None:
    operator = sign_in("operator")
    # Every demo contact is active: "primary contacts only" of companies 1 and 2, set active -> nothing to do.
    body = {"company_ids": [1, 2], "contact_filter": "primary", "field": "inactiveFlag", "value": "false"}
    result = operator.change("/bulk/preview", json=body).json()
    primaries = list(manage_of(console_sandbox).contacts.list(where="company/id in (1, 2) and defaultFlag = true"))
    assert result["counts"]["will_change"] == 0 and result["counts"]["already"] == len(primaries)
    assert result["message"].startswith(f"Nothing will change: the {len(primaries)} contact")
    assert result["rows"] == []


class TestAPreviewOfManyContacts:
    @pytest.fixture
    def console_sandbox(self) -> Iterator[Sandbox]:
        sandbox = Sandbox(seed=60)  # a bigger set than the demo's, to page through
        yield sandbox
        sandbox.close()

    def test_preview_pages_through_the_records_fifty_at_a_time(self, sign_in: Any, console_sandbox: Sandbox) -> None:
        from cwdesk.console.routes import bulk

        operator = sign_in("operator")
        ids = [c.id for c in manage_of(console_sandbox).companies.list(fields=["id"])]
        body = {"company_ids": ids, "contact_filter": "all", "field": "disablePortalLoginFlag", "value": "true"}
        first = operator.change("/bulk/preview", json=body).json()
        total = first["counts"]["will_change"]
        assert total > bulk.PREVIEW_PAGE
        assert len(first["rows"]) == bulk.PREVIEW_PAGE and first["more"] == total - bulk.PREVIEW_PAGE
        second = operator.change("/bulk/preview", json={**body, "offset": bulk.PREVIEW_PAGE}).json()
        assert second["offset"] == bulk.PREVIEW_PAGE
        assert len(second["rows"]) == min(bulk.PREVIEW_PAGE, total - bulk.PREVIEW_PAGE)
        seen = {r["contact_id"] for r in first["rows"]} | {r["contact_id"] for r in second["rows"]}
        assert len(seen) == len(first["rows"]) + len(second["rows"])  # no record twice
        # Every page carries the same token: it covers the whole plan, not the page.
        assert first["preview"]["confirmation"] == second["preview"]["confirmation"]


def test_confirmed_bulk_runs_exactly_the_previewed_contacts_once(sign_in: Any, console_sandbox: Sandbox) -> None:
    operator = sign_in("operator")
    body = {"company_ids": [1, 2], "contact_filter": "all", "field": "disablePortalLoginFlag", "value": "true"}
    preview = operator.change("/bulk/preview", json=body).json()
    planned = sorted(r["contact_id"] for r in preview["rows"])
    console_sandbox.clear_requests()

    started = operator.change("/bulk", json={**body, "confirmation": preview["preview"]["confirmation"]})

    assert started.status_code == 200, started.text
    end = next(data for name, data in sse_events(operator, started.json()["job_id"]) if name == "end")
    assert end["state"] == "succeeded"
    patches = [w for w in _writes(console_sandbox) if w.startswith("PATCH ") and "/company/contacts/" in w]
    patched = sorted(int(w.split("/")[-1]) for w in patches)
    assert patched == planned  # each previewed contact once, and no other


def test_bulk_without_the_preview_token_is_refused_and_touches_nothing(sign_in: Any, console_sandbox: Sandbox) -> None:
    operator = sign_in("operator")
    body = {"company_ids": [1], "contact_filter": "all", "field": "inactiveFlag", "value": "true"}
    console_sandbox.clear_requests()
    for sent in (body, {**body, "confirmation": "0" * 64}):
        answer = operator.change("/bulk", json=sent)
        assert answer.status_code in (400, 409), answer.text
        assert answer.json()["message"].startswith("Nothing changed")
        assert answer.json()["preview"]["confirmation"]  # what to confirm comes with the refusal
    assert _writes(console_sandbox) == []
    assert operator.get("/api/jobs").json() == []


def test_a_preview_gone_stale_is_refused_with_the_new_preview(sign_in: Any, console_sandbox: Sandbox) -> None:
    operator = sign_in("operator")
    body = {"company_ids": [1], "contact_filter": "all", "field": "disablePortalLoginFlag", "value": "true"}
    preview = operator.change("/bulk/preview", json=body).json()
    # Someone else changes a contact between the preview and the confirm.
    contact_id = preview["rows"][0]["contact_id"]
    cw = manage_of(console_sandbox)
    cw.contacts.patch(contact_id, [{"op": "replace", "path": "disablePortalLoginFlag", "value": True}])
    console_sandbox.clear_requests()

    answer = operator.change("/bulk", json={**body, "confirmation": preview["preview"]["confirmation"]})

    assert answer.status_code == 409
    assert "changed since the preview" in answer.json()["message"]
    fresh = answer.json()
    assert fresh["counts"]["will_change"] == preview["counts"]["will_change"] - 1
    assert fresh["counts"]["already"] == preview["counts"]["already"] + 1
    assert _writes(console_sandbox) == []
    # The new preview's token works.
    again = operator.change("/bulk", json={**body, "confirmation": fresh["preview"]["confirmation"]})
    assert again.status_code == 200, again.text
    assert next(data for name, data in sse_events(operator, again.json()["job_id"]) if name == "end")["done"] > 0


def test_a_token_from_another_session_does_not_confirm(sign_in: Any) -> None:
    first, second = sign_in("operator"), sign_in("operator")
    body = {"company_ids": [1], "contact_filter": "all", "field": "inactiveFlag", "value": "true"}
    token = first.change("/bulk/preview", json=body).json()["preview"]["confirmation"]
    assert second.change("/bulk", json={**body, "confirmation": token}).status_code == 409
    assert second.get("/api/jobs").json() == []


def test_bad_preview_input_is_refused_by_field(sign_in: Any) -> None:
    operator = sign_in("operator")
    answer = operator.change("/bulk/preview", json={"company_ids": [1], "field": "inactiveFlag", "value": "maybe"})
    assert answer.status_code == 400 and "value" in answer.json()["errors"]
    missing = operator.change("/bulk/preview", json={"company_ids": [999999], "field": "inactiveFlag", "value": "1"})
    assert missing.status_code == 400 and "999999" in json.dumps(missing.json())


def test_the_bulk_helper_runs_the_preview_first(sign_in: Any) -> None:
    operator = sign_in("operator")
    body = {"company_ids": [2], "contact_filter": "all", "field": "disablePortalLoginFlag", "value": "true"}
    started = confirmed_bulk(operator, body)
    assert started.status_code == 200
    assert next(data for name, data in sse_events(operator, started.json()["job_id"]) if name == "end")["ok"] > 0
