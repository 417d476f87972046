"""Creating and reading jobs in the store: the plan stored before anything runs, the ConnectWise it is made
against (``connection_target`` / ``check_target``), lists, details and counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from cwdesk.automate.client import AutomateClient
from cwdesk.manage.client import ManageClient
from cwdesk.store.jobs import job_steps, jobs
from cwdesk.workflows.jobs.events import _HUB, _add_event, _aware, _now
from cwdesk.workflows.jobs.kinds import get_kind
from cwdesk.workflows.jobs.model import (
    JobDetail,
    JobError,
    JobNotFound,
    JobState,
    JobSummary,
    JobTargetError,
    Plan,
    StepCounts,
    StepRecord,
    StepState,
)


def connection_target(client: object) -> str | None:
    """Which ConnectWise a client talks to, as a job records it (API base and company, or the Automate root; never
    keys). ``None`` for anything else (a test double): such a job is not tied to a server."""
    if isinstance(client, ManageClient):
        return f"{client.base_url} ({client.credentials.company})"
    if isinstance(client, AutomateClient):
        return f"automate:{client.root}"
    return None


def start_job(engine: sa.Engine, plan: Plan, *, client: object, created_by: str | None) -> int:
    """Store ``plan`` as a new job made by ``created_by`` against ``client``'s ConnectWise and return its id.

    The one way the workflows, the CLI and the console create jobs: the target recorded here is what
    :func:`run_job` and :func:`rollback_job` check before touching a server. Run it with ``run_job`` (this thread)
    or ``start_in_background``.
    """
    return create_job(engine, plan, created_by=created_by, target=connection_target(client))


def enqueue(engine: sa.Engine, plan: Plan, *, client: object, created_by: str | None) -> int:
    """Store ``plan`` as a new ``queued`` job for a worker to run (``take_up_queued_jobs``) and return its id.

    Like :func:`start_job`, the job records the ConnectWise of ``client``: a worker connected elsewhere leaves it.
    """
    return create_job(engine, plan, created_by=created_by, target=connection_target(client), queued=True)


def check_target(summary: JobSummary, client: object, *, force: bool = False) -> None:
    """Refuse (:class:`JobTargetError`) to resume or roll back a job against another ConnectWise than the one it
    was made on. ``run_job`` and ``rollback_job`` always call it; a caller may call it earlier (before asking the
    user to confirm). ``force`` is for a server that moved."""
    if force or not summary.target:
        return
    here = connection_target(client)
    if here is not None and here != summary.target:
        raise JobTargetError(
            f"Job {summary.id} was made against {summary.target}, but this connection is {here}: choose the right "
            "connection (CLI: --profile), or force it (CLI: --force) if the server moved."
        )


def _step_record(row: sa.Row[Any]) -> StepRecord:
    m = row._mapping
    return StepRecord(
        position=m["position"],
        key=m["key"],
        action=m["action"],
        label=m["label"] or "",
        params=m["params"] or {},
        state=StepState(m["state"]),
        created=bool(m["created"]),
        outcome=m["outcome"],
        message=m["message"],
        attempts=m["attempts"] or 0,
        started_at=_aware(m["started_at"]),
        finished_at=_aware(m["finished_at"]),
    )


def _counts_for(conn: sa.Connection, job_ids: Sequence[int]) -> dict[int, StepCounts]:
    if not job_ids:
        return {}
    rows = conn.execute(
        sa.select(job_steps.c.job_id, job_steps.c.state, sa.func.count())
        .where(job_steps.c.job_id.in_(list(job_ids)))
        .group_by(job_steps.c.job_id, job_steps.c.state)
    ).all()
    tallies: dict[int, dict[str, int]] = {job_id: {} for job_id in job_ids}
    for job_id, state, count in rows:
        tallies[job_id][state] = count
    return {
        job_id: StepCounts(
            total=sum(t.values()),
            pending=t.get("pending", 0),
            running=t.get("running", 0),
            ok=t.get("ok", 0),
            skipped=t.get("skipped", 0),
            error=t.get("error", 0),
            rolled_back=t.get("rolled_back", 0),
        )
        for job_id, t in tallies.items()
    }


def _summary(row: sa.Row[Any], counts: StepCounts) -> JobSummary:
    m = row._mapping
    created_at = _aware(m["created_at"])
    updated_at = _aware(m["updated_at"])
    assert created_at is not None and updated_at is not None
    return JobSummary(
        id=m["id"],
        kind=m["kind"],
        title=m["title"] or "",
        state=JobState(m["state"]),
        counts=counts,
        created_at=created_at,
        updated_at=updated_at,
        started_at=_aware(m["started_at"]),
        finished_at=_aware(m["finished_at"]),
        message=m["message"],
        created_by=m["created_by"],
        target=m["target"],
        runner=m["runner"],
        cancel_requested=bool(m["cancel_requested"]),
    )


def _load_summary(conn: sa.Connection, job_id: int) -> JobSummary:
    row = conn.execute(sa.select(jobs).where(jobs.c.id == job_id)).first()
    if row is None:
        raise JobNotFound(f"No job {job_id}: `cwdesk jobs list` shows the jobs in this database.")
    return _summary(row, _counts_for(conn, [job_id])[job_id])


# ---------------------------------------------------------------------------------------------------------------
# Creating and reading jobs.


def create_job(
    engine: sa.Engine,
    plan: Plan,
    *,
    created_by: str | None = None,
    target: str | None = None,
    queued: bool = False,
) -> int:
    """Store ``plan`` as a new job in state ``planned`` (``queued``: for a worker) and return its id. Nothing runs
    yet."""
    kind = get_kind(plan.kind)
    keys: set[str] = set()
    for step in plan.steps:
        if step.action not in kind.actions:
            raise JobError(f"Job kind {plan.kind!r} has no action {step.action!r} (step {step.key!r}).")
        if step.key in keys:
            raise JobError(f"Two steps share the key {step.key!r}: each step must name a different record.")
        keys.add(step.key)
    now = _now()
    with engine.begin() as conn:
        result = conn.execute(
            jobs.insert().values(
                kind=plan.kind,
                title=plan.title[:300],
                state=(JobState.queued if queued else JobState.planned).value,
                params=dict(plan.params),
                target=target,
                created_by=created_by,
                created_at=now,
                updated_at=now,
                cancel_requested=False,
            )
        )
        key = result.inserted_primary_key
        assert key is not None
        job_id = int(key[0])
        if plan.steps:
            conn.execute(
                job_steps.insert(),
                [
                    {
                        "job_id": job_id,
                        "position": position,
                        "key": step.key,
                        "action": step.action,
                        "label": step.label[:300],
                        "params": dict(step.params),
                        "state": StepState.pending.value,
                        "created": False,
                        "attempts": 0,
                    }
                    for position, step in enumerate(plan.steps, start=1)
                ],
            )
        _add_event(conn, job_id, "job_created", plan.title, data={"kind": plan.kind, "steps": len(plan.steps)})
        if queued:
            _add_event(conn, job_id, "job_queued", "Queued: a `cwdesk worker` on this database will run it.")
    _HUB.notify()
    return job_id


def get_job(engine: sa.Engine, job_id: int) -> JobDetail:
    """The job with its params and steps; raises :class:`JobNotFound`."""
    with engine.connect() as conn:
        summary = _load_summary(conn, job_id)
        params = conn.execute(sa.select(jobs.c.params).where(jobs.c.id == job_id)).scalar_one()
        rows = conn.execute(
            sa.select(job_steps).where(job_steps.c.job_id == job_id).order_by(job_steps.c.position)
        ).all()
    return JobDetail(summary=summary, params=params or {}, steps=[_step_record(r) for r in rows])


def list_jobs(
    engine: sa.Engine, *, kind: str | None = None, state: JobState | str | None = None, limit: int = 50
) -> list[JobSummary]:
    """Jobs newest first, with their step counts."""
    query = sa.select(jobs).order_by(jobs.c.id.desc()).limit(limit)
    if kind:
        query = query.where(jobs.c.kind == kind)
    if state:
        query = query.where(jobs.c.state == JobState(state).value)
    with engine.connect() as conn:
        rows = conn.execute(query).all()
        counts = _counts_for(conn, [r._mapping["id"] for r in rows])
    return [_summary(r, counts[r._mapping["id"]]) for r in rows]


def last_runs(engine: sa.Engine) -> dict[str, JobSummary]:
    """The newest job of each kind (``cwdesk health`` shows when each workflow last ran and how it ended)."""
    latest = sa.select(sa.func.max(jobs.c.id)).group_by(jobs.c.kind).scalar_subquery()
    with engine.connect() as conn:
        rows = conn.execute(sa.select(jobs).where(jobs.c.id.in_(latest))).all()
        counts = _counts_for(conn, [r._mapping["id"] for r in rows])
    return {r._mapping["kind"]: _summary(r, counts[r._mapping["id"]]) for r in rows}
