"""One condition evaluator in memory (``cwdesk.conditions.matches``), checked against the sandbox's SQL translation.

Generated conditions over generated companies must select the same companies in memory (Manage dialect) as in
SQLite through ``sandbox/backend/query.py``, the translation every Manage list of the sandbox answers with. The
values are typed as the spec types each field (strings on text fields, integers on integer fields, ...) and text
is ASCII: SQLite's NOCASE folds ASCII letters only, where SQL Server and ``casefold`` fold every script.
The Automate dialect's own rules (empty text is null, negative tests through a list) are pinned by examples below.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cwdesk.conditions import C, Comparison, Condition, all_of, any_of, matches, render, value_at
from cwdesk.sandbox.backend.kinds import KINDS
from cwdesk.sandbox.backend.query import conditions_sql
from cwdesk.sandbox.backend.store import open_sandbox_db

COMPANY = KINDS["company"]

# Letters of both cases, LIKE's wildcards and a backslash (escaping in ``contains``), a space and a digit.
_text = st.text(alphabet="aAbBzZ%_\\ 1", max_size=4)
_moment = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2020, 1, 3), timezones=st.just(UTC)).map(
    lambda d: d.replace(microsecond=0)
)
_small_int = st.integers(min_value=-3, max_value=3)

# Field path -> (the spec's kind of its value, a strategy for values of that kind).
_FIELDS: dict[str, tuple[str, st.SearchStrategy[Any]]] = {
    "name": ("string", _text),  # an indexed TEXT column
    "city": ("string", _text),
    "addressLine1": ("string", _text),  # read with json_extract
    "status/name": ("string", _text),
    "status/id": ("integer", _small_int),
    "deletedFlag": ("boolean", st.booleans()),
    "numberOfEmployees": ("integer", _small_int),
    "annualRevenue": ("number", st.floats(min_value=-3, max_value=3, allow_nan=False).map(lambda f: round(f, 1))),
    "dateAcquired": ("datetime", _moment),
    "types/id": ("integer", _small_int),  # a path into an array: some item must pass
    "types/name": ("string", _text),
}
_ORDERED = ["=", "!=", "<", "<=", ">", ">="]
_TEXT = ["like", "not like", "contains", "not contains"]


@st.composite
def _comparison(draw: st.DrawFn) -> Condition:
    field = draw(st.sampled_from(sorted(_FIELDS)))
    kind, values = _FIELDS[field]
    if draw(st.integers(min_value=0, max_value=9)) == 0:
        return Comparison(field, draw(st.sampled_from(["=", "!="])), None)
    ops = _ORDERED + ["in", "not in"] + (_TEXT if kind == "string" else [])
    op = draw(st.sampled_from(ops))
    if op in ("in", "not in"):
        items = draw(st.lists(st.one_of(values, st.none()) if kind != "boolean" else values, min_size=1, max_size=3))
        return Comparison(field, op, tuple(items))
    return Comparison(field, op, draw(values))


_conditions = st.recursive(
    _comparison(),
    lambda inner: st.one_of(
        st.lists(inner, min_size=2, max_size=3).map(lambda parts: all_of(*parts)),
        st.lists(inner, min_size=2, max_size=3).map(lambda parts: any_of(*parts)),
    ),
    max_leaves=5,
)


def _maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """A value, null, or (``...``) no key at all."""
    return st.one_of(strategy, st.none(), st.just(...))


@st.composite
def _company(draw: st.DrawFn) -> dict[str, Any]:
    record: dict[str, Any] = {
        "name": draw(_text),
        # The sandbox renders every flag (a missing one reads as false in SQL; see the example test below).
        "deletedFlag": draw(st.booleans()),
        "types": draw(st.lists(st.fixed_dictionaries({"id": _small_int, "name": _text}), max_size=2)),
    }
    optional = {
        "city": _text,
        "addressLine1": _text,
        "numberOfEmployees": _small_int,
        "annualRevenue": _FIELDS["annualRevenue"][1],
        "dateAcquired": _moment.map(lambda d: d.strftime("%Y-%m-%dT%H:%M:%SZ")),
        "status": st.fixed_dictionaries({"id": _small_int, "name": _text}),
    }
    for key, strategy in optional.items():
        value = draw(_maybe(strategy))
        if value is not ...:
            record[key] = value
    return record


@pytest.fixture(scope="module")
def db() -> Iterator[sqlite3.Connection]:
    connection = open_sandbox_db(None)
    yield connection
    connection.close()


def _selected_in_sqlite(db: sqlite3.Connection, records: list[dict[str, Any]], cond: Condition) -> set[int]:
    db.execute(f"DELETE FROM {COMPANY.table}")
    db.executemany(
        f"INSERT INTO {COMPANY.table} (id, data) VALUES (?, ?)",
        [(index, json.dumps(record)) for index, record in enumerate(records, start=1)],
    )
    params: list[Any] = []
    where = conditions_sql(COMPANY, render(cond), params)
    return {row[0] for row in db.execute(f"SELECT id FROM {COMPANY.table} AS t WHERE {where}", params)}


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(records=st.lists(_company(), min_size=1, max_size=6), cond=_conditions)
def test_in_memory_matches_select_what_the_sandbox_sql_selects(
    db: sqlite3.Connection, records: list[dict[str, Any]], cond: Condition
) -> None:
    in_memory = {index for index, record in enumerate(records, start=1) if matches(cond, record)}
    assert in_memory == _selected_in_sqlite(db, records, cond), render(cond)


# ------------------------------------------------------------------------------------ the rules by example


def test_a_missing_value_passes_only_equals_null_in_manage() -> None:
    company: dict[str, Any] = {"name": "Acme"}
    assert matches(C("city").is_null(), company)
    assert not matches(C("city") != "Paris", company)
    assert not matches(C("city").not_contains("x"), company)
    assert not matches(C("city").not_in(["Paris"]), company)


def test_a_missing_value_differs_from_everything_in_automate() -> None:
    client: dict[str, Any] = {"Name": "Acme", "City": ""}
    assert matches(C("City").is_null(), client, "automate")  # an empty string counts as null
    assert matches(C("State") != "WA", client, "automate")


def test_a_missing_flag_reads_as_false_in_manage() -> None:
    assert matches(C("deletedFlag") == False, {"name": "Acme"})  # noqa: E712 - builds a condition


def test_text_ignores_case_and_like_takes_percent_and_underscore() -> None:
    company = {"name": "Big Bear_Co"}
    assert matches(C("name") == "BIG BEAR_CO", company)
    assert matches(C("name").like("big%c_"), company)
    assert matches(C("name").contains("R_c"), company)
    assert not matches(C("name").contains("r%c"), company)  # contains takes its text literally


def test_paths_follow_each_dialects_separator() -> None:
    record = {"Client": {"Name": "Acme"}, "status": {"name": "Active"}}
    assert matches(C("status/name") == "active", record)
    assert matches(C("Client.Name") == "acme", record, "automate")
    assert value_at(record, "Client.Name") is None  # Manage paths are joined by "/" only


def test_through_a_list_manage_needs_one_item_and_automate_negatives_need_every_item() -> None:
    client = {"Locations": [{"Name": "Main"}, {"Name": "Branch"}]}
    assert matches(C("Locations/Name") != "Main", client)  # Manage: some item is not Main
    assert not matches(C("Locations.Name") != "Main", client, "automate")  # Automate: every item must differ
    assert matches(C("Locations.Name") == "branch", client, "automate")
    assert not matches(C("Locations/Name") == "Main", {"Locations": []})


def test_not_in_a_list_holding_null_is_never_true_in_manage() -> None:
    assert not matches(C("city").not_in(["Paris", None]), {"city": "Rome"})
    assert matches(C("city").not_in(["Paris", None]), {"city": "Rome"}, "automate")


def test_datetimes_compare_as_moments_and_a_string_is_parsed_in_its_dialect() -> None:
    company = {"dateAcquired": "2024-05-01T10:00:00Z"}
    moment = datetime(2024, 5, 1, 10, tzinfo=UTC)
    assert matches(C("dateAcquired") == moment, company)
    assert matches(C("dateAcquired") < moment + timedelta(seconds=1), company)
    assert matches("dateAcquired >= [2024-05-01T00:00:00Z]", company)
    assert matches("DateAcquired >= 2024-05-01T00:00:00Z", company, "automate")
