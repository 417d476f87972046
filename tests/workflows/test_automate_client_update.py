"""Updating an Automate client: fields checked against the spec's Client model before any write, a dry-run diff,
one PATCH of PatchOperations with only what changes, and a second run that changes nothing."""

from __future__ import annotations

import json

import pytest

from cwdesk.automate import AutomateClient
from cwdesk.automate.fields import writable_fields
from cwdesk.sandbox.server import Sandbox
from cwdesk.workflows import automate_clients as w5
from cwdesk.workflows.automate_clients.clients import CLIENT_KEYS
from cwdesk.workflows.validation import InvalidInput
from tests.workflows.automate_requests import automate_writes, client_id_of

CEDAR = "Cedar & Finch Law"


def stored(sandbox: Sandbox, client_id: int) -> dict[str, object]:
    name, data = sandbox.db.execute("SELECT name, data FROM cwa_clients WHERE id = ?", (client_id,)).fetchone()
    return {"Name": name, **json.loads(data)}


def test_writable_client_fields_are_the_spec_scalars_without_id() -> None:
    fields = writable_fields("Client")
    assert "Id" not in fields and "Locations" not in fields
    assert fields["PhoneNumber"] == "string" and fields["UsesInHouseSupportStaff"] == "boolean"
    # The onboarding plan's friendly keys all name a real field.
    assert set(CLIENT_KEYS.values()) <= set(fields)
    assert set(CLIENT_KEYS) == set(w5.AutomateClientPlan.model_fields)


def test_update_dry_run_shows_before_and_after_and_writes_nothing(cwa: AutomateClient, sandbox: Sandbox) -> None:
    cedar = client_id_of(sandbox, CEDAR)
    before = stored(sandbox, cedar)
    mark = len(sandbox.requests)
    result = w5.update_client(cwa, CEDAR, {"Phone": "503-555-0100", "ContactEmail": "desk@cedar.example"}, dry_run=True)
    assert automate_writes(sandbox, mark) == []
    assert stored(sandbox, cedar) == before
    assert result.dry_run and not result.written
    assert [c.as_dict() for c in result.changes] == [
        {"field": "PhoneNumber", "before": before["PhoneNumber"], "after": "503-555-0100", "changed": True},
        {"field": "NewTicketNotificationEmail", "before": before["NewTicketNotificationEmail"],
         "after": "desk@cedar.example", "changed": True},
    ]  # fmt: skip


def test_update_sends_one_patch_of_the_changed_fields(cwa: AutomateClient, sandbox: Sandbox) -> None:
    cedar = client_id_of(sandbox, CEDAR)
    before = stored(sandbox, cedar)
    mark = len(sandbox.requests)
    result = w5.update_client(cwa, str(cedar), {"PhoneNumber": "503-555-0100", "City": before["City"]})
    assert automate_writes(sandbox, mark) == [f"PATCH /Clients/{cedar}"]
    assert result.written and [c.field for c in result.changed] == ["PhoneNumber"]
    after = stored(sandbox, cedar)
    assert after["PhoneNumber"] == "503-555-0100"
    assert {k: v for k, v in after.items() if k != "PhoneNumber"} == {
        k: v for k, v in before.items() if k != "PhoneNumber"
    }


def test_update_twice_changes_nothing_the_second_time(cwa: AutomateClient, sandbox: Sandbox) -> None:
    w5.update_client(cwa, CEDAR, {"Comment": "VIP", "UsesInHouseSupportStaff": "yes"})
    mark = len(sandbox.requests)
    again = w5.update_client(cwa, CEDAR, {"comment": "VIP", "uses_in_house_support_staff": "true"})
    assert automate_writes(sandbox, mark) == []
    assert not again.written and again.changed == [] and "nothing to change" in again.message
    assert stored(sandbox, client_id_of(sandbox, CEDAR))["UsesInHouseSupportStaff"] is True


def test_update_with_a_misspelt_field_suggests_the_right_one_and_writes_nothing(
    cwa: AutomateClient, sandbox: Sandbox
) -> None:
    mark = len(sandbox.requests)
    with pytest.raises(InvalidInput) as caught:
        w5.update_client(cwa, CEDAR, {"Phnoe": "1", "City": "Salem"})
    assert automate_writes(sandbox, mark) == []
    (problem,) = caught.value.problems
    assert problem.field == "Phnoe" and "did you mean 'PhoneNumber'?" in problem.message
    assert "nothing was sent" in str(caught.value)


def test_update_refuses_every_bad_value_together(cwa: AutomateClient, sandbox: Sandbox) -> None:
    mark = len(sandbox.requests)
    with pytest.raises(InvalidInput) as caught:
        w5.update_client(
            cwa,
            CEDAR,
            {"UsesInHouseSupportStaff": "maybe", "Name": "  ", "City": "Sa\x1blem", "Locations": "x", "Id": "9"},
        )
    assert automate_writes(sandbox, mark) == []
    messages = {p.field: p.message for p in caught.value.problems}
    assert set(messages) == {"UsesInHouseSupportStaff", "Name", "City", "Locations", "Id"}
    assert "true or false" in messages["UsesInHouseSupportStaff"]
    assert "cannot be empty" in messages["Name"]
    assert "control character" in messages["City"]
    assert "is not a field" in messages["Locations"]


def test_update_refuses_a_name_another_client_has(cwa: AutomateClient, sandbox: Sandbox) -> None:
    mark = len(sandbox.requests)
    with pytest.raises(InvalidInput, match="already exists"):
        w5.update_client(cwa, CEDAR, {"Name": "Acme Dental Group"})
    assert automate_writes(sandbox, mark) == []


def test_update_renames_a_client(cwa: AutomateClient, sandbox: Sandbox) -> None:
    cedar = client_id_of(sandbox, CEDAR)
    result = w5.update_client(cwa, CEDAR, {"Name": "Cedar Finch & Partners"})
    assert result.written and stored(sandbox, cedar)["Name"] == "Cedar Finch & Partners"
    assert w5.resolve_client(cwa, "Cedar Finch & Partners").id == cedar


def test_update_of_an_unknown_client_suggests_names(cwa: AutomateClient, sandbox: Sandbox) -> None:
    with pytest.raises(w5.ClientNotFound) as caught:
        w5.update_client(cwa, "Cedar and Finch Law", {"City": "Salem"})
    assert any(s["name"] == CEDAR for s in caught.value.suggestions)


def test_update_with_a_hostile_name_matches_nothing_and_writes_nothing(cwa: AutomateClient, sandbox: Sandbox) -> None:
    mark = len(sandbox.requests)
    for hostile in ("x'; DROP TABLE cwa_clients; --", 'Acme" or Name like "%', "\x1b[31mAcme\x00"):
        with pytest.raises(InvalidInput):
            w5.update_client(cwa, hostile, {"City": "Salem"})
    assert automate_writes(sandbox, mark) == []
    assert sandbox.db.execute("SELECT count(*) FROM cwa_clients").fetchone()[0] > 0
