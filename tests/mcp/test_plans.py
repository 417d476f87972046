"""The plans an MCP server keeps: the differences shown when ConnectWise changed since a plan was made, one run
per plan, and a bounded number of plans kept."""

from __future__ import annotations

import pytest

from cwdesk.mcp.plans import PlanBook, PlanRefused, differences, snapshot_of
from cwdesk.workflows.jobs import Plan, Step


def _plan(*steps: Step, title: str = "Set inactiveFlag=true on 2 contact(s)") -> Plan:
    return Plan(kind="bulk_contacts", title=title, params={}, steps=steps)


def test_differences_name_each_step_added_gone_or_changed() -> None:
    before = snapshot_of(
        _plan(
            Step("contact:1", "update_contact", {"before": {"inactiveFlag": "false"}}, "Ann Lee"),
            Step("contact:2", "update_contact", {"before": {"inactiveFlag": "false"}}, "Bob Roe"),
        )
    )
    now = snapshot_of(
        _plan(
            Step("contact:1", "update_contact", {"before": {"inactiveFlag": "true"}}, "Ann Lee"),
            Step("contact:3", "update_contact", {"before": {"inactiveFlag": "false"}}, "Cy Poe"),
        )
    )
    assert differences(before, now) == [
        "contact:2: no longer in the plan (Bob Roe)",
        "contact:3: new in the plan (Cy Poe)",
        'contact:1: before was {"inactiveFlag": "false"}, now {"inactiveFlag": "true"}',
    ]
    assert differences(before, before) == []


def test_a_tuple_and_a_list_in_params_are_the_same_plan() -> None:
    assert (
        differences(
            snapshot_of(_plan(Step("k", "a", {"ids": (1, 2)}))), snapshot_of(_plan(Step("k", "a", {"ids": [1, 2]})))
        )
        == []
    )


def test_a_plan_runs_once_and_only_when_unchanged() -> None:
    book = PlanBook()
    launched: list[int] = []
    state = {"snapshot": snapshot_of(_plan(Step("k", "a", {"v": 1})))}
    made = book.add(
        kind="bulk_contacts",
        title="t",
        snapshot=state["snapshot"],
        rebuild=lambda: state["snapshot"],
        launch=lambda: launched.append(7) or 7,
    )
    state["snapshot"] = snapshot_of(_plan(Step("k", "a", {"v": 2})))
    with pytest.raises(PlanRefused) as refused:
        book.execute(made.id, confirm=True)
    assert refused.value.differences == ["k: v was 1, now 2"] and launched == []
    state["snapshot"] = made.snapshot
    assert book.execute(made.id, confirm=True).job_id == 7
    with pytest.raises(PlanRefused, match="already ran as job 7"):
        book.execute(made.id, confirm=True)
    assert launched == [7]


def test_the_oldest_plan_is_forgotten_past_the_limit() -> None:
    book = PlanBook(kept=2)
    ids = [book.add(kind="k", title="t", snapshot={}, rebuild=dict, launch=lambda: 1).id for _ in range(3)]
    with pytest.raises(PlanRefused, match="call a plan_\\* tool first"):
        book.get(ids[0])
    assert book.get(ids[2]).id == ids[2]
