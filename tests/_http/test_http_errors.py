"""M7: one mapping from an answer to an exception, with code, message, field errors, request id, redacted URL."""

from __future__ import annotations

import httpx
import pytest

from cwdesk._http.errors import error_from_response, redact_url
from cwdesk.errors import (
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    ConditionError,
    ConflictError,
    InvalidObjectError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
)


def _answer(
    status: int, body: object = None, *, text: str | None = None, headers: dict[str, str] | None = None
) -> httpx.Response:
    request = httpx.Request(
        "GET", "https://user:pw@api.example.com/apis/3.0/company/companies?conditions=id%3D1&token=abc"
    )
    if text is not None:
        return httpx.Response(status, text=text, headers=headers, request=request)
    return httpx.Response(status, json=body, headers=headers, request=request)


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (409, ConflictError),
        (429, RateLimitError),
        (500, ServerError),
        (503, ServerError),
        (418, APIStatusError),
    ],
)
def test_each_status_maps_to_its_class(status: int, cls: type[APIStatusError]) -> None:
    error = error_from_response(_answer(status, {"code": "X", "message": "m"}))
    assert type(error) is cls
    assert error.status_code == status


def test_connectwise_codes_refine_a_400() -> None:
    invalid = error_from_response(
        _answer(
            400,
            {
                "code": "InvalidObject",
                "message": "Company object is invalid",
                "errors": [
                    {
                        "code": "ObjectExists",
                        "message": "The identifier already exists",
                        "resource": "company",
                        "field": "identifier",
                    }
                ],
            },
        )
    )
    assert isinstance(invalid, InvalidObjectError)
    assert invalid.code == "InvalidObject"
    assert invalid.errors[0].field == "identifier"
    assert invalid.errors[0].code == "ObjectExists"
    assert "company.identifier: The identifier already exists (ObjectExists)" in str(invalid)
    condition = error_from_response(
        _answer(400, {"code": "ApiFindCondition", "message": "foo is not a recognized name."})
    )
    assert isinstance(condition, ConditionError)


def test_error_carries_request_id_and_a_redacted_url() -> None:
    error = error_from_response(_answer(404, {"code": "NotFound", "message": "gone"}, headers={"X-Request-Id": "r-17"}))
    assert error.request_id == "r-17"
    assert "user" not in error.url and "pw@" not in error.url
    assert "token=***" in error.url and "abc" not in error.url
    assert "conditions=id%3D1" in error.url or "conditions=id=1" in error.url
    assert "r-17" in str(error)


def test_401_names_the_usual_causes() -> None:
    error = error_from_response(
        _answer(401, {"code": "Unauthorized", "message": "Unauthorized"}), unauthorized_hint="check clientId"
    )
    assert isinstance(error, AuthenticationError)
    assert "check clientId" in error.message


def test_a_non_json_error_body_becomes_the_message() -> None:
    error = error_from_response(_answer(502, text="<html>Bad gateway</html>"))
    assert isinstance(error, ServerError)
    assert "Bad gateway" in error.message


def test_automate_error_shape_is_understood() -> None:
    error = error_from_response(
        _answer(400, {"Message": "The request is invalid.", "ModelState": {"Name": ["Required"]}})
    )
    assert error.message == "The request is invalid."
    assert error.errors[0].field == "Name"


def test_redact_url_hides_secret_looking_parameters() -> None:
    assert redact_url("https://a:b@h.example/x?password=p&page=2") == "https://h.example/x?password=***&page=2"
