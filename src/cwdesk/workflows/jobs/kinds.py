"""Job kinds: what an action of a step does (``Action``), what it sees (``StepContext``), and the registry that
finds a kind by name in any process (``BUILTIN_KINDS``, ``register_kind``, the ``cwdesk.job_kinds`` entry points).
"""

from __future__ import annotations

import importlib
import importlib.metadata
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from cwdesk.workflows.jobs.model import JobError, Outcome, StepFailed, StepRecord

ClientT = TypeVar("ClientT")
"""The SDK client a kind's actions take (``ManageClient`` or ``AutomateClient``): ``StepContext[ManageClient]``."""


@dataclass(frozen=True)
class StepContext(Generic[ClientT]):
    """What an action sees: the SDK client, the job's params, its own step, and earlier steps' outcomes."""

    client: ClientT
    job_id: int
    job_params: Mapping[str, Any]
    step: StepRecord
    outcomes: Mapping[str, Mapping[str, Any]]
    # True when an earlier attempt of this step may have reached the server (crash, timeout).
    outcome_unknown: bool = False

    @property
    def params(self) -> Mapping[str, Any]:
        """The step's own params."""
        return self.step.params

    def outcome_of(self, key: str) -> Mapping[str, Any]:
        """The data an earlier step recorded (``ctx.outcome_of("company:AcmeCorp")["id"]``)."""
        try:
            return self.outcomes[key]
        except KeyError:
            raise StepFailed(f"Step {key!r} has no recorded outcome yet; it must succeed before this step.") from None


@dataclass(frozen=True)
class Action(Generic[ClientT]):
    """How to perform one kind of step. See the module docstring."""

    run: Callable[[StepContext[ClientT]], Outcome]
    find: Callable[[StepContext[ClientT]], Outcome | None] | None = None
    undo: Callable[[StepContext[ClientT]], str] | None = None
    # Call ``find`` before ``run`` on every attempt, not only after an unknown outcome.
    find_first: bool = False
    # ``run`` creates a record: one found after an unknown outcome is taken as made by this job.
    creates: bool = False
    # Extra tries after a transient failure (connection lost, 5xx, 429 after the SDK gave up), each preceded by
    # ``find`` since the failed call may have landed; waits follow the SDK's backoff (``_http/retry.py``).
    retries: int = 0
    # Turns a final failure into the user's words (e.g. which state a half-done change left, how to repair it).
    explain: Callable[[StepContext[ClientT], BaseException], str] | None = None
    # Rollback of an update: put back the value the step replaced (see the module docstring).
    restore: Callable[[StepContext[ClientT]], str] | None = None
    # The param holding the key of the step whose created record contains this step's change.
    covered_by: str | None = None
    # Why a change of this action cannot be undone, in the user's words (shown by the rollback preview).
    not_undoable: str = "this kind of change cannot be undone automatically"
    # The step only reads (a verification): rollback has nothing of it to undo.
    reads_only: bool = False


@dataclass(frozen=True)
class JobKind:
    """A kind of job: its actions by name and whether a failing step stops the job."""

    name: str
    # The client type is the kind's ``product``; the runner hands each kind the client chosen for it.
    actions: Mapping[str, Action[Any]]
    stop_on_error: bool = True
    description: str = ""
    # Which SDK client the actions expect in ``ctx.client``: "manage" (ManageClient) or "automate".
    product: str = "manage"


_KINDS: dict[str, JobKind] = {}
_KINDS_LOCK = threading.Lock()

# The kinds cwdesk ships, and the module that registers each: ``get_kind`` imports it on first use, so a fresh
# process (``cwdesk jobs resume``) finds every kind without importing every workflow up front.
BUILTIN_KINDS: Mapping[str, str] = {
    "onboarding": "cwdesk.workflows.onboarding",
    "bulk_contacts": "cwdesk.workflows.bulk_contacts",
    "primary_contact": "cwdesk.workflows.primary_contact",
    "members.provision": "cwdesk.workflows.members",
    "members.deprovision": "cwdesk.workflows.members",
    "automate_clients.onboard": "cwdesk.workflows.automate_clients",
    "record_edit": "cwdesk.workflows.record_edits",
    "scim": "cwdesk.scim.changes",  # X3: what an identity provider asks for that W4 has no job for
}
# Kinds from other packages: an entry point in this group named after the kind, pointing at a ``JobKind`` or at the
# module that registers it, e.g. in that package's pyproject.toml:
#   [project.entry-points."cwdesk.job_kinds"]
#   my_kind = "my_package.jobs:MY_KIND"
KIND_ENTRY_POINTS = "cwdesk.job_kinds"


def register_kind(kind: JobKind) -> JobKind:
    """Make a kind known to the runner (each workflow module does this when imported)."""
    with _KINDS_LOCK:
        _KINDS[kind.name] = kind
    return kind


def _registered(name: str) -> JobKind | None:
    with _KINDS_LOCK:
        return _KINDS.get(name)


def _load_entry_point(name: str) -> None:
    for entry in importlib.metadata.entry_points(group=KIND_ENTRY_POINTS, name=name):
        loaded = entry.load()
        if isinstance(loaded, JobKind):
            if loaded.name != name:
                raise JobError(
                    f"The entry point {entry.value!r} in {KIND_ENTRY_POINTS!r} is named {name!r} but gives the "
                    f"kind {loaded.name!r}: name the entry point after its kind."
                )
            register_kind(loaded)


def get_kind(name: str) -> JobKind:
    """The kind ``name``: registered in this process, else one of ``BUILTIN_KINDS`` (its module imported), else
    from the ``cwdesk.job_kinds`` entry-point group. A broken import of the kind's module is raised as it is."""
    kind = _registered(name)
    if kind is None and name in BUILTIN_KINDS:
        importlib.import_module(BUILTIN_KINDS[name])
        kind = _registered(name)
    if kind is None:
        _load_entry_point(name)
        kind = _registered(name)
    if kind is None:
        raise JobError(
            f"Unknown job kind {name!r}: this version of cwdesk cannot run it. A kind from another package must be "
            f"registered with register_kind() or declared in the {KIND_ENTRY_POINTS!r} entry-point group."
        )
    return kind
