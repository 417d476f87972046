"""The root ``cwdesk`` command (``cli/app.py``): every group listed from the table, each imported only when used.

Start-up time itself is measured by ``bench/startup.py`` (P7), not here: these tests check the structure that makes
it fast, in a fresh interpreter each (``sys.modules`` of this test process already holds everything).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer.main

from cwdesk.cli.app import COMMANDS, load_command

if TYPE_CHECKING:
    from tests.cli.conftest import Standalone

# What only some commands need: the store, the console and its server, the sandbox, and the SDK's models.
# DBOS (the job engine, ``workflows/jobs/durable.py``) starts only in processes that run jobs; redis only where the
# shared rate limit is on a Redis server (``store/throttle_redis.py``).
HEAVY = (
    "sqlalchemy",
    "fastapi",
    "uvicorn",
    "cwdesk.sandbox",
    "cwdesk.store",
    "cwdesk.console",
    "cwdesk.manage.models",
    "dbos",
    "redis",
)


def _modules_after(code: str, heavy: tuple[str, ...] = HEAVY, env: dict[str, str] | None = None) -> dict[str, object]:
    """Run ``code`` in a fresh interpreter; which of ``heavy`` it imported and what it printed on stdout."""
    probe = (
        "import io, json, sys, contextlib\n"
        "out = io.StringIO()\n"
        "with contextlib.redirect_stdout(out):\n"
        + "".join(f"    {line}\n" for line in code.splitlines())
        + f"heavy = [m for m in {heavy!r} if m in sys.modules]\n"
        "cli = sorted(m for m in sys.modules if m.startswith('cwdesk.cli.'))\n"
        "print(json.dumps({'heavy': heavy, 'cli': cli, 'out': out.getvalue()}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True, env=env
    )
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
    listed = " ".join(str(found["out"]).split())  # the help wraps over lines: compare word by word
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


# What a group's help does not need either (docs/cli.md "Start-up"): Typer's Rich help renderer, pydantic (Typer's
# conversion of the root's options), YAML (profiles), the conditions parser and the HTTP client.
NOT_FOR_HELP = (*HEAVY, "rich", "pydantic", "yaml", "cwdesk.conditions", "httpx")


def test_root_and_group_help_import_no_rich_pydantic_yaml_or_http_client() -> None:
    for args in (("--help",), ("companies", "--help"), ("--log-format", "json", "companies", "--help")):
        found = _modules_after(_run_cli(*args), heavy=NOT_FOR_HELP)
        assert found["heavy"] == [], args
        assert "Usage: cwdesk" in str(found["out"])


def test_a_group_lists_each_command_with_its_whole_first_paragraph() -> None:
    from typer.testing import CliRunner

    from cwdesk.cli.app import app

    shown = " ".join(CliRunner().invoke(app, ["companies", "--help"]).output.split())
    assert "update Change fields of one company (--set FIELD=VALUE, checked first; one JSON Patch)." in shown
    assert "..." not in shown.split("Commands:", 1)[1]  # (no help cut short; "[ARGS]..." is the usage line's)


def test_the_root_options_are_still_checked_without_typers_conversion() -> None:
    from typer.testing import CliRunner

    from cwdesk.cli.app import app

    bad = CliRunner().invoke(app, ["--log-format", "xml", "companies", "--help"])
    assert bad.exit_code == 2
    assert "'xml' is not one of 'text', 'json'" in bad.output
    from_env = CliRunner().invoke(app, ["companies", "--help"], env={"CWDESK_LOG_FORMAT": "yaml"})
    assert from_env.exit_code == 2
    assert "CWDESK_LOG_FORMAT" in from_env.output
    assert CliRunner().invoke(app, ["--log-format", "json", "--profile", "lab", "--version"]).exit_code == 0


# A one-call command on a store at the newest revision paces from the store's file alone (store.shared_throttle).
NOT_FOR_COUNT = ("sqlalchemy", "alembic", "fastapi", "uvicorn", "cwdesk.sandbox", "cwdesk.console", "rich", "yaml")


def test_count_on_a_current_store_imports_no_sqlalchemy_alembic_rich_or_yaml(standalone: Standalone) -> None:
    count = "import sys\nfrom cwdesk.cli.app import main\nsys.argv = ['cwdesk', 'companies', 'count']\ntry:\n"
    count += "    main()\nexcept SystemExit:\n    pass"
    first = _modules_after(count, heavy=NOT_FOR_COUNT, env=standalone.env)
    assert "sqlalchemy" in first["heavy"]  # a new store: made the full way (tables, identity, revision)
    again = _modules_after(count, heavy=NOT_FOR_COUNT, env=standalone.env)
    assert again["heavy"] == []
    assert str(again["out"]).strip() == str(first["out"]).strip() == "8"


# What a sync, one-call command against a plain-http server never needs (issue 16, P7c): asyncio (the SDK's async
# twins import it in their own methods) and Typer's pydantic conversion of ``--where`` / ``--output`` / ``--help``.
NOT_FOR_A_SYNC_COUNT = ("asyncio", "typer._adapters")


def _counting(*args: str) -> str:
    # Records every CA bundle a TLS context loads: httpx's default verification reads certifi's (~25-40 ms).
    return (
        "import ssl, sys\n"
        "read = []\n"
        "load = ssl.SSLContext.load_verify_locations\n"
        "ssl.SSLContext.load_verify_locations = lambda self, *a, **k: (read.append(a or k), load(self, *a, **k))[1]\n"
        "from cwdesk.cli.app import main\n"
        f"sys.argv = ['cwdesk', 'companies', 'count', *{list(args)!r}]\n"
        "try:\n"
        "    main()\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('CA bundles read:', len(read))"
    )


def test_count_on_plain_http_and_a_current_store_imports_no_asyncio_and_reads_no_ca_bundle(
    standalone: Standalone,
) -> None:
    assert standalone.env["CWM_SERVER"].startswith("http://")
    assert standalone.cwdesk("companies", "count").returncode == 0  # (makes the store: the full way, SQLAlchemy)
    for args in ((), ("--output", "json"), ("--where", 'name contains "a"')):
        found = _modules_after(_counting(*args), heavy=NOT_FOR_A_SYNC_COUNT, env=standalone.env)
        assert found["heavy"] == [], args
        assert "CA bundles read: 0" in str(found["out"]), args
    # (--output's values are still checked, with Typer's own wording.)
    bad = standalone.cwdesk("companies", "count", "--output", "xml")
    assert bad.returncode == 2
    assert "'xml' is not one of 'table', 'json', 'csv'" in bad.stderr


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
