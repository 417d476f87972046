"""S1: ticket priorities (``/service/priorities``) as ConnectWise has them: the five stock ones, full CRUD, and
ticket references to them by id or name (the default when a ticket names none)."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from cwdesk.sandbox import Sandbox

STOCK = [
    "Priority 1 - Emergency Response",
    "Priority 2 - Quick Response",
    "Priority 3 - Normal Response",
    "Priority 4 - Schedule Maintenance",
    "Priority 5 - Next Time",
]


def test_the_five_stock_priorities_are_listed_with_normal_response_the_default(manage: httpx.Client) -> None:
    listed = manage.get("/service/priorities", params={"orderBy": "sortOrder"}).json()
    assert [p["name"] for p in listed] == STOCK
    assert [p["name"] for p in listed if p["defaultFlag"]] == ["Priority 3 - Normal Response"]
    assert manage.get("/service/priorities/count").json() == {"count": 5}
    found = manage.get("/service/priorities", params={"conditions": 'name like "%Normal%"'}).json()
    assert [p["name"] for p in found] == ["Priority 3 - Normal Response"]


def test_even_an_empty_sandbox_has_the_stock_priorities(
    empty_sandbox: Sandbox, connect: Callable[..., httpx.Client]
) -> None:
    with connect(empty_sandbox) as manage:
        assert [p["name"] for p in manage.get("/service/priorities").json()] == STOCK
        assert manage.get("/company/companies").json() == []


def test_priorities_can_be_created_read_changed_and_deleted(manage: httpx.Client) -> None:
    missing_color = manage.post("/service/priorities", json={"name": "Priority 6 - Someday"})
    assert missing_color.status_code == 400
    assert ("MissingRequiredField", "color") in {(e["code"], e["field"]) for e in missing_color.json()["errors"]}
    created = manage.post("/service/priorities", json={"name": "Priority 6 - Someday", "color": "Purple"})
    assert created.status_code == 201
    record = created.json()
    assert manage.get(f"/service/priorities/{record['id']}").json() == record
    patched = manage.patch(
        f"/service/priorities/{record['id']}", json=[{"op": "replace", "path": "sortOrder", "value": 6}]
    )
    assert patched.status_code == 200 and patched.json()["sortOrder"] == 6
    assert manage.delete(f"/service/priorities/{record['id']}").status_code == 204
    assert manage.get(f"/service/priorities/{record['id']}").status_code == 404


def test_tickets_reference_priorities_by_name_and_get_the_default_otherwise(manage: httpx.Client) -> None:
    stock = {p["name"]: p["id"] for p in manage.get("/service/priorities").json()}
    named = manage.post(
        "/service/tickets",
        json={"summary": "Server down", "company": {"id": 1}, "priority": {"name": "priority 1 - emergency response"}},
    )
    assert named.status_code == 201
    assert named.json()["priority"]["id"] == stock["Priority 1 - Emergency Response"]
    assert named.json()["priority"]["name"] == "Priority 1 - Emergency Response"
    plain = manage.post("/service/tickets", json={"summary": "Printer jam", "company": {"id": 1}})
    assert plain.json()["priority"]["name"] == "Priority 3 - Normal Response"
    unknown = manage.post(
        "/service/tickets", json={"summary": "x", "company": {"id": 1}, "priority": {"name": "Priority 3 - Normal"}}
    )
    assert unknown.status_code == 400
    assert "Priority 3 - Normal" in unknown.text


def test_seeded_tickets_point_at_a_stock_priority(manage: httpx.Client) -> None:
    stock = {p["id"]: p["name"] for p in manage.get("/service/priorities").json()}
    tickets = manage.get("/service/tickets", params={"pageSize": 1000}).json()
    assert tickets
    assert all(stock[t["priority"]["id"]] == t["priority"]["name"] for t in tickets)
