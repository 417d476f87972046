"""What ConnectWise checks and fills in a record someone writes: types, enums, lengths, references, required fields.

Every rule comes from the spec (``required`` lists, enums, ``Max length`` in descriptions) or from ConnectWise's
documented behaviour (company identifiers without spaces, member identifiers of at most 15 characters). Problems
are collected so one 400 lists every bad field, as ConnectWise's ``InvalidObject`` does.
Not for: storage (``manage.py``) or HTTP.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from cwdesk.sandbox.backend.spec import Property, properties, required

#: Marks an href in stored JSON; replaced by the caller's ``{base_url}/v4_6_release/apis/3.0/`` on the way out.
HREF_PREFIX = "cwsandbox://"
#: Where the Manage API lives on the server (``/{codebase}apis/3.0``).
API_ROOT = "/v4_6_release/apis/3.0"


def public_hrefs(text: str, base_url: str) -> str:
    """Stored JSON text with its hrefs on ``base_url`` (the sandbox's own address as its client reached it).

    The backend knows no HTTP: answers (``manage_api``) and callback payloads (``callbacks``) both pass here.
    """
    return text.replace(HREF_PREFIX, f"{base_url}{API_ROOT}/") if HREF_PREFIX in text else text


COMPANY_IDENTIFIER = re.compile(r"^[A-Za-z0-9]+$")
MEMBER_IDENTIFIER_MAX = 15


class ManageError(Exception):
    """A ConnectWise error answer: HTTP ``status`` and the ``ErrorResponseMessage`` body."""

    def __init__(self, status: int, code: str, message: str, errors: list[dict[str, str]] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors or []
        self.unknown_member: tuple[str, str] | None = None
        """(member, schema) when the body's top level has a member the model lacks (see ``unknown_member``)."""

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.errors:
            body["errors"] = self.errors
        return body


@dataclass
class Problems:
    """Field errors collected while checking one record: one error per problem.

    A real server answers a ticket pointing at a missing company with exactly one error,
    ``{"code": "NotFound", "message": "company 19299 not found", "resource": "ticket", "field": "company/id"}``
    under ``{"code": "InvalidObject", "message": "ticket object is invalid"}`` (rapid7/insightconnect-plugins
    ``plugins/connectwise/unit_test/responses/ticket_company_not_found.json.resp``), so a field that already has a
    problem gets no second one (no "company is required" after "company 19299 not found").
    """

    resource: str
    """The record's kind as the server names it in errors: ``ticket``, ``company``."""
    errors: list[dict[str, str]] = field(default_factory=list)

    def add(self, code: str, field_name: str, message: str) -> None:
        self.errors.append({"code": code, "message": message, "resource": self.resource, "field": field_name})

    def has(self, field_name: str) -> bool:
        """Whether ``field_name`` (or a path inside it, ``company/id``) already has a problem."""
        return any(e["field"].split("/")[0].lower() == field_name.lower() for e in self.errors)

    def raise_if_any(self) -> None:
        if self.errors:
            raise ManageError(400, "InvalidObject", f"{self.resource} object is invalid", self.errors)


def timestamp(moment: datetime) -> str:
    """ConnectWise's date-time text: ``2024-01-31T17:05:00Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_datetime(text: str) -> datetime | None:
    """An ISO-8601 date or date-time, or None when it is not one."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


_ACCEPT_HINT = "Check your accept header to make sure you are using the correct version."


def unknown_member(name: str, schema: str, *, top_level: bool = False) -> ManageError:
    """What ConnectWise answers for a body member its version does not have (docs/connectwise.md, "Status codes
    and error bodies"). For a member of the body's top level the HTTP layer adds Json.NET's location with
    ``locate_unknown_member`` once it has the raw body."""
    error = ManageError(
        400, "ConnectWiseApi", f"Could not find member '{name}' on object of type '{schema}'. {_ACCEPT_HINT}"
    )
    if top_level:
        error.unknown_member = (name, schema)
    return error


def locate_unknown_member(error: ManageError, raw: str) -> None:
    """Word ``error`` as Json.NET does, with where the member is in the raw body: "Could not find member 'page' on
    object of type 'FilterValues'. Path 'page', line 1, position 50.Check your accept header ..." (the real text,
    no space before "Check": mark-rootcs/CWM-API-Gateway-MCP api_gateway/api_gateway.log, 2025-03-18 07:18:41).
    The position is the 0-based column of the name's closing quote: that gives the recorded 50 for the body that
    call logged, ``{"conditions": "summary contains \\"rocks\\"", "page": 1, "pageSize": 50}``."""
    if error.unknown_member is None:
        return
    name, schema = error.unknown_member
    where = _top_level_key(raw, name)
    if where is None:
        return
    line, position = where
    error.message = (
        f"Could not find member '{name}' on object of type '{schema}'. "
        f"Path '{name}', line {line}, position {position}.{_ACCEPT_HINT}"
    )


def _top_level_key(raw: str, name: str) -> tuple[int, int] | None:
    """(line, 0-based column of its closing quote) of the first member ``name`` of the top-level JSON object."""
    depth, index, length = 0, 0, len(raw)
    expecting_key = False
    while index < length:
        char = raw[index]
        if char == '"':
            end = index + 1
            while end < length and raw[end] != '"':
                end += 2 if raw[end] == "\\" else 1
            token = raw[index : end + 1]
            after = end + 1
            if depth == 1 and expecting_key:
                try:
                    key = json.loads(token)
                except ValueError:
                    return None
                if key == name:
                    line = raw.count("\n", 0, end) + 1
                    return line, end - (raw.rfind("\n", 0, end) + 1)
            expecting_key = False
            index = after
            continue
        if char in "{[":
            depth += 1
            expecting_key = char == "{" and depth == 1
        elif char in "}]":
            depth -= 1
        elif char == "," and depth == 1:
            expecting_key = True
        index += 1
    return None


def check_scalar(prop: Property, value: Any, problems: Problems) -> Any:
    """Check one scalar value against its spec property; returns the value as stored (or None after a problem)."""
    if value is None:
        return None
    name = prop.name
    if prop.kind == "string":
        if isinstance(value, int | float) and not isinstance(value, bool):
            value = str(value)  # Json.NET binds a JSON number to a string property as its text (see bind_number)
        if not isinstance(value, str):
            problems.add("InvalidField", name, f"{name} must be text.")
            return None
        if prop.enum:
            for option in prop.enum:
                if option.lower() == value.lower():
                    return option
            problems.add("InvalidField", name, f"{name} must be one of {', '.join(prop.enum)}; '{value}' is not.")
            return None
        if prop.max_length is not None and len(value) > prop.max_length:
            problems.add("InvalidField", name, max_length_message(name, prop.max_length))
            return None
        return value
    if prop.kind == "datetime":
        moment = parse_datetime(value) if isinstance(value, str) else None
        if moment is None:
            problems.add("InvalidField", name, f"{name} must be a date-time like 2024-01-31T00:00:00Z.")
            return None
        return timestamp(moment)
    if prop.kind == "boolean":
        bound = bind_boolean(value)
        if bound is None:
            problems.add("InvalidField", name, f"{name} must be true or false.")
        return bound
    if prop.kind == "integer":
        number = bind_number(value)
        if number is None or number != int(number):
            problems.add("InvalidField", name, f"{name} must be a whole number.")
            return None
        return int(number)
    if prop.kind == "number":
        number = bind_number(value)
        if number is None:
            problems.add("InvalidField", name, f"{name} must be a number.")
        return number
    return value


def max_length_message(name: str, limit: int) -> str:
    """The .NET validation text a real server gives for a string that is too long: "The field accountNumber must be
    a string with a maximum length of 41." (Mwbergamo/SolutionsHub ``register/api/customers.php``, a live probe)."""
    return f"The field {name} must be a string with a maximum length of {limit}."


# Value binding. The server deserialises bodies with Json.NET (its errors are Json.NET's own text: "Could not find
# member 'page' on object of type 'FilterValues'. Path 'page', line 1, position 50.", mark-rootcs/CWM-API-Gateway-MCP
# ``api_gateway/api_gateway.log``), and Json.NET binds a JSON string holding a number or true/false to a numeric
# or boolean property. So "5" is 5 and "true" is true here too.
def bind_boolean(value: Any) -> bool | None:
    """A boolean, or a string ``true``/``false`` in any case, as a bool; None for anything else."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


def bind_number(value: Any) -> int | float | None:
    """A number, or a string holding one (``"5"``, ``"2.50"``), as a number; None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            return int(text)
        except ValueError:
            pass
        try:
            number = float(text)
        except ValueError:
            return None
        return number if number == number and number not in (float("inf"), float("-inf")) else None
    return None


def missing_required(schema: str, record: dict[str, Any], problems: Problems) -> None:
    """One ``MissingRequiredField`` per required field left out or empty (spec ``required``), unless that field
    already has a problem (a reference that was not found is one problem, not two)."""
    for name in required(schema):
        value = record.get(name)
        if (value is None or value == "" or value == {}) and not problems.has(name):
            problems.add("MissingRequiredField", name, f"{name} is required.")


def known_property(schema: str, name: str) -> Property | None:
    """The spec property ``name`` (any case) of ``schema``."""
    return properties(schema).get(name.lower())


def pick_fields(record: dict[str, Any], fields: list[list[str]]) -> dict[str, Any]:
    """A partial record holding only the given paths (``fields=id,name,status/name``)."""
    picked: dict[str, Any] = {}
    lowered = {key.lower(): key for key in record}
    for path in fields:
        key = lowered.get(path[0].lower())
        if key is None:
            continue
        value = record[key]
        if len(path) == 1:
            picked[key] = value
        elif isinstance(value, dict):
            inner = pick_fields(value, [path[1:]])
            if inner:
                target = picked.setdefault(key, {})
                if isinstance(target, dict):
                    target.update(inner)
        elif isinstance(value, list):
            items = [pick_fields(item, [path[1:]]) for item in value if isinstance(item, dict)]
            existing = picked.get(key)
            if isinstance(existing, list) and len(existing) == len(items):
                for merged, item in zip(existing, items, strict=True):
                    merged.update(item)
            else:
                picked[key] = items
    return picked


def apply_patch(record: dict[str, Any], operations: Any, schema: str) -> dict[str, Any]:
    """Apply a ConnectWise JSON Patch (``[{"op": "replace", "path": "name", "value": ...}]``) to a copy."""
    if not isinstance(operations, list):
        raise ManageError(
            400,
            "InvalidObject",
            'PATCH takes a JSON array of operations, e.g. [{"op": "replace", "path": "name", "value": '
            '"New name"}]; a plain object is not accepted (use PUT to send a whole record).',
        )
    updated = {key: value for key, value in record.items()}
    for index, operation in enumerate(operations):
        if not isinstance(operation, dict):
            raise ManageError(400, "InvalidObject", f"Patch operation {index} must be an object with op, path, value.")
        ops = {str(k).lower(): v for k, v in operation.items()}
        op = str(ops.get("op", "")).lower()
        path = str(ops.get("path", "")).strip().strip("/")
        if op not in ("add", "replace", "remove"):
            raise ManageError(400, "InvalidObject", f"Patch operation {index}: op must be add, replace or remove.")
        steps = [step for step in path.split("/") if step]
        if not steps:
            raise ManageError(400, "InvalidObject", f"Patch operation {index}: path is empty.")
        _apply_step(updated, steps, op, ops.get("value"), schema)
    return updated


def _apply_step(target: dict[str, Any], steps: list[str], op: str, value: Any, schema: str) -> None:
    prop = known_property(schema, steps[0])
    if prop is None or prop.name in ("id", "_info"):
        raise ManageError(400, "InvalidObject", f"Cannot patch '{'/'.join(steps)}': no such field on {schema}.")
    name = prop.name
    if len(steps) == 1:
        if op == "remove":
            target.pop(name, None)
        else:
            target[name] = value
        return
    if prop.kind == "reference":
        # Patching ``status/id`` or ``status/name`` points the reference somewhere else: keep only that key.
        target[name] = None if op == "remove" else {steps[1]: value}
        return
    inner = target.get(name)
    if not isinstance(inner, dict):
        inner = {}
    inner = dict(inner)
    if prop.ref is None:
        raise ManageError(400, "InvalidObject", f"Cannot patch inside '{name}'.")
    _apply_step(inner, steps[1:], op, value, prop.ref)
    target[name] = inner
