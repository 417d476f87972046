"""Checks of what users type, shared by onboarding, the record edits, bulk updates (CLI and console alike).

Shape checks are pure functions returning a message or ``None``: company identifier, company and contact names,
website, email, phone, US state, ZIP/postal code; ``communication_item`` is the one shape of a contact's email or
phone sent to ConnectWise; ``is_loopback`` is the one rule for which hosts may speak plain http. Maximum lengths
are read from the bundled ``manage-core.json`` (``spec_max_length``), the limits the sandbox also enforces.
Lookups resolve a name the user typed (status, type, board, agreement type, priority, time zone, contact type,
relationship, department) against the records ConnectWise holds, case-insensitively, and answer a
wrong name with "did you mean ..." suggestions. :class:`Problems` collects every problem of one input so the user
sees them all at once, before anything is sent; :class:`InvalidInput` carries them (a ``ConfigurationError``: the
CLI exits 2).

Not for: sending anything to ConnectWise (the workflows do, after these checks pass) or the rules of one flow.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Literal, get_args

from pydantic import BaseModel, ValidationError
from pydantic_core import PydanticCustomError

from cwdesk.config import is_loopback
from cwdesk.errors import ConfigurationError
from cwdesk.manage.resources.collection import Collection

__all__ = [
    "COMPANY_NAME_MAX",
    "CONTACT_NAME_MAX",
    "IDENTIFIER_MAX",
    "PHONE_MAX",
    "ZIP_MAX",
    "InvalidInput",
    "Lookup",
    "NamedRecord",
    "Problem",
    "Problems",
    "add_validation_problems",
    "communication_item",
    "email_problem",
    "identifier_problem",
    "is_loopback",
    "name_problem",
    "phone_problem",
    "plan_problem",
    "record_dict",
    "spec_max_length",
    "state_problem",
    "suggestions",
    "website_problem",
    "zip_problem",
]

_MAX_LENGTH = re.compile(r"Max length:\s*(\d+)", re.IGNORECASE)


@cache
def _manage_schemas() -> dict[str, Any]:
    # The bundled copy of the real spec (src/cwdesk/spec/manage-core.json): the workflows may not import the
    # sandbox, which reads the same file through sandbox/backend/spec.py.
    text = resources.files("cwdesk").joinpath("spec", "manage-core.json").read_text(encoding="utf-8")
    schemas: dict[str, Any] = json.loads(text)["components"]["schemas"]
    return schemas


def spec_max_length(schema: str, field: str) -> int:
    """The ``Max length: N`` the bundled Manage spec gives ``schema.field`` (``Company``, ``name``: 156).

    Raises ``LookupError`` for a field the spec gives no limit: a rule must not silently lose its limit."""
    description = _manage_schemas().get(schema, {}).get("properties", {}).get(field, {}).get("description") or ""
    match = _MAX_LENGTH.search(description)
    if match is None:
        raise LookupError(f"manage-core.json gives no Max length for {schema}.{field}")
    return int(match.group(1))


COMPANY_NAME_MAX = spec_max_length("Company", "name")
# The spec gives Contact.firstName/lastName no limit. 30 is the console edits' limit since C3, kept for onboarding
# too; no source shows the server's own limit (docs/workflows.md, "Input rules").
CONTACT_NAME_MAX = 30

# Company identifier: the spec's Max length (manage-core.json Company.identifier); ConnectWise rejects spaces and
# punctuation in identifiers (console seed: "identifier must be alphanumeric, unique across CW").
IDENTIFIER_MAX = spec_max_length("Company", "identifier")
_IDENTIFIER = re.compile(r"^[A-Za-z0-9]+$")
# A practical email shape: one @, a dot in the domain, no spaces (RFC 5322 in full accepts far more than CW does).
_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+$")
# Phone: digits with the usual separators and an optional extension; as long as Company.phoneNumber may be.
_PHONE_CHARS = re.compile(r"^\+?[0-9 ().\-/]+(?:\s*(?:x|ext\.?)\s*[0-9]{1,6})?$", re.IGNORECASE)
PHONE_MAX = spec_max_length("Company", "phoneNumber")
_US_ZIP = re.compile(r"^[0-9]{5}(?:-[0-9]{4})?$")
_CA_POSTAL = re.compile(r"^[A-Za-z][0-9][A-Za-z] ?[0-9][A-Za-z][0-9]$")
ZIP_MAX = spec_max_length("CompanySite", "zip")

# fmt: off
US_STATES = frozenset({
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL", "IN", "IA", "KS", "KY", "LA",
    "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM", "NY", "NC", "ND", "OH", "OK", "OR",
    "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY", "AS", "GU", "MP", "PR", "VI", "AA",
    "AE", "AP",
})
# fmt: on
_US_NAMES = frozenset({"", "us", "usa", "united states", "united states of america"})


def _is_us(country: str | None) -> bool:
    return (country or "").strip().lower() in _US_NAMES


@dataclass(frozen=True)
class Problem:
    """One wrong input: where (``company.identifier``, ``contacts[1].email``) and what to do about it."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class InvalidInput(ConfigurationError):
    """The input has problems; nothing was sent to ConnectWise. ``problems`` lists each one."""

    def __init__(self, problems: Sequence[Problem], *, subject: str = "the input") -> None:
        self.problems = list(problems)
        count = len(self.problems)
        head = f"{count} problem{'s' if count != 1 else ''} in {subject}; nothing was sent to ConnectWise:"
        super().__init__("\n".join([head, *(f"  - {p}" for p in self.problems)]))


class Problems:
    """Collects problems while checking an input, then raises them together."""

    def __init__(self, subject: str = "the input") -> None:
        self.subject = subject
        self.items: list[Problem] = []

    def add(self, field: str, message: str | None) -> None:
        """Record ``message`` for ``field`` (``None`` means the check passed)."""
        if message:
            self.items.append(Problem(field, message))

    def __bool__(self) -> bool:
        return bool(self.items)

    def raise_if_any(self) -> None:
        if self.items:
            raise InvalidInput(self.items, subject=self.subject)


def identifier_problem(value: str) -> str | None:
    """Why ``value`` cannot be a company identifier, or ``None``."""
    if not value:
        return "is required (letters and digits, e.g. AcmeCorp)"
    if not _IDENTIFIER.match(value):
        cleaned = re.sub(r"[^A-Za-z0-9]", "", value)
        hint = f" (e.g. {cleaned!r})" if cleaned else ""
        return f"{value!r} is invalid: use letters and digits only, ConnectWise rejects spaces and symbols{hint}"
    if len(value) > IDENTIFIER_MAX:
        return f"is {len(value)} characters long; ConnectWise allows at most {IDENTIFIER_MAX}"
    return None


def name_problem(value: str, limit: int, *, empty: str = "is required") -> str | None:
    """Why ``value`` cannot be a name of at most ``limit`` characters (``empty`` when it is blank), or ``None``."""
    text = value.strip()
    if not text:
        return empty
    if len(text) > limit:
        return f"is {len(text)} characters long; ConnectWise keeps at most {limit}"
    return None


_WEBSITE_MAX = spec_max_length("Company", "website")


def website_problem(value: str) -> str | None:
    """Why ``value`` is not a web address (no spaces, a dot in it), or ``None``."""
    text = value.strip()
    if " " in text or "." not in text:
        return f"{value!r} is not a web address (e.g. https://acme.example)"
    if len(text) > _WEBSITE_MAX:
        return f"is {len(text)} characters long; ConnectWise keeps at most {_WEBSITE_MAX}"
    return None


def communication_item(kind: Literal["Email", "Phone"], value: str) -> dict[str, Any]:
    """A contact's default email or phone as ConnectWise takes it in ``communicationItems``.

    The type is named, not numbered (ids differ from one ConnectWise to another): ``Email`` for an email and
    ``Direct`` for a phone, the names onboarding and the contact edits have always sent."""
    type_name = "Email" if kind == "Email" else "Direct"
    return {"type": {"name": type_name}, "value": value.strip(), "defaultFlag": True}


def email_problem(value: str) -> str | None:
    """Why ``value`` is not an email address, or ``None``."""
    if not _EMAIL.match(value.strip()):
        return f"{value!r} is not an email address (expected name@domain.tld)"
    return None


def phone_problem(value: str) -> str | None:
    """Why ``value`` is not a phone number, or ``None``."""
    text = value.strip()
    digits = re.sub(r"\D", "", re.split(r"(?i)x|ext", text)[0])
    if not _PHONE_CHARS.match(text) or not 7 <= len(digits) <= 15:
        return f"{value!r} is not a phone number (digits with spaces, dashes or parentheses, e.g. 312-555-0100)"
    if len(text) > PHONE_MAX:
        return f"is {len(text)} characters long; ConnectWise keeps at most {PHONE_MAX}"
    return None


def state_problem(value: str, country: str | None = None) -> str | None:
    """Why ``value`` is not a state of ``country`` (two-letter codes checked for the United States), or ``None``."""
    text = value.strip()
    if _is_us(country):
        if text.upper() not in US_STATES:
            close = suggestions(text.upper(), sorted(US_STATES), limit=3)
            return f"{value!r} is not a US state code (two letters, e.g. IL){close}"
        return None
    if len(text) > 50:
        return "is longer than 50 characters"
    return None


def zip_problem(value: str, country: str | None = None) -> str | None:
    """Why ``value`` is not a ZIP/postal code of ``country``, or ``None``."""
    text = value.strip()
    if _is_us(country):
        if not _US_ZIP.match(text):
            return f"{value!r} is not a US ZIP code (12345 or 12345-6789)"
        return None
    if (country or "").strip().lower() == "canada" and not _CA_POSTAL.match(text):
        return f"{value!r} is not a Canadian postal code (A1A 1A1)"
    if len(text) > ZIP_MAX or not re.match(r"^[A-Za-z0-9 -]+$", text):
        return f"{value!r} is not a postal code (letters, digits, spaces or dashes, at most {ZIP_MAX})"
    return None


def suggestions(value: str, choices: Iterable[str], *, limit: int = 3) -> str:
    """`` (did you mean 'A' or 'B'?)`` for the choices closest to ``value``, or ``""``."""
    pool = list(choices)
    lowered = {c.lower(): c for c in pool}
    close = [lowered[m] for m in difflib.get_close_matches(value.lower(), list(lowered), n=limit, cutoff=0.5)]
    # A choice that contains what was typed is a good guess even when it is much longer ("Service" -> "Service Desk").
    if value:
        for choice in pool:
            if value.lower() in choice.lower() and choice not in close:
                close.append(choice)
    close = close[:limit]
    if not close:
        return ""
    quoted = [repr(c) for c in close]
    joined = quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]
    return f" (did you mean {joined}?)"


@dataclass(frozen=True)
class NamedRecord:
    """A ConnectWise record found by name: enough to send a reference ``{"id": ..., "name": ...}``."""

    id: int
    name: str

    def reference(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name}


def record_dict(record: Any) -> dict[str, Any]:
    """A record from the SDK (a lenient pydantic model) or a plain mapping, as a dict of API field names."""
    if isinstance(record, Mapping):
        return dict(record)
    dump = getattr(record, "model_dump", None)
    if dump is not None:
        data = dump(mode="json", by_alias=True, exclude_none=True)
        assert isinstance(data, dict)
        return data
    raise TypeError(f"Not a ConnectWise record: {type(record).__name__}")


class Lookup:
    """The names of one kind of ConnectWise record (e.g. company statuses), resolved case-insensitively."""

    def __init__(self, what: str, records: Iterable[NamedRecord]) -> None:
        self.what = what
        self.records = list(records)
        self._by_name = {r.name.strip().lower(): r for r in self.records}

    @classmethod
    def from_resource(cls, what: str, resource: Collection[Any], *, name_field: str = "name") -> Lookup:
        """Every record of an SDK resource (``cw.company_statuses``), read once, by ``name_field``."""
        found = []
        for item in resource.list(fields=["id", name_field]):
            data = record_dict(item)
            name = data.get(name_field)
            if data.get("id") is not None and name:
                found.append(NamedRecord(int(data["id"]), str(name)))
        return cls(what, found)

    @property
    def names(self) -> list[str]:
        return [r.name for r in self.records]

    def find(self, name: str) -> NamedRecord | None:
        """The record called ``name`` (any case), or ``None``."""
        return self._by_name.get(name.strip().lower())

    def problem(self, name: str) -> str | None:
        """Why ``name`` does not resolve, with suggestions; ``None`` when it does."""
        if self.find(name) is not None:
            return None
        if not self.records:
            return f"{name!r}: ConnectWise has no {self.what} at all (create one first)"
        hint = suggestions(name, self.names)
        if not hint:
            shown = ", ".join(repr(n) for n in self.names[:8])
            more = "..." if len(self.names) > 8 else ""
            hint = f" (choose one of {shown}{more})"
        article = "an" if self.what[:1].lower() in "aeiou" else "a"
        return f"{name!r} is not {article} {self.what} in ConnectWise{hint}"

    def resolve(self, name: str) -> NamedRecord:
        """The record called ``name``; raises :class:`InvalidInput` with suggestions when there is none."""
        record = self.find(name)
        if record is None:
            raise InvalidInput([Problem(self.what, self.problem(name) or "")])
        return record


# ---------------------------------------------------------------------------------------------------------------
# Plans as pydantic models: their validation errors become ``Problems``.


def plan_problem(message: str) -> PydanticCustomError:
    """An error a plan's validator raises: ``message`` becomes the problem's text as it is."""
    return PydanticCustomError("plan_problem", message)


def _model_at(model: type[BaseModel], loc: Sequence[int | str]) -> type[BaseModel] | None:
    """The model a location inside ``model`` points into (``("contacts", 0)`` -> the contact model)."""
    current: type[BaseModel] | None = model
    for part in loc:
        if current is None:
            return None
        if isinstance(part, int):
            continue
        info = current.model_fields.get(part)
        if info is None:
            return None
        current = _model_in(info.annotation)
    return current


def _model_in(annotation: object) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for argument in get_args(annotation):
        found = _model_in(argument)
        if found is not None:
            return found
    return None


def _where(loc: Sequence[int | str], root: str) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or root


def _known(model: type[BaseModel] | None) -> str:
    return ", ".join(sorted(model.model_fields)) if model is not None else ""


def add_validation_problems(problems: Problems, error: ValidationError, model: type[BaseModel], root: str) -> None:
    """Each error of validating ``model`` as a problem in the words the plans have always used.

    An unknown key at the top is reported under ``root`` (``plan.extra``); a section of the wrong type says what it
    must hold; a missing section gives the hint in its field's ``description``."""
    for item in error.errors():
        loc = tuple(item["loc"])
        kind = item["type"]
        value = item.get("input")
        where = _where(loc, root)
        if kind == "plan_problem":
            problems.add(where, item["msg"])
        elif kind == "extra_forbidden":
            if len(loc) == 1:
                where = f"{root}.{loc[0]}"
            problems.add(where, f"is not a known field (known: {_known(_model_at(model, loc[:-1]))})")
        elif kind == "missing":
            parent = _model_at(model, loc[:-1])
            info = parent.model_fields.get(str(loc[-1])) if parent is not None else None
            hint = f" ({info.description})" if info is not None and info.description else ""
            problems.add(where, f"is required{hint}")
        elif kind in ("model_type", "model_attributes_type", "dict_type"):
            inner = _model_at(model, loc)
            problems.add(
                where,
                f"must be a mapping of fields ({_known(inner)})" if inner else "must be a mapping of names to values",
            )
        elif kind == "list_type":
            parent = _model_at(model, loc[:-1])
            info = parent.model_fields.get(str(loc[-1])) if parent is not None else None
            problems.add(
                where, f"must be a list of {info.description}" if info and info.description else "must be a list"
            )
        elif kind.startswith("date"):
            problems.add(where, f"{value!r} is not a date (use YYYY-MM-DD)")
        elif kind.startswith(("float", "int", "decimal")):
            problems.add(where, f"{value!r} is not a number")
        elif kind.startswith("string"):
            problems.add(where, f"{value!r} is not text")
        else:
            problems.add(where, str(item["msg"]))
