"""The index of every API operation by its official operationId, read from the spec bundled in ``cwdesk/spec``.

API-neutral: it knows operationIds, methods, path templates and parameter names, nothing about paging or auth.
``OperationIndex.load("manage")`` / ``load("automate")`` read ``{name}-operations.json``; ``find(text)`` accepts an
operationId (exact, then ignoring case) or ``"METHOD /path"`` (a concrete path such as ``GET /company/companies/5``
matches its template), and an unknown name fails with a ``ConfigurationError`` naming the closest operationIds.
``fill_path`` puts path parameters into the template (each value URL-escaped) and returns the rest as the query.

Not for: sending requests or paging (``manage/operations.py`` and ``automate/operations.py`` do, each its way).
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any
from urllib.parse import quote

from cwdesk.errors import ConfigurationError

__all__ = ["Operation", "OperationIndex", "fill_path"]


@dataclass(frozen=True)
class Operation:
    """One operation of an OpenAPI document."""

    operation_id: str
    method: str
    path: str
    path_params: tuple[str, ...]
    query_params: tuple[str, ...]
    is_list: bool
    has_body: bool

    def path_pattern(self) -> re.Pattern[str]:
        """A regex matching concrete paths of this template (case-insensitive, as both APIs route)."""
        regex = re.sub(r"\\\{(\w+)\\\}", r"[^/]+", re.escape(self.path))
        return re.compile(f"^{regex}/?$", re.IGNORECASE)


class OperationIndex:
    """Every operation of one API, by operationId."""

    def __init__(self, operations: list[Operation], *, product: str) -> None:
        self.product = product
        self._by_id = {op.operation_id: op for op in operations}
        self._by_lower = {op.operation_id.lower(): op for op in operations}

    @classmethod
    def load(cls, product: str) -> OperationIndex:
        """The bundled index of ``"manage"`` or ``"automate"`` (read once per process)."""
        return _load(product)

    def __iter__(self) -> Iterator[Operation]:
        return iter(self._by_id.values())

    def __len__(self) -> int:
        return len(self._by_id)

    def suggestions(self, text: str, *, limit: int = 5) -> list[str]:
        """The operationIds closest to ``text`` (by similarity, then by containing it)."""
        lowered = text.lower()
        close = difflib.get_close_matches(lowered, list(self._by_lower), n=limit, cutoff=0.6)
        found = [self._by_lower[name].operation_id for name in close]
        if len(found) < limit and len(lowered) >= 4:
            for name, op in self._by_lower.items():
                if lowered in name and op.operation_id not in found:
                    found.append(op.operation_id)
                if len(found) >= limit:
                    break
        return found

    def find_for(self, text: str, *, allowed_methods: tuple[str, ...]) -> Operation:
        """``find``, refusing an operation whose method the caller does not do (``query`` never writes)."""
        operation = self.find(text)
        if operation.method not in allowed_methods:
            verb = {"GET": "query", "DELETE": "delete-op"}.get(operation.method, "mutate")
            raise ConfigurationError(f"{operation.operation_id} is a {operation.method} operation: use `{verb}` for it")
        return operation

    def find(self, text: str) -> Operation:
        """The operation named by an operationId or ``"METHOD /path"``; a ``ConfigurationError`` otherwise."""
        name = (text or "").strip()
        found = self._by_id.get(name) or self._by_lower.get(name.lower())
        if found is not None:
            return found
        method, _, path = name.partition(" ")
        if path.strip().startswith("/"):
            concrete = path.strip().split("?")[0]
            matches = [
                op for op in self._by_id.values() if op.method == method.upper() and op.path_pattern().match(concrete)
            ]
            if matches:
                # /company/companies/count is its own operation, not /company/companies/{id}: literal segments win.
                return min(matches, key=lambda op: len(op.path_params))
        close = self.suggestions(name)
        hint = f" Did you mean: {', '.join(close)}?" if close else ""
        raise ConfigurationError(
            f"{self.product.capitalize()} has no operation {name!r}.{hint} "
            "(operationIds are the official ones of the OpenAPI spec, e.g. "
            f"{'getCompanyCompanies' if self.product == 'manage' else 'Clients_GetClientList'})"
        )


@cache
def _load(product: str) -> OperationIndex:
    if product not in ("manage", "automate"):
        raise ConfigurationError(f"No bundled operation index for {product!r}: use 'manage' or 'automate'")
    text = resources.files("cwdesk.spec").joinpath(f"{product}-operations.json").read_text(encoding="utf-8")
    data = json.loads(text)
    standard = tuple(data.get("standard_query") or ())
    operations = [
        Operation(
            operation_id=item["id"],
            method=item["method"],
            path=item["path"],
            path_params=tuple(item["path_params"]),
            query_params=standard if item["query"] == "std" else tuple(item["query"]),
            is_list=bool(item["list"]),
            has_body=bool(item["body"]),
        )
        for item in data["operations"]
    ]
    return OperationIndex(operations, product=product)


def fill_path(operation: Operation, params: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """The operation's path with its path parameters filled from ``params``, and the other params (the query).

    Parameter names match ignoring case; a missing path parameter is a ``ConfigurationError`` naming it.
    """
    remaining = dict(params)
    lowered = {key.lower(): key for key in remaining}
    path = operation.path
    missing = []
    for name in operation.path_params:
        key = lowered.get(name.lower())
        if key is None or remaining.get(key) in (None, ""):
            missing.append(name)
            continue
        value = remaining.pop(key)
        path = re.sub(r"\{" + re.escape(name) + r"\}", quote(str(value), safe=""), path, flags=re.IGNORECASE)
    if missing:
        given = " ".join(f"--param {name}=..." for name in missing)
        raise ConfigurationError(
            f"{operation.operation_id} ({operation.method} {operation.path}) needs {', '.join(missing)}: give {given}"
        )
    return path, remaining
