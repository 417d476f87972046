"""The one output formatter of the CLI: tables, JSON and CSV, and the exit codes.

Every command that prints records calls ``emit``; every command that ends in failure raises ``typer.Exit`` with
one of the codes below. Not for: building the records (commands do that from the SDK or the workflows).
"""

from __future__ import annotations

import csv
import enum
import io
import json
import sys
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
    table = Table(title=title, show_lines=False)
    for key in keys:
        table.add_column(key, overflow="fold")
    for row in materialised:
        table.add_row(*(_cell(row.get(k)) for k in keys))
    Console(file=out, soft_wrap=True).print(table)


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
