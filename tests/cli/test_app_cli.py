"""The root ``cwdesk`` command (``cli/app.py``): every group listed from the table, each imported only when used.

Start-up time itself is measured by ``bench/startup.py`` (P7), not here: these tests check the structure that makes
it fast, in a fresh interpreter each (``sys.modules`` of this test process already holds everything).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import typer.main

from cwdesk.cli.app import COMMANDS, load_command

# What only some commands need: the store, the console and its server, the sandbox, and the SDK's models.
# DBOS (the job engine, ``workflows/jobs/durable.py``) starts only in processes that run jobs.
HEAVY = (
    "sqlalchemy",
    "fastapi",
    "uvicorn",
    "cwdesk.sandbox",
    "cwdesk.store",
    "cwdesk.console",
    "cwdesk.manage.models",
    "dbos",
)


def _modules_after(code: str) -> dict[str, object]:
    """Run ``code`` in a fresh interpreter; the heavy modules it imported and what it printed on stdout."""
    probe = (
        "import io, json, sys, contextlib\n"
        "out = io.StringIO()\n"
        "with contextlib.redirect_stdout(out):\n"
        + "".join(f"    {line}\n" for line in code.splitlines())
        + f"heavy = [m for m in {HEAVY!r} if m in sys.modules]\n"
        "cli = sorted(m for m in sys.modules if m.startswith('cwdesk.cli.'))\n"
        "print(json.dumps({'heavy': heavy, 'cli': cli, 'out': out.getvalue()}))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True)
    found: dict[str, object] = json.loads(done.stdout.splitlines()[-1])
    return found


def _run_cli(*args: str) -> str:
    return (
        "from cwdesk.cli.app import app\n"
        "try:\n"
        f"    app({list(args)!r}, prog_name='cwdesk')\n"
        "except SystemExit:\n"
        "    pass"
    )


def test_importing_the_cli_imports_no_store_console_sandbox_or_models() -> None:
    found = _modules_after("import cwdesk.cli.app")
    assert found["heavy"] == []
    assert found["cli"] == ["cwdesk.cli.app"]


def test_root_help_lists_every_group_with_its_help_and_imports_none() -> None:
    found = _modules_after(_run_cli("--help"))
    assert found["heavy"] == []
    assert found["cli"] == ["cwdesk.cli.app"]
    listed = " ".join(str(found["out"]).split())  # rich wraps the help over lines: compare word by word
    for name, (_, _, help_text) in COMMANDS.items():
        assert f" {name} " in listed
        assert " ".join(help_text.split()[:4]) in listed, name


def test_short_job_commands_read_the_store_without_importing_dbos(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    setup = f"import os\nos.environ['CWDESK_HOME'] = {str(home)!r}\nos.environ.pop('CWDESK_DATABASE_URL', None)\n"
    for args in (("jobs", "list"), ("jobs", "show", "1"), ("schedule", "list"), ("worker", "--help")):
        found = _modules_after(setup + _run_cli(*args))
        assert "dbos" not in found["heavy"], args
    found = _modules_after(setup + "from cwdesk.workflows import jobs, worker\njobs.list_jobs  # the package, read")
    assert "dbos" not in found["heavy"]


def test_companies_help_imports_the_resources_module_but_no_models_or_store() -> None:
    found = _modules_after(_run_cli("companies", "--help"))
    assert found["heavy"] == []
    assert "cwdesk.cli.resources" in found["cli"]
    assert "cwdesk.cli.jobs" not in found["cli"]
    assert "count" in str(found["out"])


def test_each_listed_help_is_the_one_its_module_gives() -> None:
    # The table repeats each group's one-line help so that ``cwdesk --help`` need not import it: kept equal here.
    for name, (_, _, help_text) in COMMANDS.items():
        command = load_command(name)
        own = (command.short_help or command.help or "").split("\n\n")[0]
        assert " ".join(own.split()) == help_text, name
        assert command.name == name


def test_the_command_tree_is_the_same_whether_walked_or_looked_up() -> None:
    root = typer.main.get_command(__import__("cwdesk.cli.app", fromlist=["app"]).app)
    assert list(root.list_commands(None)) == list(COMMANDS)  # type: ignore[attr-defined, arg-type]
    walked = dict(root.commands.items())  # type: ignore[attr-defined]
    assert set(walked) == set(COMMANDS)
    assert walked["bulk"].commands.keys() == {"contacts"}  # a group even with one command
    assert "list" in walked["contacts"].commands and "set-primary" in walked["contacts"].commands
