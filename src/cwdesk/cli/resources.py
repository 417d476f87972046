"""Every Manage resource readable from the shell: ``cwdesk companies list|get|count`` and the same for contacts,
agreements, tickets, boards, statuses, types, roles, departments, locations, time zones and company sites.

``list`` takes ``--where`` (the ConnectWise conditions grammar, checked before any request: a syntax error exits 2
and points at the column), ``--fields`` (a comma list; nested fields with ``/``, e.g. ``status/name``),
``--order-by``, ``--limit`` and ``--output table|json|csv``. ``get ID`` prints one record; ``count`` prints how
many match. Values the user types are parsed into a condition tree and rendered with every value escaped, so a
quote in ``--where`` can never change what is asked.

``register(app)`` adds one command group per resource; where another module already registered a group of the
same name (``cwdesk contacts`` has the primary-contact commands), the read commands are added to that group.
``add_read_commands(group, readable)`` is what ``cli/members.py`` and others use for their own groups.

Not for: writes (the workflows' commands do those) or output formatting (``cli/output.py``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import typer

from cwdesk.cli.connection import manage_client, reporting_errors
from cwdesk.cli.output import OutputFormat, emit, emit_object
from cwdesk.conditions import Condition, parse

__all__ = ["READABLE", "Readable", "add_read_commands", "field_value", "parse_where", "register", "split_fields"]


@dataclass(frozen=True)
class Readable:
    """A resource readable from the shell: its command name, the client attribute and its default columns."""

    command: str
    attribute: str
    noun: str
    columns: tuple[str, ...]
    order_by: str | None = None
    # For records under a parent (company sites): the parent resource's method that gives the child collection.
    child: str | None = None


READABLE: tuple[Readable, ...] = (
    Readable(
        "companies",
        "companies",
        "company",
        ("id", "identifier", "name", "status/name", "phoneNumber", "city", "state"),
    ),
    Readable(
        "contacts",
        "contacts",
        "contact",
        ("id", "firstName", "lastName", "company/identifier", "title", "defaultFlag", "inactiveFlag"),
    ),
    Readable(
        "agreements",
        "agreements",
        "agreement",
        ("id", "name", "type/name", "company/identifier", "agreementStatus", "startDate", "billAmount"),
    ),
    Readable("agreement-types", "agreement_types", "agreement type", ("id", "name", "inactiveFlag")),
    Readable(
        "tickets",
        "tickets",
        "ticket",
        ("id", "summary", "board/name", "status/name", "company/identifier", "priority/name"),
    ),
    Readable("boards", "boards", "board", ("id", "name", "inactiveFlag")),
    Readable("security-roles", "security_roles", "security role", ("id", "name", "roleType")),
    Readable("company-statuses", "company_statuses", "company status", ("id", "name", "defaultFlag", "inactiveFlag")),
    Readable("company-types", "company_types", "company type", ("id", "name", "defaultFlag")),
    Readable("contact-types", "contact_types", "contact type", ("id", "description", "defaultFlag")),
    Readable("contact-relationships", "contact_relationships", "contact relationship", ("id", "name")),
    Readable("departments", "departments", "department", ("id", "identifier", "name")),
    Readable("locations", "locations", "location", ("id", "name")),
    Readable("time-zones", "time_zones", "time zone", ("id", "name", "offset")),
)

SITES = Readable(
    "sites", "companies", "company site", ("id", "name", "city", "stateReference/name", "zip"), child="sites"
)


def parse_where(text: str | None) -> Condition | None:
    """The ``--where`` text as a condition tree (a syntax error raises ``ConditionSyntaxError``: exit 2)."""
    if text is None or not text.strip():
        return None
    return parse(text, dialect="manage")


def split_fields(text: str | None) -> list[str] | None:
    """``"id, name,status/name"`` -> ``["id", "name", "status/name"]`` (None when not given)."""
    if text is None:
        return None
    fields = [piece.strip() for piece in text.split(",") if piece.strip()]
    if not fields:
        raise typer.BadParameter("give at least one field name, e.g. --fields id,name", param_hint="--fields")
    return fields


def field_value(record: Mapping[str, Any], path: str) -> Any:
    """The value at ``status/name`` in a record dict (None when any step is missing)."""
    value: Any = record
    for step in path.split("/"):
        if not isinstance(value, Mapping):
            return None
        value = value.get(step)
    return value


def _as_dict(record: Any) -> dict[str, Any]:
    if isinstance(record, Mapping):
        return dict(record)
    data = record.model_dump(mode="json", by_alias=True, exclude_none=True)
    return dict(data)


def rows_of(records: Any, columns: Sequence[str]) -> Iterator[dict[str, Any]]:
    """Flat rows with one key per column (nested paths looked up), lazily."""
    for record in records:
        data = _as_dict(record)
        yield {column: field_value(data, column) for column in columns}


@contextlib.contextmanager
def _connected() -> Iterator[Any]:
    client = manage_client()
    try:
        yield client
    finally:
        close = getattr(client, "close", None)
        if callable(close):
            close()


def _resource(client: Any, readable: Readable, parent_id: int | None) -> Any:
    resource = getattr(client, readable.attribute)
    if readable.child is not None and parent_id is not None:
        return getattr(resource, readable.child)(parent_id)
    return resource


_OUTPUT = typer.Option(OutputFormat.table, "--output", "-o", help="table, json or csv.")
_WHERE = typer.Option(
    None, "--where", "-w", help='ConnectWise conditions, e.g. \'status/name = "Active" and name contains "Acme"\'.'
)
_FIELDS = typer.Option(None, "--fields", "-f", help="Comma list of fields to fetch and show, e.g. id,name,status/name.")


def add_read_commands(group: typer.Typer, readable: Readable, *, parent: str | None = None) -> None:
    """Add ``list``, ``get`` and ``count`` for ``readable`` to ``group``.

    ``parent`` names a required ``--company`` style option for nested resources (company sites).
    """
    plural = readable.command.replace("-", " ")

    if parent is None:

        def list_records(
            where: str | None = _WHERE,
            fields: str | None = _FIELDS,
            order_by: str | None = typer.Option(None, "--order-by", help="e.g. 'name asc' or 'id desc'."),
            limit: int | None = typer.Option(None, "--limit", min=1, help="Stop after this many records."),
            output: OutputFormat = _OUTPUT,
        ) -> None:
            _list(readable, None, where, fields, order_by, limit, output)

        def get_record(
            record_id: int = typer.Argument(..., help=f"The {readable.noun}'s id."),
            fields: str | None = _FIELDS,
            output: OutputFormat = _OUTPUT,
        ) -> None:
            _get(readable, None, record_id, fields, output)

        def count_records(where: str | None = _WHERE, output: OutputFormat = _OUTPUT) -> None:
            _count(readable, None, where, output)

        commands: dict[str, Any] = {"list": list_records, "get": get_record, "count": count_records}
    else:

        def list_children(
            parent_id: int = typer.Option(..., f"--{parent}", help=f"The {parent}'s id."),
            where: str | None = _WHERE,
            fields: str | None = _FIELDS,
            order_by: str | None = typer.Option(None, "--order-by", help="e.g. 'name asc' or 'id desc'."),
            limit: int | None = typer.Option(None, "--limit", min=1, help="Stop after this many records."),
            output: OutputFormat = _OUTPUT,
        ) -> None:
            _list(readable, parent_id, where, fields, order_by, limit, output)

        def get_child(
            record_id: int = typer.Argument(..., help=f"The {readable.noun}'s id."),
            parent_id: int = typer.Option(..., f"--{parent}", help=f"The {parent}'s id."),
            fields: str | None = _FIELDS,
            output: OutputFormat = _OUTPUT,
        ) -> None:
            _get(readable, parent_id, record_id, fields, output)

        def count_children(
            parent_id: int = typer.Option(..., f"--{parent}", help=f"The {parent}'s id."),
            where: str | None = _WHERE,
            output: OutputFormat = _OUTPUT,
        ) -> None:
            _count(readable, parent_id, where, output)

        commands = {"list": list_children, "get": get_child, "count": count_children}

    helps = {
        "list": f"List {plural} (--where, --fields, --order-by, --output table|json|csv).",
        "get": f"Show one {readable.noun} by id.",
        "count": f"Count {plural} matching --where.",
    }
    for name, function in commands.items():
        group.command(name, help=helps[name])(function)


def _list(
    readable: Readable,
    parent_id: int | None,
    where: str | None,
    fields: str | None,
    order_by: str | None,
    limit: int | None,
    output: OutputFormat,
) -> None:
    with reporting_errors():
        condition = parse_where(where)
        wanted = split_fields(fields)
        columns = wanted or list(readable.columns)
        with _connected() as client:
            resource = _resource(client, readable, parent_id)
            records = resource.list(where=condition, fields=wanted, order_by=order_by or readable.order_by, limit=limit)
            emit(rows_of(records, columns), output=output, columns=columns)


def _get(readable: Readable, parent_id: int | None, record_id: int, fields: str | None, output: OutputFormat) -> None:
    with reporting_errors():
        wanted = split_fields(fields)
        with _connected() as client:
            record = _as_dict(_resource(client, readable, parent_id).get(record_id, fields=wanted))
        if wanted:
            record = {column: field_value(record, column) for column in wanted}
        emit_object(record, output=output)


def _count(readable: Readable, parent_id: int | None, where: str | None, output: OutputFormat) -> None:
    with reporting_errors():
        condition = parse_where(where)
        with _connected() as client:
            total = _resource(client, readable, parent_id).count(where=condition)
    if output is OutputFormat.table:
        typer.echo(str(total))
    else:
        emit([{"count": total}], output=output, columns=["count"])


def _group_named(app: typer.Typer, name: str) -> typer.Typer | None:
    for info in app.registered_groups:
        if info.name == name and info.typer_instance is not None:
            return info.typer_instance
    return None


def register(app: typer.Typer) -> None:
    """Add a read-only command group for every resource in ``READABLE`` (and ``sites``) to the root app."""
    for readable in READABLE:
        existing = _group_named(app, readable.command)
        if existing is not None:
            add_read_commands(existing, readable)
            continue
        group = typer.Typer(help=f"Read {readable.command.replace('-', ' ')} from ConnectWise Manage.")
        add_read_commands(group, readable)
        app.add_typer(group, name=readable.command)
    sites = typer.Typer(help="Read a company's sites from ConnectWise Manage.")
    add_read_commands(sites, SITES, parent="company")
    app.add_typer(sites, name="sites")
