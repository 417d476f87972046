"""W5 Automate client workflows against the sandbox's demo data: find, report, health, EDFs, create, onboard, delete."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from cwdesk._http.throttle import reset_throttles
from cwdesk.automate import AutomateClient
from cwdesk.conditions import C
from cwdesk.sandbox.server import Sandbox
from cwdesk.workflows import automate_clients as w5
from cwdesk.workflows.jobs import JobState, get_job, rollback_job, run_job
from cwdesk.workflows.validation import InvalidInput


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    reset_throttles()
    sandbox = Sandbox(seed="demo")
    yield sandbox
    sandbox.close()


@pytest.fixture
def cwa(sb: Sandbox) -> Iterator[AutomateClient]:
    with AutomateClient(**sb.automate_credentials, transport=sb.transport(), sleep=lambda _: None) as client:
        yield client


def computers_of(sb: Sandbox) -> dict[int, list[tuple[int, int]]]:
    """Client id -> [(computer id, online)] straight from the emulator's tables (the test's own view)."""
    found: dict[int, list[tuple[int, int]]] = {}
    for cid, client_id, online in sb.db.execute("SELECT id, client_id, online FROM cwa_computers"):
        found.setdefault(client_id, []).append((cid, online))
    return found


def client_id_of(sb: Sandbox, name: str) -> int:
    row = sb.db.execute("SELECT id FROM cwa_clients WHERE name = ?", (name,)).fetchone()
    assert row is not None, name
    return int(row[0])


def name_of(sb: Sandbox, client_id: int) -> str:
    return str(sb.db.execute("SELECT name FROM cwa_clients WHERE id = ?", (client_id,)).fetchone()[0])


# ------------------------------------------------------------------------------------------------------ find


def test_find_exact_name_any_case(cwa: AutomateClient, sb: Sandbox) -> None:
    result = w5.find_client(cwa, "cedar & finch law")
    assert result.found and result.client is not None
    assert result.client["id"] == client_id_of(sb, "Cedar & Finch Law")
    assert result.client["computers"] == len(computers_of(sb).get(result.client["id"], []))


def test_find_ambiguous_name_gives_suggestions_with_computer_counts(cwa: AutomateClient, sb: Sandbox) -> None:
    cwa.clients.create({"Name": "Acme Dental Labs", "City": "Orlando"})
    result = w5.find_client(cwa, "Acme Dental")
    assert not result.found and result.client is None
    by_name = {s["name"]: s for s in result.suggestions}
    assert set(by_name) == {"Acme Dental Group", "Acme Dental Labs"}
    acme = client_id_of(sb, "Acme Dental Group")
    assert by_name["Acme Dental Group"]["computers"] == len(computers_of(sb).get(acme, []))
    assert by_name["Acme Dental Labs"] == {"name": "Acme Dental Labs", "id": by_name["Acme Dental Labs"]["id"],
                                          "city": "Orlando", "computers": 0}  # fmt: skip
    assert set(result.as_dict()) == {"found", "client", "suggestions"}


def test_find_misspelt_name_suggests_close_names(cwa: AutomateClient) -> None:
    result = w5.find_client(cwa, "Evergren Veterinary Clinc")
    assert not result.found and [s["name"] for s in result.suggestions] == ["Evergreen Veterinary Clinic"]


def test_find_injection_attempt_matches_nothing(cwa: AutomateClient, sb: Sandbox) -> None:
    for hostile in ("x' or Name like '%", 'x" or Name like "%', "%", "_"):
        result = w5.find_client(cwa, hostile)
        assert not result.found
        assert all(hostile.strip("%_") in s["name"] for s in result.suggestions), hostile
    sent = [entry.query for entry in sb.requests if entry.path.endswith("/Clients")]
    assert sent  # the hostile text travelled escaped inside one string value
    with pytest.raises(InvalidInput):
        w5.resolve_client(cwa, "x' or Name like '%")


# ---------------------------------------------------------------------------------------------------- report


def test_report_lists_every_client_with_counts_and_locations(cwa: AutomateClient, sb: Sandbox) -> None:
    progress: list[tuple[int, int]] = []
    rows = w5.client_report(cwa, on_progress=lambda done, total: progress.append((done, total)))
    assert [r["name"] for r in rows] == sorted(r[0] for r in sb.db.execute("SELECT name FROM cwa_clients"))
    computers = computers_of(sb)
    for row in rows:
        mine = computers.get(row["id"], [])
        assert (row["computers"], row["online"]) == (len(mine), sum(online for _, online in mine))
        expected = sorted(
            n for (n,) in sb.db.execute("SELECT name FROM cwa_locations WHERE client_id = ?", (row["id"],))
        )
        assert row["locations"] == expected and "Main Office" in expected
        assert row["contact"]
    assert progress[-1] == (3, 3)


# ---------------------------------------------------------------------------------------------------- health


def test_health_counts_online_offline_and_lists_offline_with_last_contact(cwa: AutomateClient, sb: Sandbox) -> None:
    computers = computers_of(sb)
    client_id = max(computers, key=lambda cid: sum(1 for _, on in computers[cid] if not on))
    mine = computers[client_id]
    offline = sum(1 for _, on in mine if not on)
    assert offline > 0, "the demo data has a client with offline computers"
    health = w5.client_health(cwa, name_of(sb, client_id))
    assert (health.total, health.online, health.offline) == (len(mine), len(mine) - offline, offline)
    assert health.percentage == round(100 * (len(mine) - offline) / len(mine), 1)
    assert len(health.offline_computers) == offline
    assert all(c["last_contact"].endswith("Z") for c in health.offline_computers)


def test_health_of_a_client_without_computers_has_no_percentage(cwa: AutomateClient) -> None:
    empty = cwa.clients.create({"Name": "Brand New Client"})
    health = w5.client_health(cwa, str(empty.id))
    assert (health.total, health.online, health.offline, health.percentage) == (0, 0, 0, None)
    assert health.as_dict()["health_percentage"] is None


# ------------------------------------------------------------------------------------------------------ EDFs


def test_set_edf_reports_updated_not_found_invalid_unchanged(cwa: AutomateClient, sb: Sandbox) -> None:
    acme = client_id_of(sb, "Acme Dental Group")
    before = {f.title: f.value for f in cwa.clients.extra_fields(acme)}
    new_sla = next(o for o in ("Gold", "Silver") if o != before["SLA Level"])
    results = w5.set_client_extra_fields(
        cwa,
        "Acme Dental Group",
        {
            "sla level": new_sla,
            "Contract Typ": "x",
            "Contract Type": "Platinum",
            "Account Manager": before["Account Manager"],
        },
    )
    assert [(r.field, r.status) for r in results] == [
        ("sla level", "updated"),
        ("Contract Typ", "not_found"),
        ("Contract Type", "invalid"),
        ("Account Manager", "unchanged"),
    ]
    assert "Contract Type" in results[1].message and "Managed Services" in results[2].message
    after = {f.title: f.value for f in cwa.clients.extra_fields(acme)}
    assert after["SLA Level"] == new_sla and after["Contract Type"] == before["Contract Type"]


def test_set_edf_dry_run_writes_nothing(cwa: AutomateClient, sb: Sandbox) -> None:
    acme = client_id_of(sb, "Acme Dental Group")
    before = {f.title: f.value for f in cwa.clients.extra_fields(acme)}
    results = w5.set_client_extra_fields(cwa, acme, {"Backup Enabled": not before["Backup Enabled"]}, dry_run=True)
    assert results[0].status == "would_update"
    assert {f.title: f.value for f in cwa.clients.extra_fields(acme)} == before


# ---------------------------------------------------------------------------------------------------- create


def test_create_client_with_default_location(cwa: AutomateClient) -> None:
    made = w5.create_client(cwa, "Orchid Dental", details={"city": "Miami", "state": "FL", "zip": "33101"})
    location = cwa.locations.get(made["location"]["id"])
    assert location.name == "Main Office" and location.city == "Miami"
    assert location.client and location.client.id == made["client"]["id"]


def test_create_refuses_an_existing_name_before_writing(cwa: AutomateClient, sb: Sandbox) -> None:
    count = sb.db.execute("SELECT count(*) FROM cwa_clients").fetchone()[0]
    with pytest.raises(InvalidInput, match="already exists"):
        w5.create_client(cwa, "ACME DENTAL GROUP")
    assert sb.db.execute("SELECT count(*) FROM cwa_clients").fetchone()[0] == count


# --------------------------------------------------------------------------------------------------- onboard

PLAN: dict[str, Any] = {
    "client": {"name": "Juniper Family Practice", "city": "Reno", "state": "NV", "zip": "89501",
               "phone": "775-555-0111", "first_name": "Maya", "last_name": "Ortiz"},
    "location": {"name": "Main Office"},
    "extra_fields": {"SLA Level": "Gold", "Contract Type": "Managed Services"},
    "location_extra_fields": {"Site Code": "JFP-01"},
    "groups": ["Service Plans.Managed 24x7", "Service Plans.Juniper"],
}  # fmt: skip


def test_onboard_creates_client_location_edfs_and_groups(cwa: AutomateClient, engine: sa.Engine) -> None:
    result = w5.onboard_client(engine, cwa, PLAN)
    assert result.summary is not None and result.summary.state is JobState.succeeded, result.summary
    client = cwa.clients.list(where=C("Name") == "Juniper Family Practice")[0]
    assert client.id is not None and client.city == "Reno" and client.contact_name == "Maya Ortiz"
    assert {f.title: f.value for f in cwa.clients.extra_fields(client.id)}["SLA Level"] == "Gold"
    location = cwa.locations.list(where=C("Client.Id") == client.id)[0]
    assert location.id is not None and location.city == "Reno"
    assert {f.title: f.value for f in cwa.locations.extra_fields(location.id)}["Site Code"] == "JFP-01"
    assert [g.full_name for g in cwa.groups.list(where=C("Name") == "Juniper")] == ["Service Plans.Juniper"]


def test_onboard_twice_creates_nothing_new(cwa: AutomateClient, engine: sa.Engine, sb: Sandbox) -> None:
    w5.onboard_client(engine, cwa, PLAN)
    counts = [
        sb.db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("cwa_clients", "cwa_locations", "cwa_groups")
    ]
    again = w5.onboard_client(engine, cwa, PLAN)
    assert again.summary is not None and again.summary.state is JobState.succeeded
    assert again.summary.counts.ok == 0 and again.summary.counts.skipped == again.summary.counts.total
    assert counts == [
        sb.db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("cwa_clients", "cwa_locations", "cwa_groups")
    ]


def test_onboard_checks_the_plan_before_any_write(cwa: AutomateClient, engine: sa.Engine, sb: Sandbox) -> None:
    bad = {**PLAN, "extra_fields": {"SLA Levle": "Gold", "Contract Type": "Platinum"}, "groups": ["Nowhere.Child"]}
    with pytest.raises(InvalidInput) as info:
        w5.onboard_client(engine, cwa, bad)
    text = str(info.value)
    assert "SLA Level" in text and "Platinum" in text and "Nowhere" in text
    assert not cwa.clients.list(where=C("Name") == "Juniper Family Practice")
    writes = [e for e in sb.requests if e.method != "GET" and "apitoken" not in e.path.lower()]
    assert writes == []


def test_onboard_dry_run_lists_steps_and_writes_nothing(cwa: AutomateClient) -> None:
    result = w5.onboard_client(None, cwa, PLAN, dry_run=True)
    assert result.job_id is None and [s["action"] for s in result.steps] == [
        "create_client", "create_location", "set_client_edf", "set_client_edf", "set_location_edf",
        "ensure_group", "ensure_group",
    ]  # fmt: skip
    assert not cwa.clients.list(where=C("Name") == "Juniper Family Practice")


def test_onboard_resumes_after_failure_and_rolls_back(cwa: AutomateClient, engine: sa.Engine, sb: Sandbox) -> None:
    checked = w5.check_onboard_plan(cwa, PLAN)
    # The location EDF definition disappears between the check and the run: that step fails and stops the job.
    sb.db.execute("UPDATE cwa_extra_field_definitions SET title = 'Site Code (old)' WHERE title = 'Site Code'")
    from cwdesk.workflows.jobs import create_job

    job_id = create_job(engine, w5.plan_onboard(checked))
    first = run_job(engine, job_id, client=cwa)
    assert first.state is JobState.failed and "Site Code" in (first.message or "")
    sb.db.execute("UPDATE cwa_extra_field_definitions SET title = 'Site Code' WHERE title = 'Site Code (old)'")
    second = run_job(engine, job_id, client=cwa)
    assert second.state is JobState.succeeded
    assert len(cwa.clients.list(where=C("Name") == "Juniper Family Practice")) == 1
    rollback_job(engine, job_id, client=cwa)
    assert not cwa.clients.list(where=C("Name") == "Juniper Family Practice")
    assert not cwa.groups.list(where=C("Name") == "Juniper")
    assert get_job(engine, job_id).summary.state is JobState.rolled_back


# ---------------------------------------------------------------------------------------------------- delete


def test_delete_refuses_with_the_computer_list_while_computers_remain(cwa: AutomateClient, sb: Sandbox) -> None:
    computers = computers_of(sb)
    owner = next(iter(computers))
    result = w5.delete_client(cwa, str(owner))
    assert result.refused and not result.deleted
    assert sorted(c["id"] for c in result.computers) == sorted(cid for cid, _ in computers[owner])
    assert cwa.clients.get(owner).id == owner


def test_delete_moves_computers_then_deletes(cwa: AutomateClient, sb: Sandbox) -> None:
    computers = computers_of(sb)
    owner = next(iter(computers))
    target = next(cid for cid in (1, 2, 3, 4, 5) if cid != owner)
    target_name = name_of(sb, target)
    dry = w5.delete_client(cwa, owner, move_computers_to=f"{target_name}/Main Office", dry_run=True)
    assert dry.dry_run and not dry.deleted and "Would move" in dry.message
    assert cwa.clients.get(owner).id == owner
    result = w5.delete_client(cwa, owner, move_computers_to=f"{target_name}/main office")
    assert result.deleted and len(result.moved) == len(computers[owner])
    moved_ids = {cid for cid, _ in computers[owner]}
    now = {c.id: c for c in cwa.computers.list(where=C("Client.Id") == target)}
    assert moved_ids <= set(now) and all(now[i].location and now[i].location.name == "Main Office" for i in moved_ids)
    assert not sb.db.execute("SELECT 1 FROM cwa_clients WHERE id = ?", (owner,)).fetchone()


def test_delete_with_a_bad_move_target_fails_before_any_write(cwa: AutomateClient, sb: Sandbox) -> None:
    owner = next(iter(computers_of(sb)))
    with pytest.raises(InvalidInput, match="has no location"):
        other = next(cid for cid in (1, 2, 3, 4, 5) if cid != owner)
        w5.delete_client(cwa, owner, move_computers_to=f"{name_of(sb, other)}/Nowhere")
    with pytest.raises(InvalidInput, match="being deleted"):
        w5.delete_client(cwa, owner, move_computers_to=f"{name_of(sb, owner)}/Main Office")
    with pytest.raises(InvalidInput, match="CLIENT/LOCATION"):
        w5.delete_client(cwa, owner, move_computers_to="just a name")
    assert [e for e in sb.requests if e.method in ("PATCH", "DELETE")] == []


def test_the_onboard_plan_is_a_model_refusing_unknown_keys_before_any_call(cwa: AutomateClient, sb: Sandbox) -> None:
    bad = {
        "client": {"name": " ", "citty": "Reno", "zip": 89501},
        "locations": {},
        "extra_fields": ["SLA Level"],
        "groups": ["Service Plans", ""],
    }
    sb.clear_requests()
    with pytest.raises(InvalidInput) as info:
        w5.check_onboard_plan(cwa, bad)
    problems = {p.field: p.message for p in info.value.problems}
    assert problems == {
        "client.name": "is required",
        "client.citty": (
            "is not a known field (known: address1, address2, city, comment, company, country, email, external_id, "
            "fax, first_name, last_name, name, phone, state, zip)"
        ),
        "plan.locations": (
            "is not a known field (known: client, extra_fields, groups, location, location_extra_fields)"
        ),
        "extra_fields": "must be a mapping of names to values",
        "groups": "must be a list of group names (a subgroup as 'Parent.Child')",
    }
    assert list(sb.requests) == []
    assert w5.AutomateOnboardingPlan.model_validate({"client": {"name": "A", "zip": 89501}}).client.zip == "89501"
