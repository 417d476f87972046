"""SCIM filters (RFC 7644 §3.4.2.2) as ConnectWise ``conditions``, built with ``cwdesk.conditions`` (never text).

scim2-models parses the filter into a tree; ``translate`` walks it and gives a ``Translation``: a condition that
selects *at least* the matching members, and whether it selects *exactly* them. An exact condition is paged by
ConnectWise (``/count`` for ``totalResults``, ``page``/``pageSize`` for ``startIndex``/``count``); a wider one is
read whole and the filter is applied to each member in memory by scim2-models' own ``match``, so the answer is
always the filter's, only slower. Every value goes through ``C(...)`` (``cwdesk.conditions`` escapes it): a quote,
a parenthesis or ``or 1 eq 1`` inside a SCIM string stays a string.

| SCIM attribute | ConnectWise | exact |
|---|---|---|
| ``userName`` | ``identifier`` | eq, ne, co, sw, ew (``like``; a value with ``%`` or ``_`` is checked in memory) |
| ``name.givenName`` / ``name.familyName`` / ``title`` | ``firstName`` / ``lastName`` / ``title`` | the same |
| ``emails.value`` (or ``emails``) | any of ``officeEmail``, ``homeEmail``, ``mobileEmail`` | the same |
| ``phoneNumbers.value`` | any of ``officePhone``, ``mobilePhone``, ``homePhone`` | the same |
| ``active`` | ``inactiveFlag`` | eq, ne with true/false |
| ``id`` | ``id`` | eq, ne |
| ``externalId`` | ``id in (...)`` from the app's database | eq |
| ``meta.lastModified`` | ``lastUpdated`` | gt, ge, lt, le, eq |

Anything else (``pr``, ``emails[type eq "work" ...]``, ``displayName``...) is checked in memory.
Not for: running the query (``storage.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from scim2_models import ScimFilter
from scim2_models.path.expressions import (
    CompareOperator,
    Comparison,
    FilterNode,
    LogicalExpr,
    LogicalOperator,
    Not,
)

from cwdesk.conditions import C, Condition, all_of, any_of
from cwdesk.conditions import Comparison as CwComparison

__all__ = ["Translation", "translate"]

_STRING_FIELDS: dict[str, tuple[str, ...]] = {
    "username": ("identifier",),
    "name.givenname": ("firstName",),
    "name.familyname": ("lastName",),
    "title": ("title",),
    "emails": ("officeEmail", "homeEmail", "mobileEmail"),
    "emails.value": ("officeEmail", "homeEmail", "mobileEmail"),
    "phonenumbers": ("officePhone", "mobilePhone", "homePhone"),
    "phonenumbers.value": ("officePhone", "mobilePhone", "homePhone"),
}
_ORDERING = {
    CompareOperator.gt: C.__gt__,
    CompareOperator.ge: C.__ge__,
    CompareOperator.lt: C.__lt__,
    CompareOperator.le: C.__le__,
}
_NOTHING = C("id") < 0  # no member has a negative id: "matches none", still a valid condition


@dataclass(frozen=True)
class Translation:
    """``condition`` selects at least the matching members (``None``: every member); ``exact``: no more."""

    condition: Condition | None
    exact: bool


_EVERYTHING_WIDE = Translation(None, exact=False)


def _string(field: str, op: CompareOperator, value: str) -> tuple[CwComparison, bool] | None:
    column = C(field)
    if op is CompareOperator.eq:
        return column == value, True
    if op is CompareOperator.ne:
        return column != value, True
    if op is CompareOperator.co:
        return column.contains(value), True
    wildcard_free = "%" not in value and "_" not in value and "[" not in value
    if op is CompareOperator.sw:
        return column.like(value + "%") if wildcard_free else column.contains(value), wildcard_free
    if op is CompareOperator.ew:
        return column.like("%" + value) if wildcard_free else column.contains(value), wildcard_free
    return None


def _comparison(node: Comparison, external_ids: Callable[[str], list[int]]) -> Translation:
    name = str(node.attr_path).lower()
    if node.attr_path.uri:  # a fully qualified core attribute: the same attribute
        name = name.split(":")[-1]
    op, value = node.op, node.value
    fields = _STRING_FIELDS.get(name)
    if fields is not None and isinstance(value, str):
        parts = [_string(field, op, value) for field in fields]
        if any(part is None for part in parts):
            return _EVERYTHING_WIDE
        conditions = [part[0] for part in parts if part is not None]
        exact = all(part[1] for part in parts if part is not None)
        if op is CompareOperator.ne:  # "no email equals x": every slot differs
            return Translation(all_of(*conditions), exact)
        return Translation(conditions[0] if len(conditions) == 1 else any_of(*conditions), exact)
    if name == "active" and isinstance(value, bool) and op in (CompareOperator.eq, CompareOperator.ne):
        active = value if op is CompareOperator.eq else not value
        return Translation(C("inactiveFlag") == (not active), exact=True)
    if name == "id" and isinstance(value, str) and op in (CompareOperator.eq, CompareOperator.ne):
        if not value.isdigit() or len(value) > 18:
            return Translation(_NOTHING if op is CompareOperator.eq else None, exact=True)
        return Translation((C("id") == int(value)) if op is CompareOperator.eq else (C("id") != int(value)), True)
    if name == "externalid" and isinstance(value, str) and op is CompareOperator.eq:
        ids = external_ids(value)
        return Translation(C("id").in_(ids) if ids else _NOTHING, exact=True)
    if name == "meta.lastmodified" and isinstance(value, datetime):
        column = C("_info/lastUpdated")
        if op in _ORDERING:
            return Translation(_ORDERING[op](column, value), exact=True)
        if op is CompareOperator.eq:
            return Translation(column == value, exact=True)
    return _EVERYTHING_WIDE


def _node(node: FilterNode, external_ids: Callable[[str], list[int]]) -> Translation:
    if isinstance(node, Comparison):
        return _comparison(node, external_ids)
    if isinstance(node, LogicalExpr):
        terms = [_node(term, external_ids) for term in node.terms]
        exact = all(term.exact for term in terms)
        if node.op is LogicalOperator.and_:
            kept = [term.condition for term in terms if term.condition is not None]
            return Translation(all_of(*kept) if kept else None, exact)
        if any(term.condition is None for term in terms):
            return Translation(None, exact)
        return Translation(any_of(*(term.condition for term in terms if term.condition is not None)), exact)
    if isinstance(node, Not):
        inner = _node(node.expr, external_ids)
        if inner.exact and inner.condition is not None:
            return Translation(~inner.condition, exact=True)
        return _EVERYTHING_WIDE
    return _EVERYTHING_WIDE  # Present, ValuePath: checked in memory


def translate(scim_filter: ScimFilter[Any] | None, external_ids: Callable[[str], list[int]]) -> Translation:
    """The ConnectWise condition for ``scim_filter`` (``None``: no filter, every member, exactly)."""
    if scim_filter is None:
        return Translation(None, exact=True)
    return _node(scim_filter.ast, external_ids)
