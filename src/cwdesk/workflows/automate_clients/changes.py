"""Field changes of an Automate client or location: what the user typed, checked against the spec, as a diff.

``check_changes("Client", current, {"Phone": "555-0100"})`` resolves each name to the spec's property
(``PhoneNumber``: any case, spaces/underscores ignored, plus the friendly names of ``FRIENDLY_NAMES``), converts
the value to the property's JSON type, and returns one ``FieldChange`` (before -> after) per field, in the order
given. Every problem (an unknown name, with a difflib "did you mean"; a value of the wrong type; a control
character) is collected and raised together as ``InvalidInput`` before anything is written.
``RecordUpdate`` is what an update did or would do; its ``as_dict()`` is what the CLI prints and the console
audits.

Not for: which properties exist (``cwdesk.automate.fields`` reads the spec) or the write itself (the
``update_client`` / ``update_location`` workflows).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cwdesk.automate.fields import CREDENTIAL_FIELDS, writable_fields
from cwdesk.models import CWModel
from cwdesk.workflows.validation import InvalidInput, Problem, record_dict

__all__ = ["FRIENDLY_NAMES", "FieldChange", "RecordUpdate", "check_changes", "control_character_problem"]

#: Short names a user may type for a property (the onboarding plan's keys, and the issue's own examples).
FRIENDLY_NAMES: dict[str, dict[str, str]] = {
    "Client": {
        "phone": "PhoneNumber",
        "fax": "FaxNumber",
        "zip": "ZipCode",
        "email": "NewTicketNotificationEmail",
        "contactemail": "NewTicketNotificationEmail",
    },
    "Location": {"phone": "PhoneNumber", "fax": "FaxNumber", "zip": "ZipCode", "comment": "Comments"},
}
_WHAT = {"Client": "an Automate client", "Location": "an Automate location"}
_TRUE = ("true", "yes", "1", "on")
_FALSE = ("false", "no", "0", "off")
# C0 controls and DEL, and the C1 range: no ConnectWise text field is meant to hold them.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def control_character_problem(text: str) -> str | None:
    """Why ``text`` cannot be stored as typed (it holds a control character), or ``None``."""
    found = _CONTROL.search(text)
    if found is None:
        return None
    return f"contains the control character {found.group()!r}: remove it (ConnectWise fields hold plain text)"


@dataclass(frozen=True)
class FieldChange:
    """One property: its value before and the value asked for."""

    field: str
    before: Any
    after: Any

    @property
    def changed(self) -> bool:
        return bool(_comparable(self.before) != _comparable(self.after))

    def as_dict(self) -> dict[str, Any]:
        return {"field": self.field, "before": self.before, "after": self.after, "changed": self.changed}


def _comparable(value: Any) -> Any:
    return "" if value is None else value


@dataclass(frozen=True)
class RecordUpdate:
    """What an update of one client or location did (``written``) or would do (``dry_run``); ``ok`` is false when
    Automate kept other values than the ones sent."""

    kind: str
    id: int
    name: str
    changes: list[FieldChange]
    dry_run: bool
    written: bool
    message: str
    client: str = ""
    #: Fields Automate answered with another value than the one sent (empty when the write held).
    differing: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.differing

    @property
    def changed(self) -> list[FieldChange]:
        return [c for c in self.changes if c.changed]

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "id": self.id,
            "name": self.name,
            "client": self.client,
            "dry_run": self.dry_run,
            "written": self.written,
            "message": self.message,
            "changes": [c.as_dict() for c in self.changes],
            "differing": self.differing,
        }


def _convert(name: str, kind: str, raw: Any) -> tuple[Any, str | None]:
    """``raw`` as the property's JSON type, or why it cannot be."""
    if kind == "boolean":
        if isinstance(raw, bool):
            return raw, None
        text = str(raw).strip().lower()
        if text in _TRUE:
            return True, None
        if text in _FALSE:
            return False, None
        return None, f"{name} is true or false, not {raw!r}"
    if kind == "integer":
        try:
            return int(str(raw).strip()), None
        except ValueError:
            return None, f"{name} is a whole number, not {raw!r}"
    text = "" if raw is None else str(raw)
    return text, control_character_problem(text)


def _resolve_name(kind: str, typed: str, fields: Mapping[str, str]) -> tuple[str | None, str]:
    """The spec property ``typed`` names, or None and the message saying what is wrong."""
    by_key = {_key(name): name for name in fields}
    by_key.update({alias: name for alias, name in FRIENDLY_NAMES.get(kind, {}).items()})
    found = by_key.get(_key(typed))
    if found is not None:
        return found, ""
    if _key(typed) in {_key(c) for c in CREDENTIAL_FIELDS}:
        return None, f"{typed!r} is a credential: cwdesk does not change it (set it in Automate)"
    close = difflib.get_close_matches(_key(typed), list(by_key), n=3, cutoff=0.6)
    names = list(dict.fromkeys(by_key[c] for c in close))
    hint = f"did you mean {' or '.join(repr(n) for n in names)}? " if names else ""
    return None, f"{typed!r} is not a field of {_WHAT[kind]}: {hint}(fields: {', '.join(fields)})"


def check_changes(kind: str, current: CWModel | Mapping[str, Any], values: Mapping[str, Any]) -> list[FieldChange]:
    """Each ``NAME=VALUE`` as a before -> after change of ``current``; ``InvalidInput`` listing every problem."""
    subject = f"the {kind.lower()} update"
    if not values:
        raise InvalidInput(
            [Problem("fields", "give at least one FIELD=VALUE (e.g. PhoneNumber=555-0100)")], subject=subject
        )
    fields = writable_fields(kind)
    record = record_dict(current)
    problems: list[Problem] = []
    changes: dict[str, FieldChange] = {}
    for typed, raw in values.items():
        name, why = _resolve_name(kind, str(typed), fields)
        if name is None:
            problems.append(Problem(str(typed), why))
            continue
        if name in changes:
            problems.append(Problem(str(typed), f"sets {name} a second time: give each field once"))
            continue
        value, bad = _convert(name, fields[name], raw)
        if bad is None and name == "Name" and not str(value).strip():
            bad = "Name cannot be empty"
        if bad is not None:
            problems.append(Problem(str(typed), bad))
            continue
        if isinstance(value, str) and name == "Name":
            value = value.strip()
        changes[name] = FieldChange(name, record.get(name), value)
    if problems:
        raise InvalidInput(problems, subject=subject)
    return list(changes.values())
