"""R2: no value, whatever it holds, ever changes a condition's meaning — at least 10,000 generated values per dialect.

The strategies are the lead's (``tests/test_conditions.py``: ``_scalars``, ``_texts``, ``_conditions``); these
tests only run them at R2's volume and add the check that matters on a server: a hostile value sent to the sandbox
answers exactly the records holding that value (no syntax error, no widened match).
"""

from __future__ import annotations

import base64
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cwdesk.conditions import AllOf, AnyOf, C, Comparison, field_paths, parse, render
from cwdesk.sandbox import Sandbox
from cwdesk.sandbox.manage_api import API_ROOT
from tests.test_conditions import _scalars, _texts

VALUES_PER_DIALECT = 10_000
_OPS = ["=", "!=", "<", "<=", ">", ">=", "like", "not like", "contains", "not contains", "in", "not in"]


@st.composite
def _value_in_a_condition(draw: st.DrawFn) -> tuple[Comparison, Any]:
    op = draw(st.sampled_from(_OPS))
    if op in ("like", "not like", "contains", "not contains"):
        value: Any = draw(_texts)
    elif op in ("in", "not in"):
        value = tuple(draw(st.lists(_scalars.filter(lambda v: v is not None), min_size=1, max_size=3)))
    else:
        value = draw(st.one_of(_scalars, _texts))
        if value is None:
            op = draw(st.sampled_from(["=", "!="]))
    return Comparison("company/name", op, value), value


def _assert_meaning_kept(comparison: Comparison, dialect: str) -> None:
    # The value sits between two other parts: a value that closed its quote or bracket would change the shape.
    cond = AllOf((Comparison("id", ">", 5), AnyOf((comparison, Comparison("inactiveFlag", "=", False)))))
    text = render(cond, dialect)  # type: ignore[arg-type]
    back = parse(text, dialect)  # type: ignore[arg-type]
    assert back == cond
    assert render(back, dialect) == text  # type: ignore[arg-type]  (1 vs 1.0 vs True stay apart)
    assert field_paths(back) == {"id", "company/name", "inactiveFlag"}


@settings(max_examples=VALUES_PER_DIALECT, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_value_in_a_condition())
def test_ten_thousand_values_keep_the_manage_condition_meaning(drawn: tuple[Comparison, Any]) -> None:
    _assert_meaning_kept(drawn[0], "manage")


@settings(max_examples=VALUES_PER_DIALECT, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_value_in_a_condition())
def test_ten_thousand_values_keep_the_automate_condition_meaning(drawn: tuple[Comparison, Any]) -> None:
    _assert_meaning_kept(drawn[0], "automate")


# -- the sandbox sees the same meaning ---------------------------------------------------------------------------

_SB = Sandbox(seed="demo")
_CREDS = _SB.manage_credentials
_TOKEN = base64.b64encode(f"{_CREDS['company']}+{_CREDS['public_key']}:{_CREDS['private_key']}".encode()).decode()
_HTTP = httpx.Client(
    transport=_SB.transport(),
    base_url=_CREDS["server"] + API_ROOT,
    headers={"Authorization": f"Basic {_TOKEN}", "clientId": _CREDS["client_id"]},
)
_NAMES = [str(row["name"]) for row in _HTTP.get("/company/companies", params={"pageSize": 1000}).json()]


def _sendable(text: str) -> bool:
    """Lone surrogates cannot be encoded into a URL at all (the client refuses them before any request)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


@settings(max_examples=600, deadline=None)
@given(st.one_of(_texts, st.sampled_from(_NAMES).map(lambda n: n + '" or id > 0 or name = "')).filter(_sendable))
def test_a_hostile_name_finds_exactly_the_companies_named_so(value: str) -> None:
    response = _HTTP.get("/company/companies", params={"conditions": render(C("name") == value), "pageSize": 1000})
    assert response.status_code == 200, response.text
    expected = sorted(n for n in _NAMES if n.casefold() == value.casefold())
    assert sorted(row["name"] for row in response.json()) == expected
