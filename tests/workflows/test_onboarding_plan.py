"""W1: the onboarding plan is a pydantic model (``OnboardingPlan``, unknown keys refused); its validation errors
are the plan's problems, in the words and under the keys the plans have always used."""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

import pytest

from cwdesk.workflows.onboarding import OnboardingPlan, read_plan
from cwdesk.workflows.validation import InvalidInput, Problems

PLAN: dict[str, Any] = {
    "company": {"name": "Acme Corp", "identifier": "AcmeCorp", "address": {"city": "Chicago", "zip": 60601}},
    "contacts": [{"first_name": "Jane", "last_name": "Doe", "email": "jane@acme.example"}],
    "agreement": {"type": "Managed Service", "start_date": "2026-12-01", "bill_amount": "1500"},
}
TODAY = date(2026, 12, 1)


def _read(plan: dict[str, Any]) -> tuple[OnboardingPlan | None, dict[str, str]]:
    problems = Problems("the onboarding plan")
    try:
        model = read_plan(plan, problems, today=TODAY)
    except InvalidInput as error:
        return None, {p.field: p.message for p in error.problems}
    return model, {p.field: p.message for p in problems.items}


def test_a_good_plan_reads_as_typed_values() -> None:
    model, problems = _read(copy.deepcopy(PLAN))
    assert problems == {}
    assert model is not None
    assert model.company.address.zip == "60601"  # a YAML number reads as its digits
    assert model.agreement is not None and model.agreement.start_date == date(2026, 12, 1)
    assert model.agreement.bill_amount == 1500.0
    assert model.ticket is None and model.site.name == ""


def test_unknown_keys_are_refused_at_once_under_their_place_in_the_plan() -> None:
    plan = copy.deepcopy(PLAN)
    plan["tickets"] = {}
    plan["company"]["adress"] = {}
    plan["contacts"][0]["mail"] = "x"
    model, problems = _read(plan)
    assert model is None
    assert problems["plan.tickets"] == "is not a known field (known: agreement, company, contacts, site, ticket)"
    assert problems["company.adress"].startswith("is not a known field (known: address, identifier, name")
    assert problems["contacts[0].mail"] == ("is not a known field (known: email, first_name, last_name, phone, title)")


def test_sections_of_the_wrong_type_say_what_they_must_hold() -> None:
    model, problems = _read({"company": "Acme", "contacts": {"first_name": "Jane"}})
    assert model is None
    assert problems["company"].startswith("must be a mapping of fields (address, identifier, name")
    assert problems["contacts"] == "must be a list of contacts"
    assert _read({})[1] == {"company": "is required (name, identifier, address...)"}


def test_wrong_values_are_all_reported_and_the_plan_is_still_read_for_its_lookups() -> None:
    plan = copy.deepcopy(PLAN)
    plan["company"]["identifier"] = "Acme Corp"
    plan["company"]["address"]["zip"] = "6060"
    plan["contacts"][0]["email"] = "jane-at-acme"
    plan["contacts"].append({"first_name": "Jane", "last_name": "Doe"})
    plan["agreement"]["end_date"] = "2026-11-30"
    model, problems = _read(plan)
    assert model is not None and model.company.identifier == "Acme Corp"
    assert set(problems) == {
        "company.identifier",
        "company.address.zip",
        "contacts[0].email",
        "contacts[1]",
        "agreement.end_date",
    }
    assert problems["agreement.end_date"] == "2026-11-30 is before the start date 2026-12-01"
    assert problems["contacts[1]"] == "'Jane Doe' is listed twice; each contact of a company needs a distinct name"


def test_an_agreement_without_contacts_or_type_and_an_address_less_company_are_refused() -> None:
    plan = copy.deepcopy(PLAN)
    plan["company"]["address"] = {"country": "United States"}
    plan["contacts"] = []
    plan["agreement"] = {"bill_amount": -5}
    _, problems = _read(plan)
    assert problems == {
        "company.address": "is required: ConnectWise needs at least one of line1, line2, city, state, zip",
        "agreement.type": "is required (an agreement type of ConnectWise, e.g. Managed Service)",
        "agreement.bill_amount": "cannot be negative",
        "agreement": "needs a contact: list at least one contact (the first becomes primary)",
    }


def test_dates_and_amounts_that_cannot_be_read_name_the_value() -> None:
    plan = copy.deepcopy(PLAN)
    plan["agreement"] = {"type": "Managed Service", "start_date": "1st December", "bill_amount": "lots"}
    model, problems = _read(plan)
    assert model is None
    assert problems == {
        "agreement.start_date": "'1st December' is not a date (use YYYY-MM-DD)",
        "agreement.bill_amount": "'lots' is not a number",
    }


def test_the_plan_model_refuses_extra_fields_itself() -> None:
    assert OnboardingPlan.model_config.get("extra") == "forbid"
    with pytest.raises(ValueError, match="Extra inputs are not permitted"):
        OnboardingPlan.model_validate({"company": {"name": "A", "identifier": "A", "x": 1}}, context={"lenient": True})
