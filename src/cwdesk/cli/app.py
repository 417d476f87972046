"""The root ``cwdesk`` command: a table of every command group, each imported only when it is used.

``COMMANDS`` names each group or command with the module that builds it, the attribute holding it (a Typer app,
a command function, or a dict of Typer apps by name) and its one-line help. ``cwdesk --help`` lists the table
without importing any of those modules; ``cwdesk GROUP ...`` (its help included) imports that group's module alone.
So a command pays only for what it uses: the store (SQLAlchemy) for the commands that keep jobs, FastAPI and
uvicorn for ``console``, the sandbox for ``sandbox`` and ``--demo``. Start-up is measured by ``bench/startup.py``
(P7) and described in docs/cli.md. A group is added with one line in ``COMMANDS``.

Not for: business logic (that is in ``cwdesk.workflows``) or output formatting (``cli/output.py``).
"""

from __future__ import annotations

import enum
import importlib
import os
import sys
from collections.abc import Iterator, Mapping, MutableMapping
from typing import Any

import typer
import typer.main
from typer.core import TyperCommand, TyperGroup, TyperOption

from cwdesk._version import __version__
from cwdesk.logs import LogFormat

_RESOURCES = "cwdesk.cli.resources"


def _reads(plural: str) -> str:
    return f"Read {plural} from ConnectWise Manage."


# name -> (module, attribute, one-line help), in the order ``cwdesk --help`` lists them: the single commands, the
# groups, then one read-only group per Manage resource (``cli/resources.py``'s ``GROUPS``, in ``READABLE`` order).
# The help here is what the listing shows; tests/cli/test_app_cli.py checks it against each module's own help.
COMMANDS: dict[str, tuple[str, str, str]] = {
    "console": ("cwdesk.cli.console", "console",
        "Start the web console. Prints a one-time sign-in link on first start (and every start of --demo)."),
    "delete-op": ("cwdesk.cli.operations", "delete_op",
        "Run a DELETE operation, e.g. deleteCompanyCompaniesById --param id=250 (asks first)."),
    "mutate": ("cwdesk.cli.operations", "mutate",
        "Run a POST, PUT or PATCH operation with a JSON body (a PATCH body is the JSON Patch array)."),
    "onboard": ("cwdesk.cli.onboard", "onboard",
        "Onboard a client: company, site, contacts, agreement and ticket, checked before the first call."),
    "query": ("cwdesk.cli.operations", "query", "Run a GET operation; list operations are read to the last page."),
    "mcp": ("cwdesk.cli.mcp", "mcp",
        "Serve cwdesk to an AI assistant over MCP (stdio). Write tools only plan; execute_plan runs a plan."),
    "worker": ("cwdesk.cli.worker", "worker",
        "Run queued jobs, resume jobs whose process is gone, and run due schedules here (Ctrl+C to stop)."),
    "automate": ("cwdesk.cli.automate", "app",
        "ConnectWise Automate: clients, locations, computers, groups and extra fields."),
    "bulk": ("cwdesk.cli.bulk", "app", "Bulk changes (one call per record, at the server's pace, resumable)."),
    "callbacks": ("cwdesk.cli.callbacks", "app",
        "ConnectWise callbacks (webhooks): register, list, remove, and the receiver."),
    "config": ("cwdesk.cli.config", "app", "Connection profiles: ConnectWise Manage and Automate credentials."),
    "contacts": ("cwdesk.cli.contacts", "app", "Contacts: primary contact, repair, add and edit."),
    "health": ("cwdesk.cli.health", "app", "Health checks: connection, data retrieval, last run of each job."),
    "jobs": ("cwdesk.cli.jobs", "app", "Durable jobs: list, show, resume, cancel and roll back."),
    "members": ("cwdesk.cli.members", "app", "Members (technicians): read, provision, deprovision, sync, export."),
    "scim": ("cwdesk.cli.scim", "app",
        "SCIM 2.0 bridge for identity providers (Okta, Entra ID): serve, and its tokens."),
    "schedule": ("cwdesk.cli.schedule", "app",
        "Scheduled jobs (sync every 15m...) run by `cwdesk worker`: add, list, remove."),
    "sandbox": ("cwdesk.cli.sandbox", "app", "Run a local ConnectWise Manage and Automate emulator (the sandbox)."),
    "store": ("cwdesk.cli.store", "app",
        "Check, back up or adopt the app's own database (jobs, users, audit log, sync cache)."),
    "sync": ("cwdesk.cli.sync", "app", "Sync ConnectWise records into the local database (incremental)."),
    "tokens": ("cwdesk.cli.tokens", "app", "API tokens for /mcp and SCIM: create (secret shown once), list, revoke."),
    "companies": (_RESOURCES, "GROUPS", "Read and update companies in ConnectWise Manage."),
    "agreements": (_RESOURCES, "GROUPS", _reads("agreements")),
    "agreement-types": (_RESOURCES, "GROUPS", _reads("agreement types")),
    "tickets": (_RESOURCES, "GROUPS", _reads("tickets")),
    "boards": (_RESOURCES, "GROUPS", _reads("boards")),
    "security-roles": (_RESOURCES, "GROUPS", _reads("security roles")),
    "company-statuses": (_RESOURCES, "GROUPS", _reads("company statuses")),
    "company-types": (_RESOURCES, "GROUPS", _reads("company types")),
    "contact-types": (_RESOURCES, "GROUPS", _reads("contact types")),
    "contact-relationships": (_RESOURCES, "GROUPS", _reads("contact relationships")),
    "departments": (_RESOURCES, "GROUPS", _reads("departments")),
    "locations": (_RESOURCES, "GROUPS", _reads("locations")),
    "time-zones": (_RESOURCES, "GROUPS", _reads("time zones")),
    "sites": (_RESOURCES, "GROUPS", "Read a company's sites from ConnectWise Manage."),
}  # fmt: skip


def load_command(name: str) -> Any:
    """The click command for ``COMMANDS[name]``, importing its module now (the first time it is asked for)."""
    module, attribute, _ = COMMANDS[name]
    found: Any = getattr(importlib.import_module(module), attribute)
    if isinstance(found, Mapping):
        found = found[name]
    if isinstance(found, typer.Typer):
        command: Any = typer.main.get_group(found)  # a group even when it has one command (``cwdesk bulk``)
    else:
        holder = typer.Typer()
        holder.command(name=name)(found)
        command = typer.main.get_command(holder)
    command.name = name
    _plain_help(command)
    return command


def _plain_help(command: Any) -> None:
    """Help drawn by click's own formatter, not Typer's Rich panels, for ``command`` and everything under it.

    Typer's Rich help imports its whole renderer (rich's markdown, syntax and traceback modules, ~60 ms of CPU) on
    every ``--help``, twice the rest of the root's help (docs/cli.md "Start-up", P7).
    """
    command.rich_markup_mode = None
    _plain_values(command)
    for sub in getattr(command, "commands", {}).values():
        if not sub.short_help and sub.help:
            # Listed in full (its first paragraph, wrapped), as Typer's Rich help did, not cut at ~45 characters.
            sub.short_help = " ".join(sub.help.split("\n\n")[0].split())
        _plain_help(sub)


class _PlainValueOption(TyperOption):
    """An option whose value is a flag, text or one of an enum's values, converted here; anything else is left to
    Typer.

    Typer converts every option's value with a pydantic ``TypeAdapter`` (even a flag left unset): for the root's
    options (``--profile``, ``--log-format``, ``--help``...) that would import pydantic (~70 ms of CPU) before any
    ``cwdesk GROUP --help`` could answer, for values that need no more than this (docs/cli.md "Start-up"). The
    root's options (``get_params`` below) and every loaded command's own (``_plain_values``); same object, same
    help, only ``process_value`` differs.
    """

    def process_value(self, ctx: Any, value: Any) -> Any:
        descriptor = getattr(self, "type_descriptor", None)  # (an older Typer converts with click)
        if descriptor is None or self.required or self.multiple or self.nargs != 1:
            return super().process_value(ctx, value)
        kind = descriptor.annotation
        if value is None or (kind is bool and isinstance(value, bool)):
            pass
        elif isinstance(kind, type) and issubclass(kind, enum.Enum):
            if not isinstance(value, kind):
                try:
                    value = kind(value)
                except ValueError:
                    choices = ", ".join(repr(member.value) for member in kind)
                    raise typer.BadParameter(f"{value!r} is not one of {choices}.", ctx=ctx, param=self) from None
        elif kind is str:
            value = str(value)
        else:
            return super().process_value(ctx, value)
        if self.callback is not None:
            value = self.callback(ctx, self, value)
        return value


def _plain_values(command: Any) -> None:
    """``command``'s own options read by ``_PlainValueOption`` (flags, text, an enum's values; the rest by Typer).

    A command's options go through Typer's pydantic conversion too: ``cwdesk companies count`` (``--where`` text,
    ``--output`` an enum) imported pydantic for that alone (~45 ms of start-up, P7c). Arguments and options of
    other types (``--limit`` with its ``min=1``, a record id) stay with Typer, checked as before.
    """
    _read_plainly(getattr(command, "params", []))
    made_help_option = getattr(command, "get_help_option", None)
    if made_help_option is None:
        return

    def get_help_option(ctx: Any) -> Any:
        # ``--help`` is made (and cached) on first use; unset, Typer would convert its ``None`` with pydantic too.
        return _read_plainly([made_help_option(ctx)])[0]

    command.get_help_option = get_help_option


def _read_plainly(params: list[Any]) -> list[Any]:
    """``params`` with each Typer option turned into a ``_PlainValueOption`` (the same object, class changed)."""
    for param in params:
        if isinstance(param, TyperOption) and not isinstance(param, _PlainValueOption):
            param.__class__ = _PlainValueOption
    return params


class _Commands(MutableMapping[str, Any]):
    """The root group's commands by name: an entry of ``COMMANDS`` is loaded when it is first looked up.

    Listing the names (``cwdesk --help``, ``in``) loads nothing; looking one up (running it, its help, a test
    walking the tree with ``.commands.items()``) imports its module then.
    """

    def __init__(self, loaded: Mapping[str, Any]) -> None:
        self.loaded: dict[str, Any] = dict(loaded)

    def __getitem__(self, name: str) -> Any:
        if name not in self.loaded:
            if name not in COMMANDS:
                raise KeyError(name)
            self.loaded[name] = load_command(name)
        return self.loaded[name]

    def __setitem__(self, name: str, command: Any) -> None:
        self.loaded[name] = command

    def __delitem__(self, name: str) -> None:
        del self.loaded[name]

    def __contains__(self, name: object) -> bool:
        return name in self.loaded or name in COMMANDS

    def __iter__(self) -> Iterator[str]:
        return iter(dict.fromkeys([*COMMANDS, *self.loaded]))

    def __len__(self) -> int:
        return len(set(COMMANDS) | set(self.loaded))


class _CommandsReportingStoreFaults(TyperGroup):
    """The root group: its commands load when used (``_Commands``), and every command's storage fault (disk full,
    read-only, damaged, vanished, lost connection) ends in one line."""

    # While the root's own help is written, commands not yet loaded are listed from the table (nothing imported).
    _listing = False

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self.commands = _Commands(self.commands)

    def get_params(self, ctx: Any) -> list[Any]:
        # (With the ``--help`` and completion options click and Typer add to the callback's own.)
        return _read_plainly(super().get_params(ctx))  # the same options, their values read without pydantic

    def list_commands(self, ctx: Any) -> list[str]:
        return list(self.commands)  # (Typer's own walks ``items()``, which would load every module)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        commands = self.commands
        if self._listing and isinstance(commands, _Commands) and cmd_name not in commands.loaded:
            help_text = COMMANDS[cmd_name][2]
            return TyperCommand(name=cmd_name, help=help_text, short_help=help_text)
        return super().get_command(ctx, cmd_name)

    def format_help(self, ctx: Any, formatter: Any) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False

    def invoke(self, ctx: Any) -> Any:  # (a click Context; Typer ships its own click, so no narrower type)
        try:
            return super().invoke(ctx)
        except Exception as error:
            # A storage fault is a StoreError or an SQLAlchemy error: neither can exist unless SQLAlchemy was
            # imported, so a command that never touched the store does not import it here either.
            if "sqlalchemy" not in sys.modules:
                raise
            from cwdesk.cli import store as store_cli

            code = store_cli.report_store_problem(error)
            if code is None:
                raise
            raise typer.Exit(code) from None


app = typer.Typer(
    name="cwdesk",
    cls=_CommandsReportingStoreFaults,
    help="Client management for MSPs on ConnectWise Manage and Automate.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    rich_markup_mode=None,  # click's help and errors: see ``_plain_help``
)


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"cwdesk {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: bool = typer.Option(
        False, "--version", callback=_show_version, is_eager=True, help="Print the version and exit."
    ),
    profile: str | None = typer.Option(
        None, "--profile", "-p", envvar="CWDESK_PROFILE", help="Saved connection profile to use (cwdesk config)."
    ),
    log_format: LogFormat = typer.Option(
        LogFormat.text, "--log-format", envvar="CWDESK_LOG_FORMAT", help="Log lines as text or JSON (on stderr)."
    ),
    log_level: str = typer.Option(
        "warning", "--log-level", envvar="CWDESK_LOG_LEVEL", help="debug, info, warning or error."
    ),
    insecure_http: bool = typer.Option(
        False,
        "--insecure-http",
        help="Allow an http:// ConnectWise server that is not on this machine (credentials travel in clear).",
    ),
) -> None:
    """Client management for MSPs on ConnectWise Manage and Automate."""
    from cwdesk.cli import connection
    from cwdesk.logs import configure_logging

    if insecure_http:
        from cwdesk.config import INSECURE_HTTP_ENV

        # The SDK clients read it wherever a command builds them (cwdesk.config.refuse_plain_http).
        os.environ[INSECURE_HTTP_ENV] = "1"
    try:
        configure_logging(log_format=log_format, level=log_level)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--log-level") from error
    connection.select_profile(profile)


def main() -> None:
    """Entry point of the ``cwdesk`` console script."""
    # httpx imports its own command-line tool at import (``httpx._main``: click, rich, pygments, ~70 ms of CPU)
    # whenever click is installed, and falls back to a stub when that import fails; cwdesk never runs that tool.
    # A ``None`` in ``sys.modules`` makes the import fail (the import system's documented rule), in this process.
    sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
    app()
