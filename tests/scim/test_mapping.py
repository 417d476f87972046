"""SCIM User <-> ConnectWise member (cwdesk.scim.mapping): the table of docs/scim.md, and the refusals."""

from __future__ import annotations

from typing import Any

import pytest
from scim2_models import InvalidValueException

from cwdesk.scim.mapping import NO_PRIMARY, changes_for, member_fields, user_of_member
from cwdesk.scim.models import Email, Name, PhoneNumber, User
from cwdesk.store.scim_records import ScimLink

MEMBER: dict[str, Any] = {
    "id": 12,
    "identifier": "jsmith",
    "firstName": "Jordan",
    "lastName": "Smith",
    "title": "Technician II",
    "officeEmail": "jsmith@msp.example",
    "homeEmail": "jordan@home.example",
    "mobileEmail": None,
    "defaultEmail": "Office",
    "officePhone": "312-555-0100",
    "mobilePhone": "312-555-0199",
    "defaultPhone": "Mobile",
    "inactiveFlag": True,
    "securityRole": {"id": 2, "name": "Technician"},
    "_info": {"lastUpdated": "2026-03-01T10:00:00Z", "dateEntered": "2025-01-02T08:00:00Z"},
}


def user(**fields: Any) -> User:
    base: dict[str, Any] = {
        "user_name": "bjensen",
        "name": Name(given_name="Barbara", family_name="Jensen"),
        "emails": [Email(value="bjensen@example.com", type=Email.Type.work, primary=True)],
        "active": True,
    }
    base.update(fields)
    return User(**base)


def test_a_member_reads_as_the_user_of_the_mapping_table() -> None:
    found = user_of_member(MEMBER, ScimLink(external_id="00u1"))
    assert (found.id, found.user_name, found.external_id) == ("12", "jsmith", "00u1")
    assert found.name is not None and (found.name.given_name, found.name.family_name) == ("Jordan", "Smith")
    assert found.display_name == "Jordan Smith" and found.title == "Technician II"
    assert found.active is False
    assert [(e.value, e.type, e.primary) for e in found.emails or []] == [
        ("jsmith@msp.example", "work", True),
        ("jordan@home.example", "home", False),
    ]
    assert [(p.value, p.type, p.primary) for p in found.phone_numbers or []] == [
        ("312-555-0100", "work", False),
        ("312-555-0199", "mobile", True),
    ]
    assert found.groups is not None and (found.groups[0].value, found.groups[0].display) == ("2", "Technician")
    assert found.meta is not None and found.meta.last_modified is not None


def test_the_primary_the_provider_marked_is_repeated_while_connectwise_agrees() -> None:
    none_marked = user_of_member(MEMBER, ScimLink(email_primary=NO_PRIMARY))
    assert [e.primary for e in none_marked.emails or []] == [False, False]
    changed_in_connectwise = user_of_member(MEMBER, ScimLink(email_primary="Home"))  # defaultEmail is Office now
    assert [e.primary for e in changed_in_connectwise.emails or []] == [True, False]


def test_a_user_becomes_member_fields() -> None:
    wanted = member_fields(
        user(
            title="Engineer",
            emails=[
                Email(value="bj@example.com", type=Email.Type.home),
                Email(value="bjensen@example.com", type=Email.Type.work, primary=True),
            ],
            phone_numbers=[PhoneNumber(value="555-0100", type=PhoneNumber.Type.mobile)],
            active=False,
        )
    )
    assert wanted.identifier == "bjensen" and wanted.inactive
    assert (wanted.email, wanted.email_slot, wanted.phone_slot) == ("bjensen@example.com", "Office", "Mobile")
    assert wanted.fields["officeEmail"] == "bjensen@example.com" and wanted.fields["homeEmail"] == "bj@example.com"
    assert wanted.fields["mobileEmail"] == "" and wanted.fields["mobilePhone"] == "555-0100"
    assert (wanted.fields["defaultEmail"], wanted.fields["title"]) == ("Office", "Engineer")
    assert (wanted.email_primary, wanted.phone_primary) == ("Office", NO_PRIMARY)


def test_an_email_without_a_type_is_the_work_one() -> None:
    wanted = member_fields(user(emails=[Email(value="bjensen@example.com")]))
    assert wanted.fields["officeEmail"] == "bjensen@example.com"


@pytest.mark.parametrize(
    ("change", "said"),
    [
        ({"user_name": "a" * 16}, "holds at most 15"),
        ({"user_name": "b jensen"}, "letters, digits"),
        ({"name": Name(given_name="", family_name="Jensen")}, "name.givenName"),
        ({"name": Name(given_name="B" * 31, family_name="Jensen")}, "name.givenName"),
        ({"emails": []}, "needs an email address"),
        ({"emails": [Email(value="a@example.com", type="work"), Email(value="b@example.com", type="work")]},
         "ConnectWise keeps one work value"),
        ({"phone_numbers": [PhoneNumber(value="555-0100", type="fax")]}, "use one of work, mobile, home"),
        ({"phone_numbers": [PhoneNumber(value="+1 312 555 0100 1234", type="work")]}, "15 characters"),
    ],
)  # fmt: skip
def test_what_a_member_cannot_hold_is_refused_naming_the_rule(change: dict[str, Any], said: str) -> None:
    with pytest.raises(InvalidValueException) as refused:
        member_fields(user(**change))
    assert said in refused.value.detail


def test_changes_are_only_the_fields_that_differ() -> None:
    wanted = member_fields(
        user(user_name="jsmith", name=Name(given_name="Jordan", family_name="Smith"), title="Technician II",
             emails=[Email(value="jsmith@msp.example", type="work", primary=True),
                     Email(value="jordan@home.example", type="home")],
             phone_numbers=[PhoneNumber(value="312-555-0100", type="work"),
                            PhoneNumber(value="312-555-0199", type="mobile", primary=True)],
             active=True)
    )  # fmt: skip
    assert changes_for(MEMBER, wanted) == {"inactiveFlag": False}
