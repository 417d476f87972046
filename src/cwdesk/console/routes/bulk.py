"""The bulk operations panel's actions (C4): preview a W2 bulk contact update, then start it as a job once confirmed.

``POST /bulk/preview`` plans the update from the real data (``plan_bulk_contacts``: reads only) and answers what it
will do: how many contacts in how many companies will change, how many already hold the value, and the records
with their before -> after values, a page at a time; with it comes a confirmation token (``confirmations``) over
the plan's facts (every contact, its before-value, whether it already holds the value). ``POST /bulk`` plans again
and starts the job only when the token matches: without one it is refused (400), and when the contacts changed
since the preview (another contact matches, a value was edited) it is refused (409) with the new preview, so the
job runs exactly what was previewed. The job runs on its own thread; the panel follows it over server-sent events
(``routes/jobs.py``), and closing the browser does not stop it.
Not for: what a bulk update does (``cwdesk.workflows.bulk_contacts``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from cwdesk.console.answers import failure, ok, refused
from cwdesk.console.confirmations import CONFIRMATION_FIELD, Preview, unconfirmed
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
#: Records per page of the preview (the panel asks for the next page; the job page lists every one).
PREVIEW_PAGE = 50

# The workflow names problems as the CLI's options do; the panel's fields have their own names.
_FORM_FIELD = {"--companies": "company_ids", "--companies/--where": "company_ids", "--filter": "contact_filter"}


@dataclass(frozen=True)
class BulkRequest:
    """What the panel asked for: the companies, which of their contacts, and the field and value to set."""

    company_ids: list[int]
    contact_filter: str
    field: str
    value: str
    confirmation: str | None
    offset: int

    def detail(self) -> dict[str, Any]:
        return {"companies": len(self.company_ids), "filter": self.contact_filter, "field": self.field,
                "value": self.value}  # fmt: skip


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


async def _bulk_request(request: Request) -> BulkRequest | Response:
    """The panel's request, or the answer refusing it (each problem by field)."""
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
        check_sizes({key: body.get(key) for key in ("field", "value", "contact_filter", CONFIRMATION_FIELD)})
    except RequestRefused as problem:
        return refused(str(problem), errors={problem.field: str(problem)})
    if not raw_ids:
        return refused("Select at least one company.", errors={"company_ids": "select at least one company"})
    field, value = str(body.get("field") or ""), str(body.get("value") or "")
    if not field:
        return refused("Choose a field.", errors={"field": "choose a field"})
    offset = body.get("offset") or 0
    token = body.get(CONFIRMATION_FIELD)
    return BulkRequest(
        company_ids=raw_ids,
        contact_filter=str(body.get("contact_filter") or "all"),
        field=field,
        value=value,
        confirmation=token if isinstance(token, str) and token else None,
        offset=offset if isinstance(offset, int) and not isinstance(offset, bool) and offset > 0 else 0,
    )


def _plan(request: Request, asked: BulkRequest) -> jobs.Plan:
    manage = connections_of(request).manage
    changes = bulk.parse_assignments(manage, [f"{asked.field}={asked.value}"])
    return bulk.plan_bulk_contacts(
        manage, changes=changes, company_ids=asked.company_ids, contact_filter=asked.contact_filter
    )


def _count(number: int, one: str, many: str) -> str:
    return f"{number:,} {one if number == 1 else many}"


def bulk_preview(plan: jobs.Plan) -> tuple[Preview, dict[str, Any]]:
    """What the plan will do, as the panel shows it, and the facts its confirmation token covers.

    The facts are every planned contact with the value it has now and whether it already holds the new one: any
    change to them between preview and confirm (a contact added, removed or edited) changes the token.
    """
    changes = list(plan.params.get("changes") or [])
    shown = ", ".join(f"{c['field']} = {c['shown']}" for c in changes)
    changing = [step for step in plan.steps if not step.params.get("already")]
    already = len(plan.steps) - len(changing)
    companies_changing = {step.params.get("company_id") for step in changing}
    companies_with_contacts = {step.params.get("company_id") for step in plan.steps}
    selected = len(plan.params.get("company_ids") or [])
    if changing:
        where = _count(len(companies_changing), "company", "companies")
        summary = f"{_count(len(changing), 'contact', 'contacts')} in {where} will change ({shown})"
        summary += f"; {already:,} already {'has' if already == 1 else 'have'} this value." if already else "."
    elif already:
        summary = f"Nothing will change: the {_count(already, 'contact', 'contacts')} already hold {shown}."
    else:
        summary = "No contact of the selected companies matches: nothing will change."
    lines = [summary]
    without = selected - len(companies_with_contacts)
    if without > 0:
        lines.append(f"{_count(without, 'selected company has', 'selected companies have')} no matching contact.")
    facts = {
        "changes": changes,
        "filter": plan.params.get("filter"),
        "company_ids": plan.params.get("company_ids"),
        "steps": [
            [step.key, step.params.get("before_values"), bool(step.params.get("already"))] for step in plan.steps
        ],
    }
    preview = Preview(
        action="bulk contact update",
        subject=shown,
        title=f"Set {shown} on {_count(len(changing), 'contact', 'contacts')}",
        facts=facts,
        lines=lines,
        confirm_label=f"Update {_count(len(changing), 'contact', 'contacts')}",
    )
    counts = {
        "will_change": len(changing),
        "already": already,
        "companies": len(companies_changing),
        "selected_companies": selected,
        "companies_without_contacts": max(without, 0),
    }
    return preview, {"counts": counts, "changing": changing}


def _rows(changing: list[jobs.Step], offset: int) -> list[dict[str, Any]]:
    rows = []
    for step in changing[offset : offset + PREVIEW_PAGE]:
        params = step.params
        changes = params.get("changes") or []
        before = params.get("before") or {}
        rows.append(
            {
                "contact_id": params.get("contact_id"),
                "contact": params.get("contact"),
                "company": params.get("company"),
                "company_id": params.get("company_id"),
                "before": ", ".join(f"{c['field']} = {before.get(c['api_field']) or '(empty)'}" for c in changes),
                "after": ", ".join(f"{c['field']} = {c['shown']}" for c in changes),
            }
        )
    return rows


def _preview_body(principal: Principal, preview: Preview, shaped: dict[str, Any], offset: int) -> dict[str, Any]:
    changing: list[jobs.Step] = shaped["changing"]
    shown_to = min(offset + PREVIEW_PAGE, len(changing))
    return {
        "preview": preview.as_dict(principal),
        "counts": shaped["counts"],
        "rows": _rows(changing, offset),
        "offset": offset,
        "page_size": PREVIEW_PAGE,
        "more": max(len(changing) - shown_to, 0),
    }


@router.post("/bulk/preview")
async def preview_bulk_update(
    request: Request, principal: Annotated[Principal, Depends(require("operator"))]
) -> Response:
    """Body (JSON): as ``POST /bulk``, plus ``offset`` (the page of records). Reads only: nothing is changed."""
    asked = await _bulk_request(request)
    if isinstance(asked, Response):
        return asked
    try:
        plan = await run_in_threadpool(_plan, request, asked)
    except CWDeskError as error:
        return _panel_answer(error, tuple(bulk.FIELDS))
    preview, shaped = bulk_preview(plan)
    return ok(preview.lines[0], **_preview_body(principal, preview, shaped, asked.offset))


@router.post("/bulk")
async def start_bulk_update(
    request: Request, principal: Annotated[Principal, Depends(require("operator"))]
) -> Response:
    """Body (JSON): ``company_ids``, ``contact_filter`` (all|primary|active), ``field``, ``value``, and the
    ``confirmation`` token from ``POST /bulk/preview`` (without it, or when the data changed since, nothing runs)."""
    asked = await _bulk_request(request)
    if isinstance(asked, Response):
        return asked
    engine = request.app.state.engine
    try:
        plan = await run_in_threadpool(_plan, request, asked)
    except CWDeskError as error:
        audit(request, principal, "bulk contact update", detail=asked.detail(), result="error",
              message=str(error)[:500])  # fmt: skip
        return _panel_answer(error, tuple(bulk.FIELDS))
    preview, shaped = bulk_preview(plan)
    refusal = unconfirmed(preview, principal, asked.confirmation, _preview_body(principal, preview, shaped, 0))
    if refusal is not None:
        if asked.confirmation:  # a stale preview is worth a line in the audit log; a missing one is the first step
            audit(request, principal, "bulk contact update", detail=asked.detail(), result="refused",
                  message="the contacts changed since the preview")  # fmt: skip
        return refusal
    manage = connections_of(request).manage
    try:
        job_id = await run_in_threadpool(
            lambda: jobs.start_job(engine, plan, client=manage, created_by=principal.username)
        )
    except CWDeskError as error:
        audit(request, principal, "bulk contact update", detail=asked.detail(), result="error",
              message=str(error)[:500])  # fmt: skip
        return failure(error)
    run_in_background(request, job_id, bulk.KIND)
    audit(request, principal, "bulk contact update", target=f"job {job_id}", detail=asked.detail(), result="ok",
          message=str(plan.title))  # fmt: skip
    return ok(f"Job {job_id} started: {plan.title}.", job_id=job_id, url=f"/jobs/{job_id}")
