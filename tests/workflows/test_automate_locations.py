"""Locations of an Automate client: listed with their computer counts, created once (a second create is "exists"),
changed by one PATCH of only what changes; every check before any write."""

from __future__ import annotations

import json

import pytest

from cwdesk.automate import AutomateClient
from cwdesk.sandbox.server import Sandbox
from cwdesk.workflows import automate_clients as w5
from cwdesk.workflows.validation import InvalidInput
from tests.workflows.automate_requests import automate_writes, client_id_of, client_with_computers

CEDAR = "Cedar & Finch Law"


def test_locations_list_gives_address_and_computer_count(cwa: AutomateClient, sandbox: Sandbox) -> None:
    client_id, name, total = client_with_computers(sandbox)
    rows = w5.list_locations(cwa, name)
    expected = {
        lid: (lname, count)
        for lid, lname, count in sandbox.db.execute(
            "SELECT l.id, l.name, (SELECT count(*) FROM cwa_computers m WHERE m.location_id = l.id) "
            "FROM cwa_locations l WHERE l.client_id = ?",
            (client_id,),
        )
    }
    assert {r["id"]: (r["name"], r["computers"]) for r in rows} == expected
    assert sum(r["computers"] for r in rows) == total
    main = next(r for r in rows if r["name"] == "Main Office")
    assert main["city"] and main["address1"]
    assert list(rows[0]) == w5.LOCATION_COLUMNS


def test_location_create_posts_once_with_the_client_and_fields(cwa: AutomateClient, sandbox: Sandbox) -> None:
    cedar = client_id_of(sandbox, CEDAR)
    mark = len(sandbox.requests)
    made = w5.create_location(cwa, CEDAR, "Salem Annex", {"address1": "1 Court St", "city": "Salem", "zip": "97301"})
    assert automate_writes(sandbox, mark) == ["POST /Locations"]
    assert made.status == "created" and made.location_id is not None
    client_id, data = sandbox.db.execute(
        "SELECT client_id, data FROM cwa_locations WHERE id = ?", (made.location_id,)
    ).fetchone()
    fields = json.loads(data)
    assert client_id == cedar
    assert (fields["Address1"], fields["City"], fields["ZipCode"]) == ("1 Court St", "Salem", "97301")


def test_location_create_twice_is_exists_and_writes_once(cwa: AutomateClient, sandbox: Sandbox) -> None:
    mark = len(sandbox.requests)
    first = w5.create_location(cwa, CEDAR, "Salem Annex")
    second = w5.create_location(cwa, CEDAR, "salem annex")
    assert automate_writes(sandbox, mark) == ["POST /Locations"]
    assert (first.status, second.status) == ("created", "exists")
    assert second.location_id == first.location_id and "nothing was created" in second.message


def test_location_create_dry_run_writes_nothing(cwa: AutomateClient, sandbox: Sandbox) -> None:
    mark = len(sandbox.requests)
    plan = w5.create_location(cwa, CEDAR, "Salem Annex", {"City": "Salem"}, dry_run=True)
    assert automate_writes(sandbox, mark) == []
    assert plan.status == "would_create" and plan.body == {"City": "Salem", "Name": "Salem Annex"}


def test_location_create_with_a_bad_field_suggests_and_writes_nothing(cwa: AutomateClient, sandbox: Sandbox) -> None:
    mark = len(sandbox.requests)
    with pytest.raises(InvalidInput) as caught:
        w5.create_location(cwa, CEDAR, "Salem Annex", {"Adress1": "1 Court St", "RouterPort": "eighty"})
    assert automate_writes(sandbox, mark) == []
    messages = {p.field: p.message for p in caught.value.problems}
    assert "did you mean 'Address1'" in messages["Adress1"]
    assert "whole number" in messages["RouterPort"]


def test_location_create_refuses_an_empty_or_control_character_name(cwa: AutomateClient, sandbox: Sandbox) -> None:
    mark = len(sandbox.requests)
    for bad in ("   ", "Annex\x1b[2J"):
        with pytest.raises(InvalidInput):
            w5.create_location(cwa, CEDAR, bad)
    assert automate_writes(sandbox, mark) == []


def test_location_update_patches_only_what_changes(cwa: AutomateClient, sandbox: Sandbox) -> None:
    cedar = client_id_of(sandbox, CEDAR)
    (main_id,) = sandbox.db.execute(
        "SELECT id FROM cwa_locations WHERE client_id = ? AND name = 'Main Office'", (cedar,)
    ).fetchone()
    mark = len(sandbox.requests)
    preview = w5.update_location(cwa, CEDAR, "main office", {"Phone": "503-555-0199", "Comments": "Reception"},
                                 dry_run=True)  # fmt: skip
    assert automate_writes(sandbox, mark) == [] and not preview.written
    assert [c.field for c in preview.changed] == ["PhoneNumber", "Comments"]
    done = w5.update_location(cwa, CEDAR, str(main_id), {"Phone": "503-555-0199", "Comments": "Reception"})
    again = w5.update_location(cwa, CEDAR, "Main Office", {"Phone": "503-555-0199"})
    assert automate_writes(sandbox, mark) == [f"PATCH /Locations/{main_id}"]
    assert done.written and not again.written
    data = json.loads(sandbox.db.execute("SELECT data FROM cwa_locations WHERE id = ?", (main_id,)).fetchone()[0])
    assert (data["PhoneNumber"], data["Comments"]) == ("503-555-0199", "Reception")


def test_location_update_of_an_unknown_location_names_the_clients_locations(cwa: AutomateClient) -> None:
    with pytest.raises(InvalidInput) as caught:
        w5.update_location(cwa, CEDAR, "Main Ofice", {"City": "Salem"})
    message = caught.value.problems[0].message
    assert "did you mean 'Main Office'" in message and "its locations:" in message


def test_location_update_refuses_a_name_the_client_already_uses(cwa: AutomateClient, sandbox: Sandbox) -> None:
    w5.create_location(cwa, CEDAR, "Salem Annex")
    mark = len(sandbox.requests)
    with pytest.raises(InvalidInput, match="already has a location"):
        w5.update_location(cwa, CEDAR, "Salem Annex", {"Name": "main office"})
    assert automate_writes(sandbox, mark) == []
