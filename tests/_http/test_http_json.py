"""Answers are parsed fast (orjson) yet accept everything Python's json does, and bad bodies get a clear error."""

from __future__ import annotations

import gc

import httpx
import pytest

from cwdesk._http.core import decode_json
from cwdesk.errors import UnexpectedResponseError


def _answer(body: bytes, content_type: str = "application/json; charset=utf-8", status: int = 200) -> httpx.Response:
    request = httpx.Request("GET", "https://cw.example/v4_6_release/apis/3.0/company/companies")
    return httpx.Response(status, content=body, headers={"content-type": content_type}, request=request)


def test_a_page_is_parsed_and_the_collector_is_back_on() -> None:
    assert decode_json(_answer(b'[{"id": 1, "name": "Acme \\u00e9"}]')) == [{"id": 1, "name": "Acme é"}]
    assert gc.isenabled()


def test_what_orjson_refuses_but_json_allows_still_parses() -> None:
    assert decode_json(_answer(b'{"id": 18446744073709551615}')) == {"id": 18446744073709551615}  # exact
    body = decode_json(_answer(b'{"rate": NaN}'))
    assert body["rate"] != body["rate"]  # NaN
    latin = '{"name": "Café"}'.encode("latin-1")
    assert decode_json(_answer(latin, "application/json; charset=latin-1")) == {"name": "Café"}


def test_no_body_is_none() -> None:
    assert decode_json(_answer(b"", status=204)) is None
    assert decode_json(_answer(b"")) is None


def test_a_body_that_is_not_json_says_so_with_the_url_and_type() -> None:
    with pytest.raises(UnexpectedResponseError, match=r"not JSON \(text/html\)") as caught:
        decode_json(_answer(b"<html>Service Unavailable</html>", "text/html"))
    assert "company/companies" in str(caught.value)
    assert gc.isenabled()
