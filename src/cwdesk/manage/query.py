"""The query of a Manage list, written in one place: conditions, orderBy, fields, paging parameters.

``build_query`` turns a resource's list arguments into ConnectWise's query parameters: ``where`` (a
``Condition`` from ``cwdesk.conditions`` or a raw string) -> ``conditions``; ``child_conditions``,
``custom_field_conditions``, ``order_by``, ``fields``, ``page_size`` (default and maximum 1000) and ``after_id``
(resume after an id: ``pageId`` forward-only, else ``id > N``). Field names in ``where``/``fields``/``order_by``
may be snake_case or camelCase; a name the model does not know fails with a ``ConfigurationError`` before any
request, with a suggestion. A raw string condition is the escape hatch: sent as written, not checked.
``search_body`` is the same filters as the ``POST .../search`` form's ``FilterValues`` (used past
``MAX_URL_LENGTH``).

Not for: paging through the answers or sending anything (``resources/collection.py``, ``manage/paging.py``).
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Mapping, Sequence
from typing import Any

from cwdesk.conditions import AllOf, AnyOf, Comparison, Condition, ConditionSyntaxError, Raw, render
from cwdesk.errors import ConfigurationError
from cwdesk.manage.models.base import CWModel, api_name
from cwdesk.manage.paging import DEFAULT_PAGE_SIZE, checked_page_size

__all__ = ["MAX_URL_LENGTH", "ListQuery", "build_query", "search_body"]

# Past this, a list is sent as POST .../search where the spec has one (docs/connectwise.md, "Search").
MAX_URL_LENGTH = 2000


@dataclasses.dataclass(frozen=True)
class ListQuery:
    """The query parameters of a list, built once and never mutated."""

    params: dict[str, Any]
    forward_only: bool
    page_size: int
    filters: dict[str, str]  # the FilterValues members for the POST search form


def _suggest(name: str, model: type[CWModel]) -> str:
    known = sorted({info.alias or attr for attr, info in model.model_fields.items()})
    close = difflib.get_close_matches(name, known, n=3)
    return f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""


def _api_path(model: type[CWModel], path: str, *, what: str, resource: str) -> str:
    """A field path with its first segment in the API's spelling; unknown first segments are refused."""
    head, sep, rest = path.strip().partition("/")
    if not head:
        raise ConfigurationError(f"Empty field name in {what} for {resource}")
    known = api_name(model, head)
    if known is None:
        raise ConfigurationError(
            f"Unknown field {head!r} in {what} for {resource} "
            f"(a {model.__name__} has no such field){_suggest(head, model)}"
        )
    return known + sep + rest


def _rename_fields(cond: Condition, model: type[CWModel], resource: str) -> Condition:
    if isinstance(cond, Comparison):
        return dataclasses.replace(cond, field=_api_path(model, cond.field, what="where", resource=resource))
    if isinstance(cond, AllOf | AnyOf):
        return type(cond)(tuple(_rename_fields(part, model, resource) for part in cond.parts))
    return cond


def _condition_text(where: Condition | str | None, model: type[CWModel] | None, resource: str) -> str | None:
    if where is None:
        return None
    if isinstance(where, str):
        return where.strip() or None
    if isinstance(where, Raw):
        return where.text.strip() or None
    checked = _rename_fields(where, model, resource) if model is not None else where
    try:
        return render(checked, "manage")
    except ConditionSyntaxError as exc:
        raise ConfigurationError(f"Invalid condition for {resource}: {exc}") from exc


def _order_by_text(order_by: str | Sequence[str] | None, model: type[CWModel], resource: str) -> str | None:
    if order_by is None:
        return None
    items = [order_by] if isinstance(order_by, str) else list(order_by)
    parts: list[str] = []
    for item in items:
        for piece in str(item).split(","):
            words = piece.split()
            if not words:
                continue
            direction = words[1].lower() if len(words) > 1 else ""
            if len(words) > 2 or direction not in ("", "asc", "desc"):
                raise ConfigurationError(
                    f"order_by {piece.strip()!r} for {resource}: use 'field', 'field asc' or 'field desc'"
                )
            field = _api_path(model, words[0], what="order_by", resource=resource)
            parts.append(f"{field} {direction}".strip())
    return ", ".join(parts) or None


def build_query(
    model: type[CWModel],
    resource: str,
    *,
    where: Condition | str | None = None,
    child_conditions: Condition | str | None = None,
    custom_field_conditions: Condition | str | None = None,
    order_by: str | Sequence[str] | None = None,
    fields: Sequence[str] | str | None = None,
    page_size: int = DEFAULT_PAGE_SIZE,
    after_id: int | None = None,
) -> ListQuery:
    """The list query of a resource. The one place where ConnectWise query parameters are written."""
    checked_page_size(page_size)
    conditions = _condition_text(where, model, resource)
    order = _order_by_text(order_by, model, resource)
    forward_only = order is None
    if after_id is not None:
        if isinstance(after_id, bool) or not isinstance(after_id, int):
            raise ConfigurationError(f"after_id must be a record id (int), got {after_id!r}")
        if not forward_only and order not in ("id", "id asc"):
            raise ConfigurationError("after_id resumes in id order: leave order_by out (or use 'id asc') to resume")
        if not forward_only:
            resume = f"id > {after_id}"
            conditions = f"({conditions}) and {resume}" if conditions else resume
    field_list: list[str] = []
    if fields is not None:
        for item in [fields] if isinstance(fields, str) else list(fields):
            for piece in str(item).split(","):
                if piece.strip():
                    field_list.append(_api_path(model, piece, what="fields", resource=resource))
    filters: dict[str, str] = {}
    if conditions:
        filters["conditions"] = conditions
    if order:
        filters["orderBy"] = order
    child = _condition_text(child_conditions, None, resource)
    if child:
        filters["childConditions"] = child
    custom = _condition_text(custom_field_conditions, None, resource)
    if custom:
        filters["customFieldConditions"] = custom
    params: dict[str, Any] = dict(filters)
    if field_list:
        params["fields"] = ",".join(field_list)
    params["pageSize"] = page_size
    if forward_only and after_id is not None:
        params["pageId"] = after_id
    return ListQuery(params=params, forward_only=forward_only, page_size=page_size, filters=filters)


def search_body(filters: Mapping[str, str]) -> dict[str, str]:
    """The ``FilterValues`` body of ``POST .../search`` for a list's filters."""
    # FilterValues in the spec spells the child members in lower case: childconditions, customfieldconditions.
    names = {"childConditions": "childconditions", "customFieldConditions": "customfieldconditions"}
    return {names.get(key, key): value for key, value in filters.items()}
