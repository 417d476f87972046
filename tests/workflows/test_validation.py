"""Every input rule written once (``cwdesk.workflows.validation``): limits from the bundled spec, names, website,
the communication item, loopback hosts; and the flows that use them (onboarding, the console's edits) agree."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import pytest

from cwdesk import ManageClient
from cwdesk.sandbox import Sandbox
from cwdesk.workflows import members
from cwdesk.workflows.client_records import add_contact, update_company
from cwdesk.workflows.onboarding import check_onboarding
from cwdesk.workflows.validation import (
    COMPANY_NAME_MAX,
    CONTACT_NAME_MAX,
    IDENTIFIER_MAX,
    PHONE_MAX,
    ZIP_MAX,
    InvalidInput,
    communication_item,
    email_problem,
    identifier_problem,
    is_loopback,
    name_problem,
    phone_problem,
    spec_max_length,
    state_problem,
    website_problem,
    zip_problem,
)


def _spec_description(schema: str, field: str) -> str:
    text = resources.files("cwdesk").joinpath("spec", "manage-core.json").read_text(encoding="utf-8")
    description: str = json.loads(text)["components"]["schemas"][schema]["properties"][field]["description"]
    return description


def test_maximum_lengths_are_the_bundled_specs() -> None:
    assert f"Max length: {COMPANY_NAME_MAX};" in _spec_description("Company", "name")
    assert f"Max length: {IDENTIFIER_MAX};" in _spec_description("Company", "identifier")
    assert f"Max length: {PHONE_MAX};" in _spec_description("Company", "phoneNumber")
    assert f"Max length: {ZIP_MAX};" in _spec_description("CompanySite", "zip")
    assert (COMPANY_NAME_MAX, IDENTIFIER_MAX, PHONE_MAX, ZIP_MAX) == (156, 156, 30, 12)


def test_a_field_the_spec_gives_no_limit_is_refused_rather_than_unlimited() -> None:
    with pytest.raises(LookupError, match=r"no Max length for Contact\.firstName"):
        spec_max_length("Contact", "firstName")


def test_name_rule_blank_and_too_long() -> None:
    assert name_problem("Acme", 10) is None
    assert name_problem("   ", 10) == "is required"
    assert name_problem("", 10, empty="cannot be empty") == "cannot be empty"
    assert name_problem("x" * 11, 10) == "is 11 characters long; ConnectWise keeps at most 10"
    assert name_problem("  " + "x" * 10 + "  ", 10) is None  # surrounding spaces are not sent


def test_website_rule() -> None:
    assert website_problem("https://acme.example") is None
    assert website_problem("acme") == "'acme' is not a web address (e.g. https://acme.example)"
    assert website_problem("acme .example") == "'acme .example' is not a web address (e.g. https://acme.example)"
    assert website_problem("a." + "b" * 300) == "is 302 characters long; ConnectWise keeps at most 255"


def test_identifier_rule_letters_and_digits_within_the_spec_limit() -> None:
    assert identifier_problem("AcmeCorp") is None
    assert identifier_problem("") == "is required (letters and digits, e.g. AcmeCorp)"
    assert identifier_problem("Acme Corp") == (
        "'Acme Corp' is invalid: use letters and digits only, ConnectWise rejects spaces and symbols (e.g. 'AcmeCorp')"
    )
    too_long = "A" * (IDENTIFIER_MAX + 1)
    assert identifier_problem(too_long) == f"is {IDENTIFIER_MAX + 1} characters long; ConnectWise allows at most 156"


def test_email_and_phone_rules() -> None:
    assert email_problem("jane@acme.example") is None
    assert email_problem("jane-at-acme") == "'jane-at-acme' is not an email address (expected name@domain.tld)"
    assert phone_problem("312-555-0100 x12") is None
    assert phone_problem("call me") == (
        "'call me' is not a phone number (digits with spaces, dashes or parentheses, e.g. 312-555-0100)"
    )
    assert phone_problem("+1 312 555 0100 ext 123456 ") is None
    assert phone_problem("1 - 312 - 555 - 0100 ext. 123456") == "is 32 characters long; ConnectWise keeps at most 30"


def test_state_and_zip_rules_depend_on_the_country() -> None:
    assert state_problem("il") is None  # a US state code in any case
    assert state_problem("Illinois") == "'Illinois' is not a US state code (two letters, e.g. IL)"
    assert state_problem("Ontario", "Canada") is None
    assert zip_problem("60601-1234") is None
    assert zip_problem("6060") == "'6060' is not a US ZIP code (12345 or 12345-6789)"
    assert zip_problem("K1A 0B1", "Canada") is None
    assert zip_problem("1234", "Canada") == "'1234' is not a Canadian postal code (A1A 1A1)"
    assert zip_problem("SW1A 1AA", "United Kingdom") is None
    assert zip_problem("X" * (ZIP_MAX + 1), "Germany") == (
        f"{'X' * (ZIP_MAX + 1)!r} is not a postal code (letters, digits, spaces or dashes, at most {ZIP_MAX})"
    )


def test_communication_item_names_its_type_and_is_the_default() -> None:
    assert communication_item("Email", " ann@acme.example ") == {
        "type": {"name": "Email"},
        "value": "ann@acme.example",
        "defaultFlag": True,
    }
    assert communication_item("Phone", "312-555-0100")["type"] == {"name": "Direct"}


@pytest.mark.parametrize("host", ["localhost", "LOCALHOST", "127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost."])
def test_loopback_hosts(host: str) -> None:
    assert is_loopback(host)


@pytest.mark.parametrize("host", ["na.myconnectwise.net", "10.0.0.1", "0.0.0.0", "evil.localhost", "localhost.evil"])
def test_other_hosts_are_not_loopback(host: str) -> None:
    assert not is_loopback(host)


# ----------------------------------------------------------------------------- the flows share the rules


@pytest.fixture
def cw(sandbox: Sandbox) -> ManageClient:
    return ManageClient(**sandbox.manage_credentials, transport=sandbox.transport())


def _plan(**company: Any) -> dict[str, Any]:
    return {
        "company": {"name": "Validation Test Co", "identifier": "ValidationTestCo", **company},
        "contacts": [{"first_name": "Ann", "last_name": "Lee"}],
    }


def _problems(error: pytest.ExceptionInfo[InvalidInput]) -> dict[str, str]:
    return {problem.field: problem.message for problem in error.value.problems}


def test_onboarding_and_the_company_edit_share_the_name_limit(cw: ManageClient) -> None:
    too_long = "N" * (COMPANY_NAME_MAX + 1)
    with pytest.raises(InvalidInput) as onboarding:
        check_onboarding(cw, _plan(name=too_long))
    with pytest.raises(InvalidInput) as edit:
        update_company(cw, 1, name=too_long)
    expected = f"is {COMPANY_NAME_MAX + 1} characters long; ConnectWise keeps at most {COMPANY_NAME_MAX}"
    assert _problems(onboarding)["company.name"] == expected
    assert _problems(edit)["name"] == expected


def test_onboarding_and_the_company_edit_share_the_website_rule(cw: ManageClient) -> None:
    with pytest.raises(InvalidInput) as onboarding:
        check_onboarding(cw, _plan(website="not a site"))
    with pytest.raises(InvalidInput) as edit:
        update_company(cw, 1, website="not a site")
    assert _problems(onboarding)["company.website"] == _problems(edit)["website"] == website_problem("not a site")


def test_onboarding_checks_contact_name_limits_as_the_console_edits_do(cw: ManageClient) -> None:
    long_name = "L" * (CONTACT_NAME_MAX + 1)
    plan = _plan()
    plan["contacts"] = [{"first_name": long_name, "last_name": "Lee"}]
    with pytest.raises(InvalidInput) as onboarding:
        check_onboarding(cw, plan)
    with pytest.raises(InvalidInput) as edit:
        add_contact(cw, 1, first_name=long_name, last_name="Lee")
    expected = name_problem(long_name, CONTACT_NAME_MAX)
    assert _problems(onboarding)["contacts[0].first_name"] == _problems(edit)["first_name"] == expected


def test_member_limits_are_the_specs_too() -> None:
    assert members.IDENTIFIER_MAX == spec_max_length("Member", "identifier") == 15
    assert members.MEMBER_NAME_MAX == spec_max_length("Member", "firstName") == spec_max_length("Member", "lastName")
