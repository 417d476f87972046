"""``cwdesk query|mutate|delete-op OPERATION_ID``: any Manage or Automate operation by its official operationId (M9).

    cwdesk query getCompanyCompanies --where 'status/name = "Active"' --columns id,name
    cwdesk query getCompanyCompaniesById --param id=250 -o json
    cwdesk query Clients_GetClientList --param condition="Name like 'Acme%'"
    cwdesk mutate postCompanyCompanies --body company.json
    cwdesk delete-op deleteCompanyCompaniesById --param id=250      # shows the record, then asks (or --yes)

The API is found from the operationId (Manage ids look like ``getCompanyCompanies``, Automate ids like
``Clients_GetClientList``); ``--api`` decides when needed. Lists are read page by page and printed as one list.
An unknown operationId fails (exit 2) with the closest names.
Not for: the operation index and paging rules (``cwdesk.manage.operations``, ``cwdesk.automate.operations``).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer

from cwdesk._http.operations_index import OperationIndex
from cwdesk.automate.operations import prepare_automate_call
from cwdesk.cli import connection
from cwdesk.cli.output import OutputFormat, confirm_or_refuse, emit, emit_object
from cwdesk.errors import ConfigurationError, CWDeskError
from cwdesk.manage.operations import prepare_manage_call

API_OPTION = typer.Option(None, "--api", help="manage or automate (found from the operationId when left out).")
PARAM_OPTION = typer.Option(None, "--param", "-P", help="k=v: a path parameter (id=250) or a query parameter.")
OUTPUT = typer.Option(OutputFormat.table, "--output", "-o", help="table, json or csv.")
COLUMNS = typer.Option(None, "--columns", help="Comma-separated fields to show (table and CSV).")


def _api_of(operation_id: str, api: str | None) -> str:
    if api is not None:
        if api not in ("manage", "automate"):
            raise ConfigurationError(f"--api {api!r} is not known: use manage or automate")
        return api
    found = []
    for product in ("manage", "automate"):
        try:
            OperationIndex.load(product).find(operation_id)
            found.append(product)
        except ConfigurationError:
            continue
    if len(found) == 1:
        return found[0]
    if len(found) == 2:
        raise ConfigurationError(f"{operation_id!r} exists in both APIs: add --api manage or --api automate")
    hints = OperationIndex.load("manage").suggestions(operation_id, limit=3)
    hints += OperationIndex.load("automate").suggestions(operation_id, limit=3)
    hint = f" Did you mean: {', '.join(hints)}?" if hints else ""
    raise ConfigurationError(f"No Manage or Automate operation is called {operation_id!r}.{hint}")


def _params(values: list[str] | None) -> dict[str, str]:
    params: dict[str, str] = {}
    for item in values or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigurationError(f"--param {item!r} must be NAME=VALUE, e.g. --param id=250")
        params[key.strip()] = value
    return params


def _operations(api: str) -> Any:
    if api == "automate":
        return connection.automate_client().operations
    client = connection.manage_client()
    return client.operations


def _print(result: Any, output: OutputFormat, columns: str | None) -> None:
    picked = [c.strip() for c in columns.split(",") if c.strip()] if columns else None
    if isinstance(result, list):
        rows = [r if isinstance(r, dict) else {"value": r} for r in result]
        if picked is None and output is OutputFormat.table and rows:
            picked = list(rows[0])[:8]  # a readable table; --columns or -o json shows the rest
        emit(rows, output=output, columns=picked)
        if output is OutputFormat.table:
            typer.echo(f"{len(rows)} record(s)", err=True)
    elif isinstance(result, dict):
        emit_object({k: result[k] for k in picked if k in result} if picked else result, output=output)
    elif result is None:
        typer.echo("Done (no content).", err=True)
    else:
        typer.echo(json.dumps(result))


def query(
    operation_id: str = typer.Argument(..., help="Official operationId, e.g. getCompanyCompanies."),
    param: list[str] | None = PARAM_OPTION,
    where: str | None = typer.Option(None, "--where", help="Conditions, in the API's own syntax."),
    api: str | None = API_OPTION,
    output: OutputFormat = OUTPUT,
    columns: str | None = COLUMNS,
) -> None:
    """Run a GET operation; list operations are read to the last page."""
    with connection.reporting_errors():
        chosen = _api_of(operation_id, api)
        result = _operations(chosen).query(operation_id, params=_params(param), conditions=where)
    _print(result, output, columns)


def _read_body(source: str) -> Any:
    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigurationError(f"cannot read the body from {source}: {exc.strerror}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigurationError(f"the body in {source} is not JSON: {exc}") from None


def mutate(
    operation_id: str = typer.Argument(..., help="Official operationId of a POST, PUT or PATCH operation."),
    body: str = typer.Option(..., "--body", help="A JSON file, or - for standard input."),
    param: list[str] | None = PARAM_OPTION,
    api: str | None = API_OPTION,
    output: OutputFormat = OUTPUT,
) -> None:
    """Run a POST, PUT or PATCH operation with a JSON body (a PATCH body is the JSON Patch array)."""
    with connection.reporting_errors():
        chosen = _api_of(operation_id, api)
        payload = _read_body(body)
        result = _operations(chosen).mutate(operation_id, payload, params=_params(param))
    _print(result, output, None)


def delete_op(
    operation_id: str = typer.Argument(..., help="Official operationId of a DELETE operation."),
    param: list[str] | None = PARAM_OPTION,
    api: str | None = API_OPTION,
    yes: bool = typer.Option(False, "--yes", "-y", help="Delete without asking (needed when not on a terminal)."),
) -> None:
    """Run a DELETE operation, e.g. deleteCompanyCompaniesById --param id=250 (asks first)."""
    with connection.reporting_errors():
        chosen = _api_of(operation_id, api)
        params = _params(param)
        operations = _operations(chosen)
        preview = _delete_preview(chosen, operations, operation_id, params)
        confirm_or_refuse(preview, question="Delete it?", yes=yes)
        operations.delete(operation_id, params=params)
    typer.echo(f"{operation_id}: deleted.", err=True)


#: The fields that say which record a delete is about, in the order they are shown (Manage, then Automate names).
_NAMING_FIELDS = ("identifier", "name", "summary", "Name", "ComputerName")


def _delete_preview(api: str, operations: Any, operation_id: str, params: dict[str, str]) -> list[str]:
    """``DELETE /path`` on which server, and the record it removes when the API can read it at the same path.

    Every check of the delete itself (known operation, path parameters given) is made here, before anything is
    asked or sent.
    """
    prepare = prepare_automate_call if api == "automate" else prepare_manage_call
    operation, path, query = prepare(operation_id, allowed_methods=("DELETE",), params=params)
    lines = [f"{operation.operation_id} sends DELETE {path}" + (f" with {query}" if query else "")]
    reader = next(
        (op for op in OperationIndex.load(api) if op.method == "GET" and op.path.lower() == operation.path.lower()),
        None,
    )
    if reader is None:
        return lines
    path_params = {k: v for k, v in params.items() if k.lower() in {p.lower() for p in operation.path_params}}
    try:
        record = operations.query(reader.operation_id, params=path_params)
    except CWDeskError as error:
        return [*lines, f"It could not be read first ({connection.describe(error)})."]
    if isinstance(record, dict):
        named = [f"{k} {record[k]!r}" for k in _NAMING_FIELDS if record.get(k) not in (None, "")]
        ident = record.get("id", record.get("Id"))
        lines.append(f"It deletes this record: id {ident}" + (", " + ", ".join(named) if named else "") + ".")
    return lines
