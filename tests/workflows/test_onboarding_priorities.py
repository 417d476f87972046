"""W1: the ticket priority is checked against ConnectWise's list (``/service/priorities``) before any write; a
ConnectWise that does not serve the list gets the name as typed, with a note saying it was not checked."""

from __future__ import annotations

from typing import Any

import pytest

from cwdesk import ManageClient
from cwdesk.sandbox import Sandbox
from cwdesk.workflows.onboarding import check_onboarding
from cwdesk.workflows.validation import InvalidInput

PLAN: dict[str, Any] = {
    "company": {"name": "Acme Corp", "identifier": "AcmeCorp", "address": {"city": "Chicago", "state": "IL"}},
    "contacts": [{"first_name": "Jane", "last_name": "Doe"}],
    "ticket": {"board": "Service Desk", "priority": "Priority 3 - Normal Response"},
}


@pytest.fixture
def cw(sandbox: Sandbox) -> ManageClient:
    return ManageClient(**sandbox.manage_credentials, transport=sandbox.transport())


def with_priority(name: str) -> dict[str, Any]:
    return {**PLAN, "ticket": {**PLAN["ticket"], "priority": name}}


def test_a_stock_priority_resolves_to_its_id(cw: ManageClient) -> None:
    stock = {p.name: p.id for p in cw.priorities.list()}
    checked = check_onboarding(cw, with_priority("priority 3 - normal response"))
    assert not [n for n in checked.notes if "priority" in n]
    assert checked.ticket_body is not None
    priority = checked.ticket_body["priority"]
    assert (priority["id"], priority["name"]) == (stock["Priority 3 - Normal Response"], "Priority 3 - Normal Response")


def test_a_misspelt_priority_is_refused_with_a_suggestion(cw: ManageClient) -> None:
    with pytest.raises(InvalidInput) as raised:
        check_onboarding(cw, with_priority("Priority 3 - Normal"))
    assert "ticket.priority" in str(raised.value) and "Priority 3 - Normal Response" in str(raised.value)


def test_without_a_priority_list_the_name_is_sent_as_typed_and_noted(cw: ManageClient, sandbox: Sandbox) -> None:
    sandbox.faults.fail_next(method="GET", path_contains="/service/priorities", status=404, count=5)
    checked = check_onboarding(cw, with_priority("Priority 3 - Normal"))
    assert checked.ticket_body is not None and checked.ticket_body["priority"] == {"name": "Priority 3 - Normal"}
    assert any(n.startswith("priority names are not checked") for n in checked.notes)
