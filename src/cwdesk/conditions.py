"""ONE grammar for ConnectWise conditions: the AST, the builder that escapes values, the renderer and the parser.

The SDK builds conditions with ``C`` and ``render``; the sandbox parses them with ``parse``; ``matches`` evaluates a
condition over one record in memory (the Automate emulator's lists, the console's kept client list). Every side
shares this module so that what the SDK sends is exactly what the emulator understands.

    >>> render((C("status/name") == "Active") & C("name").contains('Bob "The" Builder'))
    'status/name = "Active" and name contains "Bob \\\\"The\\\\" Builder"'

Dialects (docs/connectwise.md, "Conditions" and "Automate"):

- ``manage``: the ``conditions`` parameter of Manage. Strings in double quotes (single quotes are accepted when
  parsing), datetimes in square brackets ``[2024-01-01T00:00:00Z]``, bare ``true``/``false``/``null``/numbers,
  ``like`` (``%`` wildcard), ``contains``, ``in (...)``, ``not`` before ``like``/``contains``/``in``, ``and``/``or``
  and parentheses. Keywords are case-insensitive.
- ``automate``: the ``condition`` parameter of Automate. The same, except that datetimes are written bare
  (``LastContact <= 2019-12-18T00:50:19Z``) and ``eq`` is a synonym of ``=``.

Escaping: inside a quoted string a backslash escapes the next character, so ``"`` is written ``\\"`` and ``\\`` is
written ``\\\\``. No source documents how ConnectWise escapes a quote inside a value; this is the C#-style escape its
parser is reported to accept, and it is the only one our sandbox accepts. Every value passes through ``_value``:
user input can never end a string early and change the meaning of a condition.

Precedence: ConnectWise does not document whether ``and`` binds tighter than ``or``; the renderer therefore
parenthesises every nested group, and the parser reads ``and`` before ``or`` (the usual rule) for hand-written text.

Not for: the other query parameters (``orderBy``, ``fields``, paging): the SDK's resources build those.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Literal, TypeAlias, Union

from cwdesk.errors import ConfigurationError

__all__ = [
    "OPERATORS",
    "AllOf",
    "AnyOf",
    "C",
    "Comparison",
    "Condition",
    "ConditionSyntaxError",
    "Dialect",
    "Raw",
    "Scalar",
    "Value",
    "all_of",
    "any_of",
    "as_condition",
    "field_paths",
    "matches",
    "parse",
    "render",
    "value_at",
]

Dialect: TypeAlias = Literal["manage", "automate"]
Scalar: TypeAlias = bool | int | float | str | datetime | None
Value: TypeAlias = Scalar | tuple[Scalar, ...]

OPERATORS: tuple[str, ...] = (
    "=",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "like",
    "not like",
    "contains",
    "not contains",
    "in",
    "not in",
)

# Negating a comparison gives another comparison: ConnectWise has no general "not (...)".
_NEGATED = {
    "=": "!=",
    "!=": "=",
    "<": ">=",
    ">=": "<",
    ">": "<=",
    "<=": ">",
    "like": "not like",
    "not like": "like",
    "contains": "not contains",
    "not contains": "contains",
    "in": "not in",
    "not in": "in",
}

# The operators that compare text (their value must be a string).
_TEXT_OPERATORS = ("like", "not like", "contains", "not contains")

# A field path: names joined by "/" (Manage: status/name, _info/lastUpdated) or "." (Automate: Client.Name).
_FIELD_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:[/.][A-Za-z_][A-Za-z0-9_]*)*")


class ConditionSyntaxError(ConfigurationError, ValueError):
    """A condition that cannot be read or built; ``position`` is the 0-based offset in ``text`` (or -1).

    A ``ConfigurationError`` (bad input, found before any request) and, as it always was, a ``ValueError``.
    """

    def __init__(self, message: str, position: int = -1, text: str = "") -> None:
        self.message = message
        self.position = position
        self.text = text
        where = f" at position {position}" if position >= 0 else ""
        super().__init__(f"{message}{where}")


class _Combinable:
    """``&``, ``|`` and ``~`` for every kind of condition."""

    __slots__ = ()

    def __and__(self, other: Condition | str) -> Condition:
        return all_of(self, other)  # type: ignore[arg-type]

    def __rand__(self, other: Condition | str) -> Condition:
        return all_of(other, self)  # type: ignore[arg-type]

    def __or__(self, other: Condition | str) -> Condition:
        return any_of(self, other)  # type: ignore[arg-type]

    def __ror__(self, other: Condition | str) -> Condition:
        return any_of(other, self)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class Comparison(_Combinable):
    """``field op value``: one test on one field."""

    field: str
    op: str
    value: Value

    def __post_init__(self) -> None:
        _check_field(self.field)
        if self.op not in _NEGATED:
            raise ConditionSyntaxError(f"Unknown operator {self.op!r}: use one of {', '.join(OPERATORS)}")
        object.__setattr__(self, "value", _normalise(self.op, self.value))

    def __invert__(self) -> Comparison:
        return Comparison(self.field, _NEGATED[self.op], self.value)


@dataclass(frozen=True, slots=True)
class AllOf(_Combinable):
    """Every part holds (``and``)."""

    parts: tuple[Condition, ...]

    def __invert__(self) -> Condition:
        return any_of(*(_negate(p) for p in self.parts))


@dataclass(frozen=True, slots=True)
class AnyOf(_Combinable):
    """At least one part holds (``or``)."""

    parts: tuple[Condition, ...]

    def __invert__(self) -> Condition:
        return all_of(*(_negate(p) for p in self.parts))


@dataclass(frozen=True, slots=True)
class Raw(_Combinable):
    """A condition written by hand, sent as it is (the escape hatch; the caller owns its escaping)."""

    text: str

    def __invert__(self) -> Raw:
        raise ConditionSyntaxError("A raw condition cannot be negated: write the negation inside the string")


Condition: TypeAlias = Union[Comparison, AllOf, AnyOf, Raw]  # noqa: UP007 - a runtime alias used in isinstance


def as_condition(value: Condition | str) -> Condition:
    """A condition from a condition or a raw string."""
    if isinstance(value, str):
        return Raw(value)
    if isinstance(value, Comparison | AllOf | AnyOf | Raw):
        return value
    raise TypeError(f"Expected a condition or a string, got {type(value).__name__}")


def _negate(cond: Condition) -> Condition:
    return ~cond


def _join(kind: type[AllOf] | type[AnyOf], items: Iterable[Condition | str]) -> Condition:
    parts: list[Condition] = []
    for item in items:
        cond = as_condition(item)
        if isinstance(cond, kind):
            parts.extend(cond.parts)
        else:
            parts.append(cond)
    if not parts:
        raise ConditionSyntaxError("An empty group has no meaning: give at least one condition")
    if len(parts) == 1:
        return parts[0]
    return kind(tuple(parts))


def all_of(*items: Condition | str) -> Condition:
    """``a and b and ...`` (nested ``and`` groups are flattened; one item is returned as it is)."""
    return _join(AllOf, items)


def any_of(*items: Condition | str) -> Condition:
    """``a or b or ...`` (nested ``or`` groups are flattened; one item is returned as it is)."""
    return _join(AnyOf, items)


#: Words that join or negate conditions. ConnectWise has no way to quote a field name, so a field called ``and``
#: would be read back as the operator: such a name is refused when the condition is built.
_LOGIC_WORDS = frozenset({"and", "or", "not"})


def _check_field(field: str) -> None:
    if not isinstance(field, str) or not _FIELD_RE.fullmatch(field):
        raise ConditionSyntaxError(
            f"{field!r} is not a field path: use names of letters, digits and _ joined by '/' (e.g. status/name)"
        )
    if field.lower() in _LOGIC_WORDS:
        raise ConditionSyntaxError(
            f"{field!r} cannot be a field name: it is the condition word {field.lower()!r}; "
            "name the field ConnectWise lists (e.g. status/name)"
        )


def _scalar(value: object) -> Scalar:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            raise ConditionSyntaxError("A condition value cannot be NaN or infinite")
        return value
    if isinstance(value, datetime):
        # ConnectWise speaks UTC; a naive datetime is taken as UTC.
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    raise ConditionSyntaxError(f"Cannot use a {type(value).__name__} as a condition value")


def _normalise(op: str, value: object) -> Value:
    if op in ("in", "not in"):
        if isinstance(value, str | bytes) or not isinstance(value, Iterable):
            raise ConditionSyntaxError(f"'{op}' needs a list of values, e.g. C('id').in_([1, 2, 3])")
        items = tuple(_scalar(v) for v in value)
        if not items:
            raise ConditionSyntaxError(f"'{op}' needs at least one value")
        return items
    scalar = _scalar(value)
    if op in _TEXT_OPERATORS and not isinstance(scalar, str):
        raise ConditionSyntaxError(f"'{op}' compares text: give a string")
    if scalar is None and op not in ("=", "!="):
        raise ConditionSyntaxError(f"null can only be compared with = or != (got '{op}')")
    return scalar


class C:
    """A field to build a comparison on: ``C("status/name") == "Active"``."""

    __slots__ = ("field",)
    __hash__ = None  # type: ignore[assignment]  # == builds a condition, so C is not hashable

    def __init__(self, field: str) -> None:
        _check_field(field)
        self.field = field

    def __repr__(self) -> str:
        return f"C({self.field!r})"

    def __eq__(self, other: object) -> Comparison:  # type: ignore[override]
        return Comparison(self.field, "=", other)  # type: ignore[arg-type]

    def __ne__(self, other: object) -> Comparison:  # type: ignore[override]
        return Comparison(self.field, "!=", other)  # type: ignore[arg-type]

    def __lt__(self, other: object) -> Comparison:
        return Comparison(self.field, "<", other)  # type: ignore[arg-type]

    def __le__(self, other: object) -> Comparison:
        return Comparison(self.field, "<=", other)  # type: ignore[arg-type]

    def __gt__(self, other: object) -> Comparison:
        return Comparison(self.field, ">", other)  # type: ignore[arg-type]

    def __ge__(self, other: object) -> Comparison:
        return Comparison(self.field, ">=", other)  # type: ignore[arg-type]

    def contains(self, text: str) -> Comparison:
        return Comparison(self.field, "contains", text)

    def not_contains(self, text: str) -> Comparison:
        return Comparison(self.field, "not contains", text)

    def like(self, pattern: str) -> Comparison:
        """``like`` with ConnectWise's ``%`` wildcard: ``C("name").like("Acme%")``."""
        return Comparison(self.field, "like", pattern)

    def not_like(self, pattern: str) -> Comparison:
        return Comparison(self.field, "not like", pattern)

    def in_(self, values: Iterable[object]) -> Comparison:
        return Comparison(self.field, "in", tuple(values))  # type: ignore[arg-type]

    def not_in(self, values: Iterable[object]) -> Comparison:
        return Comparison(self.field, "not in", tuple(values))  # type: ignore[arg-type]

    def is_null(self) -> Comparison:
        return Comparison(self.field, "=", None)

    def not_null(self) -> Comparison:
        return Comparison(self.field, "!=", None)


# ----------------------------------------------------------------------------------------------- rendering


def _datetime_text(value: datetime) -> str:
    text = value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    if value.microsecond:
        text += f".{value.microsecond:06d}"
    return text + "Z"


def _string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _value(value: Scalar, dialect: Dialect) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, datetime):
        text = _datetime_text(value)
        return text if dialect == "automate" else f"[{text}]"
    return _string(value)


def render(cond: Condition | str, dialect: Dialect = "manage") -> str:
    """The text of a condition for the ``conditions`` (Manage) or ``condition`` (Automate) parameter."""
    return _render(as_condition(cond), dialect, nested=False)


def _render(cond: Condition, dialect: Dialect, *, nested: bool) -> str:
    if isinstance(cond, Comparison):
        if isinstance(cond.value, tuple):
            values = ", ".join(_value(v, dialect) for v in cond.value)
            return f"{cond.field} {cond.op} ({values})"
        return f"{cond.field} {cond.op} {_value(cond.value, dialect)}"
    if isinstance(cond, Raw):
        return f"({cond.text})" if nested else cond.text
    word = " and " if isinstance(cond, AllOf) else " or "
    text = word.join(_render(p, dialect, nested=True) for p in cond.parts)
    return f"({text})" if nested else text


def field_paths(cond: Condition | str) -> set[str]:
    """Every field path a condition tests (a raw string is parsed as Manage text first)."""
    found: set[str] = set()
    stack = [parse(cond) if isinstance(cond, str) else cond]
    while stack:
        item = stack.pop()
        if isinstance(item, Comparison):
            found.add(item.field)
        elif isinstance(item, Raw):
            stack.append(parse(item.text))
        else:
            stack.extend(item.parts)
    return found


# ------------------------------------------------------------------------------------------------- parsing

_TOKEN_RE = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<lpar>\()
  | (?P<rpar>\))
  | (?P<comma>,)
  | (?P<op>!=|<>|<=|>=|=|<|>)
  | (?P<dq>"(?:[^"\\]|\\.)*")
  | (?P<sq>'(?:[^'\\]|\\.)*')
  | (?P<bracket>\[[^\]]*\])
  | (?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)
  | (?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?(?![A-Za-z_]))
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*(?:[/.][A-Za-z_][A-Za-z0-9_]*)*)
    """,
    re.VERBOSE | re.DOTALL,
)

_UNTERMINATED = re.compile(r"""["'\[]""")


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str
    text: str
    pos: int


def _tokens(text: str) -> list[_Token]:
    out: list[_Token] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN_RE.match(text, pos)
        if match is None:
            char = text[pos]
            if _UNTERMINATED.match(char):
                closer = "]" if char == "[" else char
                raise ConditionSyntaxError(f"Unterminated value: {char} is never closed by {closer}", pos, text)
            raise ConditionSyntaxError(f"Unexpected character {char!r}", pos, text)
        kind = match.lastgroup or ""
        if kind != "ws":
            out.append(_Token(kind, match.group(), pos))
        pos = match.end()
    return out


def _unquote(token: _Token) -> str:
    body = token.text[1:-1]
    return re.sub(r"\\(.)", r"\1", body, flags=re.DOTALL)


def _parse_datetime(text: str, pos: int, source: str) -> datetime:
    cleaned = text.strip()
    if cleaned.endswith(("Z", "z")):
        cleaned = cleaned[:-1] + "+00:00"
    try:
        value = datetime.fromisoformat(cleaned)
    except ValueError:
        raise ConditionSyntaxError(
            f"{text!r} is not a datetime: write it as [2024-01-01T00:00:00Z]", pos, source
        ) from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class _Parser:
    def __init__(self, text: str, dialect: Dialect) -> None:
        self.text = text
        self.dialect = dialect
        self.tokens = _tokens(text)
        self.i = 0

    def error(self, message: str, token: _Token | None = None) -> ConditionSyntaxError:
        pos = token.pos if token else len(self.text)
        return ConditionSyntaxError(message, pos, self.text)

    def peek(self, offset: int = 0) -> _Token | None:
        j = self.i + offset
        return self.tokens[j] if j < len(self.tokens) else None

    def take(self) -> _Token:
        token = self.peek()
        if token is None:
            raise self.error("The condition ends too early")
        self.i += 1
        return token

    def is_word(self, token: _Token | None, *words: str) -> bool:
        return token is not None and token.kind == "word" and token.text.lower() in words

    def parse(self) -> Condition:
        if not self.tokens:
            raise self.error("The condition is empty")
        cond = self.parse_or()
        rest = self.peek()
        if rest is not None:
            raise self.error(f"Unexpected {rest.text!r}: expected 'and', 'or' or the end", rest)
        return cond

    def parse_or(self) -> Condition:
        parts = [self.parse_and()]
        while self.is_word(self.peek(), "or"):
            self.take()
            parts.append(self.parse_and())
        return any_of(*parts)

    def parse_and(self) -> Condition:
        parts = [self.parse_unit()]
        while self.is_word(self.peek(), "and"):
            self.take()
            parts.append(self.parse_unit())
        return all_of(*parts)

    def parse_unit(self) -> Condition:
        token = self.take()
        if token.kind == "lpar":
            inner = self.parse_or()
            closing = self.peek()
            if closing is None or closing.kind != "rpar":
                raise self.error("Missing ')'", closing)
            self.take()
            return inner
        if token.kind != "word" or token.text.lower() in ("and", "or", "not"):
            raise self.error(f"Expected a field name, found {token.text!r}", token)
        return self.parse_comparison(token.text)

    def parse_operator(self) -> str:
        token = self.take()
        if token.kind == "op":
            return "!=" if token.text == "<>" else token.text
        word = token.text.lower() if token.kind == "word" else ""
        if word == "eq":
            return "="
        if word in ("like", "contains", "in"):
            return word
        if word == "not":
            following = self.take()
            name = following.text.lower() if following.kind == "word" else ""
            if name in ("like", "contains", "in"):
                return f"not {name}"
            raise self.error("'not' must be followed by like, contains or in", following)
        raise self.error(f"Expected an operator (=, !=, <, like, contains, in, ...), found {token.text!r}", token)

    def parse_comparison(self, field: str) -> Comparison:
        op = self.parse_operator()
        if op in ("in", "not in"):
            opening = self.take()
            if opening.kind != "lpar":
                raise self.error(f"'{op}' needs a list in parentheses, e.g. id in (1, 2)", opening)
            values = [self.parse_value()]
            while True:
                token = self.take()
                if token.kind == "rpar":
                    break
                if token.kind != "comma":
                    raise self.error("Expected ',' or ')' in the list", token)
                values.append(self.parse_value())
            return self.build(field, op, tuple(values))
        following = self.peek()
        if self.dialect == "automate" and op in _TEXT_OPERATORS and following and following.kind == "number":
            # gavsto/AutomateAPI Public/Get-AutomateComputer.ps1 sends "(OpenPortsTCP contains 3389)": a bare
            # number after a text operator, which Automate's MySQL compares as text.
            return self.build(field, op, self.take().text)
        return self.build(field, op, self.parse_value())

    def build(self, field: str, op: str, value: Value) -> Comparison:
        try:
            return Comparison(field, op, value)
        except ConditionSyntaxError as exc:
            raise ConditionSyntaxError(exc.message, -1, self.text) from None

    def parse_value(self) -> Scalar:
        token = self.take()
        if token.kind in ("dq", "sq"):
            return _unquote(token)
        if token.kind == "bracket":
            return _parse_datetime(token.text[1:-1], token.pos, self.text)
        if token.kind == "datetime":
            return _parse_datetime(token.text, token.pos, self.text)
        if token.kind == "number":
            text = token.text
            return float(text) if any(c in text for c in ".eE") else int(text)
        if token.kind == "word":
            word = token.text.lower()
            if word == "true":
                return True
            if word == "false":
                return False
            if word == "null":
                return None
            raise self.error(f'{token.text!r} is not a value: put text in double quotes, e.g. "{token.text}"', token)
        raise self.error(f"Expected a value, found {token.text!r}", token)


def parse(text: str, dialect: Dialect = "manage") -> Condition:
    """The AST of a condition string; raises ``ConditionSyntaxError`` with the position of the problem."""
    return _Parser(text, dialect).parse()


# ---------------------------------------------------------------------------------------------- evaluating
#
# ``matches`` answers, in memory, what a ConnectWise server answers for a condition over one record. The two
# dialects differ where their databases differ:
#
# - Manage (SQL Server; the sandbox translates the same AST to SQLite in ``sandbox/backend/query.py``, and
#   ``tests/test_conditions_matches.py`` checks the two agree): paths are ``a/b``; a missing value is SQL NULL, so
#   only ``= null`` holds for it and every other test is false, ``!=`` included; a path into an array holds when
#   some item passes the test, whatever the operator (``EXISTS``); a missing flag reads as false (the sandbox's
#   ``coalesce(flag, 0)``); ``not in`` a list holding null is never true (SQL's three-valued ``NOT IN``).
# - Automate (MySQL): paths are ``A.B`` (``/`` is read too, as the emulator always did); an empty string counts as
#   null; a value that cannot be compared passes only ``!=``; through a list a positive test needs one matching
#   item and a negative test needs every item to pass (gavsto/AutomateAPI filters clients on ``Location.Name``).
#
# In both, text compares case-insensitively (both servers' default collations ignore case), ``like`` takes ``%``
# (any run) and ``_`` (one character), and a list property (``OpenPortsTCP``) reads as its comma-joined items.


class _Many(list[object]):
    """The values a path reaches through a list (``Location.Id`` over a client's locations)."""


_SEPARATORS = {"manage": re.compile(r"/"), "automate": re.compile(r"[./]")}
_NEGATIVE = ("!=", "not in", "not like", "not contains")


def value_at(record: Mapping[str, object], path: str, dialect: Dialect = "manage") -> object:
    """The value a field path names in a record (names matched ignoring case), or None when it is missing.

    A path that passes through a list gives every value it reaches (a ``list`` subclass the evaluator reads as
    "any of these")."""
    names = _SEPARATORS[dialect].split(path)
    current: object = record
    for index, name in enumerate(names):
        wanted = name.lower()
        if isinstance(current, _Many):
            found = _Many()
            for item in current:
                value = _child(item, wanted)
                found.extend(value if isinstance(value, list) else [value])
            current = found
            continue
        current = _child(current, wanted)
        if isinstance(current, list) and index < len(names) - 1:
            current = _Many(current)
    return current


def _child(node: object, wanted: str) -> object:
    if not isinstance(node, Mapping):
        return None
    return next((v for k, v in node.items() if str(k).lower() == wanted), None)


def _as_datetime(text: str) -> datetime | None:
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _comparable(actual: object, expected: object) -> tuple[object, object] | None:
    """Both sides in one type (numbers, datetimes, booleans or case-folded text), or None when they cannot meet."""
    if expected is None or actual is None:
        return None
    if isinstance(expected, bool):
        if isinstance(actual, bool):
            return actual, expected
        if isinstance(actual, str) and actual.lower() in ("true", "false"):
            return actual.lower() == "true", expected
        return None
    if isinstance(expected, int | float):
        if isinstance(actual, dict | list):
            return None
        try:
            return float(actual), float(expected)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return None
    if isinstance(expected, datetime):
        moment = _as_datetime(actual) if isinstance(actual, str) else None
        return None if moment is None else (moment, expected)
    if isinstance(actual, dict | list):
        return None
    text = "true" if actual is True else "false" if actual is False else str(actual)
    return text.casefold(), str(expected).casefold()


def _like(pattern: str, text: str) -> bool:
    translated = "".join(".*" if ch == "%" else "." if ch == "_" else re.escape(ch) for ch in pattern.casefold())
    return re.fullmatch(translated, text.casefold(), re.DOTALL) is not None


def _text(actual: object) -> str:
    if actual is None:
        return ""
    if isinstance(actual, list):
        return ",".join(_text(item) for item in actual)
    return str(actual)


def _ordered(op: str, left: object, right: object) -> bool:
    if op == "=":
        return bool(left == right)
    if op == "!=":
        return bool(left != right)
    if op == "<":
        return bool(left < right)  # type: ignore[operator]
    if op == "<=":
        return bool(left <= right)  # type: ignore[operator]
    if op == ">":
        return bool(left > right)  # type: ignore[operator]
    return bool(left >= right)  # type: ignore[operator]


def _test_manage(op: str, actual: object, expected: Value) -> bool:
    if isinstance(actual, _Many):
        return any(_test_manage(op, item, expected) for item in actual)
    if actual is None and isinstance(expected, bool):
        actual = False  # a missing flag reads as false (the sandbox's coalesce(flag, 0))
    if expected is None:
        return (actual is None) == (op == "=")
    if actual is None:
        return False  # SQL NULL: no test but "= null" holds
    if op in ("in", "not in"):
        items = expected if isinstance(expected, tuple) else (expected,)
        hit = any(item is not None and _test_manage("=", actual, item) for item in items)
        if op == "in":
            return hit
        return not hit and None not in items
    return _compare(op, actual, expected)


def _compare(op: str, actual: object, expected: Value) -> bool:
    """The text and ordering operators on one value, the same in both dialects."""
    if op in _TEXT_OPERATORS:
        text = _text(actual)
        hit = _like(str(expected), text) if op.endswith("like") else str(expected).casefold() in text.casefold()
        return not hit if op.startswith("not") else hit
    pair = _comparable(actual, expected)
    if pair is None:
        return op == "!="
    return _ordered(op, *pair)


def _test_automate(op: str, actual: object, expected: Value) -> bool:
    if isinstance(actual, _Many):
        results = [_test_automate(op, item, expected) for item in actual]
        return all(results) if op in _NEGATIVE else any(results)
    if op in ("in", "not in"):
        items = expected if isinstance(expected, tuple) else (expected,)
        hit = any(_test_automate("=", actual, item) for item in items)
        return hit if op == "in" else not hit
    if expected is None:
        is_null = actual is None or actual == ""
        return is_null if op == "=" else not is_null
    return _compare(op, actual, expected)


def matches(cond: Condition | str, record: Mapping[str, object], dialect: Dialect = "manage") -> bool:
    """Whether ``record`` (a record as ConnectWise shows it: nested dicts and lists) satisfies ``cond``.

    A string is parsed in ``dialect`` first. The rules of each dialect are described above this function."""
    cond = parse(cond, dialect) if isinstance(cond, str) else cond
    if isinstance(cond, Comparison):
        actual = value_at(record, cond.field, dialect)
        test = _test_manage if dialect == "manage" else _test_automate
        return test(cond.op, actual, cond.value)
    if isinstance(cond, AllOf):
        return all(matches(part, record, dialect) for part in cond.parts)
    if isinstance(cond, AnyOf):
        return any(matches(part, record, dialect) for part in cond.parts)
    return matches(parse(cond.text, dialect), record, dialect)
