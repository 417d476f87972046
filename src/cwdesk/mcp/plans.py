"""The plans one MCP server made, kept until they are executed, and what changed in ConnectWise since each was made.

A write tool never writes: it reads, builds the plan its workflow would run, and files it here under a random
plan id. ``execute_plan`` takes the plan back only with ``confirm=true``, builds it again from the same arguments
on what ConnectWise holds *now*, and runs it only when both are the same: a contact someone edited meanwhile, a
company identifier taken since, a job that moved on, and the plan is refused with the differences, so what runs is
always what the person approved. Plans live in this server process only (a restart forgets them: plan again).
Over HTTP a plan belongs to whoever made it (``owner``: the API token or the console user): nobody else can run it,
nor learn that it exists.
Not for: running jobs (``cwdesk.workflows.jobs``) or the tools' arguments (``desk.py``).
"""

from __future__ import annotations

import json
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cwdesk.errors import ConfigurationError
from cwdesk.workflows.jobs import Plan

#: How many plans one server keeps; the oldest is forgotten first (an assistant plans again).
PLANS_KEPT = 200


class PlanRefused(ConfigurationError):
    """``execute_plan`` will not run this plan: unknown, not confirmed, already run, or changed since."""

    def __init__(self, message: str, *, differences: list[str] | None = None) -> None:
        super().__init__(message)
        self.differences = list(differences or [])


Snapshot = dict[str, Any]
"""What a plan would do, as JSON: a title and one entry per step key (action and params)."""


def snapshot_of(plan: Plan) -> Snapshot:
    """A job plan as a comparable snapshot (steps by their natural key)."""
    return {
        "title": plan.title,
        "params": _plain(plan.params),
        "steps": {
            step.key: {"action": step.action, "label": step.label, "params": _plain(step.params)} for step in plan.steps
        },
    }


def _plain(value: Mapping[str, Any]) -> dict[str, Any]:
    # Round-trip through JSON, as the job store does, so a tuple and a list compare equal.
    data = json.loads(json.dumps(dict(value), default=str, sort_keys=True))
    assert isinstance(data, dict)
    return data


def _shown(value: Any) -> str:
    text = json.dumps(value, default=str, sort_keys=True, ensure_ascii=False)
    return text if len(text) <= 120 else text[:117] + "..."


def differences(before: Snapshot, now: Snapshot) -> list[str]:
    """One line per step added, gone or changed between two snapshots of the same request."""
    lines: list[str] = []
    if before.get("title") != now.get("title"):
        lines.append(f"title: was {before.get('title')!r}, now {now.get('title')!r}")
    old_steps: Mapping[str, Any] = before.get("steps", {})
    new_steps: Mapping[str, Any] = now.get("steps", {})
    for key in old_steps:
        if key not in new_steps:
            lines.append(f"{key}: no longer in the plan ({old_steps[key].get('label') or key})")
    for key in new_steps:
        if key not in old_steps:
            lines.append(f"{key}: new in the plan ({new_steps[key].get('label') or key})")
    for key in old_steps:
        if key not in new_steps:
            continue
        old, new = old_steps[key], new_steps[key]
        if old.get("action") != new.get("action"):
            lines.append(f"{key}: action was {old.get('action')!r}, now {new.get('action')!r}")
        old_params, new_params = old.get("params", {}), new.get("params", {})
        for name in sorted(set(old_params) | set(new_params)):
            if old_params.get(name) != new_params.get(name):
                lines.append(f"{key}: {name} was {_shown(old_params.get(name))}, now {_shown(new_params.get(name))}")
    if not lines and before != now:
        lines.append("the plan's parameters changed")
    return lines


@dataclass
class MadePlan:
    """One plan made by a write tool: what it would do, how to build it again, and how to start it."""

    id: str
    kind: str
    title: str
    snapshot: Snapshot
    # Builds the snapshot again from the same arguments on what ConnectWise holds now (reads only).
    rebuild: Callable[[], Snapshot]
    # Starts the durable job (or the rollback, or the cancel) and returns its job id.
    launch: Callable[[], int]
    job_id: int | None = None
    # Who made it over HTTP ("token:3", "user:5"); None on stdio, where the process has one user.
    owner: str | None = None


@dataclass
class PlanBook:
    """The plans this server made, by plan id (thread-safe: tools run on worker threads)."""

    kept: int = PLANS_KEPT
    _plans: OrderedDict[str, MadePlan] = field(default_factory=OrderedDict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(
        self,
        *,
        kind: str,
        title: str,
        snapshot: Snapshot,
        rebuild: Callable[[], Snapshot],
        launch: Callable[[], int],
        owner: str | None = None,
    ) -> MadePlan:
        made = MadePlan(secrets.token_hex(6), kind, title, snapshot, rebuild, launch, owner=owner)
        with self._lock:
            self._plans[made.id] = made
            while len(self._plans) > self.kept:
                self._plans.popitem(last=False)
        return made

    def get(self, plan_id: str, *, owner: str | None = None) -> MadePlan:
        """The plan ``plan_id`` made by ``owner``; someone else's plan is refused as if it did not exist."""
        with self._lock:
            made = self._plans.get(plan_id)
        if made is None or made.owner != owner:
            raise PlanRefused(
                f"No plan {plan_id!r} was made by this server (plans are kept in the server process until it "
                "stops): call a plan_* tool first and use the plan_id it returns."
            )
        return made

    def execute(self, plan_id: str, *, confirm: bool, owner: str | None = None) -> MadePlan:
        """Start ``owner``'s plan once, if confirmed and unchanged since it was made; refuse otherwise."""
        made = self.get(plan_id, owner=owner)
        if not confirm:
            raise PlanRefused(
                f"Plan {plan_id} was not run: show the plan to the person, and call execute_plan with confirm=true "
                "only once they have approved it."
            )
        with self._lock:  # one execution per plan, even when two calls race
            if made.job_id is not None:
                raise PlanRefused(f"Plan {plan_id} already ran as job {made.job_id}: follow it with job_status.")
            now = made.rebuild()
            changes = differences(made.snapshot, now)
            if changes:
                raise PlanRefused(
                    f"Plan {plan_id} was not run: ConnectWise changed since it was made. Review the differences "
                    "and make a new plan.",
                    differences=changes,
                )
            made.job_id = made.launch()
        return made
