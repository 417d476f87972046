"""``cwdesk sandbox diff``'s battery and comparison (issue 11, "Beyond any peer"), on two sandboxes.

The "real" side is a sandbox seen through ``Altered``, a test-only transport wrapper that removes one field from
company records, the ``Link`` header from contact pages and rewords one error: the diff must report exactly these
differences, and print no record value.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from cwdesk.automate.client import AutomateClient
from cwdesk.cli import connection
from cwdesk.cli.app import app
from cwdesk.cli.output import OutputFormat
from cwdesk.cli.sandbox import print_report
from cwdesk.errors import APIStatusError
from cwdesk.manage.client import ManageClient
from cwdesk.sandbox import Sandbox
from cwdesk.workflows.sandbox_diff import (
    MANAGE_BATTERY,
    Difference,
    DiffReport,
    diff_servers,
    link_rels,
    run_battery,
    shape_of,
)

# Values of the demo data's first company and its contact: none may appear in a report.
KNOWN_VALUES = ("Acme Dental Group", "AcmeDental", "www.acmedental.example", "8135550142", "401 E Jackson St")


class Altered(httpx.BaseTransport):
    """A sandbox transport whose answers lose ``website`` on companies, ``Link`` on contacts, and one error's text."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        path = request.url.path
        headers = dict(response.headers)
        body = response.read()
        if path.endswith("/company/contacts"):
            headers.pop("link", None)
        if path.endswith("/company/companies/999999999"):
            body = json.dumps({"code": "NotFound", "message": "Company not found"}).encode()
        elif "/company/companies" in path and response.status_code == 200:
            records = json.loads(body)
            for record in records if isinstance(records, list) else [records]:
                if isinstance(record, dict):
                    record.pop("website", None)
            body = json.dumps(records).encode()
        headers.pop("content-length", None)
        return httpx.Response(response.status_code, headers=headers, content=body, request=request)


class AlteredSandbox:
    """What ``connection.use_sandbox`` needs of a sandbox, answering through ``Altered``."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.manage_credentials = sandbox.manage_credentials
        self.automate_credentials = sandbox.automate_credentials

    def transport(self) -> httpx.BaseTransport:
        return Altered(self.sandbox.transport())

    def async_transport(self) -> httpx.AsyncBaseTransport:
        return self.sandbox.async_transport()  # asked for by connection.sandbox_transports(); the diff is sync


# With the "real" side altered, the sandbox has `website` where the real side has none: an extra field.
EXPECTED = {
    ("manage.companies.page", "field extra", "website"),
    ("manage.companies.last_page", "field extra", "website"),
    ("manage.companies.forward_only", "field extra", "website"),
    ("manage.companies.one", "field extra", "website"),
    ("manage.contacts.page", "paging", "link"),
    ("manage.bad.missing_id", "error message", ""),
}


@pytest.fixture
def two_sandboxes() -> Iterator[tuple[Sandbox, Sandbox]]:
    real, candidate = Sandbox(seed="demo"), Sandbox(seed="demo")
    yield real, candidate
    real.close()
    candidate.close()


def _report(real: Sandbox, candidate: Sandbox, *, altered: bool) -> DiffReport:
    real_transport = Altered(real.transport()) if altered else real.transport()
    real_manage = ManageClient(**real.manage_credentials, transport=real_transport)
    real_automate = AutomateClient(**real.automate_credentials, transport=real.transport())
    manage = ManageClient(**candidate.manage_credentials, transport=candidate.transport())
    automate = AutomateClient(**candidate.automate_credentials, transport=candidate.transport())
    return diff_servers(real_manage.request, manage.request, real_automate.core.request, automate.core.request)


def test_two_sandboxes_alike_show_no_difference(two_sandboxes: tuple[Sandbox, Sandbox]) -> None:
    report = _report(*two_sandboxes, altered=False)
    assert report.same and report.differences == []
    assert len(report.probes) > 15
    assert report.skipped == []


def test_an_altered_sandbox_shows_exactly_what_was_altered(two_sandboxes: tuple[Sandbox, Sandbox]) -> None:
    report = _report(*two_sandboxes, altered=True)

    assert {(d.probe, d.aspect, d.name) for d in report.differences} == EXPECTED
    website = next(d for d in report.differences if d.probe == "manage.companies.one")
    assert (website.real, website.sandbox) == ("absent", "string")
    link = next(d for d in report.differences if d.aspect == "paging")
    assert (link.real, link.sandbox) == ("absent", "last,next")  # the first page links to the next and the last
    message = next(d for d in report.differences if d.aspect == "error message")
    candidate = two_sandboxes[1]
    with pytest.raises(APIStatusError) as answered:  # what the unaltered sandbox says, in its own words
        ManageClient(**candidate.manage_credentials, transport=candidate.transport()).request(
            "GET", "/company/companies/999999999"
        )
    assert (message.real, message.sandbox) == ("Company not found", answered.value.message)


def test_the_altered_field_is_reported_missing_on_the_side_that_lost_it(
    two_sandboxes: tuple[Sandbox, Sandbox],
) -> None:
    real, candidate = two_sandboxes
    real_manage = ManageClient(**real.manage_credentials, transport=real.transport())
    altered = ManageClient(**candidate.manage_credentials, transport=Altered(candidate.transport()))
    report = diff_servers(real_manage.request, altered.request)

    one = next(d for d in report.differences if d.probe == "manage.companies.one")
    assert (one.aspect, one.name, one.real, one.sandbox) == ("field missing", "website", "string", "absent")
    assert report.skipped == ["automate: no Automate connection in the profile"]


@pytest.mark.parametrize("output", [OutputFormat.table, OutputFormat.json, OutputFormat.csv])
def test_no_record_value_is_printed(
    two_sandboxes: tuple[Sandbox, Sandbox], output: OutputFormat, capsys: pytest.CaptureFixture[str]
) -> None:
    print_report(_report(*two_sandboxes, altered=True), output)
    printed = capsys.readouterr().out
    assert "website" in printed  # the field's name is the finding
    for value in (*KNOWN_VALUES, "sandbox-private", "https://sandbox.local"):
        assert value not in printed


def test_observations_keep_names_and_types_only(two_sandboxes: tuple[Sandbox, Sandbox]) -> None:
    real, _ = two_sandboxes
    client = ManageClient(**real.manage_credentials, transport=real.transport())
    observed = run_battery(client.request, MANAGE_BATTERY)
    assert observed["manage.companies.one"].shape["name"] == frozenset({"string"})
    assert observed["manage.companies.one"].shape["types[].id"] == frozenset({"number"})
    assert "Acme Dental Group" not in repr(observed)


def test_shape_of_a_list_is_the_union_of_its_records() -> None:
    shape = shape_of([{"a": 1, "b": None, "c": {"d": "x"}}, {"a": 2, "b": "y", "e": [True]}])
    assert shape == {
        "$": frozenset({"array"}),
        "a": frozenset({"number"}),
        "b": frozenset({"null", "string"}),
        "c": frozenset({"object"}),
        "c.d": frozenset({"string"}),
        "e": frozenset({"array"}),
        "e[]": frozenset({"boolean"}),
    }


def test_link_rels_never_keep_urls() -> None:
    header = '<https://cw.example/apis/3.0/company/companies?page=2>; rel="next", <https://cw.example/x;y>; rel=first'
    assert link_rels(header) == "first,next"
    assert link_rels(None) == ""


def test_a_type_and_a_nullness_difference_are_told_apart() -> None:
    from cwdesk.workflows.sandbox_diff import Observation, compare

    real = Observation(200, shape={"id": frozenset({"number"}), "note": frozenset({"string"})})
    sandbox = Observation(200, shape={"id": frozenset({"string"}), "note": frozenset({"string", "null"})})
    assert compare("p", real, sandbox) == [
        Difference("p", "type", "id", "number", "string"),
        Difference("p", "nullness", "note", "string", "null|string"),
    ]


# -- the command ---------------------------------------------------------------------------------------------------


def _cli_home(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(__import__("os").environ):
        if name.startswith(("CWM_", "CWA_", "CWDESK_")):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CWDESK_HOME", str(tmp_path))


def test_diff_command_exits_0_when_alike_and_3_with_the_differences_as_json(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _cli_home(tmp_path, monkeypatch)
    real = Sandbox(seed="demo")
    runner = CliRunner()
    with connection.use_sandbox(real):
        alike = runner.invoke(app, ["sandbox", "diff"])
    assert alike.exit_code == 0, alike.output
    assert "0 with differences" in alike.output

    with connection.use_sandbox(AlteredSandbox(real)):
        differing = runner.invoke(app, ["sandbox", "diff", "--output", "json"])
    assert differing.exit_code == 3, differing.output
    report = json.loads(differing.output)
    assert report["same"] is False
    assert {(d["probe"], d["aspect"], d["name"]) for d in report["differences"]} == EXPECTED
    for value in KNOWN_VALUES:
        assert value not in differing.output


def test_a_body_that_is_not_json_is_one_finding() -> None:
    from cwdesk.workflows.sandbox_diff import Observation, compare

    real = Observation(200, headers={"content-type": "text/html"}, note="not JSON")
    sandbox = Observation(200, shape=shape_of([{"id": 1}]), headers={"content-type": "application/json"})
    assert compare("p", real, sandbox) == [Difference("p", "body", "", "not JSON", "JSON")]


def test_diff_command_with_wrong_real_credentials_says_so_once(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    _cli_home(tmp_path, monkeypatch)
    real = AlteredSandbox(Sandbox(seed="demo"))
    real.manage_credentials = {**real.manage_credentials, "private_key": "not-the-key"}
    with connection.use_sandbox(real):
        result = CliRunner().invoke(app, ["sandbox", "diff"])
    assert result.exit_code == 1
    assert "401" in result.output and result.output.count("401") == 1
    assert "not-the-key" not in result.output


def test_an_empty_page_on_one_side_is_one_finding_not_every_field() -> None:
    from cwdesk.workflows.sandbox_diff import Observation, compare

    real = Observation(200, shape=shape_of([]))
    sandbox = Observation(200, shape=shape_of([{"id": 1, "name": "x"}]))
    assert compare("p", real, sandbox) == [Difference("p", "records", "", "none", "some")]


def test_diff_command_against_servers_over_http_from_env_and_sandbox_url(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cwdesk.sandbox.server import CLIENT_ID
    from tests.loopback import serve

    _cli_home(tmp_path / "cli", monkeypatch)
    with serve(tmp_path / "real", "--seed", "demo") as real, serve(tmp_path / "empty", "--seed", "none") as empty:
        for name, value in {
            "CWM_SERVER": real.base,
            "CWM_COMPANY": "sandbox",
            "CWM_PUBKEY": "sandbox-public",
            "CWM_PRIVATEKEY": "sandbox-private",
            "CWM_CLIENTID": CLIENT_ID,
        }.items():
            monkeypatch.setenv(name, value)
        result = CliRunner().invoke(app, ["sandbox", "diff", "--sandbox-url", empty.base, "-o", "json"])
        gets_only = {entry["method"] for entry in real.log()} == {"GET"}
    assert result.exit_code == 3, result.output
    report = json.loads(result.output)
    assert {"probe": "manage.companies.page", "aspect": "records", "name": "", "real": "some", "sandbox": "none"} in (
        report["differences"]
    )
    assert report["skipped"] == ["automate: no Automate connection in the profile"]
    assert gets_only  # the battery is read-only on the real server
