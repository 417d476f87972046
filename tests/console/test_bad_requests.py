"""Malformed input answers 400 with what is wrong, never a 500 (issue 14, item 8): ids of 2**63 and up, ids that
are not numbers. Nothing reaches ConnectWise."""

from __future__ import annotations

from typing import Any

import pytest

from cwdesk.sandbox import Sandbox


@pytest.mark.parametrize(
    "path", ["/jobs/9223372036854775808", "/jobs/0", "/jobs/twelve", "/clients/18446744073709551616/panel"]
)
def test_an_id_out_of_range_or_not_a_number_is_400_on_a_page(sign_in: Any, path: str) -> None:
    viewer = sign_in("viewer")
    answer = viewer.get(path, headers={"accept": "text/html"})
    assert answer.status_code == 400, answer.text[:300]
    assert "This request is not valid" in answer.text


def test_a_change_with_an_id_of_2_to_the_63_is_400_and_sends_nothing(sign_in: Any, console_sandbox: Sandbox) -> None:
    operator = sign_in("operator")
    console_sandbox.clear_requests()
    answer = operator.change("/contacts/9223372036854775808/primary")
    assert answer.status_code == 400
    body = answer.json()
    assert body["ok"] is False and "contact_id" in body["message"]
    assert [r for r in console_sandbox.requests if r.method != "GET"] == []
    assert operator.change("/jobs/9223372036854775807/cancel").status_code == 404  # the largest id is only unknown
