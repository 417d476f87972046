"""P6's premise: exporting with ``--output csv|json`` streams rows as they arrive instead of holding every record
(100,000 contacts must fit in 150 MB). Checked on ``cli.output.emit``: by the time the second row is read from the
source, the first is already written out; and the streamed text is exactly what the whole-list form printed."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

import pytest

from cwdesk.cli.output import emit

ROWS = [
    {"id": 1, "name": "Acme, Inc.", "status": {"id": 1, "name": "Active"}, "note": 'say "hi"\nbye'},
    {"id": 2, "name": "Beta", "status": None, "note": "é"},
    {"id": 3, "name": "Gamma", "status": {"id": 2, "name": "Inactive"}, "note": ""},
]
COLUMNS = ["id", "name", "status", "note"]


def _watched(out: io.StringIO, seen: list[int]) -> Iterator[dict[str, Any]]:
    for number, row in enumerate(ROWS):
        if number:
            seen.append(len(out.getvalue()))
        yield row


@pytest.mark.parametrize("output", ["csv", "json"])
def test_rows_are_written_as_they_arrive(output: str) -> None:
    out = io.StringIO()
    seen: list[int] = []
    emit(_watched(out, seen), output=output, columns=COLUMNS, stream=out)
    assert seen[0] > 0, "nothing was written before every row was read: the export holds the whole list"
    assert seen == sorted(seen) and seen[-1] < len(out.getvalue())


def test_the_streamed_csv_and_json_are_the_whole_list_forms() -> None:
    as_csv, as_json = io.StringIO(), io.StringIO()
    emit(iter(ROWS), output="csv", columns=COLUMNS, stream=as_csv)
    emit(iter(ROWS), output="json", columns=COLUMNS, stream=as_json)
    parsed = list(csv.reader(io.StringIO(as_csv.getvalue())))
    assert parsed[0] == COLUMNS and parsed[1] == ["1", "Acme, Inc.", "Active", 'say "hi"\nbye'] and len(parsed) == 4
    assert as_json.getvalue() == json.dumps(ROWS, indent=2, ensure_ascii=False) + "\n"
    empty = io.StringIO()
    emit(iter([]), output="json", columns=COLUMNS, stream=empty)
    assert empty.getvalue() == "[]\n"
