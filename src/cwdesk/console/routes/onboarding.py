"""The onboarding wizard (C5): six steps in the browser, then the W1 job on the server.

The page's lookups (statuses, types, boards, agreement types, priorities, time zones) are read from ConnectWise.
The review step asks the workflow for a dry run (``onboarding.onboard(..., dry_run=True)``), which validates the
whole plan and lists every call it would make, with a confirmation token for that plan (``console.confirmations``);
the wizard also asks it when the user leaves a step, and shows that step's problems. Submitting needs the token
(a plan edited after the review is refused until reviewed again), checks the plan again, stores it as a job and
runs it in the background; the browser then follows the job page (progress, and resume / roll back after a
failure).
Not for: the rules of onboarding (``cwdesk.workflows.onboarding``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from cwdesk.console.answers import failure, ok, refused
from cwdesk.console.confirmations import CONFIRMATION_FIELD, Preview, is_confirmed
from cwdesk.console.pages import connections_of, render
from cwdesk.console.routes.jobs import run_in_background
from cwdesk.console.security import Principal, RequestRefused, audit, check_sizes, read_json_body, require
from cwdesk.errors import CWDeskError
from cwdesk.manage.client import ManageClient
from cwdesk.manage.resources.collection import Collection
from cwdesk.workflows import client_records as records
from cwdesk.workflows import jobs, onboarding

router = APIRouter()

# (what the page calls it, what the workflow calls it, the SDK resource): the same lists the workflow checks against.
LOOKUPS: tuple[tuple[str, str, Callable[[ManageClient], Collection[Any]]], ...] = (
    ("statuses", "company status", lambda cw: cw.company_statuses),
    ("types", "company type", lambda cw: cw.company_types),
    ("boards", "service board", lambda cw: cw.boards),
    ("agreement_types", "agreement type", lambda cw: cw.agreement_types),
    ("priorities", "priority", lambda cw: cw.priorities),
    ("time_zones", "time zone", lambda cw: cw.time_zones),
)


def _names(manage: ManageClient, what: str, resource: Callable[[ManageClient], Collection[Any]]) -> list[str]:
    """The names in one lookup list; empty when this ConnectWise offers no such list (or cannot be read)."""
    try:
        lookup = records.lookup(what, resource(manage))
    except CWDeskError:
        return []
    return sorted(lookup.names, key=str.lower) if lookup is not None else []


@router.get("/onboarding", response_class=HTMLResponse)
def wizard(request: Request, principal: Annotated[Principal, Depends(require("viewer"))]) -> Response:
    manage = connections_of(request).manage
    lookups = {key: _names(manage, what, resource) for key, what, resource in LOOKUPS}
    return render(
        request,
        "onboarding.html",
        principal,
        lookups=lookups,
        today=datetime.now(UTC).date().isoformat(),
    )


async def _plan_from(request: Request) -> dict[str, Any] | Response:
    """The submitted plan, or the answer refusing it: not JSON, nested too deep, a value or list too long (the
    bounds are ``security.check_sizes``'s; issue 14 items 7 and 8)."""
    try:
        body = await read_json_body(request, what="The onboarding plan")
        plan = body.get("plan") if isinstance(body, dict) else None
        if isinstance(plan, dict):
            check_sizes(plan)
    except RequestRefused as problem:
        errors = {problem.field: str(problem)} if problem.field else None
        return refused(str(problem), status_code=problem.status, errors=errors)
    if not isinstance(plan, dict):
        return refused("The wizard sent no plan: reload the page and try again.")
    return plan


@router.post("/onboarding/review")
async def review(request: Request, principal: Annotated[Principal, Depends(require("operator"))]) -> Response:
    """Validate the plan and list every call the job would make (a dry run: nothing is written)."""
    plan = await _plan_from(request)
    if isinstance(plan, Response):
        return plan
    manage = connections_of(request).manage
    try:
        result = await run_in_threadpool(lambda: onboarding.onboard(None, manage, plan, dry_run=True))
    except CWDeskError as error:
        return failure(error)
    calls = [{"method": c.method, "path": c.path, "body": dict(c.body), "step": c.step_key} for c in result.calls]
    preview = onboarding_preview_of(plan, len(calls))
    return ok(f"{len(calls)} calls will be made.", calls=calls, notes=list(result.notes),
              confirmation=preview.token(principal))  # fmt: skip


def onboarding_preview_of(plan: dict[str, Any], calls: int = 0) -> Preview:
    """The review's facts are the plan as reviewed: the Onboard button sends its token, and a plan edited after the
    review (the company name fixed in step 1, say) is refused until it is reviewed again."""
    company = plan.get("company") if isinstance(plan.get("company"), dict) else {}
    name = str((company or {}).get("name") or "the client")
    return Preview(action="onboard client", subject=name, title=f"Onboard {name}", facts=plan,
                   lines=[f"{calls} calls will be made."], confirm_label="Onboard")  # fmt: skip


@router.post("/onboarding")
async def submit(request: Request, principal: Annotated[Principal, Depends(require("operator"))]) -> Response:
    """Check the plan again, store it as a job and start it; the answer names the job to follow."""
    plan = await _plan_from(request)
    if isinstance(plan, Response):
        return plan
    manage = connections_of(request).manage
    company_section = plan.get("company")
    company: dict[str, Any] = company_section if isinstance(company_section, dict) else {}
    target = f"{company.get('name', '')} ({company.get('identifier', '')})"
    body = await read_json_body(request, what="The onboarding plan")  # (read and checked by _plan_from)
    given = body.get(CONFIRMATION_FIELD) if isinstance(body, dict) else None
    if not is_confirmed(onboarding_preview_of(plan), principal, given if isinstance(given, str) else None):
        # The wizard's Review step hands out the token: without it, or for another plan, back to Review.
        if given:
            message = "Nothing was sent: the plan changed since the Review step. Check the review again, then Onboard."
            return refused(message, status_code=409)
        return refused("Nothing was sent: review the plan first (the Review step lists every call), then Onboard.")

    def create() -> int:
        checked = onboarding.check_onboarding(manage, plan)
        job_plan = onboarding.plan_onboarding(checked)
        return jobs.start_job(request.app.state.engine, job_plan, client=manage, created_by=principal.username)

    try:
        job_id = await run_in_threadpool(create)
    except CWDeskError as error:
        audit(request, principal, "onboard client", target=target, detail=plan, result="error", message=str(error))
        return failure(error)
    run_in_background(request, job_id, onboarding.KIND)
    audit(request, principal, "onboard client", target=target, detail={"job": job_id}, result="ok",
          message=f"job {job_id} started")  # fmt: skip
    return ok(f"Onboarding started as job {job_id}.", job_id=job_id, url=f"/jobs/{job_id}")
