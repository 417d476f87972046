"""A client's extra fields (EDFs) listed with their title, type and value: text, dropdown and checkbox."""

from __future__ import annotations

import pytest

from cwdesk.automate import AutomateClient
from cwdesk.sandbox.server import Sandbox
from cwdesk.workflows import automate_clients as w5
from cwdesk.workflows.validation import InvalidInput
from tests.workflows.automate_requests import automate_writes, client_id_of

ACME = "Acme Dental Group"


def test_edfs_list_titles_types_values_and_options(cwa: AutomateClient, sandbox: Sandbox) -> None:
    mark = len(sandbox.requests)
    rows = {r["title"]: r for r in w5.client_extra_fields(cwa, ACME)}
    assert automate_writes(sandbox, mark) == []
    assert {r["type"] for r in rows.values()} == {"Text", "Dropdown", "Checkbox"}
    stored = dict(
        sandbox.db.execute(
            "SELECT d.title, v.value FROM cwa_extra_field_values v JOIN cwa_extra_field_definitions d "
            "ON d.id = v.definition_id WHERE d.target = 'Client' AND v.target_id = ?",
            (client_id_of(sandbox, ACME),),
        )
    )
    assert rows["SLA Level"]["value"] == stored["SLA Level"]
    assert rows["SLA Level"]["options"] == ["Bronze", "Silver", "Gold", "Premium"]
    assert rows["Account Manager"] == {**rows["Account Manager"], "type": "Text", "value": stored["Account Manager"]}
    assert rows["Backup Enabled"]["value"] is (stored["Backup Enabled"] == "true")
    assert list(rows["SLA Level"]) == w5.EXTRA_FIELD_COLUMNS


def test_edfs_list_shows_a_value_just_set(cwa: AutomateClient) -> None:
    current = {r["title"]: r["value"] for r in w5.client_extra_fields(cwa, ACME)}
    w5.set_client_extra_fields(cwa, ACME, {"Backup Enabled": str(not current["Backup Enabled"]).lower()})
    after = {r["title"]: r["value"] for r in w5.client_extra_fields(cwa, ACME)}
    assert after["Backup Enabled"] is (not current["Backup Enabled"])


def test_edfs_of_an_unknown_client_is_refused(cwa: AutomateClient) -> None:
    with pytest.raises(InvalidInput):
        w5.client_extra_fields(cwa, "Acme Dentl Group")
