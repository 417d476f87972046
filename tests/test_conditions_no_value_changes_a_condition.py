"""R2: no value, whatever it holds, ever changes a condition's meaning — at least 10,000 generated values per dialect.

The strategies are the lead's (``tests/test_conditions.py``: ``_scalars``, ``_texts``, ``_conditions``); these
tests only run them at R2's volume and add the check that matters on a server: a hostile value sent to the sandbox
answers exactly the records holding that value (no syntax error, no widened match).
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
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


@pytest.fixture(scope="module")
def demo_manage() -> Iterator[tuple[httpx.Client, list[str]]]:
    """A raw HTTP client on a demo sandbox (the SDK would refuse some values before sending) and its names."""
    sb = Sandbox(seed="demo")
    creds = sb.manage_credentials
    token = base64.b64encode(f"{creds['company']}+{creds['public_key']}:{creds['private_key']}".encode()).decode()
    with httpx.Client(
        transport=sb.transport(),
        base_url=creds["server"] + API_ROOT,
        headers={"Authorization": f"Basic {token}", "clientId": creds["client_id"]},
    ) as http:
        names = [str(row["name"]) for row in http.get("/company/companies", params={"pageSize": 1000}).json()]
        yield http, names
    sb.close()


_HOSTILE_SUFFIX = '" or id > 0 or name = "'


def _sendable(text: str) -> bool:
    """Lone surrogates cannot be encoded into a URL at all (the client refuses them before any request)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_hostile_name_finds_exactly_the_companies_named_so(
    data: st.DataObject, demo_manage: tuple[httpx.Client, list[str]]
) -> None:
    http, names = demo_manage
    hostile = st.sampled_from(names).map(lambda name: name + _HOSTILE_SUFFIX)  # a real name, then an injection
    value = data.draw(st.one_of(_texts, hostile).filter(_sendable))
    response = http.get("/company/companies", params={"conditions": render(C("name") == value), "pageSize": 1000})
    assert response.status_code == 200, response.text
    expected = sorted(n for n in names if n.casefold() == value.casefold())
    assert sorted(row["name"] for row in response.json()) == expected
