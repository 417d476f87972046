"""The one output formatter of the CLI: tables, JSON and CSV, and the exit codes.

Every command that prints records calls ``emit``; every command that ends in failure raises ``typer.Exit`` with
one of the codes below. Tables are for people: dates and times show as local ``YYYY-MM-DD HH:MM`` and short
columns never wrap (long text takes the slack); JSON and CSV keep ISO-8601 values as they are.
Not for: building the records (commands do that from the SDK or the workflows).
"""

from __future__ import annotations

import csv
import enum
import io
import json
import re
import sys
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from rich.console import Console
from rich.table import Table

# Exit codes, as the README documents them.
EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_PARTIAL = 3


class OutputFormat(enum.StrEnum):
    """How a command prints its records (``--output``)."""

    table = "table"
    json = "json"
    csv = "csv"


def _plain(value: Any) -> Any:
    """A JSON-friendly form of a value: models and references become dicts, dates ISO strings."""
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json", by_alias=True, exclude_none=True)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _cell(value: Any) -> str:
    """A short text for one table or CSV cell: a reference shows its name, a list its items."""
    value = _plain(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Mapping):
        for key in ("name", "identifier", "id"):
            if key in value:
                return str(value[key])
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return ", ".join(_cell(v) for v in value)
    return str(value)


#: Columns whose every cell is at most this long are never wrapped in a table (a date and time is 16).
SHORT_CELL = 16

_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$")


def _table_cell(value: Any) -> str:
    """A table cell: like ``_cell``, but a date and time (with its zone) shows as local ``YYYY-MM-DD HH:MM``."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone().strftime("%Y-%m-%d %H:%M")
    text = _cell(value)
    if _ISO_DATETIME.match(text):
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return text
        return moment.astimezone().strftime("%Y-%m-%d %H:%M")
    return text


def emit(
    rows: Iterable[Mapping[str, Any]],
    *,
    output: OutputFormat | str = OutputFormat.table,
    columns: Sequence[str] | None = None,
    title: str | None = None,
    stream: Any = None,
) -> None:
    """Print ``rows`` as a table, a JSON array or CSV. ``columns`` picks and orders the keys shown."""
    fmt = OutputFormat(output)
    out = stream if stream is not None else sys.stdout
    if columns and fmt is not OutputFormat.table:
        _stream(rows, fmt, list(columns), out)  # known columns: row by row, memory stays flat on big exports
        return
    materialised = [dict(_plain(row)) for row in rows]
    keys = list(columns) if columns else _keys_of(materialised)
    if fmt is OutputFormat.json:
        picked = materialised if not columns else [{k: row.get(k) for k in keys} for row in materialised]
        out.write(json.dumps(picked, indent=2, ensure_ascii=False, default=str) + "\n")
        return
    if fmt is OutputFormat.csv:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(keys)
        for row in materialised:
            writer.writerow([_cell(row.get(k)) for k in keys])
        out.write(buffer.getvalue())
        return
    cells = [[_table_cell(row.get(k)) for k in keys] for row in materialised]
    table = Table(title=title, show_lines=False)
    for index, key in enumerate(keys):
        widest = max((len(line[index]) for line in cells), default=0)
        if widest <= SHORT_CELL:
            # A short column (ids, states, counts, dates) keeps its cells whole; the long ones take the wrapping.
            table.add_column(key, no_wrap=True, min_width=max(widest, 1))
        else:
            table.add_column(key, overflow="fold", ratio=1)
    for line in cells:
        table.add_row(*line)
    Console(file=out, soft_wrap=True).print(table)


def _stream(rows: Iterable[Mapping[str, Any]], fmt: OutputFormat, keys: list[str], out: Any) -> None:
    """CSV or JSON written as rows arrive; the text is the same as the whole-list form."""
    if fmt is OutputFormat.csv:
        writer = csv.writer(out)
        writer.writerow(keys)
        for row in rows:
            plain = _plain(row)
            writer.writerow([_cell(plain.get(k)) for k in keys])
        return
    count = 0
    for row in rows:
        plain = _plain(row)
        text = json.dumps({k: plain.get(k) for k in keys}, indent=2, ensure_ascii=False, default=str)
        out.write(("[\n" if count == 0 else ",\n") + textwrap.indent(text, "  "))
        count += 1
    out.write("\n]\n" if count else "[]\n")


def emit_object(obj: Mapping[str, Any] | Any, *, output: OutputFormat | str = OutputFormat.table) -> None:
    """Print one record or result: JSON as is, or a two-column table of its fields."""
    fmt = OutputFormat(output)
    data = _plain(obj)
    if fmt is OutputFormat.json:
        sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")
        return
    emit(({"field": k, "value": v} for k, v in data.items()), output=fmt, columns=["field", "value"])


def _keys_of(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    keys: dict[str, None] = {}
    for row in rows:
        for key in row:
            keys.setdefault(key, None)
    return list(keys)
