"""Conditions, childConditions, customFieldConditions and orderBy translated to SQL over the ``mg_*`` tables.

Conditions are parsed by the one grammar (``cwdesk.conditions.parse``) and the AST is translated here; every value
is a bound parameter. Strings compare case-insensitively, as ConnectWise (SQL Server) does. Fields copied into
indexed columns (``kinds.py``) are used as columns; any other field of the spec is read with ``json_extract``.
Not for: parsing (``cwdesk.conditions``) or HTTP errors (``manage_api.py`` turns ``QueryError`` into a 400).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from cwdesk.conditions import AllOf, AnyOf, Comparison, Condition, ConditionSyntaxError, Raw, parse
from cwdesk.sandbox.backend.kinds import Kind
from cwdesk.sandbox.backend.spec import FieldPath, UnknownField, properties, resolve

Param = str | int | float | None


class QueryError(ValueError):
    """A query parameter ConnectWise would refuse: ``code`` and ``message`` go into the 400 body."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def sql_value(value: object) -> Param:
    """A condition value as SQLite stores it: booleans 0/1, datetimes as ConnectWise's ISO text."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        return aware.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if value is None or isinstance(value, int | float | str):
        return value
    return str(value)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@dataclass
class _Scope:
    """How a field path turns into an SQL expression inside one part of the query."""

    schema: str
    expression: Callable[[FieldPath], str]
    prefix: str = ""
    """Paths are written relative to this (``communicationItems/`` inside childConditions)."""


def _comparison_sql(expr: str, kind: str, cond: Comparison, params: list[Param]) -> str:
    op = cond.op
    text_field = kind in ("string", "datetime")
    collate = " COLLATE NOCASE" if text_field else ""
    if op in ("in", "not in"):
        values = cond.value if isinstance(cond.value, tuple) else (cond.value,)
        if not values:
            return "0" if op == "in" else "1"
        params.extend(sql_value(v) for v in values)
        marks = ", ".join("?" for _ in values)
        return f"{expr}{collate} {'NOT IN' if op == 'not in' else 'IN'} ({marks})"
    if cond.value is None:
        if op == "=":
            return f"{expr} IS NULL"
        if op == "!=":
            return f"{expr} IS NOT NULL"
        raise QueryError("ApiFindCondition", f"{cond.field}: null can only be compared with = or !=.")
    if op in ("like", "not like"):
        params.append(str(cond.value))
        return f"{'NOT ' if op == 'not like' else ''}({expr} LIKE ?)"
    if op in ("contains", "not contains"):
        params.append("%" + _escape_like(str(cond.value)) + "%")
        return f"{'NOT ' if op == 'not contains' else ''}({expr} LIKE ? ESCAPE '\\')"
    params.append(sql_value(cond.value))
    sql_op = "!=" if op == "!=" else op
    return f"{expr} {sql_op} ?{collate}"


def _resolve(scope: _Scope, field: str) -> FieldPath:
    path = field
    if scope.prefix:
        if not field.lower().startswith(scope.prefix.lower()):
            raise QueryError("ApiFindCondition", f"{field} is not a recognized name.")
        path = field[len(scope.prefix) :]
    try:
        return resolve(scope.schema, path)
    except UnknownField as exc:
        raise QueryError("ApiFindCondition", f"{field} is not a recognized name.") from exc


def _condition_sql(cond: Condition, scope: _Scope, params: list[Param]) -> str:
    if isinstance(cond, AllOf | AnyOf):
        joiner = " AND " if isinstance(cond, AllOf) else " OR "
        return "(" + joiner.join(_condition_sql(part, scope, params) for part in cond.parts) + ")"
    if isinstance(cond, Raw):  # parse() never returns Raw; kept for completeness of the match
        raise QueryError("ApiFindCondition", "A raw condition cannot be evaluated.")
    return _field_sql(cond, scope, params)


def _field_sql(cond: Comparison, scope: _Scope, params: list[Param]) -> str:
    field = _resolve(scope, cond.field)
    if field.array_at is None:
        return _comparison_sql(scope.expression(field), field.kind, cond, params)
    # A path into an array (``types/id = 3``): true when some item matches.
    outer = field.segments[: field.array_at + 1]
    inner = field.segments[field.array_at + 1 :]
    inner_expr = "json_extract(item.value, '$." + ".".join(inner) + "')"
    if field.kind == "boolean":
        inner_expr = f"coalesce({inner_expr}, 0)"
    test = _comparison_sql(inner_expr, field.kind, cond, params)
    source = scope.expression(FieldPath(outer, "array"))
    return f"EXISTS (SELECT 1 FROM json_each({source}) AS item WHERE {test})"


def _parse(text: str, parameter: str) -> Condition:
    try:
        return parse(text, dialect="manage")
    except ConditionSyntaxError as exc:
        raise QueryError("InvalidObject", f"{parameter} is not valid: {exc}") from exc


def record_expression(kind: Kind, alias: str = "t") -> Callable[[FieldPath], str]:
    """Field path -> SQL for a record of ``kind``: its indexed column if it has one, else ``json_extract``."""
    columns = {column.path.lower(): column.column for column in kind.columns}

    def expression(field: FieldPath) -> str:
        if field.text.lower() == "id":
            return f"{alias}.id"
        column = columns.get(field.text.lower())
        if column is not None:
            return f"{alias}.{column}"
        expr = f"json_extract({alias}.data, '$." + ".".join(field.segments) + "')"
        return f"coalesce({expr}, 0)" if field.kind == "boolean" else expr

    return expression


def conditions_sql(kind: Kind, text: str, params: list[Param]) -> str:
    """The ``conditions`` parameter as an SQL boolean expression over alias ``t``."""
    return _condition_sql(_parse(text, "conditions"), _Scope(kind.schema, record_expression(kind)), params)


_CONTACT_ITEM_COLUMNS = {
    "id": "id",
    "value": "value",
    "communicationType": "communication_type",
    "type/id": "type_id",
    "type/name": "type_name",
    "extension": "extension",
    "domain": "domain",
    "defaultFlag": "default_flag",
}


def child_conditions_sql(kind: Kind, text: str, params: list[Param]) -> str:
    """``childConditions``: tests on items of a child array, all on the same item (``communicationItems/...``)."""
    cond = _parse(text, "childConditions")
    if kind.name == "contact":
        # Contacts' communication items live in their own indexed table (find-by-email must be fast).
        def item_column(field: FieldPath) -> str:
            column = _CONTACT_ITEM_COLUMNS.get("/".join(field.segments))
            if column is None:
                raise QueryError("ApiFindCondition", f"communicationItems/{field.text} is not a recognized name.")
            return f"ci.{column}"

        scope = _Scope("ContactCommunicationItem", item_column, prefix="communicationItems/")
        inner = _condition_sql(cond, scope, params)
        return f"t.id IN (SELECT ci.contact_id FROM mg_contact_item AS ci WHERE {inner})"
    arrays = [prop for prop in properties(kind.schema).values() if prop.kind == "array" and prop.ref]
    for array in arrays:
        if array.name == "customFields":
            continue
        paths = _paths(cond)
        if paths and all(path.lower().startswith(array.name.lower() + "/") for path in paths):
            return _array_sql(kind, array.name, array.ref or "", cond, params, prefix=array.name + "/")
    raise QueryError("ApiFindCondition", f"{', '.join(sorted(_paths(cond)))} is not a recognized name.")


def custom_field_conditions_sql(kind: Kind, text: str, params: list[Param]) -> str:
    """``customFieldConditions``: ``caption="X" AND value="Y"`` tested on one custom field of the record."""
    if "customfields" not in properties(kind.schema):
        raise QueryError("ApiFindCondition", f"{kind.label} has no custom fields.")
    return _array_sql(kind, "customFields", "CustomFieldValue", _parse(text, "customFieldConditions"), params)


def _array_sql(kind: Kind, array: str, schema: str, cond: Condition, params: list[Param], *, prefix: str = "") -> str:
    def item_expression(field: FieldPath) -> str:
        expr = "json_extract(item.value, '$." + ".".join(field.segments) + "')"
        return f"coalesce({expr}, 0)" if field.kind == "boolean" else expr

    inner = _condition_sql(cond, _Scope(schema, item_expression, prefix=prefix), params)
    return f"EXISTS (SELECT 1 FROM json_each(t.data, '$.{array}') AS item WHERE {inner})"


def _paths(cond: Condition) -> set[str]:
    if isinstance(cond, Comparison):
        return {cond.field}
    if isinstance(cond, AllOf | AnyOf):
        found: set[str] = set()
        for part in cond.parts:
            found |= _paths(part)
        return found
    return set()


def order_by_sql(kind: Kind, text: str) -> str:
    """``orderBy=name asc, id desc`` as an ORDER BY list; the id breaks ties so pages never overlap."""
    expression = record_expression(kind)
    keys: list[str] = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        words = part.split()
        direction = "ASC"
        if len(words) == 2 and words[1].lower() in ("asc", "desc"):
            direction = words[1].upper()
        elif len(words) != 1:
            raise QueryError("InvalidObject", f"orderBy '{part}' is not valid: write 'field asc' or 'field desc'.")
        try:
            field = resolve(kind.schema, words[0])
        except UnknownField as exc:
            raise QueryError("ApiFindCondition", f"{words[0]} is not a recognized name.") from exc
        if field.array_at is not None or field.kind in ("array", "map"):
            raise QueryError("InvalidObject", f"orderBy cannot sort on {words[0]}.")
        collate = " COLLATE NOCASE" if field.kind == "string" else ""
        keys.append(f"{expression(field)}{collate} {direction}")
    if not any(key.startswith("t.id ") for key in keys):
        keys.append("t.id ASC")
    return ", ".join(keys)
