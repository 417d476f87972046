"""Every Manage resource readable from the shell: ``cwdesk companies list|get|count`` and the same for contacts,
agreements, tickets, boards, statuses, types, roles, departments, locations, time zones and company sites.

``list`` takes ``--where`` (the ConnectWise conditions grammar, checked before any request: a syntax error exits 2
and points at the column), ``--fields`` (a comma list; nested fields with ``/``, e.g. ``status/name``: a table or
CSV column of that name, and in JSON a nested ``{"status": {"name": ...}}`` as ConnectWise returns it),
``--order-by``, ``--limit`` and ``--output table|json|csv``. ``get ID`` prints one record; ``count`` prints how
many match. Values the user types are parsed into a condition tree and rendered with every value escaped, so a
quote in ``--where`` can never change what is asked.

``cwdesk companies update ID --set phoneNumber=... --set status=Active [--dry-run]`` (and ``contacts update ID
--set ...``) changes fields by their API names with one JSON Patch, through the SDK's ``update_from_diff`` (only
the fields whose value differs are sent). Every ``--set`` is checked before anything is sent
(``workflows.record_edits.check_assignments``):
the field must exist on the record, the value must fit its type (``true``/``false``, a number), a phone, email or
identifier must pass the rules of ``workflows/validation.py``, and a status or relationship named must exist
(a reference given by digits is an id, otherwise a name). ``--dry-run`` prints the patch and sends nothing.

``GROUPS`` holds one command group per resource, by name (``cli/app.py`` loads the one a command uses); the
contacts group is ``cli/contacts.py``'s own (it has the primary-contact commands) and adds the read commands itself.
``add_read_commands(group, readable)`` is what ``cli/members.py`` and others use for their own groups.

Not for: writes (the workflows' commands do those) or output formatting (``cli/output.py``).
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import typer

from cwdesk.cli.connection import manage_client, reporting_errors
from cwdesk.cli.output import OutputFormat, emit, emit_object

if TYPE_CHECKING:
    # The SDK's models, the conditions and the workflows' rules are imported by the commands that use them, so
    # ``cwdesk companies --help`` (and ``count``, which decodes no record) does not load them (docs/cli.md).
    from cwdesk.conditions import Condition

__all__ = [
    "GROUPS",
    "READABLE",
    "Readable",
    "add_read_commands",
    "add_update_command",
    "field_value",
    "nested_row",
    "parse_where",
    "split_fields",
    "top_level",
    "update_record",
]


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
    # Whether ``register`` adds ``update ID --set FIELD=VALUE`` to its group.
    updatable: bool = False


READABLE: tuple[Readable, ...] = (
    Readable(
        "companies",
        "companies",
        "company",
        ("id", "identifier", "name", "status/name", "phoneNumber", "city", "state"),
        updatable=True,
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
    from cwdesk.conditions import parse

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


def nested_row(record: Mapping[str, Any], columns: Sequence[str]) -> dict[str, Any]:
    """The record's values at ``columns`` with nested fields kept nested, for JSON.

    ``["id", "status/name"]`` gives ``{"id": 1, "status": {"name": "Active"}}``: the shape ConnectWise itself
    returns, so a script reads ``row["status"]["name"]`` as it would from the API.
    """
    row: dict[str, Any] = {}
    for column in columns:
        *parents, last = column.split("/")
        target = row
        for step in parents:
            if not isinstance(target.get(step), dict):
                target[step] = {}
            target = target[step]
        target[last] = field_value(record, column)
    return row


def top_level(columns: Sequence[str]) -> list[str]:
    """``["id", "status/name", "status/id"]`` -> ``["id", "status"]``: the keys of ``nested_row``, in order."""
    return list(dict.fromkeys(column.split("/")[0] for column in columns))


def _as_dict(record: Any) -> dict[str, Any]:
    if isinstance(record, Mapping):
        return dict(record)
    data = record.model_dump(mode="json", by_alias=True, exclude_none=True)
    return dict(data)


def rows_of(records: Any, columns: Sequence[str], *, nested: bool = False) -> Iterator[dict[str, Any]]:
    """Rows with one key per column (nested paths looked up; kept nested with ``nested``), lazily."""
    for record in records:
        data = _as_dict(record)
        yield nested_row(data, columns) if nested else {column: field_value(data, column) for column in columns}


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
            options: dict[str, Any] = {"where": condition, "fields": wanted, "order_by": order_by or readable.order_by}
            if output is OutputFormat.table:
                records: Iterable[Any] = resource.list(**options, limit=limit)
            else:
                records = _raw_records(resource, options, limit)
            if output is OutputFormat.json:
                emit(rows_of(records, columns, nested=True), output=output, columns=top_level(columns))
            else:
                emit(rows_of(records, columns), output=output, columns=columns)


def _raw_records(resource: Any, options: dict[str, Any], limit: int | None) -> Iterator[Mapping[str, Any]]:
    """The records as ConnectWise sent them, no models: what a CSV or JSON export of known columns writes.

    The columns are known (``--fields`` or the resource's own), so each row is read from the decoded JSON as it
    is (``rows_of``); building a model per record only to dump it again was most of an export's CPU (issue 16).
    """
    from cwdesk.manage.paging import DEFAULT_PAGE_SIZE

    page_size = DEFAULT_PAGE_SIZE if limit is None else min(DEFAULT_PAGE_SIZE, limit)
    records = itertools.chain.from_iterable(resource.iter_raw_pages(**options, page_size=page_size))
    return itertools.islice(records, limit)


def _get(readable: Readable, parent_id: int | None, record_id: int, fields: str | None, output: OutputFormat) -> None:
    with reporting_errors():
        wanted = split_fields(fields)
        with _connected() as client:
            record = _as_dict(_resource(client, readable, parent_id).get(record_id, fields=wanted))
        if wanted:
            json_wanted = output is OutputFormat.json
            record = nested_row(record, wanted) if json_wanted else {c: field_value(record, c) for c in wanted}
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


# ------------------------------------------------------------------------------------------------- updates


def _shown(value: Any) -> str:
    if isinstance(value, Mapping):
        return str(value.get("name") or value.get("identifier") or value.get("id") or "")
    return "" if value is None else str(value)


def update_record(
    readable: Readable, record_id: int, assignments: Sequence[str], *, dry_run: bool, output: OutputFormat
) -> None:
    """Check the ``--set`` values, then patch the fields whose value differs (or, with ``dry_run``, print the patch)."""
    from cwdesk.manage.models.base import reference_fields, to_api_payload
    from cwdesk.manage.patch import PatchOperation, patch_from_diff
    from cwdesk.workflows.record_edits import check_assignments  # (the one rule for edits by field name)
    from cwdesk.workflows.validation import record_dict

    with reporting_errors(), _connected() as client:
        resource = _resource(client, readable, None)
        changes = check_assignments(client, resource.model, assignments, readable.noun)
        current = record_dict(resource.get(record_id))
        before = {field: current.get(field) for field in changes}
        patch: list[PatchOperation] = patch_from_diff(
            to_api_payload(resource.model, before),
            to_api_payload(resource.model, changes),
            reference_fields=reference_fields(resource.model),
        )
        rows = [
            {"field": op["path"], "before": _shown(before.get(op["path"])), "after": _shown(changes.get(op["path"]))}
            for op in patch
        ]
        if dry_run:
            typer.echo(f"Dry run: {len(patch)} change(s) to {readable.noun} {record_id}; nothing was sent.", err=True)
            if output is OutputFormat.json:
                emit_object(patch, output=output)
            else:
                emit(rows, output=output, columns=["field", "before", "after"])
            return
        if not patch:
            typer.echo(
                f"{readable.noun.capitalize()} {record_id} already has these values; nothing was sent.", err=True
            )
            return
        # The SDK's update: one JSON Patch of exactly these operations (ConnectWise's flavour, NOTES section 6).
        resource.update_from_diff(record_id, before, changes)
        typer.echo(f"Updated {readable.noun} {record_id}: {len(patch)} field(s).", err=True)
        emit(rows, output=output, columns=["field", "before", "after"])


_SET = typer.Option(..., "--set", help="FIELD=VALUE by API field name (phoneNumber=..., status=Active); repeatable.")
_DRY_RUN = typer.Option(False, "--dry-run", help="Check and print the JSON Patch; send nothing.")


def add_update_command(group: typer.Typer, readable: Readable) -> None:
    """Add ``update ID --set FIELD=VALUE ... [--dry-run]`` for ``readable`` to ``group``."""

    def update_command(
        record_id: int = typer.Argument(..., help=f"The {readable.noun}'s id."),
        assignments: list[str] = _SET,
        dry_run: bool = _DRY_RUN,
        output: OutputFormat = _OUTPUT,
    ) -> None:
        update_record(readable, record_id, assignments, dry_run=dry_run, output=output)

    help_text = f"Change fields of one {readable.noun} (--set FIELD=VALUE, checked first; one JSON Patch)."
    group.command("update", help=help_text)(update_command)


# Groups whose module builds them with commands of their own and adds the read commands itself (cli/contacts.py).
_OWN_MODULE = frozenset({"contacts"})


def _groups() -> dict[str, typer.Typer]:
    """One read-only command group per resource in ``READABLE`` (and ``sites``), by command name."""
    groups: dict[str, typer.Typer] = {}
    for readable in READABLE:
        if readable.command in _OWN_MODULE:
            continue
        if readable.updatable:
            group = typer.Typer(help=f"Read and update {readable.command.replace('-', ' ')} in ConnectWise Manage.")
            add_update_command(group, readable)
        else:
            group = typer.Typer(help=f"Read {readable.command.replace('-', ' ')} from ConnectWise Manage.")
        add_read_commands(group, readable)
        groups[readable.command] = group
    sites = typer.Typer(help="Read a company's sites from ConnectWise Manage.")
    add_read_commands(sites, SITES, parent="company")
    groups["sites"] = sites
    return groups


#: What ``cwdesk companies ...`` and the other resource groups run (``cli/app.py`` loads one when it is used).
GROUPS = _groups()
