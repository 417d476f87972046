"""The public surface: the exception tree in ``cwdesk.errors`` (named ``cwdesk.<Name>`` in tracebacks), the root
exports of both SDKs, real ``cwdesk.manage`` / ``cwdesk.automate`` packages, and the old import path kept."""

from __future__ import annotations

import pickle
import subprocess
import sys
import traceback

import httpx
import pytest

import cwdesk
import cwdesk.automate
import cwdesk.errors
import cwdesk.manage
from cwdesk._http import errors as http_errors
from cwdesk.conditions import ConditionSyntaxError, parse
from cwdesk.workflows.jobs import JobBusy, JobError, JobNotFound, StepFailed


def test_every_public_error_lives_in_cwdesk_errors_and_is_exported_at_the_root() -> None:
    for name in cwdesk.errors.__all__:
        error_class = getattr(cwdesk.errors, name)
        assert getattr(cwdesk, name) is error_class
        assert error_class.__module__ == "cwdesk"
        assert name in cwdesk.__all__


def test_a_traceback_names_the_public_class() -> None:
    try:
        raise cwdesk.NotFoundError("no such company", status_code=404)
    except cwdesk.NotFoundError as error:
        text = "".join(traceback.format_exception(error))
    assert "cwdesk.NotFoundError: 404: no such company" in text


def test_the_old_private_import_path_gives_the_same_classes() -> None:
    for name in cwdesk.errors.__all__:
        assert getattr(http_errors, name) is getattr(cwdesk.errors, name)


def test_the_status_mapping_stays_private_and_builds_the_public_classes() -> None:
    assert not hasattr(cwdesk.errors, "error_from_response")
    answer = httpx.Response(400, json={"code": "InvalidObject", "message": "bad", "errors": [{"field": "name"}]})
    error = http_errors.error_from_response(answer)
    assert type(error) is cwdesk.InvalidObjectError
    assert isinstance(error, cwdesk.BadRequestError) and isinstance(error, cwdesk.CWDeskError)


def test_field_errors_pickle_by_their_public_name() -> None:
    field = cwdesk.FieldError(code="ObjectExists", field="identifier")
    assert pickle.loads(pickle.dumps(field)) == field


def test_a_condition_syntax_error_is_a_configuration_error_and_still_a_value_error() -> None:
    with pytest.raises(ConditionSyntaxError) as info:
        parse("name = ")
    assert isinstance(info.value, cwdesk.ConfigurationError)
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, cwdesk.CWDeskError)


def test_job_errors_and_step_failures_are_cwdesk_errors() -> None:
    for error_class in (JobError, JobNotFound, JobBusy, StepFailed):
        assert issubclass(error_class, cwdesk.CWDeskError)
    assert StepFailed("the company is gone", data={"id": 1}).data == {"id": 1}


def test_both_sdks_and_their_credentials_are_exported_at_the_root() -> None:
    from cwdesk.automate.client import AsyncAutomateClient, AutomateClient
    from cwdesk.automate.credentials import AutomateCredentials
    from cwdesk.config import ManageCredentials
    from cwdesk.manage.client import AsyncManageClient, ManageClient

    assert cwdesk.AutomateClient is AutomateClient and cwdesk.AsyncAutomateClient is AsyncAutomateClient
    assert cwdesk.ManageClient is ManageClient and cwdesk.AsyncManageClient is AsyncManageClient
    assert cwdesk.AutomateCredentials is AutomateCredentials and cwdesk.ManageCredentials is ManageCredentials
    for name in cwdesk.__all__:
        assert hasattr(cwdesk, name), name


def test_the_manage_and_automate_packages_export_what_they_list() -> None:
    for package in (cwdesk.manage, cwdesk.automate):
        assert package.__all__
        for name in package.__all__:
            assert hasattr(package, name), f"{package.__name__}.{name}"
    assert cwdesk.manage.ManageClient is cwdesk.ManageClient
    assert cwdesk.manage.Company.__name__ == "Company"
    assert cwdesk.automate.AutomateClient is cwdesk.AutomateClient


@pytest.mark.parametrize("module", ["cwdesk.manage.client", "cwdesk.automate.client", "cwdesk.errors"])
def test_each_sdk_module_imports_on_its_own_in_a_fresh_process(module: str) -> None:
    # A cycle through cwdesk/__init__.py (the version used to be read from there) shows only in a fresh process.
    done = subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


def test_the_version_comes_from_one_place() -> None:
    from cwdesk._version import __version__

    assert cwdesk.__version__ == __version__
