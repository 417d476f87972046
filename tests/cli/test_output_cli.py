"""The CLI reads well in an 80-column terminal and never writes ConnectWise's control characters raw.

Each table test runs the real command at ``COLUMNS=80`` and checks that every line fits and that every column
shown carries its content (a name is not squeezed to nothing: its words are all there, perhaps wrapped).
"""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
import typer
from typer.testing import CliRunner

from cwdesk.automate.client import AutomateClient
from cwdesk.cli import connection, output
from cwdesk.cli.app import app
from cwdesk.manage.client import ManageClient
from cwdesk.sandbox import Sandbox

WIDTH = 80


def run(runner: CliRunner, *args: str, columns: int = WIDTH) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": str(columns)})
    return result.exit_code, result.stdout, result.stderr


def assert_fits(text: str, width: int = WIDTH) -> None:
    too_wide = [line for line in text.splitlines() if len(line) > width]
    assert not too_wide, too_wide


def header_words(text: str) -> set[str]:
    """The words of a compact table's header: the lines above its rule."""
    lines = text.splitlines()
    rule = next(i for i, line in enumerate(lines) if line.startswith("──"))
    return {word for line in lines[:rule] for word in line.split()}


def words_of(text: str) -> set[str]:
    return set(re.findall(r"[\w@.&'-]+", text))


def manage(sandbox: Sandbox) -> ManageClient:
    return ManageClient(**sandbox.manage_credentials, transport=sandbox.transport())


def automate(sandbox: Sandbox) -> AutomateClient:
    return AutomateClient(**sandbox.automate_credentials, transport=sandbox.transport())


# ------------------------------------------------------------------------------------------------ 80 columns


def test_companies_list_at_80_columns_shows_every_column_with_its_content(
    runner: CliRunner, on_sandbox: Sandbox
) -> None:
    code, out, _ = run(runner, "companies", "list")
    assert code == 0
    assert_fits(out)
    # Short columns keep their values whole; their names may break over two lines (status/ name, phone Number).
    assert header_words(out) == {"id", "identifier", "name", "status/", "phone", "Number", "city", "state"}
    shown = words_of(out)
    for company in manage(on_sandbox).companies.list():
        wanted = [
            company.identifier,
            company.phone_number,
            *(company.name or "").split(),
            *(company.city or "").split(),
        ]
        assert set(wanted) <= shown, company.name


def test_automate_report_at_80_columns_keeps_names_and_counts_and_says_what_it_left_out(
    runner: CliRunner, on_sandbox: Sandbox
) -> None:
    code, out, err = run(runner, "automate", "clients", "report")
    assert code == 0
    assert_fits(out)
    assert "email, phone, locations not shown" in err and "-o csv" in err
    header = out.splitlines()[1].split()
    assert header == ["id", "name", "contact", "city", "computers", "online", "offline"]
    shown = words_of(out)
    for client in automate(on_sandbox).clients.list():
        assert set((client.name or "").split()) <= shown, client.name


def test_automate_report_on_a_wide_terminal_shows_every_column(runner: CliRunner, on_sandbox: Sandbox) -> None:
    code, out, err = run(runner, "automate", "clients", "report", columns=200)
    assert code == 0 and "not shown" not in err
    header = out.splitlines()[2]  # the title, the box's top, then the header
    assert "email" in header and "phone" in header and "locations" in header


def test_bulk_dry_run_at_80_columns_shows_contact_company_and_result(runner: CliRunner, on_sandbox: Sandbox) -> None:
    code, out, err = run(runner, "bulk", "contacts", "--companies", "1,2", "--set", "inactiveFlag=true", "--dry-run")
    assert code == 0
    assert_fits(out)
    # A dry run has no messages: that empty column makes room for the others.
    assert out.splitlines()[0].split() == ["contact_id", "contact", "company", "field", "before", "after", "result"]
    assert "not shown" not in err
    shown = words_of(out)
    for contact in manage(on_sandbox).contacts.list(where="company/id in (1,2)"):
        assert {contact.first_name, contact.last_name, "would"} <= shown


def test_bulk_run_report_at_80_columns_keeps_the_outcome_and_its_message(
    runner: CliRunner, on_sandbox: Sandbox
) -> None:
    code, out, err = run(runner, "bulk", "contacts", "--companies", "1,2", "--set", "relationship=Owner", "-q")
    assert code == 0
    assert_fits(out)
    assert out.splitlines()[0].split() == ["contact_id", "contact", "company", "after", "result", "message"]
    assert "field, before not shown" in err
    assert out.count("relationship=Owner") == len(list(manage(on_sandbox).contacts.list(where="company/id in (1,2)")))


def test_a_terminal_too_narrow_for_any_table_gets_one_block_per_record(runner: CliRunner, on_sandbox: Sandbox) -> None:
    code, out, _ = run(runner, "companies", "list", "--limit", "2", columns=40)
    assert code == 0
    assert_fits(out, 40)
    lines = out.splitlines()
    assert lines[0].split() == ["id", "1"] and lines[2].split()[0] == "name"
    assert sum(1 for line in lines if line.split()[:1] == ["id"]) == 2


def test_column_names_break_over_two_lines_rather_than_hide_values(runner: CliRunner, on_sandbox: Sandbox) -> None:
    code, out, _ = run(runner, "contacts", "list")
    assert code == 0
    assert_fits(out)
    top, bottom = out.splitlines()[:2]
    assert "company/" in top and "identifier" in bottom and "inactive" in top and "Flag" in bottom
    shown = words_of(out)
    for contact in manage(on_sandbox).contacts.list():
        assert {contact.first_name, contact.last_name, *(contact.title or "").split()} <= shown


def test_json_and_csv_ignore_the_terminal_width(runner: CliRunner, on_sandbox: Sandbox) -> None:
    code, out, _ = run(runner, "automate", "clients", "report", "-o", "csv", columns=40)
    assert code == 0 and out.splitlines()[0].split(",")[-1] == "locations"


# ----------------------------------------------------------------------------------------- control characters

HOSTILE = "Evil\x1b[2J\x1b]0;pwned\x07 Corp\x00\x9b31m [red]x[/red]\u202e"


def test_control_characters_in_data_are_escaped_in_a_table(runner: CliRunner, on_sandbox: Sandbox) -> None:
    automate(on_sandbox).clients.create({"Name": HOSTILE, "City": "Tab\tCity"})
    code, out, _ = run(runner, "automate", "clients", "report", columns=300)
    assert code == 0
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202e]", out)
    assert "Evil\\x1b[2J\\x1b]0;pwned\\x07 Corp\\x00\\x9b31m [red]x[/red]\\u202e" in out
    assert "Tab\\tCity" in out


def test_control_characters_in_data_are_escaped_in_csv_but_line_breaks_stay(
    runner: CliRunner, on_sandbox: Sandbox
) -> None:
    automate(on_sandbox).clients.create({"Name": HOSTILE, "City": "Two\r\nlines"})
    code, out, _ = run(runner, "automate", "clients", "report", "-o", "csv")
    assert code == 0
    assert "\x1b" not in out and "\x00" not in out and "\x9b" not in out and "\u202e" not in out
    rows = {row["name"]: row for row in csv.DictReader(io.StringIO(out))}
    escaped = "Evil\\x1b[2J\\x1b]0;pwned\\x07 Corp\\x00\\x9b31m [red]x[/red]\\u202e"
    assert rows[escaped]["city"] == "Two\nlines"


def test_json_output_escapes_every_control_character_and_keeps_the_value(
    runner: CliRunner, on_sandbox: Sandbox
) -> None:
    automate(on_sandbox).clients.create({"Name": HOSTILE})
    code, out, _ = run(runner, "automate", "clients", "report", "-o", "json")
    assert code == 0
    assert not re.search("[\x00-\x1f\x7f-\x9f\u202e]", out.replace("\n", ""))
    assert HOSTILE in [row["name"] for row in json.loads(out)]


def test_markup_in_a_name_is_shown_as_typed(runner: CliRunner, on_sandbox: Sandbox) -> None:
    automate(on_sandbox).clients.create({"Name": "[/] Broken [bold]Markup"})
    code, out, _ = run(runner, "automate", "clients", "report", columns=200)
    assert code == 0 and "[/] Broken [bold]Markup" in out


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("a\x1bb", "a\\x1bb"),
        ("nul\x00", "nul\\x00"),
        ("cr\rlf\n", "cr\\rlf\\n"),
        ("csi\x9b", "csi\\x9b"),
        ("ok é", "ok é"),
    ],
)
def test_visible_escapes_what_a_terminal_would_act_on(text: str, shown: str) -> None:
    assert output.visible(text) == shown


# ------------------------------------------------------------------------------------------------ JSON shape


def test_json_list_keeps_nested_fields_nested(runner: CliRunner, on_sandbox: Sandbox) -> None:
    code, out, _ = run(runner, "companies", "list", "--fields", "id,status/name,status/id", "-o", "json")
    assert code == 0
    rows = json.loads(out)
    assert rows and all(set(r) == {"id", "status"} and set(r["status"]) == {"name", "id"} for r in rows)
    assert "status/name" not in out


def test_json_get_with_fields_keeps_nested_fields_nested(runner: CliRunner, on_sandbox: Sandbox) -> None:
    code, out, _ = run(runner, "contacts", "get", "1", "--fields", "id,company/identifier", "-o", "json")
    assert code == 0
    assert json.loads(out) == {
        "id": 1,
        "company": {"identifier": manage(on_sandbox).contacts.get(1).company.identifier},
    }


def test_an_error_message_quoting_connectwise_is_escaped_and_keeps_its_lines(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(typer.Exit) as ended:
        connection.fail("2 problems:\n  - name: 'Evil\x1b[2J' exists\n  - phone\x00", code=2)
    assert ended.value.exit_code == 2
    assert capsys.readouterr().err == "Error: 2 problems:\n  - name: 'Evil\\x1b[2J' exists\n  - phone\\x00\n"


def test_health_line_of_a_hostile_client_name_is_escaped(runner: CliRunner, on_sandbox: Sandbox) -> None:
    client = automate(on_sandbox).clients.create({"Name": "Evil\x1b]0;pwned\x07"})
    code, out, _ = run(runner, "automate", "clients", "health", str(client.id))
    assert code == 0 and "Evil\\x1b]0;pwned\\x07 (id" in out and "\x1b" not in out
