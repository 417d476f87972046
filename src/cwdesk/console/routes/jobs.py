"""The jobs pages: every job, one job's live progress over server-sent events, and cancel / resume / roll back.

Jobs run on their own threads through ``cwdesk.workflows.jobs`` (``start_in_background``): a page only follows
the journal, so closing the browser never stops a job, and reopening the page replays it from the start.
Not for: what a job does (the workflows) or how it records its steps (the runner).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from cwdesk.console.pages import connections_of, render
from cwdesk.console.security import Principal, audit, require
from cwdesk.workflows import jobs as job_runner

router = APIRouter()

# Outcome of a step as the per-record log shows it.
_OUTCOME_OF_EVENT = {"step_ok": "ok", "step_error": "error", "step_skipped": "skipped", "step_rolled_back": "skipped"}


def _engine(request: Request) -> Any:
    return request.app.state.engine


def client_for_kind(request: Request, kind: str) -> Any:
    """The SDK client a job of ``kind`` runs with: Automate jobs use the Automate client, the rest Manage."""
    connections = connections_of(request)
    try:
        product = job_runner.get_kind(kind).product
    except job_runner.JobError:
        product = "automate" if kind.startswith("automate") else "manage"
    return connections.automate if product == "automate" else connections.manage


def run_in_background(request: Request, job_id: int, kind: str) -> None:
    """Run a stored job on its own thread (the browser only follows it)."""
    job_runner.start_in_background(_engine(request), job_id, client=client_for_kind(request, kind))
    request.app.state.client_list.invalidate()


@router.get("/jobs", response_class=HTMLResponse)
def jobs_page(request: Request, principal: Annotated[Principal, Depends(require("viewer"))]) -> Response:
    summaries = job_runner.list_jobs(_engine(request), limit=200)
    return render(request, "jobs.html", principal, jobs=summaries)


@router.get("/api/jobs")
def jobs_json(request: Request, _principal: Annotated[Principal, Depends(require("viewer"))]) -> JSONResponse:
    return JSONResponse([summary.as_dict() for summary in job_runner.list_jobs(_engine(request), limit=200)])


def _detail_or_404(request: Request, job_id: int) -> job_runner.JobDetail | None:
    try:
        return job_runner.get_job(_engine(request), job_id)
    except job_runner.JobNotFound:
        return None


@router.get("/jobs/{job_id}", response_class=HTMLResponse)
def job_page(request: Request, job_id: int, principal: Annotated[Principal, Depends(require("viewer"))]) -> Response:
    detail = _detail_or_404(request, job_id)
    if detail is None:
        return render(request, "error.html", principal, status_code=404, message=f"There is no job {job_id}.")
    return render(
        request,
        "job.html",
        principal,
        job=detail.summary,
        steps=detail.steps,
        params=detail.params,
        rollback=_rollback_plan(detail),
    )


def _rollback_plan(detail: job_runner.JobDetail) -> job_runner.RollbackPlan | None:
    """What a rollback would do, or ``None`` for a job of a kind this process does not know."""
    try:
        return job_runner.plan_rollback(detail)
    except job_runner.JobError:
        return None


@router.get("/jobs/{job_id}/rollback", response_class=HTMLResponse)
def rollback_preview(
    request: Request, job_id: int, principal: Annotated[Principal, Depends(require("operator"))]
) -> Response:
    """What rolling the job back will delete, put back, and leave, before anything is done."""
    detail = _detail_or_404(request, job_id)
    if detail is None:
        return render(request, "error.html", principal, status_code=404, message=f"There is no job {job_id}.")
    plan = _rollback_plan(detail)
    if plan is None:
        message = f"Job {job_id} is of a kind this console does not know: it cannot be rolled back here."
        return render(request, "error.html", principal, status_code=409, message=message)
    return render(request, "rollback.html", principal, job=detail.summary, plan=plan)


def _sse(event: str, data: dict[str, Any]) -> str:
    return f"event: {event}\ndata: {json.dumps(data, default=str)}\n\n"


def _snapshot(state: str, total: int, outcomes: dict[str, str]) -> dict[str, Any]:
    values = list(outcomes.values())
    return {
        "state": state,
        "total": total,
        "done": len(values),
        "ok": values.count("ok"),
        "error": values.count("error"),
        "skipped": values.count("skipped"),
    }


@router.get("/jobs/{job_id}/events")
async def job_events(
    request: Request, job_id: int, _principal: Annotated[Principal, Depends(require("viewer"))]
) -> Response:
    """Server-sent events: ``record`` per finished step, ``progress`` snapshots, and ``end`` when the job stops.

    Replays the journal from the start, so a reopened page shows everything that happened while it was closed.
    """
    engine = _engine(request)
    detail = _detail_or_404(request, job_id)
    if detail is None:
        return JSONResponse({"ok": False, "message": f"There is no job {job_id}."}, status_code=404)
    total = detail.summary.counts.total
    labels = {step.key: step.label or step.key for step in detail.steps}
    client_list = request.app.state.client_list

    async def stream() -> AsyncIterator[str]:
        outcomes: dict[str, str] = {}
        state = "planned"
        yield "retry: 2000\n\n"
        async for event in job_runner.afollow_events(engine, job_id, poll_seconds=0.5):
            if event.type == "job_started" or event.type == "rollback_started":
                state = "running"
            elif event.type == "job_finished" and event.data:
                state = str(event.data.get("state", state))
            outcome = _OUTCOME_OF_EVENT.get(event.type)
            if outcome is not None and event.step_key:
                outcomes[event.step_key] = outcome
                record = {
                    "seq": event.id,
                    "outcome": outcome,
                    "label": labels.get(event.step_key, event.step_key),
                    "message": event.message,
                }
                yield _sse("record", record)
            yield _sse("progress", _snapshot(state, total, outcomes))
        final = job_runner.get_job(engine, job_id).summary
        # The job may have created or changed companies: the next list view reads ConnectWise again.
        client_list.invalidate()
        yield _sse("end", {**_snapshot(final.state.value, total, outcomes), "message": final.message or ""})

    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return StreamingResponse(stream(), media_type="text/event-stream", headers=headers)


def _job_action(request: Request, principal: Principal, job_id: int, action: str) -> JSONResponse:
    engine = _engine(request)
    detail = _detail_or_404(request, job_id)
    if detail is None:
        return JSONResponse({"ok": False, "message": f"There is no job {job_id}."}, status_code=404)
    kind = detail.summary.kind
    client = client_for_kind(request, kind)
    try:
        if action == "cancel":
            job_runner.cancel_job(engine, job_id)
        else:
            # The job is claimed before the answer (a refusal, e.g. another ConnectWise, raises here), then runs
            # on its own thread.
            if action == "resume":
                job_runner.resume_in_background(engine, job_id, client=client)
            else:
                job_runner.rollback_in_background(engine, job_id, client=client)
    except job_runner.JobError as problem:
        # Busy elsewhere, or a state the request does not apply to: refused, with the runner's reason.
        audit(request, principal, f"{action} job", target=f"job {job_id}", result="refused", message=str(problem))
        return JSONResponse({"ok": False, "message": str(problem)}, status_code=409)
    audit(request, principal, f"{action} job", target=f"job {job_id} ({kind})", result="ok")
    request.app.state.client_list.invalidate()
    return JSONResponse({"ok": True, "message": f"Job {job_id}: {action} requested."})


@router.post("/jobs/{job_id}/cancel")
def cancel(request: Request, job_id: int, principal: Annotated[Principal, Depends(require("operator"))]) -> Response:
    return _job_action(request, principal, job_id, "cancel")


@router.post("/jobs/{job_id}/resume")
def resume(request: Request, job_id: int, principal: Annotated[Principal, Depends(require("operator"))]) -> Response:
    return _job_action(request, principal, job_id, "resume")


@router.post("/jobs/{job_id}/rollback")
async def rollback(
    request: Request, job_id: int, principal: Annotated[Principal, Depends(require("operator"))]
) -> Response:
    """Roll back, once confirmed on the preview page (``confirm=yes``); a rollback that can undo nothing is refused."""
    confirmed = await _confirmed(request)
    detail = _detail_or_404(request, job_id)
    if detail is None:
        return JSONResponse({"ok": False, "message": f"There is no job {job_id}."}, status_code=404)
    if not confirmed:
        message = f"Nothing changed: review what the rollback will do at /jobs/{job_id}/rollback and confirm it there."
        return JSONResponse({"ok": False, "message": message, "preview": f"/jobs/{job_id}/rollback"}, status_code=400)
    # A rollback that can undo nothing is refused by the runner (409, audited "refused").
    return await run_in_threadpool(_job_action, request, principal, job_id, "roll back")


async def _confirmed(request: Request) -> bool:
    """Whether the request carries ``confirm=yes`` (form field or JSON member)."""
    if (request.headers.get("content-type") or "").startswith("application/json"):
        try:
            body = await request.json()
        except ValueError:
            return False
        return isinstance(body, dict) and str(body.get("confirm", "")).lower() == "yes"
    form = await request.form()
    return str(form.get("confirm", "")).lower() == "yes"
