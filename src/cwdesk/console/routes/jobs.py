"""The jobs pages: every job, one job's live progress over server-sent events, and cancel / resume / roll back.

Jobs run on their own threads through ``cwdesk.workflows.jobs`` (``start_in_background``): a page only follows
the journal, so closing the browser never stops a job, and reopening the page replays it from the start.

A progress stream is held to the rules of a page (issue 14, item 9): every ``STREAM_RECHECK_SECONDS`` it checks
the session again (signed out, expired or disabled: the stream ends with ``signed_out``, and the browser's
reconnect then gets 401) and whether the job was orphaned (its runner is gone: the stream ends with ``end`` and says
so, instead of waiting forever); a stream lasts at most ``STREAM_MAX_SECONDS`` (the browser reconnects by itself
and the page drops the replayed records it has seen), and one user holds at most ``STREAMS_PER_USER`` at once
(more answer 429). The stream also sends a ``step`` event per journal entry about a step, which the page's steps
table follows; ``/api/jobs/{id}`` (``job_view``) is the stored truth it reads at the end. Cancel and roll back run
only with their preview's confirmation token (``console.confirmations``); a job's page names the companies it was
about that no longer exist (``companies_gone``).
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

from cwdesk.conditions import C
from cwdesk.console.confirmations import Preview, given_token, unconfirmed
from cwdesk.console.pages import RecordId, connections_of, render
from cwdesk.console.security import Principal, accounts_of, audit, require, session_id_of
from cwdesk.errors import CWDeskError
from cwdesk.workflows import jobs as job_runner

router = APIRouter()

STREAM_RECHECK_SECONDS = 5.0
STREAM_MAX_SECONDS = 30 * 60.0
STREAMS_PER_USER = 8

# Outcome of a step as the per-record log shows it.
_OUTCOME_OF_EVENT = {"step_ok": "ok", "step_error": "error", "step_skipped": "skipped",
                     "step_rolled_back": "rolled_back"}  # fmt: skip
# The state a journal entry leaves its step in (the steps table follows it live); entries not listed leave the
# state as it was and only say something about the step (a rollback that left it as it is, or cannot undo it).
_STEP_STATE_OF_EVENT = {"step_started": "running", "step_ok": "ok", "step_skipped": "skipped", "step_error": "error",
                        "step_rolled_back": "rolled_back"}  # fmt: skip
# Journal entries a rollback writes about each step (the job page's "Rollback" section lists them).
ROLLBACK_EVENTS = {"step_rolled_back": "undone", "step_rollback_skipped": "left as it is",
                   "step_not_undone": "not undone", "step_error": "failed"}  # fmt: skip


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


# On the jobs list, only jobs about one client are checked for a company that is gone (their detail is a few
# steps; a bulk job's thousands are not read for a list), and only the newest of them: one ConnectWise call.
_GONE_ON_LIST_KINDS = frozenset({"onboarding", "primary_contact"})
_GONE_ON_LIST_JOBS = 50


@router.get("/jobs", response_class=HTMLResponse)
def jobs_page(request: Request, principal: Annotated[Principal, Depends(require("viewer"))]) -> Response:
    engine = _engine(request)
    summaries = job_runner.list_jobs(engine, limit=200)
    per_job: dict[int, dict[int, str | None]] = {}
    for summary in [s for s in summaries if s.kind in _GONE_ON_LIST_KINDS][:_GONE_ON_LIST_JOBS]:
        detail = _detail_or_404(request, summary.id)
        if detail is not None:
            per_job[summary.id] = dict(list(companies_of(detail).items())[:2])
    checked: dict[int, str | None] = {}
    for companies in per_job.values():
        for company_id, identifier in companies.items():
            if len(checked) < GONE_CHECK_LIMIT and checked.get(company_id) is None:
                checked[company_id] = identifier
    gone = companies_gone(connections_of(request).manage, checked)
    notes = {job_id: [gone[i] for i in ids if i in gone] for job_id, ids in per_job.items()}
    return render(request, "jobs.html", principal, jobs=summaries, gone={k: v for k, v in notes.items() if v})


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
    view = job_view(_engine(request), detail)
    gone = companies_gone(connections_of(request).manage, companies_of(detail))
    return render(
        request,
        "job.html",
        principal,
        job=detail.summary,
        steps=view["steps"],
        rollback_report=view["rollback"],
        params=detail.params,
        rollback=_rollback_plan(detail),
        cancel_confirmation=cancel_preview_of(detail.summary).token(principal),
        gone=[gone[company_id] for company_id in sorted(gone)],
    )


#: At most this many of a job's companies are checked when its page is drawn (one ConnectWise call).
GONE_CHECK_LIMIT = 100


def companies_of(detail: job_runner.JobDetail) -> dict[int, str | None]:
    """The companies a job is about, each with the identifier it must still have (or None): those it was given
    (``company_ids``, ``company_id``), the ones its steps name, and the ones it created (an onboarding's
    ``create_company`` step, keyed ``company:{identifier}``: a demo restarted in memory hands the same id to
    another company, which is not the one the job made)."""
    found: dict[int, str | None] = {}

    def add(value: Any, identifier: str | None = None) -> None:
        if not isinstance(value, int) or isinstance(value, bool):
            return
        if (value in found and identifier is not None) or (value not in found and len(found) < GONE_CHECK_LIMIT):
            found[value] = identifier

    for value in detail.params.get("company_ids") or []:
        add(value)
    add(detail.params.get("company_id"))
    for step in detail.steps:
        add(step.params.get("company_id"))
        if step.action == "create_company":
            add((step.outcome or {}).get("id"), step.key.partition(":")[2] or None)
    return found


def companies_gone(manage: Any, companies: dict[int, str | None]) -> dict[int, str]:
    """For each of ``companies`` that no longer exists in ConnectWise (deleted: ConnectWise keeps it with
    ``deletedFlag``; not found at all; or its id now names a company with another identifier), the sentence the
    page shows. One call; nothing when ConnectWise cannot be read."""
    if not companies:
        return {}
    fields = ["id", "name", "identifier", "deletedFlag"]
    try:
        found = {int(c.id): c for c in manage.companies.list(where=C("id").in_(sorted(companies)), fields=fields)}
    except CWDeskError:
        return {}
    gone: dict[int, str] = {}
    for company_id, identifier in companies.items():
        company = found.get(company_id)
        if company is None:
            gone[company_id] = f"Company {company_id} no longer exists in ConnectWise."
        elif getattr(company, "deleted_flag", False):
            gone[company_id] = f"Company {company_id} ({company.name}) no longer exists in ConnectWise: it was deleted."
        elif identifier is not None and str(company.identifier or "").lower() != identifier.lower():
            gone[company_id] = (
                f"Company {company_id} ({identifier}) no longer exists in ConnectWise: the id now names "
                f"{company.name} ({company.identifier})."
            )
    return gone


@router.get("/api/jobs/{job_id}")
def job_json(
    request: Request, job_id: RecordId, _principal: Annotated[Principal, Depends(require("viewer"))]
) -> JSONResponse:
    """The job as its page shows it: state, message, every step's state and latest message, the rollback report
    (the page reads it when the job ends, so the table and the message are the stored truth)."""
    detail = _detail_or_404(request, job_id)
    if detail is None:
        return JSONResponse({"ok": False, "message": f"There is no job {job_id}."}, status_code=404)
    view = job_view(_engine(request), detail)
    return JSONResponse(
        {
            "ok": True,
            "id": job_id,
            "state": detail.summary.state.value,
            "message": detail.summary.message or "",
            "counts": detail.summary.counts.as_dict(),
            "steps": view["steps"],
            "rollback": view["rollback"],
        }
    )


def _all_events(engine: Any, job_id: int) -> list[job_runner.JobEvent]:
    events: list[job_runner.JobEvent] = []
    while True:
        page = job_runner.read_events(engine, job_id, after_id=events[-1].id if events else 0)
        events.extend(page)
        if len(page) < 1000:
            return events


def job_view(engine: Any, detail: job_runner.JobDetail) -> dict[str, Any]:
    """Each step (position, key, label, state, and the latest thing the journal said about it) and the last
    rollback's report: what it undid, left as it was (changed since the job), could not undo, and where it failed.

    One definition for the page as first drawn, for ``/api/jobs/{id}``, and (entry by entry) for the live stream:
    a step's message is its latest journal entry, so after a rollback it says what the rollback did to it.
    """
    latest: dict[str, str] = {}
    report: list[dict[str, str]] = []
    rolling_back = False
    for event in _all_events(engine, detail.summary.id):
        if event.type == "rollback_started":
            rolling_back, report = True, []
        elif event.type in ("job_started", "job_resumed"):
            rolling_back = False
        if event.step_key:
            latest[event.step_key] = event.message
            if rolling_back and event.type in ROLLBACK_EVENTS:
                report.append({"key": event.step_key, "what": ROLLBACK_EVENTS[event.type], "message": event.message})
    steps = [
        {
            "position": step.position,
            "key": step.key,
            "label": step.label or step.key,
            "state": step.state.value,
            "message": latest.get(step.key, step.message or ""),
        }
        for step in detail.steps
    ]
    return {"steps": steps, "rollback": report}


def cancel_preview_of(summary: job_runner.JobSummary) -> Preview:
    """What cancelling does: steps done stay done, the rest do not run (until resumed). Its facts are the job
    alone: a running job moves on every second, and ``cancel_job`` itself refuses a job that has ended."""
    counts = summary.counts
    return Preview(
        action="cancel job",
        subject=f"job {summary.id}",
        title=f"Cancel job {summary.id}",
        facts={"job": summary.id},
        lines=[
            f"{summary.title}: {counts.done} of {counts.total} step(s) done when this page was drawn.",
            "The job stops before its next step. Steps already done stay done (Roll back undoes them); "
            "the others do not run unless you resume the job.",
        ],
        confirm_label="Cancel the job",
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
    confirmation = rollback_preview_of(plan).token(principal)
    return render(request, "rollback.html", principal, job=detail.summary, plan=plan, confirmation=confirmation)


def rollback_preview_of(plan: job_runner.RollbackPlan) -> Preview:
    """The rollback preview's facts: every step it deletes, puts back, leaves or cannot undo, with its outcome (a
    resume or another rollback between the preview and the confirm changes them, and the confirm is refused)."""
    changes = len(plan.delete) + len(plan.restore)
    return Preview(
        action="roll back job",
        subject=f"job {plan.job_id}",
        title=f"Roll back job {plan.job_id}",
        facts=plan.as_dict(),
        lines=[f"Deletes {len(plan.delete)} record(s) and puts back {len(plan.restore)} value(s)."],
        confirm_label=f"Roll back {changes} change(s)",
    )


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
        "rolled_back": values.count("rolled_back"),
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
        rolling_back = False
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
                if event.type in ("job_started", "job_resumed", "rollback_started"):
                    state = "running"
                elif event.type == "job_finished" and event.data:
                    state = str(event.data.get("state", state))
                if event.type == "rollback_started":
                    rolling_back = True
                elif event.type in ("job_started", "job_resumed"):
                    rolling_back = False
                if event.step_key:
                    # The steps table follows every entry; a failed undo leaves its step as it was.
                    step_state = None if rolling_back and event.type == "step_error" else (
                        _STEP_STATE_OF_EVENT.get(event.type))  # fmt: skip
                    yield _sse("step", {"seq": event.id, "key": event.step_key, "state": step_state,
                                        "message": event.message})  # fmt: skip
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
async def cancel(
    request: Request, job_id: RecordId, principal: Annotated[Principal, Depends(require("operator"))]
) -> Response:
    """Cancel, once confirmed in the job page's dialog (its ``confirmation`` token)."""
    given = await given_token(request)
    detail = _detail_or_404(request, job_id)
    if detail is None:
        return JSONResponse({"ok": False, "message": f"There is no job {job_id}."}, status_code=404)
    refusal = unconfirmed(cancel_preview_of(detail.summary), principal, given)
    if refusal is not None:
        return refusal
    return await run_in_threadpool(_job_action, request, principal, job_id, "cancel")


@router.post("/jobs/{job_id}/resume")
def resume(
    request: Request, job_id: RecordId, principal: Annotated[Principal, Depends(require("operator"))]
) -> Response:
    return _job_action(request, principal, job_id, "resume")


@router.post("/jobs/{job_id}/rollback")
async def rollback(
    request: Request, job_id: RecordId, principal: Annotated[Principal, Depends(require("operator"))]
) -> Response:
    """Roll back, once confirmed on the preview page (its ``confirmation`` token, made for the plan it showed)."""
    given = await given_token(request)
    detail = _detail_or_404(request, job_id)
    if detail is None:
        return JSONResponse({"ok": False, "message": f"There is no job {job_id}."}, status_code=404)
    plan = _rollback_plan(detail)
    if plan is not None and plan.undoable:
        refusal = unconfirmed(rollback_preview_of(plan), principal, given, {"preview_url": f"/jobs/{job_id}/rollback"})
        if refusal is not None:
            return refusal
    # A rollback that can undo nothing is refused by the runner (409, audited "refused").
    return await run_in_threadpool(_job_action, request, principal, job_id, "roll back")
