"""The client workspace (C1–C3): the list, a client's detail, and the edits made from it.

Reads go through the SDK (``client_list``, ``client_detail``), kept a short while; every change calls a workflow
function (``cwdesk.workflows.client_records`` and ``primary_contact``), which validates before it writes. Each
change is audited with its result and forgets what was read before it (``ClientList.invalidate``). Set as primary
asks first: its preview (``GET /contacts/{id}/primary/preview``) lists the plan's steps, and the POST runs only
with that preview's confirmation token (``console.confirmations``).
Not for: validation or the order of ConnectWise calls (the workflows), bulk updates (``bulk.py``).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from cwdesk.console.answers import failure, ok, refused
from cwdesk.console.client_list import ClientList
from cwdesk.console.confirmations import Preview, given_token, unconfirmed
from cwdesk.console.pages import RecordId, connections_of, render
from cwdesk.console.security import Principal, audit, require
from cwdesk.errors import CWDeskError, NotFoundError
from cwdesk.workflows import client_records as records
from cwdesk.workflows import jobs
from cwdesk.workflows import primary_contact as primary

router = APIRouter()


def client_list_of(request: Request) -> ClientList:
    client_list: ClientList = request.app.state.client_list
    return client_list


@router.get("/", response_class=HTMLResponse)
def workspace(request: Request, principal: Annotated[Principal, Depends(require("viewer"))]) -> Response:
    return render(request, "clients.html", principal, client=None, message="")


# The read routes answer from what the process keeps right on the event loop (no thread hop: under load that hop,
# not the work, is what made people wait) and go to a thread only when ConnectWise has to be asked.


@router.get("/api/clients")
async def client_list_json(request: Request, _principal: Annotated[Principal, Depends(require("viewer"))]) -> Response:
    """Every company, compact (see ``client_list``); the browser filters it as the user types."""
    client_list = client_list_of(request)
    try:
        document = client_list.kept_document()
        if document is None:
            document = await run_in_threadpool(client_list.document)
    except CWDeskError as error:
        return failure(error)
    return Response(document.body, media_type="application/json", headers={"Cache-Control": "no-store"})


@router.get("/api/clients/search")
async def client_search_json(
    request: Request,
    _principal: Annotated[Principal, Depends(require("viewer"))],
    q: str = "",
    active: bool = True,
) -> Response:
    """Server-side search (from the kept list when it holds every company, else with conditions)."""
    client_list, text = client_list_of(request), q.strip()
    try:
        found = client_list.search_kept(text, active_only=active)
        if found is None:
            found = await run_in_threadpool(lambda: client_list.search(text, active_only=active))
        return JSONResponse(found)
    except CWDeskError as error:
        return failure(error)


async def _detail_page(request: Request, company_id: int, principal: Principal, template: str) -> Response:
    """``template`` over a client's detail (kept, else read), or the panel's message when it cannot be read."""
    panels = client_list_of(request).panels
    try:
        detail = panels.kept_detail(company_id)
        if detail is None:
            detail = await run_in_threadpool(panels.detail, company_id)
    except NotFoundError:
        return render(request, template, principal, status_code=404, client=None,
                      message=f"Company {company_id} was not found in ConnectWise.")  # fmt: skip
    except CWDeskError as error:
        return render(request, template, principal, status_code=502, client=None,
                      message=f"ConnectWise could not be read: {error}")  # fmt: skip
    statuses = panels.kept_status_names()
    if statuses is None:
        statuses = await run_in_threadpool(panels.status_names)
    picks = panels.kept_pick_lists()
    if picks is None:
        picks = await run_in_threadpool(panels.pick_lists)
    connections = connections_of(request)
    if connections.kept_web_base() is None:
        await run_in_threadpool(connections.web_base)
    return render(request, template, principal, client=detail, statuses=statuses, picks=picks, message="",
                  record_url=connections.record_url)  # fmt: skip


@router.get("/api/pick-lists")
async def pick_lists_json(request: Request, _principal: Annotated[Principal, Depends(require("viewer"))]) -> Response:
    """A contact's pick lists from ConnectWise (type, relationship, department), for the forms and the bulk panel."""
    panels = client_list_of(request).panels
    picks = panels.kept_pick_lists()
    if picks is None:
        picks = await run_in_threadpool(panels.pick_lists)
    return JSONResponse(picks.as_dict())


@router.get("/clients/{company_id}", response_class=HTMLResponse)
async def client_page(
    request: Request, company_id: RecordId, principal: Annotated[Principal, Depends(require("viewer"))]
) -> Response:
    """A client's own address (issue 15 §6): the workspace with this client's detail already open, so a link, a
    reload and the browser's back and forward all show it (the page's script pushes this URL as a client opens)."""
    return await _detail_page(request, company_id, principal, "clients.html")


@router.get("/clients/{company_id}/panel", response_class=HTMLResponse)
async def client_panel(
    request: Request, company_id: RecordId, principal: Annotated[Principal, Depends(require("viewer"))]
) -> Response:
    """The detail panel's HTML (rendered and escaped on the server), loaded into the workspace by the page."""
    return await _detail_page(request, company_id, principal, "client_panel.html")


async def _form(request: Request) -> dict[str, str]:
    form = await request.form()
    return {key: value for key, value in form.items() if isinstance(value, str) and key != "csrf_token"}


def _picks(form: dict[str, str]) -> dict[str, str]:
    """The pick-list fields a contact form sent (an empty choice leaves the contact's value as it is)."""
    chosen = {"contact_type": form.get("type", ""), "relationship": form.get("relationship", ""),
              "department": form.get("department", "")}  # fmt: skip
    return {key: value.strip() for key, value in chosen.items() if value.strip()}


def _flag(value: str | None) -> bool:
    return (value or "").lower() in {"1", "true", "on", "yes"}


@router.post("/clients/{company_id}")
async def edit_company(
    request: Request, company_id: RecordId, principal: Annotated[Principal, Depends(require("operator"))]
) -> Response:
    """Edit company: name, phone, status, website (C3), through ``client_records.update_company``."""
    form = await _form(request)
    changes = {key: form.get(key, "").strip() for key in ("name", "phone", "status", "website")}
    return await _run_change(
        request,
        principal,
        action="edit company",
        target=f"company {company_id}",
        detail=changes,
        call=lambda: records.edit_company(connections_of(request).manage, company_id, **changes),
        done="Company saved.",
    )


@router.post("/clients/{company_id}/contacts")
async def add_contact(
    request: Request, company_id: RecordId, principal: Annotated[Principal, Depends(require("operator"))]
) -> Response:
    """Add contact (C3), through ``client_records.add_contact``."""
    form = await _form(request)
    contact = {key: form.get(key, "").strip() for key in ("first_name", "last_name", "title", "email", "phone")}
    contact.update(_picks(form))
    return await _run_change(
        request,
        principal,
        action="add contact",
        target=f"company {company_id}",
        detail=contact,
        call=lambda: records.add_contact(connections_of(request).manage, company_id, **contact),
        done="Contact added.",
    )


@router.post("/contacts/{contact_id}")
async def edit_contact(
    request: Request, contact_id: RecordId, principal: Annotated[Principal, Depends(require("operator"))]
) -> Response:
    """Edit contact: first/last name, title, inactive (C3), through ``client_records.update_contact``."""
    form = await _form(request)
    changes: dict[str, Any] = {key: form.get(key, "").strip() for key in ("first_name", "last_name", "title")}
    for key in ("email", "phone"):
        if form.get(key, "").strip():
            changes[key] = form[key].strip()
    changes["inactive"] = _flag(form.get("inactive"))
    changes.update(_picks(form))
    return await _run_change(
        request,
        principal,
        action="edit contact",
        target=f"contact {contact_id}",
        detail=changes,
        call=lambda: records.edit_contact(connections_of(request).manage, contact_id, **changes),
        done="Contact saved.",
    )


def primary_preview_of(plan: jobs.Plan) -> Preview:
    """What "Set as primary" will do (each step of the plan, in order); its facts are the steps, so a primary
    changed by someone else between the dialog and the confirm refuses the confirm."""
    return Preview(
        action="set primary contact",
        subject=f"contact {plan.params.get('contact_id')}",
        title=str(plan.title),
        facts=[[step.key, step.action] for step in plan.steps],
        lines=[step.label for step in plan.steps],
        confirm_label="Set as primary",
    )


@router.get("/contacts/{contact_id}/primary/preview")
async def set_primary_preview(
    request: Request, contact_id: RecordId, principal: Annotated[Principal, Depends(require("operator"))]
) -> Response:
    """What "Set as primary" will change (reads only), with the token its confirm button sends."""
    manage = connections_of(request).manage
    try:
        plan = await run_in_threadpool(primary.plan_set_primary, manage, contact_id)
    except CWDeskError as error:
        return failure(error)
    preview = primary_preview_of(plan)
    return ok(preview.title, preview=preview.as_dict(principal))


@router.post("/contacts/{contact_id}/primary")
async def set_primary(
    request: Request, contact_id: RecordId, principal: Annotated[Principal, Depends(require("operator"))]
) -> Response:
    """Set as primary (C3, W3), once confirmed: the new primary first, then the old one(s) cleared, by the workflow."""
    manage, engine = connections_of(request).manage, request.app.state.engine
    target = f"contact {contact_id}"
    given = await given_token(request)
    try:
        plan = await run_in_threadpool(primary.plan_set_primary, manage, contact_id)
    except CWDeskError as error:
        audit(request, principal, "set primary contact", target=target, result="error", message=str(error)[:500])
        return failure(error)
    refusal = unconfirmed(primary_preview_of(plan), principal, given)
    if refusal is not None:
        return refusal

    def run() -> primary.PrimaryResult:
        # A short job (clear the old primaries, set the new one, point the company at it, verify), run here:
        # the plan just checked against the confirmed preview.
        job_id = jobs.start_job(engine, plan, client=manage, created_by=principal.username)
        return primary.PrimaryResult(plan=plan, job_id=job_id, summary=jobs.run_job(engine, job_id, client=manage))

    try:
        result = await run_in_threadpool(run)
    except CWDeskError as error:
        audit(request, principal, "set primary contact", target=target, result="error", message=str(error)[:500])
        return failure(error)
    # Finished or not, the job may have changed the contacts and the company: nothing read before is served again.
    client_list_of(request).invalidate()
    summary = result.summary
    if summary is None or summary.state.value != "succeeded":
        message = (summary.message if summary else None) or "The change did not finish."
        audit(request, principal, "set primary contact", target=target, detail={"job": result.job_id},
              result="error", message=message)  # fmt: skip
        return refused(f"{message} See job {result.job_id} on the Jobs page.", status_code=502)
    audit(request, principal, "set primary contact", target=target, detail={"job": result.job_id}, result="ok")
    return ok("Primary contact set.", job_id=result.job_id)


async def _run_change(
    request: Request,
    principal: Principal,
    *,
    action: str,
    target: str,
    detail: dict[str, Any],
    call: Any,
    done: str,
) -> Response:
    """Run a workflow call off the event loop, audit it, and answer ``{ok, message, errors, changes}``.

    An edit (``records.Edit``) says what it changed: the answer's message is "Saved: field before → after; ..."
    (shown next to the form and above the detail), and the audit entry keeps the same before → after values."""
    try:
        result = await run_in_threadpool(call)
    except CWDeskError as error:
        answer = failure(error)
        audit(request, principal, action, target=target, detail=detail, result="error", message=str(error)[:500])
        return answer
    changes: list[dict[str, Any]] = []
    if isinstance(result, records.Edit):
        detail = {**detail, "changes": result.audit_changes()}  # what was asked, and what it changed
        changes = result.audit_changes()
    audit(request, principal, action, target=target, detail=detail, result="ok")
    client_list_of(request).invalidate()
    message = getattr(result, "message", None) or done
    return ok(str(message), changes=changes)
