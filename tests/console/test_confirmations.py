"""Nothing destructive happens in one unconfirmed request (issue 15 §2): each destructive console POST without its
preview's confirmation token is refused and touches nothing; with it, it runs exactly once (the sandbox's
request log, the store and the audit log say so)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from cwdesk.manage.client import ManageClient
from cwdesk.sandbox import Sandbox
from cwdesk.workflows.jobs import get_job, plan_rollback

from .confirming import (
    confirmation_on,
    confirmed_cancel,
    confirmed_form,
    confirmed_onboarding,
    confirmed_primary,
    confirmed_rollback,
)
from .test_panels import PLAN, sse_events

# Every POST route of the console, and why it is or is not one that asks first. A new route must be added here:
# the test below fails until someone decides.
ASKS_FIRST = {
    "/bulk": "bulk contact update: preview with counts and before -> after (POST /bulk/preview)",
    "/onboarding": "creates a client: the Review step's dry run hands out the token",
    "/jobs/{job_id}/rollback": "deletes / puts back records: the rollback page",
    "/jobs/{job_id}/cancel": "stops a job: the job page's dialog",
    "/contacts/{contact_id}/primary": "changes primaries and the company's default contact: its dialog",
    "/users/{username}/disabled": "locks a user out (enabling does not ask): a confirm page",
    "/users/{username}/role": "changes what a user may do: a confirm page",
    "/settings/tokens/{token_id}/revoke": "stops whatever uses the token: a confirm page",
    "/automate/clients/{client_id}": "edits an Automate client: the dry run's before -> after dialog (confirm=yes)",
    "/automate/clients/{client_id}/locations": "adds a location: the dry run's dialog (confirm=yes)",
    "/automate/clients/{client_id}/extra-fields": "sets EDFs: the dry run's before -> after dialog (confirm=yes)",
    "/automate/clients/{client_id}/groups/add": "moves computers into a group: the dry run's dialog (confirm=yes)",
    "/automate/clients/{client_id}/groups/remove": "takes computers out of a group: the dry run's dialog (confirm=yes)",
}
DOES_NOT_ASK = {
    "/signin": "signing in", "/signin/link": "signing in (the link's own page asks)", "/signout": "signing out",
    "/account/password": "your own password, typed twice", "/users": "adds a user (nothing is removed)",
    "/users/{username}/signin-link": "issues a link (nothing is removed)",
    "/clients/{company_id}": "the edit dialog's Save is the confirmation of a single-record edit it shows",
    "/clients/{company_id}/contacts": "adds a contact (nothing is removed)",
    "/contacts/{contact_id}": "the edit dialog's Save is the confirmation of a single-record edit it shows",
    "/jobs/{job_id}/resume": "runs the rest of a job whose plan was confirmed when it started",
    "/bulk/preview": "reads only", "/onboarding/review": "reads only (the dry run)",
    "/settings/tokens": "makes a token (nothing is removed; its secret is shown once)",
}  # fmt: skip


def manage_of(sandbox: Sandbox) -> ManageClient:
    return ManageClient(**sandbox.manage_credentials, transport=sandbox.transport())


def _writes(sandbox: Sandbox) -> list[str]:
    return [f"{r.method} {r.path.split('/apis/3.0', 1)[-1]}" for r in sandbox.requests if r.method != "GET"]


def _audit(console: FastAPI, action: str) -> list[str]:
    return [e.result for e in console.state.accounts.audit_entries() if e.action == action]


def test_every_post_route_is_known_to_ask_first_or_why_not(console: FastAPI) -> None:
    from tests.security.test_console_routes import mutating_routes  # the security tests' enumeration

    posts = {path for _method, path in mutating_routes(console)}
    assert len(posts) >= 15  # a broken enumeration would make this pass vacuously
    assert posts == set(ASKS_FIRST) | set(DOES_NOT_ASK), posts ^ (set(ASKS_FIRST) | set(DOES_NOT_ASK))


def _failed_onboarding(operator: Any, sandbox: Sandbox) -> int:
    sandbox.faults.fail_next(method="POST", path_contains="/finance/agreements", status=400, count=1)
    job_id = int(confirmed_onboarding(operator, PLAN).json()["job_id"])
    assert next(data for name, data in sse_events(operator, job_id) if name == "end")["state"] == "failed"
    return job_id


def test_rollback_without_its_token_deletes_nothing_and_with_it_deletes_each_record_once(
    sign_in: Any, console: FastAPI, console_sandbox: Sandbox
) -> None:
    operator = sign_in("operator")
    job_id = _failed_onboarding(operator, console_sandbox)
    planned = plan_rollback(get_job(console.state.engine, job_id))
    console_sandbox.clear_requests()
    for body in ({}, {"confirm": "yes"}, {"confirmation": "f" * 64}):
        answer = operator.change(f"/jobs/{job_id}/rollback", json=body)
        assert answer.status_code in (400, 409) and answer.json()["message"].startswith("Nothing changed")
    assert _writes(console_sandbox) == []
    assert get_job(console.state.engine, job_id).summary.state.value == "failed"

    assert confirmed_rollback(operator, job_id).status_code == 200
    assert next(data for name, data in sse_events(operator, job_id) if name == "end")["state"] == "rolled_back"
    deletes = [w for w in _writes(console_sandbox) if w.startswith("DELETE ")]
    assert len(deletes) == len(set(deletes)) == len(planned.delete)
    assert _audit(console, "roll back job") == ["ok"]


def test_a_rollback_preview_gone_stale_is_refused(sign_in: Any, console: FastAPI, console_sandbox: Sandbox) -> None:
    operator = sign_in("operator")
    job_id = _failed_onboarding(operator, console_sandbox)
    token = confirmation_on(operator.page(f"/jobs/{job_id}/rollback").text)
    # The job is resumed after the preview was drawn: the rollback would now undo more than it showed.
    assert operator.change(f"/jobs/{job_id}/resume").status_code == 200
    assert next(data for name, data in sse_events(operator, job_id) if name == "end")["state"] == "succeeded"
    console_sandbox.clear_requests()
    stale = operator.change(f"/jobs/{job_id}/rollback", json={"confirmation": token})
    assert stale.status_code == 409 and "changed since the preview" in stale.json()["message"]
    assert _writes(console_sandbox) == []


def test_cancel_without_its_token_changes_nothing_and_with_it_cancels_once(
    sign_in: Any, console: FastAPI, console_sandbox: Sandbox
) -> None:
    operator = sign_in("operator")
    job_id = _failed_onboarding(operator, console_sandbox)
    assert operator.change(f"/jobs/{job_id}/cancel").status_code == 400
    assert get_job(console.state.engine, job_id).summary.state.value == "failed"
    page = operator.page(f"/jobs/{job_id}").text
    assert 'id="cancel-dialog"' in page and "Steps already done stay done" in page
    assert confirmed_cancel(operator, job_id).status_code == 200
    assert get_job(console.state.engine, job_id).summary.state.value == "cancelled"
    assert _audit(console, "cancel job") == ["ok"]


def test_set_primary_without_its_token_changes_nothing_and_with_it_runs_once(
    sign_in: Any, console: FastAPI, console_sandbox: Sandbox
) -> None:
    operator = sign_in("operator")
    cw = manage_of(console_sandbox)
    other = next(c for c in cw.contacts.list(where="company/id = 1") if not c.default_flag)
    console_sandbox.clear_requests()
    refused = operator.change(f"/contacts/{other.id}/primary")
    assert refused.status_code == 400 and refused.json()["preview"]["lines"]
    assert _writes(console_sandbox) == [] and operator.get("/api/jobs").json() == []

    preview = operator.get(f"/contacts/{other.id}/primary/preview").json()["preview"]
    assert any("primary" in line for line in preview["lines"])
    assert confirmed_primary(operator, other.id).json()["ok"]
    assert [c.id for c in cw.contacts.list(where="company/id = 1") if c.default_flag] == [other.id]
    assert len(operator.get("/api/jobs").json()) == 1
    assert _audit(console, "set primary contact") == ["ok"]


def test_set_primary_refuses_a_preview_made_before_someone_else_changed_the_primaries(
    sign_in: Any, console_sandbox: Sandbox
) -> None:
    operator = sign_in("operator")
    cw = manage_of(console_sandbox)
    contacts = list(cw.contacts.list(where="company/id = 1"))
    first, second = [c for c in contacts if not c.default_flag][:2]
    token = operator.get(f"/contacts/{first.id}/primary/preview").json()["preview"]["confirmation"]
    assert confirmed_primary(operator, second.id).json()["ok"]  # the primary moves in between
    console_sandbox.clear_requests()
    stale = operator.change(f"/contacts/{first.id}/primary", data={"confirmation": token})
    assert stale.status_code == 409
    assert _writes(console_sandbox) == []


def test_disabling_a_user_answers_a_confirm_page_first(sign_in: Any, console: FastAPI) -> None:
    admin, viewer = sign_in("admin"), sign_in("viewer")
    name = next(u.username for u in console.state.accounts.list_users() if u.role == "viewer")
    page = admin.change(f"/users/{name}/disabled", data={"disabled": "true"}, headers={"accept": "text/html"})
    assert page.status_code == 200 and 'id="confirm-form"' in page.text and "signed out of every session" in page.text
    assert not next(u for u in console.state.accounts.list_users() if u.username == name).disabled
    assert viewer.get("/api/clients").status_code == 200  # still signed in
    assert confirmed_form(admin, f"/users/{name}/disabled", {"disabled": "true"}).status_code == 200
    assert next(u for u in console.state.accounts.list_users() if u.username == name).disabled
    assert viewer.get("/api/clients").status_code == 401
    assert _audit(console, "disable user") == ["ok"]
    # Enabling again does not ask.
    assert admin.change(f"/users/{name}/disabled", data={"disabled": "false"}).status_code == 200
    assert not next(u for u in console.state.accounts.list_users() if u.username == name).disabled


def test_a_role_change_answers_a_confirm_page_first(sign_in: Any, console: FastAPI) -> None:
    admin, _operator = sign_in("admin"), sign_in("operator")
    name = next(u.username for u in console.state.accounts.list_users() if u.role == "operator")
    page = admin.change(f"/users/{name}/role", data={"role": "viewer"})
    assert 'id="confirm-form"' in page.text and f"{name} is operator now" in page.text
    assert next(u for u in console.state.accounts.list_users() if u.username == name).role == "operator"
    confirmed = confirmed_form(admin, f"/users/{name}/role", {"role": "viewer"})
    assert confirmed.status_code == 200 and f"{name} is now viewer" in confirmed.text
    assert next(u for u in console.state.accounts.list_users() if u.username == name).role == "viewer"
    # A token for operator -> viewer does not confirm viewer -> admin.
    token = confirmation_on(page.text)
    again = admin.change(f"/users/{name}/role", data={"role": "admin", "confirmation": token})
    assert 'id="confirm-form"' in again.text
    assert next(u for u in console.state.accounts.list_users() if u.username == name).role == "viewer"


def test_onboarding_without_the_review_token_creates_nothing_and_with_it_creates_once(
    sign_in: Any, console_sandbox: Sandbox
) -> None:
    operator = sign_in("operator")
    console_sandbox.clear_requests()
    refused = operator.change("/onboarding", json={"plan": PLAN})
    assert refused.status_code == 400 and "review the plan first" in refused.json()["message"]
    token = operator.change("/onboarding/review", json={"plan": PLAN}).json()["confirmation"]
    # The company's name is fixed after the review: the token was for the other plan.
    fixed = {**PLAN, "company": {**PLAN["company"], "name": "Quartz Labs Inc"}}
    changed = operator.change("/onboarding", json={"plan": fixed, "confirmation": token})
    assert changed.status_code == 409 and "changed since the Review" in changed.json()["message"]
    assert _writes(console_sandbox) == [] and operator.get("/api/jobs").json() == []

    started = confirmed_onboarding(operator, PLAN)
    assert started.status_code == 200, started.text
    assert next(data for name, data in sse_events(operator, started.json()["job_id"]) if name == "end")["ok"] > 0
    assert _writes(console_sandbox).count("POST /company/companies") == 1
