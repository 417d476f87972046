"""L1: every resource readable from the shell with --where, --fields, --order-by and --output table|json|csv."""

from __future__ import annotations

import csv
import io
import json

import pytest
from typer.testing import CliRunner

from cwdesk.cli.app import app
from cwdesk.manage.client import ManageClient
from cwdesk.sandbox import Sandbox


def run(runner: CliRunner, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_companies_list_as_json_has_the_default_columns(runner: CliRunner, on_sandbox: Sandbox) -> None:
    code, out, _ = run(runner, "companies", "list", "--output", "json")
    assert code == 0
    rows = json.loads(out)
    cw = ManageClient(**on_sandbox.manage_credentials, transport=on_sandbox.transport())
    assert len(rows) == cw.companies.count()
    assert set(rows[0]) == {"id", "identifier", "name", "status", "phoneNumber", "city", "state"}
    assert all(set(r["status"]) == {"name"} and isinstance(r["status"]["name"], str) for r in rows)


def test_where_fields_and_order_by_reach_connectwise_as_asked(runner: CliRunner, on_sandbox: Sandbox) -> None:
    code, out, _ = run(
        runner,
        "companies",
        "list",
        "--where",
        'status/name = "Active"',
        "--fields",
        "id,name,status/name",
        "--order-by",
        "name desc",
        "--output",
        "csv",
    )
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows and list(rows[0]) == ["id", "name", "status/name"]
    assert {r["status/name"] for r in rows} == {"Active"}
    names = [r["name"] for r in rows]
    assert names == sorted(names, reverse=True)
    (request,) = [r for r in on_sandbox.requests if r.path.endswith("/company/companies")]
    assert "conditions=" in request.query and "fields=id,name,status/name" in request.query


def test_a_table_is_the_default_output(runner: CliRunner, on_sandbox: Sandbox) -> None:
    code, out, _ = run(runner, "boards", "list")
    assert code == 0
    assert "name" in out and "┃" in out


def test_a_condition_syntax_error_exits_2_before_any_request(runner: CliRunner, on_sandbox: Sandbox) -> None:
    code, _, err = run(runner, "companies", "list", "--where", 'name = "unterminated')
    assert code == 2
    assert "Error:" in err
    assert on_sandbox.requests == []


def test_an_unknown_field_exits_2_before_any_request(runner: CliRunner, on_sandbox: Sandbox) -> None:
    code, _, err = run(runner, "companies", "list", "--fields", "id,nmae")
    assert code == 2
    assert "nmae" in err
    assert on_sandbox.requests == []


def test_get_prints_one_record_and_a_missing_one_exits_1(runner: CliRunner, on_sandbox: Sandbox) -> None:
    code, out, _ = run(runner, "companies", "get", "1", "--output", "json")
    assert code == 0
    assert json.loads(out)["id"] == 1
    code, _, err = run(runner, "companies", "get", "999999")
    assert code == 1
    assert "999999" in err or "not found" in err.lower()


def test_count_honours_where(runner: CliRunner, on_sandbox: Sandbox) -> None:
    code, everything, _ = run(runner, "contacts", "count")
    assert code == 0
    code, some, _ = run(runner, "contacts", "count", "--where", "inactiveFlag = false", "--output", "json")
    assert code == 0
    assert 0 < json.loads(some)[0]["count"] <= int(everything)


def test_contacts_read_commands_join_the_primary_contact_group(runner: CliRunner, on_sandbox: Sandbox) -> None:
    code, out, _ = run(runner, "contacts", "--help")
    assert code == 0
    for command in ("list", "get", "count", "set-primary"):
        assert command in out
    code, out, _ = run(runner, "contacts", "list", "--limit", "3", "--output", "json")
    assert code == 0 and len(json.loads(out)) == 3


def test_sites_are_read_per_company(runner: CliRunner, on_sandbox: Sandbox) -> None:
    code, out, err = run(runner, "sites", "list", "--company", "1", "--output", "json")
    assert code == 0, err
    assert all("name" in row for row in json.loads(out))


@pytest.mark.parametrize(
    "group",
    [
        "agreements",
        "agreement-types",
        "tickets",
        "boards",
        "security-roles",
        "company-statuses",
        "company-types",
        "contact-types",
        "contact-relationships",
        "departments",
        "locations",
        "members",
        "callbacks",
    ],
)
def test_every_resource_lists_as_json(runner: CliRunner, on_sandbox: Sandbox, group: str) -> None:
    code, out, err = run(runner, group, "list", "--output", "json")
    assert code == 0, err
    assert isinstance(json.loads(out), list)


def test_without_a_connection_the_error_says_how_to_configure_one(runner: CliRunner) -> None:
    code, _, err = run(runner, "companies", "list")
    assert code == 2
    assert "CWM_SERVER" in err and "cwdesk config add-profile" in err


@pytest.mark.parametrize("output", ["csv", "json"])
@pytest.mark.parametrize(
    ("command", "fields"),
    [
        ("companies", "id,name,status/name,phoneNumber,_info/lastUpdated,dateAcquired"),
        ("contacts", "id,firstName,lastName,company/identifier,company/name,inactiveFlag,defaultFlag"),
        ("companies", None),
    ],
)
def test_an_export_without_models_writes_what_the_models_would(
    runner: CliRunner, on_sandbox: Sandbox, command: str, fields: str | None, output: str
) -> None:
    # CSV and JSON are written from the decoded JSON (no model per record); the text must be the one the models
    # gave before: the same rows through the same formatter, from the SDK's models.
    from cwdesk.cli.output import emit
    from cwdesk.cli.resources import READABLE, rows_of, split_fields, top_level

    args = [command, "list", "--output", output, "--order-by", "id asc", *(["--fields", fields] if fields else [])]
    code, out, _ = run(runner, *args)
    assert code == 0
    readable = next(r for r in READABLE if r.command == command)
    columns = split_fields(fields) or list(readable.columns)
    cw = ManageClient(**on_sandbox.manage_credentials, transport=on_sandbox.transport())
    models = list(getattr(cw, readable.attribute).list(fields=split_fields(fields), order_by="id asc"))
    assert models, "the sandbox has records to export"
    expected = io.StringIO()
    if output == "json":
        emit(rows_of(models, columns, nested=True), output=output, columns=top_level(columns), stream=expected)
    else:
        emit(rows_of(models, columns), output=output, columns=columns, stream=expected)
    assert out.replace("\r\n", "\n") == expected.getvalue().replace("\r\n", "\n")  # (the runner's newlines)


def test_an_export_without_models_stops_at_the_limit(runner: CliRunner, on_sandbox: Sandbox) -> None:
    code, out, _ = run(runner, "contacts", "list", "--output", "csv", "--fields", "id", "--limit", "3")
    assert code == 0
    assert out.splitlines()[1:] and len(out.splitlines()) == 4
