"""Extra data fields (EDFs) of Automate clients and locations: list them, check values, set them by title.

- ``client_extra_fields(cwa, name_or_id)``: each EDF of a client with its title, type (``Text``, ``Dropdown``,
  ``Checkbox``), value, options (dropdowns) and section.
- ``set_client_extra_fields(cwa, name_or_id, {"SLA Level": "Gold"})``: by EDF title; each field reports
  ``updated``, ``unchanged``, ``not_found`` or ``invalid`` (a dropdown value that is not an option, checked before
  any write); the value is read back after the write.
- ``check_extra_fields(...)``: the same title and value checks, collected into a ``Problems`` (the onboarding
  plan's checker uses it).

Writing a client EDF uses ``PATCH /Clients/{id}/ExtraFields/{definitionId}``, a path the bundled spec has only for
locations (see ``automate/resources.py``).
Not for: the EDF definitions themselves (they are made in Automate).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cwdesk.automate.client import AutomateClient
from cwdesk.automate.models import ExtraField
from cwdesk.workflows.automate_clients.clients import resolve_client
from cwdesk.workflows.validation import InvalidInput, Problem, Problems

__all__ = [
    "EXTRA_FIELD_COLUMNS",
    "FieldUpdate",
    "apply_extra_fields",
    "check_extra_fields",
    "client_extra_fields",
    "edf_value",
    "set_client_extra_fields",
]

#: The keys of each row ``client_extra_fields`` answers, in the order a table shows them.
EXTRA_FIELD_COLUMNS = ["title", "type", "value", "options", "section", "read_only"]


@dataclass(frozen=True)
class FieldUpdate:
    """What happened to one ``FIELD=VALUE``."""

    field: str
    status: str  # updated | unchanged | not_found | invalid | would_update
    value: Any = None
    message: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"field": self.field, "status": self.status, "value": self.value, "message": self.message}


def edf_value(edf: ExtraField, raw: Any) -> tuple[Any, str | None]:
    """The value to send for ``raw`` on this EDF, or a reason it is not acceptable."""
    if edf.is_read_only:
        return None, f"{edf.title!r} is read-only in Automate"
    kind = edf.kind
    if kind == "Checkbox":
        if isinstance(raw, bool):
            return raw, None
        text = str(raw).strip().lower()
        if text in ("true", "yes", "1", "on"):
            return True, None
        if text in ("false", "no", "0", "off"):
            return False, None
        return None, f"{edf.title!r} is a checkbox: give true or false, not {raw!r}"
    text = "" if raw is None else str(raw)
    if kind == "Dropdown" and edf.options:
        match = next((o for o in edf.options if o.lower() == text.lower()), None)
        if match is None:
            return None, f"{text!r} is not an option of {edf.title!r}: choose one of {', '.join(edf.options)}"
        return match, None
    return text, None


def _same(current: Any, wanted: Any) -> bool:
    if isinstance(wanted, bool):
        return bool(current) == wanted
    return str(current or "") == str(wanted)


def _by_title(fields: Sequence[ExtraField]) -> dict[str, ExtraField]:
    return {(f.title or "").strip().lower(): f for f in fields}


def _find(by_title: Mapping[str, ExtraField], title: str) -> tuple[ExtraField | None, str]:
    """The EDF titled ``title`` (any case), or None and a message with the closest titles."""
    edf = by_title.get(str(title).strip().lower())
    if edf is not None:
        return edf, ""
    close = difflib.get_close_matches(str(title).lower(), list(by_title), n=3, cutoff=0.5)
    hint = f" (did you mean {', '.join(repr(by_title[c].title) for c in close)}?)" if close else ""
    return None, f"no extra field is titled {title!r}{hint}"


def check_extra_fields(fields: Sequence[ExtraField], values: Mapping[str, Any], where: str, problems: Problems) -> None:
    """Add a problem to ``problems`` for each title that is not an EDF and each value the EDF does not take."""
    by_title = _by_title(fields)
    for title, raw in values.items():
        edf, missing = _find(by_title, str(title))
        problems.add(f"{where}.{title}", missing if edf is None else edf_value(edf, raw)[1])


def apply_extra_fields(
    fields: Sequence[ExtraField],
    values: Mapping[str, Any],
    write: Callable[[int, Any], ExtraField],
    *,
    dry_run: bool,
) -> list[FieldUpdate]:
    """Check every value first, then write the ones that change (``write(definition id, value)``), one
    ``FieldUpdate`` per title in the order given."""
    by_title = _by_title(fields)
    planned: list[tuple[str, ExtraField, Any]] = []
    results: dict[str, FieldUpdate] = {}
    for title, raw in values.items():
        edf, missing = _find(by_title, title)
        if edf is None:
            results[title] = FieldUpdate(title, "not_found", raw, missing)
            continue
        value, problem = edf_value(edf, raw)
        if problem:
            results[title] = FieldUpdate(title, "invalid", raw, problem)
        elif _same(edf.value, value):
            results[title] = FieldUpdate(title, "unchanged", value, "already set")
        else:
            planned.append((title, edf, value))
    for title, edf, value in planned:
        if dry_run:
            results[title] = FieldUpdate(title, "would_update", value, f"was {edf.value!r}")
            continue
        written = write(int(edf.extra_field_definition_id or 0), value)
        if not _same(written.value, value):
            results[title] = FieldUpdate(title, "invalid", value, f"Automate kept {written.value!r} after the write")
        else:
            results[title] = FieldUpdate(title, "updated", value, f"was {edf.value!r}")
    return [results[title] for title in values]


def set_client_extra_fields(
    cwa: AutomateClient, name_or_id: str | int, values: Mapping[str, Any], *, dry_run: bool = False
) -> list[FieldUpdate]:
    """Set the client's EDFs by title; one ``FieldUpdate`` per field, in the order given."""
    if not values:
        raise InvalidInput([Problem("fields", "give at least one FIELD=VALUE")], subject="the EDF update")
    client = resolve_client(cwa, name_or_id)
    client_id = int(client.id or 0)
    fields: list[ExtraField] = cwa.clients.extra_fields(client_id)
    return apply_extra_fields(
        fields,
        values,
        lambda definition, value: cwa.clients.set_extra_field(client_id, definition, value),
        dry_run=dry_run,
    )


def client_extra_fields(cwa: AutomateClient, name_or_id: str | int) -> list[dict[str, Any]]:
    """Each EDF of the client: title, type, value, options (a dropdown's), section, read_only.

    An encrypted EDF's value is never shown (``********`` when it has one): it is a secret kept in Automate."""
    client = resolve_client(cwa, name_or_id)
    rows = []
    for edf in cwa.clients.extra_fields(int(client.id or 0)):
        value = edf.value
        if edf.is_encrypted:
            value = "********" if value not in (None, "") else ""
        rows.append(
            {
                "title": edf.title or "",
                "type": edf.kind,
                "value": value,
                "options": edf.options,
                "section": edf.section or "",
                "read_only": bool(edf.is_read_only),
            }
        )
    return rows
