"""M4: JSON Patch from a dict of changes or from a diff; references; many operations per call; customFields whole."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from cwdesk import ConfigurationError, ManageClient
from cwdesk.manage.models import Company
from cwdesk.manage.patch import merge_custom_fields, patch_from_changes, patch_from_diff

REFS = frozenset({"status", "type", "company"})


def test_one_operation_per_changed_field_in_one_call() -> None:
    ops = patch_from_changes(
        {"phoneNumber": "312-555-0100", "website": "acme.example", "faxNumber": None}, reference_fields=REFS
    )
    assert ops == [
        {"op": "replace", "path": "phoneNumber", "value": "312-555-0100"},
        {"op": "replace", "path": "website", "value": "acme.example"},
        {"op": "remove", "path": "faxNumber"},
    ]


def test_references_are_sent_by_id_or_by_name() -> None:
    ops = patch_from_changes(
        {"status": "Active", "type": 7, "company": {"id": 3, "name": "Acme", "_info": {}}}, reference_fields=REFS
    )
    assert [op["value"] for op in ops] == [{"name": "Active"}, {"id": 7}, {"id": 3}]
    with pytest.raises(ConfigurationError, match="reference needs an id"):
        patch_from_changes({"status": True}, reference_fields=REFS)


def test_custom_fields_are_merged_and_sent_whole() -> None:
    current = [{"id": 1, "caption": "Tier", "value": "Silver"}, {"id": 2, "caption": "Region", "value": "EU"}]
    ops = patch_from_changes({"customFields": [{"id": 1, "value": "Gold"}]}, current_custom_fields=current)
    assert ops == [
        {
            "op": "replace",
            "path": "customFields",
            "value": [{"id": 1, "caption": "Tier", "value": "Gold"}, {"id": 2, "caption": "Region", "value": "EU"}],
        }
    ]
    assert current[0]["value"] == "Silver"  # the caller's data is not changed
    with pytest.raises(ConfigurationError, match="'id'"):
        merge_custom_fields(current, [{"value": "x"}])


def test_diff_of_two_records_sends_only_what_changed() -> None:
    before = {"id": 1, "name": "Acme", "status": {"id": 1, "name": "Active"}, "city": "Chicago", "_info": {"a": "b"}}
    after = {
        "id": 1,
        "name": "Acme Corp",
        "status": {"id": 1, "name": "Active (renamed)"},
        "city": "Chicago",
        "_info": {},
    }
    assert patch_from_diff(before, after, reference_fields=REFS) == [
        {"op": "replace", "path": "name", "value": "Acme Corp"}
    ]
    moved = patch_from_diff(before, {**after, "status": {"id": 2, "name": "Inactive"}}, reference_fields=REFS)
    assert {"op": "replace", "path": "status", "value": {"id": 2}} in moved


def test_empty_changes_are_refused() -> None:
    with pytest.raises(ConfigurationError, match="Nothing to update"):
        patch_from_changes({})


def test_update_accepts_either_spelling_and_fetches_custom_fields_first(client: ManageClient, server: Any) -> None:
    record = {"id": 42, "name": "Acme", "customFields": [{"id": 5, "caption": "Tier", "value": "Silver"}]}
    server.route("GET", "/company/companies/42", httpx.Response(200, json=record))
    server.route(
        "PATCH",
        "/company/companies/42",
        lambda r: httpx.Response(200, json={**record, "patched": json.loads(r.content)}),
    )
    updated = client.companies.update(
        42, {"phone_number": "1", "status": "Active", "customFields": [{"id": 5, "value": "Gold"}]}
    )
    ops = updated.model_extra["patched"] if updated.model_extra else []
    assert {"op": "replace", "path": "phoneNumber", "value": "1"} in ops
    assert {"op": "replace", "path": "status", "value": {"name": "Active"}} in ops
    assert {"op": "replace", "path": "customFields", "value": [{"id": 5, "caption": "Tier", "value": "Gold"}]} in ops
    assert [r.method for r in server.api_requests()] == ["GET", "PATCH"]


def test_update_from_diff_patches_models(client: ManageClient, server: Any) -> None:
    server.route(
        "PATCH", "/company/companies/1", lambda r: httpx.Response(200, json={"id": 1, "ops": json.loads(r.content)})
    )
    before = Company.model_validate({"id": 1, "name": "Acme", "city": "Chicago"})
    after = before.model_copy(update={"city": "Boston"})
    result = client.companies.update_from_diff(1, before, after)
    assert result.model_extra == {"ops": [{"op": "replace", "path": "city", "value": "Boston"}]}
