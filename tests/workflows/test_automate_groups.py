"""Groups and a client's membership: global and client-specific groups listed, a client added (its computers put
into the group, one POST /GroupComputers each) and removed (one DELETE each); a second add or remove writes nothing."""

from __future__ import annotations

import pytest

from cwdesk.automate import AutomateClient
from cwdesk.sandbox.server import Sandbox
from cwdesk.workflows import automate_clients as w5
from cwdesk.workflows.validation import InvalidInput
from tests.workflows.automate_requests import automate_writes, client_id_of, client_without_computers

ACME = "Acme Dental Group"
ACME_GROUP = "Acme Dental Group - Imaging Workstations"
DELTA_GROUP = "Delta Precision Manufacturing - Plant Floor"
PILOT = "Patching - Pilot"


def members(sandbox: Sandbox, group: str, client: str) -> set[int]:
    """The computers of ``client`` in ``group``, straight from the emulator's tables."""
    rows = sandbox.db.execute(
        "SELECT gc.computer_id FROM cwa_group_computers gc JOIN cwa_groups g ON g.id = gc.group_id "
        "JOIN cwa_computers m ON m.id = gc.computer_id WHERE g.name = ? AND m.client_id = ?",
        (group, client_id_of(sandbox, client)),
    )
    return {int(r[0]) for r in rows}


def computers(sandbox: Sandbox, client: str) -> set[int]:
    rows = sandbox.db.execute("SELECT id FROM cwa_computers WHERE client_id = ?", (client_id_of(sandbox, client),))
    return {int(r[0]) for r in rows}


def test_groups_list_shows_global_and_client_specific_groups(cwa: AutomateClient, sandbox: Sandbox) -> None:
    rows = {r["name"]: r for r in w5.list_groups(cwa)}
    assert rows[ACME_GROUP]["scope"] == "client" and rows[ACME_GROUP]["client"] == ACME
    assert rows["Servers"]["scope"] == "global" and rows["Service Plans.Managed 24x7"]["scope"] == "global"
    (servers,) = sandbox.db.execute(
        "SELECT count(*) FROM cwa_group_computers gc JOIN cwa_groups g ON g.id = gc.group_id WHERE g.name = 'Servers'"
    ).fetchone()
    assert rows["Servers"]["computers"] == servers > 0
    assert "member" not in rows["Servers"]


def test_groups_list_of_a_client_hides_other_clients_groups_and_says_membership(
    cwa: AutomateClient, sandbox: Sandbox
) -> None:
    rows = {r["name"]: r for r in w5.list_groups(cwa, ACME)}
    assert ACME_GROUP in rows and DELTA_GROUP not in rows
    assert rows[ACME_GROUP]["member"] == "yes"
    assert rows[PILOT]["member"] == "no"
    in_servers = len(members(sandbox, "Servers", ACME))
    expected = "no" if in_servers == 0 else f"partly {in_servers} of {len(computers(sandbox, ACME))}"
    assert rows["Servers"]["member"] == expected


def test_add_client_puts_each_computer_in_once_and_a_second_add_is_already_a_member(
    cwa: AutomateClient, sandbox: Sandbox
) -> None:
    theirs = computers(sandbox, ACME)
    mark = len(sandbox.requests)
    preview = w5.add_client_to_group(cwa, PILOT, ACME, dry_run=True)
    assert automate_writes(sandbox, mark) == [] and preview.status == "would_add"
    assert {c["id"] for c in preview.computers} == theirs
    added = w5.add_client_to_group(cwa, PILOT, ACME)
    again = w5.add_client_to_group(cwa, "patching - pilot", str(client_id_of(sandbox, ACME)))
    assert automate_writes(sandbox, mark) == ["POST /GroupComputers"] * len(theirs)
    assert (added.status, again.status) == ("added", "already_member")
    assert members(sandbox, PILOT, ACME) == theirs
    assert "already in" in again.message


def test_add_client_adds_only_the_computers_not_in_yet(cwa: AutomateClient, sandbox: Sandbox) -> None:
    theirs = computers(sandbox, ACME)
    already = members(sandbox, "Workstations", ACME)
    assert already and already != theirs, "the demo's Acme has workstations and servers"
    mark = len(sandbox.requests)
    result = w5.add_client_to_group(cwa, "Workstations", ACME)
    assert automate_writes(sandbox, mark) == ["POST /GroupComputers"] * len(theirs - already)
    assert result.unchanged == len(already) and members(sandbox, "Workstations", ACME) == theirs


def test_remove_client_deletes_its_memberships_once(cwa: AutomateClient, sandbox: Sandbox) -> None:
    before = members(sandbox, ACME_GROUP, ACME)
    assert before
    mark = len(sandbox.requests)
    preview = w5.remove_client_from_group(cwa, ACME_GROUP, ACME, dry_run=True)
    assert automate_writes(sandbox, mark) == [] and preview.status == "would_remove"
    removed = w5.remove_client_from_group(cwa, ACME_GROUP, ACME)
    again = w5.remove_client_from_group(cwa, ACME_GROUP, ACME)
    writes = automate_writes(sandbox, mark)
    assert len(writes) == len(before) and all(w.startswith("DELETE /GroupComputers/") for w in writes)
    assert (removed.status, again.status) == ("removed", "not_a_member")
    assert members(sandbox, ACME_GROUP, ACME) == set()


def test_a_client_cannot_join_another_clients_group(cwa: AutomateClient, sandbox: Sandbox) -> None:
    mark = len(sandbox.requests)
    with pytest.raises(InvalidInput, match="specific to 'Delta Precision Manufacturing'"):
        w5.add_client_to_group(cwa, DELTA_GROUP, ACME)
    assert automate_writes(sandbox, mark) == []


def test_a_client_without_computers_cannot_be_put_in_a_group(cwa: AutomateClient, sandbox: Sandbox) -> None:
    mark = len(sandbox.requests)
    result = w5.add_client_to_group(cwa, PILOT, client_without_computers(sandbox))
    assert result.status == "no_computers" and "has no computers" in result.message
    assert automate_writes(sandbox, mark) == []


def test_an_unknown_or_ambiguous_group_is_refused_with_suggestions(cwa: AutomateClient, sandbox: Sandbox) -> None:
    with pytest.raises(InvalidInput, match="did you mean 'Patching - Pilot'"):
        w5.add_client_to_group(cwa, "Patching Pilot", ACME)
    for parent in ("Servers", "Workstations"):
        parent_id = next(g.id for g in cwa.groups.list() if g.full_name == parent)
        cwa.groups.create({"Name": "Backup", "ParentId": str(parent_id)})
    with pytest.raises(InvalidInput, match="names 2 groups"):
        w5.add_client_to_group(cwa, "backup", ACME)
    assert w5.resolve_group(cwa, "Servers.Backup").full_name == "Servers.Backup"
    assert w5.resolve_group(cwa, "Service Plans.Managed 24x7").full_name == "Service Plans.Managed 24x7"
    with pytest.raises(InvalidInput, match="no group with id 999"):
        w5.resolve_group(cwa, "999")
