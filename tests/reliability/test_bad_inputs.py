"""R3: bad inputs get a clear error before any write, and never a crash.

Through the command line a user types (in-process, on the sandbox): an identifier with spaces, a ZIP, a state, an
e-mail, a member identifier of 16 characters — each exits 2 naming the field, and the sandbox saw no write and the
store holds no job. Server answers that are not JSON (malformed, truncated mid-record, HTML from a proxy) end in a
one-line error (exit 1), no traceback, and no write. HTML in a name is stored as text and shown escaped by the
console (the console's own tests cover every page: ``tests/console``; here one end-to-end case).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
import yaml
from typer.testing import CliRunner

from cwdesk.cli import connection
from cwdesk.cli.app import app
from cwdesk.manage.client import ManageClient
from cwdesk.sandbox import Sandbox
from cwdesk.store import open_database
from tests.console.conftest import use_signin_link

WRITES = ("POST", "PUT", "PATCH", "DELETE")

PLAN: dict[str, Any] = {
    "company": {
        "name": "Good Plan Inc",
        "identifier": "GoodPlan",
        "status": "Active",
        "type": "Client",
        "phone": "312-555-0100",
        "address": {"line1": "1 Main St", "city": "Chicago", "state": "IL", "zip": "60601", "country": "United States"},
    },
    "contacts": [{"first_name": "Jane", "last_name": "Doe", "email": "jane@good.example"}],
}


@pytest.fixture
def cli_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in list(__import__("os").environ):
        if name.startswith(("CWM_", "CWA_", "CWDESK_")):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CWDESK_HOME", str(tmp_path))
    return tmp_path


@pytest.fixture
def on_sandbox(sandbox: Sandbox, cli_home: Path) -> Iterator[Sandbox]:
    with connection.use_sandbox(sandbox):
        yield sandbox


def _writes(sb: Sandbox) -> list[str]:
    return [f"{e.method} {e.path}" for e in sb.requests if e.method in WRITES]


def _jobs(home: Path) -> int:
    db = home / "cwdesk.db"
    if not db.exists():
        return 0
    engine = open_database(f"sqlite:///{db}")
    try:
        with engine.connect() as conn:
            return int(conn.execute(sa.text("select count(*) from jobs")).scalar_one())
    finally:
        engine.dispose()


def _plan_with(path: tuple[str | int, ...], value: Any) -> dict[str, Any]:
    plan = copy.deepcopy(PLAN)
    target: Any = plan
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return plan


@pytest.mark.parametrize(
    ("where", "value", "field", "says"),
    [
        (("company", "identifier"), "Good Plan", "company.identifier", "letters and digits"),
        (("company", "address", "zip"), "6060", "company.address.zip", "ZIP"),
        (("company", "address", "state"), "Illinois", "company.address.state", "state"),
        (("contacts", 0, "email"), "jane-at-good", "contacts[0].email", "mail"),
    ],
)
def test_a_bad_onboarding_field_exits_2_naming_it_before_any_write(
    where: tuple[str | int, ...], value: str, field: str, says: str, on_sandbox: Sandbox, cli_home: Path
) -> None:
    plan_file = cli_home / "plan.yaml"
    plan_file.write_text(yaml.safe_dump(_plan_with(where, value)))
    on_sandbox.clear_requests()

    result = CliRunner().invoke(app, ["onboard", str(plan_file)])

    assert result.exit_code == 2, result.output
    assert field in result.output and says.lower() in result.output.lower()
    assert "Traceback" not in result.output
    assert _writes(on_sandbox) == [] and _jobs(cli_home) == 0


def test_a_member_identifier_of_16_characters_exits_2_before_any_write(on_sandbox: Sandbox, cli_home: Path) -> None:
    on_sandbox.clear_requests()
    result = CliRunner().invoke(
        app,
        ["members", "provision", "a" * 16, "--first-name", "Ann", "--last-name", "Lee", "--email", "ann@x.example",
         "--role", "Technician"],
    )  # fmt: skip
    assert result.exit_code == 2, result.output
    assert "15" in result.output and "Traceback" not in result.output
    assert _writes(on_sandbox) == [] and _jobs(cli_home) == 0


def test_a_contact_with_a_bad_email_exits_2_before_any_write(on_sandbox: Sandbox) -> None:
    on_sandbox.clear_requests()
    result = CliRunner().invoke(app, ["contacts", "add", "1", "--first-name", "A", "--last-name", "B", "--email", "x@"])
    assert result.exit_code == 2, result.output
    assert "mail" in result.output.lower() and _writes(on_sandbox) == []


class BrokenAnswers(httpx.BaseTransport):
    """Every GET answer is replaced by ``body`` (status 200); writes pass through (and must never be sent)."""

    def __init__(self, inner: httpx.BaseTransport, body: bytes, content_type: str) -> None:
        self.inner, self.body, self.content_type = inner, body, content_type

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if request.method != "GET":
            return response
        return httpx.Response(200, content=self.body, headers={"content-type": self.content_type}, request=request)


def _truncated_page() -> bytes:
    page = json.dumps([{"id": 1, "identifier": "Acme", "name": "Acme"}, {"id": 2, "name": "Beta"}]).encode()
    return page[: len(page) // 2]


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (_truncated_page(), "application/json"),
        (b'{"id": 1, "name": "Acme",,}', "application/json"),
        (b"<html><body>502 Bad Gateway</body></html>", "text/html"),
        (b"[1, 2", "application/json"),
    ],
    ids=["truncated page", "malformed object", "html from a proxy", "cut array"],
)
@pytest.mark.parametrize(
    "command",
    [["companies", "list"], ["companies", "get", "1"], ["onboard", "PLAN"]],
    ids=["list", "get", "onboard"],
)
def test_a_server_answer_that_is_not_json_ends_in_a_clear_error_and_no_write(
    body: bytes,
    content_type: str,
    command: list[str],
    sandbox: Sandbox,
    cli_home: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    inner = sandbox.transport
    monkeypatch.setattr(sandbox, "transport", lambda: BrokenAnswers(inner(), body, content_type))
    plan_file = cli_home / "plan.yaml"
    plan_file.write_text(yaml.safe_dump(PLAN))
    args = [str(plan_file) if a == "PLAN" else a for a in command]
    sandbox.clear_requests()

    with connection.use_sandbox(sandbox):
        result = CliRunner().invoke(app, args)

    assert result.exit_code in (1, 2), result.output
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert "Traceback" not in result.output
    assert "Error" in result.output or "error" in result.output
    assert _writes(sandbox) == []


MARKUP = '<img src=x onerror="alert(1)"><script>alert(2)</script>'


def test_html_in_a_name_is_kept_as_text_and_never_markup_in_the_console(on_sandbox: Sandbox, cli_home: Path) -> None:
    from fastapi.testclient import TestClient

    from cwdesk.console.app import ConsoleSettings, create_app
    from cwdesk.console.connections import Connections

    on_sandbox.clear_requests()
    added = CliRunner().invoke(app, ["contacts", "add", "1", "--first-name", MARKUP, "--last-name", "Lee"])
    assert added.exit_code in (0, 2), added.output
    if added.exit_code == 2:  # refused before any write; ConnectWise itself may still hold such a name:
        assert _writes(on_sandbox) == []
        cw = ManageClient(**on_sandbox.manage_credentials, transport=on_sandbox.transport())
        cw.contacts.create({"firstName": MARKUP, "lastName": "Lee", "company": {"id": 1}})
    engine = open_database(f"sqlite:///{cli_home / 'console.db'}")
    console = create_app(ConsoleSettings(connections=Connections.on_sandbox(on_sandbox), engine=engine))
    token = console.state.accounts.ensure_first_admin()
    with TestClient(console) as browser:
        assert use_signin_link(browser, f"/signin?token={token}", follow_redirects=False).status_code == 303
        panel = browser.get("/clients/1/panel", headers={"accept": "text/html"})
    engine.dispose()
    assert panel.status_code == 200
    assert MARKUP not in panel.text and "<script>alert(2)" not in panel.text and "<img src=x" not in panel.text
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in panel.text
