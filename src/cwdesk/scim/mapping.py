"""SCIM User ↔ ConnectWise member, and SCIM Group ↔ security role: the one mapping table of docs/scim.md.

| SCIM | ConnectWise member |
|---|---|
| ``id`` | ``id`` (as text) |
| ``userName`` | ``identifier`` (at most 15 characters, letters, digits, ``.``, ``_``, ``-``) |
| ``name.givenName`` / ``name.familyName`` | ``firstName`` / ``lastName`` (at most 30 each) |
| ``displayName`` | read-only: first and last name |
| ``emails`` work / home / other | ``officeEmail`` / ``homeEmail`` / ``mobileEmail``; primary = ``defaultEmail`` |
| ``phoneNumbers`` work / mobile / home | ``officePhone`` / ``mobilePhone`` / ``homePhone``; primary: ``defaultPhone`` |
| ``title`` | ``title`` |
| ``active`` | not ``inactiveFlag`` |
| ``groups`` | read-only: the member's ``securityRole`` (one per member) |
| ``externalId`` | kept in the app's database (``store.scim_members``): ConnectWise has no field for it |

An email or phone without a type goes to the work (office) slot, as Entra ID and Okta send ``type: work``.
Every value is checked with the members workflow's own rules (``workflows.validation``) before anything is sent;
a value ConnectWise cannot hold is refused with SCIM ``invalidValue`` naming the rule.
Not for: calling ConnectWise (``storage.py``) or the SCIM protocol (scim2-server does it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from scim2_models import (
    GroupMembership,
    InvalidValueException,
    Meta,
    Reference,
)

from cwdesk.scim.models import Email, Group, GroupMember, Name, PhoneNumber, User
from cwdesk.store.scim_records import ScimLink
from cwdesk.workflows.members import IDENTIFIER_MAX, MEMBER_NAME_MAX
from cwdesk.workflows.validation import email_problem, name_problem, phone_problem, spec_max_length

__all__ = [
    "EMAIL_SLOTS",
    "PHONE_SLOTS",
    "MemberFields",
    "group_of_role",
    "member_fields",
    "user_of_member",
]

# SCIM type -> ConnectWise slot (the prefix of officeEmail/homeEmail/mobileEmail and defaultEmail's value).
EMAIL_SLOTS = {"work": "Office", "home": "Home", "other": "Mobile"}
PHONE_SLOTS = {"work": "Office", "mobile": "Mobile", "home": "Home"}
_IDENTIFIER_CHARACTERS = "letters, digits, '.', '_' or '-'"
EMAIL_MAX = spec_max_length("Member", "officeEmail")  # 250; the other slots have the same limit (manage-core.json)
PHONE_MAX = spec_max_length("Member", "officePhone")  # 15
ROLE_NAME_MAX = spec_max_length("SecurityRole", "name")  # 30


def _meta(record: Mapping[str, Any], resource_type: str) -> Meta:
    info = record.get("_info") if isinstance(record.get("_info"), Mapping) else {}
    assert isinstance(info, Mapping)
    updated = _when(info.get("lastUpdated")) or datetime(1970, 1, 1, tzinfo=UTC)
    created = _when(info.get("dateEntered")) or updated
    # ConnectWise stamps lastUpdated on every change: it serves as the version (RFC 7644 §3.14 weak ETag).
    return Meta(
        resource_type=resource_type,
        created=created,
        last_modified=updated,
        version=f'W/"{int(updated.timestamp() * 1000)}"',
    )


def _when(value: object) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, str) and value:
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


def _text(value: object) -> str | None:
    return str(value) if value not in (None, "") else None


NO_PRIMARY = "none"


def _primary(default: str, remembered: str | None) -> str:
    """The slot to show as primary: the provider's last word when ConnectWise still agrees, else the default."""
    if remembered in (NO_PRIMARY, default):
        return str(remembered)
    return default


def user_of_member(member: Mapping[str, Any], link: ScimLink | None = None) -> User:
    """The SCIM User of a ConnectWise member (a dict of API field names, as the SDK's ``record_dict`` gives)."""
    link = link or ScimLink()
    first, last = _text(member.get("firstName")), _text(member.get("lastName"))
    full = " ".join(part for part in (first, last) if part) or None
    default_email = _primary(str(member.get("defaultEmail") or "Office"), link.email_primary)
    default_phone = _primary(str(member.get("defaultPhone") or "Office"), link.phone_primary)
    emails = [
        Email(value=address, type=Email.Type(kind), primary=slot == default_email)
        for kind, slot in EMAIL_SLOTS.items()
        if (address := _text(member.get(f"{slot.lower()}Email")))
    ]
    phones = [
        PhoneNumber(value=number, type=PhoneNumber.Type(kind), primary=slot == default_phone)
        for kind, slot in PHONE_SLOTS.items()
        if (number := _text(member.get(f"{slot.lower()}Phone")))
    ]
    role = member.get("securityRole")
    groups = None
    if isinstance(role, Mapping) and role.get("id") is not None:
        groups = [
            GroupMembership(
                value=str(role["id"]),
                ref=Reference(f"Groups/{role['id']}"),
                display=_text(role.get("name")),
                type="direct",
            )
        ]
    return User(
        id=str(member["id"]),
        external_id=link.external_id,
        user_name=_text(member.get("identifier")),
        name=Name(given_name=first, family_name=last),
        display_name=full,
        title=_text(member.get("title")),
        active=member.get("inactiveFlag") is not True,
        emails=emails or None,
        phone_numbers=phones or None,
        groups=groups,
        meta=_meta(member, "User"),
    )


def group_of_role(role: Mapping[str, Any], members: Sequence[Mapping[str, Any]], link: ScimLink | None = None) -> Group:
    """The SCIM Group of a security role, with the members that have it."""
    return Group(
        id=str(role["id"]),
        external_id=(link or ScimLink()).external_id,
        display_name=_text(role.get("name")),
        members=[GroupMember(value=str(m["id"]), ref=Reference(f"Users/{m['id']}"), type="User") for m in members]
        or None,
        meta=_meta(role, "Group"),
    )


def _invalid(where: str, message: str) -> InvalidValueException:
    return InvalidValueException(detail=f"{where}: {message}")


def identifier_of(user_name: str | None) -> str:
    """``userName`` checked as a ConnectWise identifier; ``invalidValue`` naming the rule otherwise."""
    text = (user_name or "").strip()
    if not text:
        raise _invalid("userName", "is required (the member's ConnectWise identifier, e.g. jsmith)")
    if len(text) > IDENTIFIER_MAX:
        raise _invalid(
            "userName",
            f"{text!r} is {len(text)} characters long; a ConnectWise member identifier holds at most "
            f"{IDENTIFIER_MAX}. Map a shorter attribute to userName in the identity provider (e.g. the part "
            "of the email before @, cut to 15 characters).",
        )
    if not all(c.isascii() and (c.isalnum() or c in "._-") for c in text):
        raise _invalid("userName", f"{text!r} is invalid: a ConnectWise identifier uses {_IDENTIFIER_CHARACTERS}")
    return text


@dataclass(frozen=True)
class MemberFields:
    """The member fields a SCIM User sets (API names), checked; ``email`` is the primary address."""

    identifier: str
    fields: dict[str, Any]
    email: str
    email_slot: str
    phone: str | None
    phone_slot: str
    inactive: bool
    email_primary: str  # the slot the provider marked primary, or NO_PRIMARY (kept in store.scim_records)
    phone_primary: str


def _slots(
    items: Sequence[Email | PhoneNumber] | None, table: Mapping[str, str], what: str
) -> tuple[dict[str, str], str | None]:
    values: dict[str, str] = {}
    primary: str | None = None
    item: Email | PhoneNumber
    for index, item in enumerate(items or []):
        kind = str(item.type.value if item.type is not None else "work").lower()
        slot = table.get(kind)
        where = f"{what}[{index}].type"
        if slot is None:
            raise _invalid(where, f"{kind!r} has no place in ConnectWise: use one of {', '.join(table)}")
        if slot in values:
            raise _invalid(where, f"two {what} of type {kind!r}: ConnectWise keeps one {kind} value")
        value = str(item.value or "").strip()
        if not value:
            continue
        values[slot] = value
        if item.primary:
            primary = slot
    return values, primary


def member_fields(user: User) -> MemberFields:
    """What ``user`` asks of the member, as ConnectWise fields; ``invalidValue`` for anything it cannot hold."""
    identifier = identifier_of(user.user_name)
    name = user.name or Name()
    fields: dict[str, Any] = {}
    for attribute, field, value in (
        ("name.givenName", "firstName", name.given_name),
        ("name.familyName", "lastName", name.family_name),
    ):
        problem = name_problem(value or "", MEMBER_NAME_MAX)
        if problem:
            raise _invalid(attribute, problem)
        fields[field] = str(value).strip()
    emails, email_primary = _slots(user.emails, EMAIL_SLOTS, "emails")
    for address in emails.values():
        problem = email_problem(address) or (
            f"{address!r} is longer than the {EMAIL_MAX} characters ConnectWise keeps"
            if len(address) > EMAIL_MAX
            else None
        )
        if problem:
            raise _invalid("emails.value", problem)
    if not emails:
        raise _invalid("emails", "a ConnectWise member needs an email address (a work email is kept as officeEmail)")
    phones, phone_primary = _slots(user.phone_numbers, PHONE_SLOTS, "phoneNumbers")
    for number in phones.values():
        problem = phone_problem(number) or (
            f"{number!r} is longer than the {PHONE_MAX} characters ConnectWise keeps"
            if len(number) > PHONE_MAX
            else None
        )
        if problem:
            raise _invalid("phoneNumbers.value", problem)
    email_slot = email_primary or next(iter(emails))
    phone_slot = phone_primary or (next(iter(phones)) if phones else "Office")
    for slot in EMAIL_SLOTS.values():
        fields[f"{slot.lower()}Email"] = emails.get(slot) or ""
    for slot in PHONE_SLOTS.values():
        fields[f"{slot.lower()}Phone"] = phones.get(slot) or ""
    fields["defaultEmail"] = email_slot
    fields["defaultPhone"] = phone_slot
    fields["title"] = (user.title or "").strip()
    inactive = user.active is False
    fields["inactiveFlag"] = inactive
    fields["identifier"] = identifier
    return MemberFields(
        identifier=identifier,
        fields=fields,
        email=emails[email_slot],
        email_slot=email_slot,
        phone=phones.get(phone_slot),
        phone_slot=phone_slot,
        inactive=inactive,
        email_primary=email_primary or NO_PRIMARY,
        phone_primary=phone_primary or NO_PRIMARY,
    )


def changes_for(member: Mapping[str, Any], wanted: MemberFields) -> dict[str, Any]:
    """The fields of ``wanted`` that differ from ``member`` (an empty text and no value are the same)."""
    changes: dict[str, Any] = {}
    for field, value in wanted.fields.items():
        current = member.get(field)
        if field == "inactiveFlag":
            if bool(current) != value:
                changes[field] = value
        elif (current or "") != (value or ""):
            changes[field] = value
    return changes
