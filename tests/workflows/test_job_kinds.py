"""Job kinds are registered explicitly (the built-in table and the ``cwdesk.job_kinds`` entry-point group, not a
naming convention); every job is created by ``start_job``, which records its target and creator; the runner itself
refuses to resume or roll back a job against another ConnectWise."""

from __future__ import annotations

import importlib
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import sqlalchemy as sa

from cwdesk import ManageClient
from cwdesk.sandbox import Sandbox
from cwdesk.store.jobs import jobs
from cwdesk.workflows import jobs as runner
from cwdesk.workflows.jobs import (
    BUILTIN_KINDS,
    JobError,
    JobState,
    JobTargetError,
    Plan,
    Step,
    get_job,
    rollback_job,
    run_job,
    start_job,
)
from cwdesk.workflows.jobs import kinds as job_kinds
from cwdesk.workflows.primary_contact import plan_set_primary


@pytest.fixture
def cw(sandbox: Sandbox) -> ManageClient:
    return ManageClient(**sandbox.manage_credentials, transport=sandbox.transport())


def _fresh_python(code: str, *, path: Path | None = None) -> subprocess.CompletedProcess[str]:
    env_path = [str(path)] if path is not None else []
    script = f"import sys; sys.path[:0] = {env_path!r}\n" + textwrap.dedent(code)
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False)


def test_every_builtin_kind_is_found_in_a_fresh_process() -> None:
    done = _fresh_python(
        """
        from cwdesk.workflows.jobs import BUILTIN_KINDS, get_kind
        for name in BUILTIN_KINDS:
            assert get_kind(name).name == name, name
        print(len(BUILTIN_KINDS))
        """
    )
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) == len(BUILTIN_KINDS) >= 6


def test_the_table_lists_every_kind_cwdesk_registers() -> None:
    for module in set(BUILTIN_KINDS.values()):
        importlib.import_module(module)
    shipped = {name for name, kind in job_kinds._KINDS.items() if kind.actions and _defined_in_cwdesk(kind)}
    assert shipped <= set(BUILTIN_KINDS), f"kinds missing from BUILTIN_KINDS: {shipped - set(BUILTIN_KINDS)}"


def _defined_in_cwdesk(kind: runner.JobKind) -> bool:
    return all(action.run.__module__.startswith("cwdesk.workflows.") for action in kind.actions.values())


def test_a_kind_from_another_package_is_found_through_its_entry_point(tmp_path: Path) -> None:
    (tmp_path / "extra_jobs.py").write_text(
        textwrap.dedent(
            """
            from cwdesk.workflows.jobs import Action, JobKind, Outcome

            def _hello(ctx):
                return Outcome.done("hello")

            HELLO = JobKind(name="extra.hello", actions={"hello": Action(run=_hello)})
            """
        )
    )
    info = tmp_path / "extra_jobs-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: extra-jobs\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[cwdesk.job_kinds]\nextra.hello = extra_jobs:HELLO\n")
    done = _fresh_python(
        """
        from cwdesk.workflows.jobs import get_kind
        kind = get_kind("extra.hello")
        print(kind.name, sorted(kind.actions))
        """,
        path=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "extra.hello ['hello']"


def test_an_unknown_kind_says_how_to_register_one() -> None:
    with pytest.raises(
        JobError, match=re.escape("register_kind() or declared in the 'cwdesk.job_kinds' entry-point group")
    ):
        runner.get_kind("no_such_kind.at_all")


def test_start_job_records_the_target_and_the_creator(cw: ManageClient, engine: sa.Engine) -> None:
    job_id = start_job(engine, plan_set_primary(cw, 2), client=cw, created_by="alice")
    summary = get_job(engine, job_id).summary
    assert summary.created_by == "alice"
    assert summary.target == f"{cw.base_url} ({cw.credentials.company})"
    assert cw.credentials.private_key not in summary.target


def _moved(engine: sa.Engine, job_id: int) -> None:
    with engine.begin() as conn:
        conn.execute(sa.update(jobs).where(jobs.c.id == job_id).values(target="https://other.example (acme)"))


def test_the_runner_refuses_to_run_a_job_against_another_connectwise(cw: ManageClient, engine: sa.Engine) -> None:
    job_id = start_job(engine, plan_set_primary(cw, 2), client=cw, created_by="alice")
    _moved(engine, job_id)
    with pytest.raises(
        JobTargetError, match=re.escape("was made against https://other.example (acme), but this connection")
    ):
        run_job(engine, job_id, client=cw)
    assert get_job(engine, job_id).summary.state is JobState.planned  # refused before anything was claimed
    assert run_job(engine, job_id, client=cw, force=True).state is JobState.succeeded


def test_the_runner_refuses_to_roll_back_against_another_connectwise(cw: ManageClient, engine: sa.Engine) -> None:
    job_id = start_job(engine, plan_set_primary(cw, 2), client=cw, created_by="alice")
    assert run_job(engine, job_id, client=cw).state is JobState.succeeded
    _moved(engine, job_id)
    with pytest.raises(JobTargetError):
        rollback_job(engine, job_id, client=cw)
    assert get_job(engine, job_id).summary.state is JobState.succeeded


def test_a_job_without_a_recorded_target_is_not_tied_to_a_server(engine: sa.Engine) -> None:
    runner.register_kind(
        runner.JobKind(name="test_untied", actions={"noop": runner.Action(run=lambda ctx: runner.Outcome.done("ok"))})
    )
    plan = Plan(kind="test_untied", title="untied", params={}, steps=[Step("thing:x", "noop", {})])
    job_id = start_job(engine, plan, client=None, created_by="t")
    assert get_job(engine, job_id).summary.target is None
    assert run_job(engine, job_id, client=object()).state is JobState.succeeded
