"""The one output formatter and prompt of the CLI: tables, JSON and CSV, the exit codes, and the confirmation
every destructive command asks for.

Every command that prints records calls ``emit``; every command that ends in failure raises ``typer.Exit`` with
one of the codes below. Tables are for people: dates and times show as local ``YYYY-MM-DD HH:MM`` and short
columns never wrap (long text takes the slack); JSON and CSV keep ISO-8601 values as they are.

Nothing from ConnectWise reaches a terminal or a CSV raw: table cells, titles and messages (``say``) go through
``visible``, which shows control characters (ESC, NUL, CR, C1, bidi overrides) as escapes; CSV keeps line breaks
and tabs inside quoted fields; JSON escapes the rest with ``\\u`` escapes (``json_text``). Tables fit the terminal
(``COLUMNS`` or its real width, 80 in a pipe): the boxed look when every column fits, else a compact borderless
look whose long columns wrap (none under ``MIN_WRAP_WIDTH``) and whose names may break over two lines, else
without the columns empty in every row, else the command's ``narrow`` columns (what is left out is named on
stderr), else one block of ``field value`` lines per record.

Every command that deletes or undoes records calls ``confirm_or_refuse`` before its first write: it shows what
will happen, asks on a terminal (default no), goes on without asking under ``--yes``, and without a terminal and
without ``--yes`` refuses with exit 2 so that a script never deletes by accident.
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
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from rich.console import Console

# Rich draws the tables, and is imported only when one is printed: ``--help``, ``count``, JSON and CSV output never
# need it, and importing it costs 20-40 ms of a command's start (docs/cli.md "Start-up").

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


# JSON's scalars: most cells of an export, returned as they are before the slower checks below (a third of a CSV
# export's CPU went to asking each of them whether it was a model or a mapping).
_SCALARS = (str, int, float, type(None))


def _plain(value: Any) -> Any:
    """A JSON-friendly form of a value: models and references become dicts, dates ISO strings."""
    if isinstance(value, _SCALARS):
        return value
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


# ------------------------------------------------------------------------------------------- control characters

# What a terminal acts on instead of showing: the C0 controls (NUL..US: ESC starts an escape sequence that can
# recolour, retitle or clear the screen, CR overwrites the line), DEL, the C1 controls (U+0080..U+009F: U+009B is
# an 8-bit CSI) and the bidirectional overrides and isolates (U+202A..U+202E, U+2066..U+2069) that make text read
# in another order than it is stored (CVE-2021-42574, "Trojan Source"). Text from ConnectWise is anyone's typing,
# so these are shown as visible escapes (``\x1b``, ``\n``, ``\u202e``) rather than written raw.
_TERMINAL_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
# In a CSV, a line break or a tab inside a quoted field is ordinary data (RFC 4180 section 2.6): those stay.
_CSV_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
# JSON already escapes U+0000..U+001F (RFC 8259 section 7); these it would leave raw.
_JSON_RAW_CONTROLS = re.compile("[\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_NAMED_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    return _NAMED_ESCAPES.get(char) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def visible(text: str, *, line_breaks: bool = False) -> str:
    r"""``text`` safe to write to a terminal: every control character shown as an escape (ESC as ``\x1b``).

    With ``line_breaks`` a ``\n`` stays a line break (a message of several lines); a table cell keeps none.
    """
    if line_breaks:
        return "\n".join(_TERMINAL_CONTROLS.sub(_escape, line) for line in text.split("\n"))
    return _TERMINAL_CONTROLS.sub(_escape, text)


def say(text: str, *, err: bool = False) -> None:
    """Print one message (it may hold ConnectWise text: a name, a server's error) with its controls escaped."""
    typer.echo(visible(text, line_breaks=True), err=err)


def _csv_text(text: str) -> str:
    r"""A CSV field: line breaks and tabs kept (a Windows ``\r\n`` as ``\n``), every other control escaped."""
    return _CSV_CONTROLS.sub(_escape, text.replace("\r\n", "\n"))


def json_text(data: Any) -> str:
    r"""``data`` as indented JSON whose text holds no raw control character (escaped as ``\u009b``, still JSON)."""
    text = json.dumps(data, indent=2, ensure_ascii=False, default=str)
    return _JSON_RAW_CONTROLS.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


# ------------------------------------------------------------------------------------------------------ tables

#: The narrowest a wrapping column may get; below that a table switches to fewer columns or to one block per record.
MIN_WRAP_WIDTH = 12


@dataclass(frozen=True)
class _Style:
    """A table look and the width its borders and gaps take for ``n`` columns."""

    options: dict[str, Any]
    per_column: int
    extra: int
    box: str | None = None
    """The name of a ``rich.box`` style (none: Rich's default box)."""

    def overhead(self, n: int) -> int:
        return self.per_column * n + self.extra


# The boxed look when it fits; else a borderless one (two spaces between columns) that leaves more room for data.
_BOXED = _Style({}, 3, 1)
_COMPACT = _Style({"show_edge": False, "pad_edge": False, "padding": (0, 1, 0, 0)}, 2, -2, box="SIMPLE_HEAD")


# Where a column's name may break over lines when its values are narrower than it: after a "/" of a nested field
# (``company/`` ``identifier``) and between the words of a camelCase name (``inactive`` ``Flag``).
_HEADER_BREAKS = re.compile(r"(?<=/)|(?<=[a-z])(?=[A-Z])")


def _header_pieces(header: str) -> list[str]:
    return [piece for piece in _HEADER_BREAKS.split(header) if piece]


def _header_lines(header: str, width: int) -> str:
    """``header`` broken at its natural points into lines of at most ``width`` (a piece longer than that folds)."""
    from rich.cells import cell_len

    lines: list[str] = []
    for piece in _header_pieces(header):
        if lines and cell_len(lines[-1]) + cell_len(piece) <= width:
            lines[-1] += piece
        else:
            lines.append(piece)
    return "\n".join(lines)


def _widths(headers: Sequence[str], cells: Sequence[Sequence[str]], room: int) -> list[tuple[int, bool]] | None:
    """Each column's width within ``room`` characters of content and whether it wraps; None if it cannot fit.

    Short columns (every cell at most ``SHORT_CELL``) keep their values whole and never wrap, their names breaking
    over two lines if need be (``inactive`` / ``Flag``); the long ones share the rest, the narrowest first getting
    all it needs (water-filling), and wrap at word boundaries; none may get under ``MIN_WRAP_WIDTH``. Room left
    over goes back to the names that were broken.
    """
    from rich.cells import cell_len

    content = [max((cell_len(line[index]) for line in cells), default=0) for index in range(len(headers))]
    natural = [max(cell_len(header), width, 1) for header, width in zip(headers, content, strict=True)]
    if sum(natural) <= room:
        return [(width, False) for width in natural]
    least = [
        max([width, 1, *(cell_len(piece) for piece in _header_pieces(header))])
        for header, width in zip(headers, content, strict=True)
    ]
    flexible = [i for i, width in enumerate(content) if width > SHORT_CELL]
    widths = [natural[i] if i in flexible else least[i] for i in range(len(headers))]
    left = room - sum(widths[i] for i in range(len(headers)) if i not in flexible)
    for position, index in enumerate(sorted(flexible, key=lambda i: natural[i])):
        share = left // (len(flexible) - position)
        widths[index] = min(natural[index], share)
        left -= widths[index]
    if any(widths[i] < MIN_WRAP_WIDTH for i in flexible) or left < 0:
        return None
    # Room left over unbreaks names, those needing the least first (so the most of them are whole).
    for index in sorted(set(range(len(headers))) - set(flexible), key=lambda i: natural[i] - widths[i]):
        grow = min(natural[index] - widths[index], left)
        widths[index] += grow
        left -= grow
    return [(width, index in flexible) for index, width in enumerate(widths)]


def _terminal_width() -> int:
    # Rich reads COLUMNS, then the terminal's size, and falls back to 80 when writing to a pipe or a file.
    from rich.console import Console

    return Console().width


def _print_table(
    rows: Sequence[Mapping[str, Any]], keys: list[str], *, narrow: list[str] | None, title: str | None, out: Any
) -> None:
    """A table that fits the terminal: boxed, else compact, else without empty columns, else the ``narrow`` columns,
    else one block per record."""
    from rich import box
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    width = _terminal_width()
    rendered = io.StringIO()
    console = Console(file=rendered, soft_wrap=True, width=width, highlight=False)
    # Narrower and narrower choices: every column; without the columns empty in every row; the command's own pick.
    filled = [k for k in keys if any(_table_cell(row.get(k)) for row in rows)] if rows else keys
    choices = [(keys, _BOXED), (keys, _COMPACT)]
    if filled != keys:
        choices.append((filled, _COMPACT))
    if narrow:
        picked = [k for k in narrow if k in filled]
        if picked not in (keys, filled):
            choices.append((picked, _COMPACT))
    for shown, style in choices:
        cells = [[visible(_table_cell(row.get(k))) for k in shown] for row in rows]
        headers = [visible(k) for k in shown]
        widths = _widths(headers, cells, width - style.overhead(len(shown)))
        if widths is None:
            continue
        hidden = ", ".join(k for k in filled if k not in shown)  # a column empty in every row hides nothing
        if hidden:
            typer.echo(f"({width} columns: {hidden} not shown; -o csv or -o json shows every column)", err=True)
        options = {**style.options, **({"box": getattr(box, style.box)} if style.box else {})}
        table = Table(title=Text(visible(title)) if title else None, **options)
        for header, (column_width, wraps) in zip(headers, widths, strict=True):
            name = Text(_header_lines(header, column_width))
            table.add_column(name, width=column_width, no_wrap=not wraps, overflow="fold")
        for line in cells:
            table.add_row(*(Text(cell) for cell in line))
        console.print(table)
        break
    else:
        _print_records(rows, keys, title=title, console=console)
    # Rich pads every cell to its column's width; the spaces at the ends of lines are of no use in a pipe or a file.
    out.write("".join(line.rstrip() + "\n" for line in rendered.getvalue().splitlines()))


def _print_records(rows: Sequence[Mapping[str, Any]], keys: list[str], *, title: str | None, console: Console) -> None:
    """One block per record (``field  value`` lines), for a terminal too narrow for any table of these columns."""
    from rich.cells import cell_len
    from rich.table import Table
    from rich.text import Text

    if title:
        console.print(Text(visible(title)))
    label = max((cell_len(k) for k in keys), default=0)
    for number, row in enumerate(rows):
        if number:
            console.print(Text("─" * min(console.width, label + 2 + MIN_WRAP_WIDTH)))
        grid = Table.grid(padding=(0, 2, 0, 0))
        grid.add_column(no_wrap=True, width=label)
        grid.add_column(overflow="fold", min_width=MIN_WRAP_WIDTH)
        for key in keys:
            grid.add_row(Text(visible(key)), Text(visible(_table_cell(row.get(key)))))
        console.print(grid)


def emit(
    rows: Iterable[Mapping[str, Any]],
    *,
    output: OutputFormat | str = OutputFormat.table,
    columns: Sequence[str] | None = None,
    title: str | None = None,
    stream: Any = None,
    narrow: Sequence[str] | None = None,
) -> None:
    """Print ``rows`` as a table, a JSON array or CSV. ``columns`` picks and orders the keys shown.

    ``narrow`` is the command's choice of the columns that matter most: a table too wide for the terminal with
    every column shows only those (and says so on stderr). JSON and CSV always carry every column.
    """
    fmt = OutputFormat(output)
    out = stream if stream is not None else sys.stdout
    if columns and fmt is not OutputFormat.table:
        _stream(rows, fmt, list(columns), out)  # known columns: row by row, memory stays flat on big exports
        return
    materialised = [dict(_plain(row)) for row in rows]
    keys = list(columns) if columns else _keys_of(materialised)
    if fmt is OutputFormat.json:
        picked = materialised if not columns else [{k: row.get(k) for k in keys} for row in materialised]
        out.write(json_text(picked) + "\n")
        return
    if fmt is OutputFormat.csv:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow([_csv_text(k) for k in keys])
        for row in materialised:
            writer.writerow([_csv_text(_cell(row.get(k))) for k in keys])
        out.write(buffer.getvalue())
        return
    _print_table(materialised, keys, narrow=list(narrow) if narrow else None, title=title, out=out)


def _stream(rows: Iterable[Mapping[str, Any]], fmt: OutputFormat, keys: list[str], out: Any) -> None:
    """CSV or JSON written as rows arrive; the text is the same as the whole-list form."""
    if fmt is OutputFormat.csv:
        writer = csv.writer(out)
        writer.writerow([_csv_text(k) for k in keys])
        for row in rows:
            plain = _plain(row)
            writer.writerow([_csv_text(_cell(plain.get(k))) for k in keys])
        return
    count = 0
    for row in rows:
        plain = _plain(row)
        text = json_text({k: plain.get(k) for k in keys})
        out.write(("[\n" if count == 0 else ",\n") + textwrap.indent(text, "  "))
        count += 1
    out.write("\n]\n" if count else "[]\n")


def emit_object(obj: Mapping[str, Any] | Any, *, output: OutputFormat | str = OutputFormat.table) -> None:
    """Print one record or result: JSON as is, or a two-column table of its fields."""
    fmt = OutputFormat(output)
    data = _plain(obj)
    if fmt is OutputFormat.json:
        sys.stdout.write(json_text(data) + "\n")
        return
    emit(({"field": k, "value": v} for k, v in data.items()), output=fmt, columns=["field", "value"])


def _keys_of(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    keys: dict[str, None] = {}
    for row in rows:
        for key in row:
            keys.setdefault(key, None)
    return list(keys)


def stdin_is_terminal() -> bool:
    """Whether someone can answer a question (standard input is a terminal, not a pipe, a file or a test runner)."""
    return sys.stdin.isatty()


def confirm_or_refuse(preview: str | Sequence[str], *, question: str, yes: bool) -> None:
    """Go on with a destructive action only when the user agreed; otherwise end the command with exit 2.

    ``preview`` says what will happen (the records, with counts); it is shown on stderr before asking, so that
    standard output keeps only the command's result. ``yes`` is the command's ``--yes``: it agrees without asking.
    On a terminal the user is asked ``question`` (the default is no). Without a terminal and without ``--yes``
    nothing is asked and nothing is done: the command refuses and says how to confirm.
    """
    if yes:
        return
    lines = [preview] if isinstance(preview, str) else list(preview)
    for line in lines:
        say(line, err=True)
    if not stdin_is_terminal():
        typer.echo("Error: not confirmed, so nothing was changed. Pass --yes to confirm without a terminal.", err=True)
        raise typer.Exit(EXIT_USAGE)
    if not typer.confirm(question, default=False, err=True):
        typer.echo("Not confirmed; nothing was changed.", err=True)
        raise typer.Exit(EXIT_USAGE)
