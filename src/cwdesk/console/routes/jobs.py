"""The jobs pages: every job, one job's live progress over server-sent events, and cancel / resume / roll back.

Jobs run on their own threads through ``cwdesk.workflows.jobs`` (``start_in_background``): a page only follows
the journal, so closing the browser never stops a job, and reopening the page replays it from the start.

A progress stream is held to the rules of a page (issue 14, item 9): every ``STREAM_RECHECK_SECONDS`` it checks
the session again (signed out, expired or disabled: the stream ends with ``signed_out``, and the browser's
reconnect then gets 401) and whether the job was orphaned (its runner is gone: the stream ends with ``end`` and says
so, instead of waiting forever); a stream lasts at most ``STREAM_MAX_SECONDS`` (the browser reconnects by itself
and the page drops the replayed records it has seen), and one user holds at most ``STREAMS_PER_USER`` at once
(more answer 429).
Not for: what a job does (the workflows) or how it records its steps (the runner).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import weakref
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from cwdesk.console.pages import RecordId, connections_of, render
from cwdesk.console.security import Principal, accounts_of, audit, require, session_id_of
from cwdesk.workflows import jobs as job_runner

router = APIRouter()

STREAM_RECHECK_SECONDS = 5.0
STREAM_MAX_SECONDS = 30 * 60.0
STREAMS_PER_USER = 8

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
def job_page(
    request: Request, job_id: RecordId, principal: Annotated[Principal, Depends(require("viewer"))]
) -> Response:
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
    request: Request, job_id: RecordId, principal: Annotated[Principal, Depends(require("operator"))]
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


class _OpenStreams:
    """How many progress streams each user holds open in this console process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_user: dict[str, int] = {}

    def open(self, username: str) -> bool:
        with self._lock:
            if self._by_user.get(username, 0) >= STREAMS_PER_USER:
                return False
            self._by_user[username] = self._by_user.get(username, 0) + 1
            return True

    def close(self, username: str) -> None:
        with self._lock:
            left = self._by_user.get(username, 1) - 1
            if left > 0:
                self._by_user[username] = left
            else:
                self._by_user.pop(username, None)


def _open_streams(request: Request) -> _OpenStreams:
    streams = getattr(request.app.state, "open_streams", None)
    if streams is None:
        streams = request.app.state.open_streams = _OpenStreams()
    return streams


def _is_orphaned(engine: Any, job_id: int) -> bool:
    return any(summary.id == job_id for summary in job_runner.orphaned_jobs(engine))


@router.get("/jobs/{job_id}/events")
async def job_events(
    request: Request, job_id: RecordId, principal: Annotated[Principal, Depends(require("viewer"))]
) -> Response:
    """Server-sent events: ``record`` per finished step, ``progress`` snapshots, and ``end`` when the job stops.

    Replays the journal from the start, so a reopened page shows everything that happened while it was closed.
    """
    engine = _engine(request)
    detail = _detail_or_404(request, job_id)
    if detail is None:
        return JSONResponse({"ok": False, "message": f"There is no job {job_id}."}, status_code=404)
    streams = _open_streams(request)
    if not streams.open(principal.username):
        message = f"You already follow {STREAMS_PER_USER} jobs at once: close a job page and try again."
        return JSONResponse({"ok": False, "message": message}, status_code=429, headers={"Retry-After": "30"})
    total = detail.summary.counts.total
    labels = {step.key: step.label or step.key for step in detail.steps}
    client_list = request.app.state.client_list
    accounts = accounts_of(request)
    session_id = session_id_of(request)

    async def follow(queue: asyncio.Queue[job_runner.JobEvent | None]) -> None:
        try:
            async for event in job_runner.afollow_events(engine, job_id, poll_seconds=0.5):
                await queue.put(event)
        except Exception:
            with contextlib.suppress(asyncio.QueueFull):
                queue.put_nowait(None)  # the stream ends rather than waiting for events that will not come
            raise
        await queue.put(None)

    async def stream() -> AsyncIterator[str]:
        outcomes: dict[str, str] = {}
        state = "planned"
        queue: asyncio.Queue[job_runner.JobEvent | None] = asyncio.Queue(maxsize=100)
        follower = asyncio.create_task(follow(queue))
        loop = asyncio.get_running_loop()
        ends_at = loop.time() + STREAM_MAX_SECONDS
        next_check = loop.time() + STREAM_RECHECK_SECONDS
        try:
            yield "retry: 2000\n\n"
            while True:
                now = loop.time()
                if now >= ends_at:
                    return  # the browser reconnects (and re-checks everything) by itself
                if now >= next_check:
                    next_check = now + STREAM_RECHECK_SECONDS
                    if await run_in_threadpool(accounts.session_principal, session_id) is None:
                        yield _sse("signed_out", {"message": "Your session ended: sign in again to follow the job."})
                        return
                    if await run_in_threadpool(_is_orphaned, engine, job_id):
                        message = (
                            "The job's runner stopped (its process is gone) before the job finished: "
                            "resume it from the job page."
                        )
                        yield _sse("end", {**_snapshot(state, total, outcomes), "message": message})
                        return
                try:
                    event = await asyncio.wait_for(queue.get(), timeout=max(0.05, min(next_check, ends_at) - now))
                except TimeoutError:
                    continue
                if event is None:
                    break
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
        finally:
            follower.cancel()
            release()

    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    body = stream()
    # A stream whose response never starts (the client left first) never runs its ``finally``: its slot is then
    # given back when the generator is collected. ``release`` runs once either way.
    release = weakref.finalize(body, streams.close, principal.username)
    return StreamingResponse(body, media_type="text/event-stream", headers=headers)


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
def cancel(
    request: Request, job_id: RecordId, principal: Annotated[Principal, Depends(require("operator"))]
) -> Response:
    return _job_action(request, principal, job_id, "cancel")


@router.post("/jobs/{job_id}/resume")
def resume(
    request: Request, job_id: RecordId, principal: Annotated[Principal, Depends(require("operator"))]
) -> Response:
    return _job_action(request, principal, job_id, "resume")


@router.post("/jobs/{job_id}/rollback")
async def rollback(
    request: Request, job_id: RecordId, principal: Annotated[Principal, Depends(require("operator"))]
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
