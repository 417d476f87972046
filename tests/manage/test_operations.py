"""M9: any operation by its official operationId, over Manage and Automate, in Python and from the CLI."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cwdesk._http.errors import ConfigurationError, NotFoundError
from cwdesk._http.operations_index import OperationIndex
from cwdesk._http.throttle import reset_throttles
from cwdesk.automate import AutomateClient
from cwdesk.cli import connection
from cwdesk.cli.app import app
from cwdesk.conditions import C
from cwdesk.manage.client import ManageClient
from cwdesk.manage.operations import ManageOperations
from cwdesk.sandbox import Sandbox


@pytest.fixture
def manage(sandbox: Sandbox) -> Iterator[ManageOperations]:
    reset_throttles()
    with ManageClient(**sandbox.manage_credentials, transport=sandbox.transport()) as client:
        yield client.operations


@pytest.fixture
def automate(sandbox: Sandbox) -> Iterator[AutomateClient]:
    reset_throttles()
    with AutomateClient(**sandbox.automate_credentials, transport=sandbox.transport()) as client:
        yield client


def test_bundled_indexes_hold_every_operation_of_the_specs() -> None:
    manage, automate = OperationIndex.load("manage"), OperationIndex.load("automate")
    assert len(manage) > 3000 and len(automate) > 200
    assert manage.find("getCompanyCompanies").is_list and not manage.find("getCompanyCompaniesById").is_list
    assert automate.find("clients_getclientlist").path == "/api/v1/Clients"
    assert manage.find("GET /company/companies/count").operation_id == "getCompanyCompaniesCount"


def test_unknown_operation_suggests_the_closest_names() -> None:
    with pytest.raises(ConfigurationError) as info:
        OperationIndex.load("manage").find("getCompanyCompany")
    assert "getCompanyCompanies" in str(info.value)


def test_manage_list_query_reads_every_page_as_one_list(manage: ManageOperations, sandbox: Sandbox) -> None:
    everything = manage.query("getCompanyCompanies")
    small_pages = manage.query("getCompanyCompanies", page_size=3)
    assert [c["id"] for c in small_pages] == [c["id"] for c in everything] and len(everything) > 3
    requests = [e for e in sandbox.requests if e.path.endswith("/company/companies")]
    assert len(requests) >= 1 + (len(everything) + 2) // 3


def test_manage_query_with_escaped_conditions_and_path_params(manage: ManageOperations) -> None:
    active = manage.query("getCompanyCompanies", conditions=C("name") == 'x" or name like "%')
    assert active == []
    first = manage.query("getCompanyCompanies", conditions=C("identifier") == "AcmeDental")[0]
    one = manage.query("getCompanyCompaniesById", params={"id": first["id"]})
    assert one["identifier"] == "AcmeDental"
    count = manage.query("getCompanyCompaniesCount")
    assert count["count"] == len(manage.query("getCompanyCompanies"))
    sites = manage.query("getCompanyCompaniesByParentIdSites", params={"parentId": first["id"]})
    assert isinstance(sites, list) and sites


def test_manage_checks_method_and_params_before_sending(manage: ManageOperations, sandbox: Sandbox) -> None:
    sandbox.clear_requests()
    with pytest.raises(ConfigurationError, match="use `mutate`"):
        manage.query("postCompanyCompanies")
    with pytest.raises(ConfigurationError, match="needs id"):
        manage.query("getCompanyCompaniesById")
    with pytest.raises(ConfigurationError, match="does not take colour"):
        manage.query("getCompanyCompanies", params={"colour": "blue"})
    assert sandbox.requests == []


def test_manage_mutate_and_delete(manage: ManageOperations) -> None:
    made = manage.mutate(
        "postCompanyCompanies",
        {
            "identifier": "OpsTest",
            "name": "Ops Test",
            "city": "Tampa",
            "status": {"name": "Active"},
            "types": [],
            "site": {"name": "Main"},
        },
    )
    patched = manage.mutate(
        "patchCompanyCompaniesById",
        [{"op": "replace", "path": "name", "value": "Ops Test 2"}],
        params={"id": made["id"]},
    )
    assert patched["name"] == "Ops Test 2"
    manage.delete("deleteCompanyCompaniesById", params={"id": made["id"]})
    # A deleted company still answers, marked deleted (docs/connectwise.md, "Companies").
    assert manage.query("getCompanyCompaniesById", params={"id": made["id"]})["deletedFlag"] is True
    with pytest.raises(NotFoundError):
        manage.query("getCompanyCompaniesById", params={"id": 999_999})


def test_automate_operations_query_list_single_and_mutate(automate: AutomateClient) -> None:
    clients = automate.operations.query("Clients_GetClientList", page_size=2)
    assert [c["Name"] for c in clients] == [c.name for c in automate.clients.list()]
    one = automate.operations.query("Clients_GetClient", params={"clientId": clients[0]["Id"]})
    assert one["Name"] == clients[0]["Name"]
    found = automate.operations.query("Clients_GetClientList", conditions=C("Name") == "x' or Name like '%")
    assert found == []
    flat = automate.operations.query("Clients_GetClientList", params={"condition": "Name like 'Acme%'"})
    assert [c["Name"] for c in flat] == ["Acme Dental Group"]
    made = automate.operations.mutate("Clients_PostClient", {"Name": "Ops Client"})
    automate.operations.delete("Clients_DeleteClient", params={"clientId": made["Id"]})
    with pytest.raises(NotFoundError):
        automate.clients.get(made["Id"])


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sandbox: Sandbox) -> Iterator[CliRunner]:
    monkeypatch.setenv("CWDESK_HOME", str(tmp_path))
    with connection.use_sandbox(sandbox):
        yield CliRunner()


def test_cli_query_mutate_delete_op(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["query", "getCompanyCompanies", "--where", 'identifier = "AcmeDental"', "-o", "json"])
    assert result.exit_code == 0, result.output
    assert [c["identifier"] for c in json.loads(result.output)] == ["AcmeDental"]
    result = runner.invoke(
        app,
        [
            "query",
            "Clients_GetClientList",
            "--param",
            "condition=Name like 'Cedar%'",
            "-o",
            "csv",
            "--columns",
            "Id,Name",
        ],
    )
    assert result.exit_code == 0 and result.output.splitlines()[1].endswith("Cedar & Finch Law")
    body = tmp_path / "client.json"
    body.write_text(json.dumps({"Name": "CLI Client"}))
    result = runner.invoke(app, ["mutate", "Clients_PostClient", "--body", str(body), "-o", "json"])
    assert result.exit_code == 0, result.output
    new_id = json.loads(result.output)["Id"]
    result = runner.invoke(app, ["delete-op", "Clients_DeleteClient", "--param", f"clientId={new_id}", "--yes"])
    assert result.exit_code == 0, result.output


def test_cli_unknown_operation_exits_2_with_suggestions(runner: CliRunner) -> None:
    result = runner.invoke(app, ["query", "Clients_GetClientLst"])
    assert result.exit_code == 2 and "Clients_GetClientList" in result.output


async def test_async_twins_page_lists_for_both_apis(sandbox: Sandbox) -> None:
    from cwdesk.automate import AsyncAutomateClient
    from cwdesk.manage.client import AsyncManageClient

    reset_throttles()
    async with AsyncManageClient(**sandbox.manage_credentials, transport=sandbox.async_transport()) as cw:
        companies = await cw.operations.query("getCompanyCompanies", page_size=2)
        assert len(companies) == len({c["id"] for c in companies}) > 2
    async with AsyncAutomateClient(**sandbox.automate_credentials, transport=sandbox.async_transport()) as cwa:
        clients = await cwa.operations.query("Clients_GetClientList", page_size=2)
        assert [c["Name"] for c in clients] == [c.name for c in await cwa.clients.list()]
