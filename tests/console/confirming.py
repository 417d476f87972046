"""How a test confirms a destructive console action as a person does: read the preview, send its token back."""

from __future__ import annotations

import re
from typing import Any

_CONFIRMATION = re.compile(r'name="confirmation" value="([^"]*)"')


def confirmation_on(html: str) -> str:
    """The confirmation token in a page's confirm form (the rollback page, the job page's cancel dialog)."""
    found = _CONFIRMATION.search(html)
    assert found and found.group(1), "the page has no confirm form"
    return found.group(1)


def confirmed_bulk(browser: Any, body: dict[str, Any]) -> Any:
    """Preview a bulk update (``POST /bulk/preview``), then start it with the preview's token."""
    preview = browser.change("/bulk/preview", json=body)
    assert preview.status_code == 200, preview.text
    return browser.change("/bulk", json={**body, "confirmation": preview.json()["preview"]["confirmation"]})


def confirmed_rollback(browser: Any, job_id: int) -> Any:
    """Open the rollback preview page and press its Roll back button."""
    token = confirmation_on(browser.page(f"/jobs/{job_id}/rollback").text)
    return browser.change(f"/jobs/{job_id}/rollback", json={"confirmation": token})


def confirmed_cancel(browser: Any, job_id: int) -> Any:
    """Open the job page's Cancel dialog and press its Cancel the job button."""
    token = confirmation_on(browser.page(f"/jobs/{job_id}").text)
    return browser.change(f"/jobs/{job_id}/cancel", json={"confirmation": token})


def confirmed_primary(browser: Any, contact_id: int) -> Any:
    """Press "Set as primary…", read its dialog's preview, and confirm it."""
    preview = browser.get(f"/contacts/{contact_id}/primary/preview", headers={"accept": "application/json"})
    assert preview.status_code == 200, preview.text
    token = preview.json()["preview"]["confirmation"]
    return browser.change(f"/contacts/{contact_id}/primary", data={"confirmation": token})


def confirmed_form(browser: Any, url: str, data: dict[str, str]) -> Any:
    """Post a users-page form, then press the confirm page's button it answers with (the same fields + token)."""
    page = browser.change(url, data=data, headers={"accept": "text/html"})
    assert page.status_code == 200 and 'id="confirm-form"' in page.text, page.text
    return browser.change(url, data={**data, "confirmation": confirmation_on(page.text)})


def confirmed_onboarding(browser: Any, plan: dict[str, Any]) -> Any:
    """Go to the wizard's Review step (the dry run), then press Onboard with the review's token."""
    review = browser.change("/onboarding/review", json={"plan": plan})
    assert review.status_code == 200, review.text
    return browser.change("/onboarding", json={"plan": plan, "confirmation": review.json()["confirmation"]})
