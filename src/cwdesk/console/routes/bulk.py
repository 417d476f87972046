"""The bulk operations panel's action (C4): start a W2 bulk contact update as a server-side job.

The workflow checks the field and value (``parse_assignments``) and plans one step per contact of the selected
companies (``plan_bulk_contacts``, reads only); the job is stored and started on its own thread, and the panel
follows it over server-sent events (``routes/jobs.py``). Closing the browser does not stop it.
Not for: what a bulk update does (``cwdesk.workflows.bulk_contacts``).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from cwdesk.console.answers import failure, ok, refused
from cwdesk.console.pages import connections_of
from cwdesk.console.routes.jobs import run_in_background
from cwdesk.console.security import Principal, RequestRefused, audit, check_sizes, read_json_body, require
from cwdesk.errors import CWDeskError
from cwdesk.workflows import bulk_contacts as bulk
from cwdesk.workflows import jobs

router = APIRouter()

# At most this many companies per bulk update from the panel (issue 14 item 7: 200,000 ids took 9.6 s and 250 MB);
# larger runs belong to ``cwdesk bulk`` with ``--where``, which pages through ConnectWise.
MAX_COMPANY_IDS = 5_000

# The workflow names problems as the CLI's options do; the panel's fields have their own names.
_FORM_FIELD = {"--companies": "company_ids", "--companies/--where": "company_ids", "--filter": "contact_filter"}


def _panel_answer(error: CWDeskError, fields: tuple[str, ...]) -> Response:
    answer = failure(error)
    problems = getattr(error, "problems", None)
    if problems is None:
        return answer
    errors: dict[str, str] = {}
    for problem in problems:
        name = _FORM_FIELD.get(problem.field) or ("value" if problem.field in fields else "field")
        errors[name] = problem.message
    return refused(f"{len(errors)} problem(s) to fix; nothing was sent to ConnectWise.", errors=errors)


@router.post("/bulk")
async def start_bulk_update(
    request: Request, principal: Annotated[Principal, Depends(require("operator"))]
) -> Response:
    """Body (JSON): ``company_ids``, ``contact_filter`` (all|primary|active), ``field``, ``value``."""
    try:
        body = await read_json_body(request, what="The bulk update")
    except RequestRefused as problem:
        return refused(str(problem), status_code=problem.status)
    if not isinstance(body, dict):
        return refused("The panel sent no request: reload the page and try again.")
    raw_ids = body.get("company_ids") or []
    if isinstance(raw_ids, list) and len(raw_ids) > MAX_COMPANY_IDS:
        message = f"{len(raw_ids):,} companies are selected; the panel updates at most {MAX_COMPANY_IDS:,} at once."
        return refused(message, errors={"company_ids": f"select at most {MAX_COMPANY_IDS:,} companies"})
    if not isinstance(raw_ids, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in raw_ids):
        return refused("The selection is not a list of company ids.", errors={"company_ids": "select companies"})
    try:
        check_sizes({key: body.get(key) for key in ("field", "value", "contact_filter")})
    except RequestRefused as problem:
        return refused(str(problem), errors={problem.field: str(problem)})
    if not raw_ids:
        return refused("Select at least one company.", errors={"company_ids": "select at least one company"})
    field, value = str(body.get("field") or ""), str(body.get("value") or "")
    if not field:
        return refused("Choose a field.", errors={"field": "choose a field"})
    contact_filter = str(body.get("contact_filter") or "all")
    detail: dict[str, Any] = {"companies": len(raw_ids), "filter": contact_filter, "field": field, "value": value}
    manage = connections_of(request).manage
    engine = request.app.state.engine

    def create() -> tuple[int, str]:
        changes = bulk.parse_assignments(manage, [f"{field}={value}"])
        plan = bulk.plan_bulk_contacts(manage, changes=changes, company_ids=raw_ids, contact_filter=contact_filter)
        return jobs.start_job(engine, plan, client=manage, created_by=principal.username), str(plan.title)

    try:
        job_id, title = await run_in_threadpool(create)
    except CWDeskError as error:
        audit(request, principal, "bulk contact update", detail=detail, result="error", message=str(error)[:500])
        return _panel_answer(error, tuple(bulk.FIELDS))
    run_in_background(request, job_id, bulk.KIND)
    audit(request, principal, "bulk contact update", target=f"job {job_id}", detail=detail, result="ok",
          message=title)  # fmt: skip
    return ok(f"Job {job_id} started: {title}.", job_id=job_id, url=f"/jobs/{job_id}")
