"""Settings > API tokens in headless Chromium: an admin makes a token, copies its secret from the page once, and it
is gone after a reload; revoking it from the table marks it revoked (issue 17)."""

from __future__ import annotations

from typing import Any

import pytest

from cwdesk.store.tokens import SECRET_PREFIX, Tokens

pytestmark = pytest.mark.browser


def test_an_admin_makes_a_token_sees_the_secret_once_and_revokes_it(signed_in_page: Any, console_server: Any) -> None:
    page = signed_in_page
    page.goto(console_server.base_url + "/settings")
    page.click("#api-tokens-link a")
    page.wait_for_url("**/settings/tokens")
    page.fill('#add-token-form input[name="name"]', "claude-desktop")
    page.select_option('#add-token-form select[name="role"]', "operator")
    page.click('#add-token-form button[type="submit"]')
    page.wait_for_selector("#token-secret")
    secret = page.input_value("#token-secret")
    assert secret.startswith(SECRET_PREFIX)
    tokens = Tokens(console_server.app.state.engine)
    found = tokens.verify(secret, "api")
    assert found is not None and found.role == "operator"

    page.goto(console_server.base_url + "/settings/tokens")
    assert page.locator("#token-secret").count() == 0
    assert secret not in page.content()
    row = page.locator(f'tr[data-token="{found.id}"]')
    assert "operator" in row.inner_text() and "active" in row.inner_text()

    row.locator('button:has-text("Revoke")').click()
    page.wait_for_selector("#confirm-page")  # asks first, saying what stops working
    assert tokens.verify(secret, "api") is not None
    page.click("#confirm-submit")
    page.wait_for_selector("#tokens-message")
    assert "revoked" in page.locator(f'tr[data-token="{found.id}"]').inner_text()
    assert tokens.verify(secret, "api") is None
