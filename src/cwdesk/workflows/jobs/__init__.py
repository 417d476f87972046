"""Durable jobs: the one runner every workflow (CLI and console) uses to change ConnectWise safely.

What a job is
    A job is a *kind* (``"onboarding"``, ``"bulk_contacts"``...), its *params* (JSON, never secrets) and a *plan*:
    an ordered list of :class:`Step`. Each step has a natural ``key`` that names the record it touches
    (``"company:AcmeCorp"``, ``"contact:1234:inactiveFlag"``), an ``action`` name and JSON ``params``. The kind's
    module registers a :class:`JobKind` that maps each action name to an :class:`Action` (``get_kind`` finds it
    through ``BUILTIN_KINDS`` or the ``cwdesk.job_kinds`` entry-point group, also in a fresh process):

    - ``run(ctx) -> Outcome``: do the work through the SDK (``ctx.client``). Return ``Outcome.made(...)``,
      ``Outcome.done(...)`` or ``Outcome.skipped(...)``; raise (any exception, or :class:`StepFailed` for a
      message written for the user) to fail the step.
    - ``find(ctx) -> Outcome | None``: look the record up by its natural key. The runner calls it *before*
      ``run`` whenever an earlier attempt's outcome is unknown (the process died mid-call, a timeout), so a
      resumed job never creates twice or patches twice; and always when ``find_first=True`` (onboarding: the
      same plan run twice creates nothing new).
    - ``undo(ctx) -> str``: reverse a step this job created (rollback), given ``ctx.step.outcome``.
    - ``restore(ctx) -> str``: put back what a step changed on a record that already existed (rollback of an
      update), from the value it replaced; raise :class:`ChangedSince` when the record no longer holds what the
      job wrote (someone changed it since), so another person's change is never overwritten.
    - ``covered_by``: the param naming the step whose created record holds this change (a site updated inside a
      company the job created): deleting that record undoes the change, when the job did create it.

    Steps read what earlier steps produced with ``ctx.outcome_of("company:AcmeCorp")["id"]``.

How it runs
    ``job_id = start_job(engine, plan, client=cw, created_by=user)`` stores the job and its steps (state
    ``planned``) with the ConnectWise it is made against and its creator (``create_job`` is the bare store call).
    ``enqueue(engine, plan, client=cw, created_by=user)`` stores it ``queued`` instead: left for ``cwdesk worker``
    (any process on the same database, ``take_up_queued_jobs``), which claims it with the same conditional update
    as a resume, so two workers never both run it.
    ``run_job(engine, job_id, client=cw, on_event=print)`` refuses a client for another ConnectWise than the job
    was made on (``check_target``, unless ``force``), claims the job (only one process runs a job at a time), then
    for each step
    writes ``running`` to the store *before* the call and its outcome (``ok``/``skipped``/``error``) *after*, so
    the store always knows which steps are done, which failed, and which one's outcome is unknown.
    The same call resumes a failed, partial, cancelled or crashed job: recorded steps are skipped. Kinds that
    ``stop_on_error`` (onboarding) stop at the first failing step; the others (bulk updates) record the error and
    go on, ending ``partial``. Calls go at the SDK throttle's pace: the runner adds no pauses, except before
    retrying a step that failed transiently (``Action.retries``, with the SDK's backoff).

Control and reading
    ``cancel_job`` (the runner stops before its next step), ``plan_rollback`` (what a rollback would delete,
    restore and leave, before anything is done), ``rollback_job`` (undo it, newest first: a rollback that can
    undo nothing is refused and changes no state), ``list_jobs`` (newest first, with counts), ``get_job`` (with
    steps), ``last_runs`` (for health).

Progress events
    Every change is journalled as a :class:`JobEvent` (``job_started``, ``step_started``, ``step_ok``,
    ``step_skipped``, ``step_error``, ``step_rolled_back``, ``job_finished``...). ``on_event`` receives them in the
    running thread (the CLI's progress bar). ``follow_events`` / ``afollow_events`` yield them from *any* thread or
    process sharing the database (the console's SSE endpoint), waking at once for jobs run in the same process
    and polling the store otherwise; they end when the job reaches a final state. ``start_in_background`` runs a
    job on its own thread, so closing a browser never stops it.

Not for: knowing ConnectWise (the workflows' actions do, through the SDK), retries of single calls (the SDK's
retry policy) or rate limiting (the SDK's throttle). Never put secrets in params or outcomes: they are journalled.

Where each part lives (one module each; this package re-exports them, so ``from cwdesk.workflows.jobs import X`` is
the import to use):
    ``model`` (states, errors, plans, outcomes, records), ``kinds`` (actions, kinds and their registry), ``events``
    (reading and following the journal), ``records`` (creating and reading jobs in the store), ``ownership`` (claim,
    heartbeat, fenced journal writes), ``runner`` (running steps, cancel), ``workers`` (queued and orphaned jobs),
    ``rollback`` (preview and undo).
"""

from __future__ import annotations

from cwdesk.workflows.jobs.events import EventCallback, afollow_events, follow_events, read_events
from cwdesk.workflows.jobs.kinds import (
    BUILTIN_KINDS,
    KIND_ENTRY_POINTS,
    Action,
    ClientT,
    JobKind,
    StepContext,
    get_kind,
    register_kind,
)
from cwdesk.workflows.jobs.model import (
    DONE_STEP_STATES,
    FINAL_STATES,
    RESUMABLE_STATES,
    ChangedSince,
    JobBusy,
    JobDetail,
    JobError,
    JobEvent,
    JobNotFound,
    JobState,
    JobStateError,
    JobSummary,
    JobTargetError,
    LostOwnership,
    Outcome,
    Plan,
    Step,
    StepCounts,
    StepFailed,
    StepRecord,
    StepState,
)
from cwdesk.workflows.jobs.ownership import HEARTBEAT_EVERY, STALE_AFTER
from cwdesk.workflows.jobs.records import (
    check_target,
    connection_target,
    create_job,
    enqueue,
    get_job,
    last_runs,
    list_jobs,
    start_job,
)
from cwdesk.workflows.jobs.rollback import (
    ROLLBACK_STATES,
    RollbackPlan,
    plan_rollback,
    rollback_in_background,
    rollback_job,
)
from cwdesk.workflows.jobs.runner import (
    STEP_RETRY_POLICY,
    TRANSIENT_ERRORS,
    cancel_job,
    resume_in_background,
    resume_job,
    run_job,
    start_in_background,
)
from cwdesk.workflows.jobs.workers import adopt_orphaned_jobs, orphaned_jobs, queued_jobs, take_up_queued_jobs

__all__ = [
    "BUILTIN_KINDS",
    "DONE_STEP_STATES",
    "FINAL_STATES",
    "HEARTBEAT_EVERY",
    "KIND_ENTRY_POINTS",
    "RESUMABLE_STATES",
    "ROLLBACK_STATES",
    "STALE_AFTER",
    "STEP_RETRY_POLICY",
    "TRANSIENT_ERRORS",
    "Action",
    "ChangedSince",
    "ClientT",
    "EventCallback",
    "JobBusy",
    "JobDetail",
    "JobError",
    "JobEvent",
    "JobKind",
    "JobNotFound",
    "JobState",
    "JobStateError",
    "JobSummary",
    "JobTargetError",
    "LostOwnership",
    "Outcome",
    "Plan",
    "RollbackPlan",
    "Step",
    "StepContext",
    "StepCounts",
    "StepFailed",
    "StepRecord",
    "StepState",
    "adopt_orphaned_jobs",
    "afollow_events",
    "cancel_job",
    "check_target",
    "connection_target",
    "create_job",
    "enqueue",
    "follow_events",
    "get_job",
    "get_kind",
    "last_runs",
    "list_jobs",
    "orphaned_jobs",
    "plan_rollback",
    "queued_jobs",
    "read_events",
    "register_kind",
    "resume_in_background",
    "resume_job",
    "rollback_in_background",
    "rollback_job",
    "run_job",
    "start_in_background",
    "start_job",
    "take_up_queued_jobs",
]
