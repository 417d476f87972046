"""SCIM filters as ConnectWise conditions (cwdesk.scim.filters): exact where ConnectWise can say it, values escaped."""

from __future__ import annotations

import pytest
from scim2_models import ScimFilter

from cwdesk.conditions import parse, render
from cwdesk.scim.filters import translate


def conditions(text: str, external: dict[str, list[int]] | None = None) -> tuple[str | None, bool]:
    found = translate(ScimFilter(text), lambda value: (external or {}).get(value, []))
    return (render(found.condition) if found.condition is not None else None), found.exact


@pytest.mark.parametrize(
    ("scim", "connectwise"),
    [
        ('userName eq "jsmith"', 'identifier = "jsmith"'),
        ('userName ne "jsmith"', 'identifier != "jsmith"'),
        ('userName co "smi"', 'identifier contains "smi"'),
        ('userName sw "js"', 'identifier like "js%"'),
        ('name.familyName ew "son"', 'lastName like "%son"'),
        ("active eq true", "inactiveFlag = false"),
        ("active eq false", "inactiveFlag = true"),
        ('id eq "12"', "id = 12"),
        ('title eq "Lead" and active eq true', 'title = "Lead" and inactiveFlag = false'),
        ('userName eq "a" or userName eq "b"', 'identifier = "a" or identifier = "b"'),
        (
            '(userName eq "a" or userName eq "b") and active eq true',
            '(identifier = "a" or identifier = "b") and inactiveFlag = false',
        ),
        ('not (userName eq "a")', 'identifier != "a"'),
    ],
)
def test_filters_connectwise_can_say_exactly(scim: str, connectwise: str) -> None:
    assert conditions(scim) == (connectwise, True)


def test_emails_value_contains_looks_in_every_email_slot() -> None:
    text, exact = conditions('emails.value co "@acme"')
    assert exact
    assert text == 'officeEmail contains "@acme" or homeEmail contains "@acme" or mobileEmail contains "@acme"'


def test_external_id_becomes_the_member_ids_kept_in_the_store() -> None:
    assert conditions('externalId eq "00u1"', {"00u1": [7, 9]}) == ("id in (7, 9)", True)
    nobody, exact = conditions('externalId eq "unknown"')
    assert exact and nobody == "id < 0"


def test_a_hostile_value_stays_one_string() -> None:
    hostile = r'userName eq "x\" or 1 eq 1 or (identifier = \"admin"'
    text, exact = conditions(hostile)
    assert exact and text is not None
    parsed = parse(text)  # ConnectWise's grammar (the sandbox's parser) reads one comparison, not three
    assert parsed.field == "identifier" and parsed.op == "=" and parsed.value == 'x" or 1 eq 1 or (identifier = "admin'


def test_a_like_wildcard_in_the_value_is_not_trusted_to_connectwise() -> None:
    text, exact = conditions('userName sw "a%b"')
    assert text == 'identifier contains "a%b"' and not exact  # checked member by member instead


@pytest.mark.parametrize("scim", ["title pr", 'emails[type eq "work" and value co "@acme"]', 'displayName eq "x"'])
def test_what_connectwise_cannot_say_is_checked_in_memory(scim: str) -> None:
    assert conditions(scim) == (None, False)


def test_an_inexact_part_of_an_and_still_narrows_the_query() -> None:
    assert conditions('userName eq "a" and title pr') == ('identifier = "a"', False)
