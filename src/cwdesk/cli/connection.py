"""How every command connects to ConnectWise, and how every failure becomes a one-line message and an exit code.

A command asks for a client with ``manage_client()`` or ``automate_client()`` (or their async twins); the choice of
credentials follows one rule, in this order:

1. ``--profile NAME`` on the command line (or ``CWDESK_PROFILE``), as chosen by the root callback;
2. the environment variables (``CWM_SERVER``, ``CWM_COMPANY``, ``CWM_PUBKEY``, ``CWM_PRIVATEKEY``, ``CWM_CLIENTID``
   for Manage; ``CWA_*`` for Automate) when any of them is set;
3. the profile named ``default`` when one exists;
4. otherwise a clear error saying how to configure a connection (exit code 2).

``reporting_errors()`` wraps a command body: cwdesk's exceptions become a readable line on stderr and the exit codes
of ``cli/output.py`` (2 for bad input or configuration, 1 for a failure at ConnectWise). Secrets never appear:
the SDK's errors are already redacted, and nothing here prints credentials.

``use_sandbox(sb)`` points every command at an in-process sandbox (tests and the demo) without touching the
environment; ``sandbox_transports()`` gives its transports to the rare call that is not an SDK call (fetching a
callback signing key). Every client built here has its private key or password registered with
``cwdesk.logs.register_secret``, so no log line can carry it.
Every Manage client built here also records each change it sends in the audit log as ``cli:<login name>``
(``cli.write_audit``, through its transport; Automate's commands record their own writes);
``audit_cli_writes(False)`` turns that off for the console, the worker and the MCP server, which audit (or act
for) someone else.

Not for: parsing profiles or environment variables (``cwdesk.config`` does that), printing records
(``cli/output.py``) or business rules (``cwdesk.workflows``).
"""

from __future__ import annotations

import contextlib
import getpass
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import typer

from cwdesk import config
from cwdesk.cli.output import EXIT_FAILURE, EXIT_USAGE, say
from cwdesk.errors import ConfigurationError, CWDeskError
from cwdesk.logs import register_secret

if TYPE_CHECKING:
    from cwdesk.automate.client import AsyncAutomateClient, AutomateClient
    from cwdesk.manage.client import AsyncManageClient, ManageClient

MANAGE_ENV_VARS = ("CWM_SERVER", "CWM_COMPANY", "CWM_PUBKEY", "CWM_PRIVATEKEY", "CWM_CLIENTID")
AUTOMATE_ENV_VARS = ("CWA_SERVER", "CWA_USERNAME", "CWA_PASSWORD", "CWA_CLIENTID")
DEFAULT_PROFILE = "default"

_Client = TypeVar("_Client")


@dataclass
class _Selection:
    """What the root callback chose for this invocation: a profile name and/or an in-process sandbox."""

    profile: str | None = None
    sandbox: Any = None
    # Every write of a Manage client built here goes into the audit log as ``cli:<login name>`` (``cli.write_audit``);
    # the console, the worker and the MCP server turn it off (they audit, or act for, someone else).
    audit_writes: bool = True


_selection = _Selection()


def select_profile(name: str | None) -> None:
    """Remember the profile chosen with ``--profile`` (or ``CWDESK_PROFILE``) for this invocation."""
    _selection.profile = name or None


def selected_profile() -> str | None:
    """The profile chosen for this invocation, if any."""
    return _selection.profile


@contextlib.contextmanager
def use_sandbox(sandbox: Any) -> Iterator[None]:
    """Within the block every client built here talks to ``sandbox`` (a ``cwdesk.sandbox.Sandbox``) in-process."""
    previous = _selection.sandbox
    _selection.sandbox = sandbox
    try:
        yield
    finally:
        _selection.sandbox = previous


def audit_cli_writes(on: bool) -> None:
    """Record (or not) every change the clients built here send, in the audit log (``cli.write_audit``)."""
    _selection.audit_writes = on


def cli_user() -> str:
    """Who acts from the command line, as jobs and the audit log record it: ``cli:<login name>``."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no login name (a container without a passwd entry)
        return "cli"


def _transport(inner: Any = None) -> Any:
    """``inner`` (``None``: httpx's own), audited when this invocation audits its writes."""
    if not _selection.audit_writes:
        return inner
    from cwdesk._http.core import DeferredTLSTransport
    from cwdesk.cli.write_audit import AuditedTransport

    # (httpx's own transport, its TLS context made on the first https request: none for a plain-http sandbox.)
    return AuditedTransport(inner if inner is not None else DeferredTLSTransport(), username=cli_user())


def _async_transport(inner: Any = None) -> Any:
    """The async twin of ``_transport``."""
    if not _selection.audit_writes:
        return inner
    from cwdesk._http.core import AsyncDeferredTLSTransport
    from cwdesk.cli.write_audit import AsyncAuditedTransport

    return AsyncAuditedTransport(inner if inner is not None else AsyncDeferredTLSTransport(), username=cli_user())


def fail(message: str, *, code: int = EXIT_FAILURE) -> NoReturn:
    """Print ``message`` on stderr (its control characters escaped: it may quote ConnectWise) and end with ``code``."""
    say(f"Error: {message}", err=True)
    raise typer.Exit(code)


def _env_is_set(names: tuple[str, ...]) -> bool:
    return any(os.environ.get(name) for name in names)


def _default_profile_exists() -> bool:
    # A profile file with unsafe permissions raises ConfigurationError here, and the caller reports it.
    return DEFAULT_PROFILE in config.list_profiles()


def _no_connection(product: str, env_vars: tuple[str, ...]) -> NoReturn:
    fail(
        f"No ConnectWise {product} connection is configured. Set {', '.join(env_vars)}, "
        "or save a profile with `cwdesk config add-profile NAME` and pass `--profile NAME` "
        f"(a profile named '{DEFAULT_PROFILE}' is used when nothing else is given).",
        code=EXIT_USAGE,
    )


def _manage_kwargs(sandbox_transport: Any) -> dict[str, Any]:
    sb = _selection.sandbox
    return {**sb.manage_credentials, "transport": sandbox_transport}


def _keep_secret_out_of_logs(client: _Client) -> _Client:
    """A client on a real ConnectWise: its secrets are masked in logs, and it paces with every other process."""
    credentials = getattr(client, "credentials", None)
    for attribute in ("private_key", "password"):
        register_secret(getattr(credentials, attribute, None))
    _share_rate_limits()
    return client


def _share_rate_limits() -> None:
    """One rate limit per credential for the console, the CLI and scheduled runs on this app's database (M6).

    A ready SQLite store is used through its file alone (no SQLAlchemy or Alembic: ``store.shared_throttle``).
    """
    from cwdesk.store.shared_throttle import share_rate_limits

    share_rate_limits()


def manage_client(profile: str | None = None) -> ManageClient:
    """A ``ManageClient`` for this invocation, chosen by the rule in the module docstring."""
    from cwdesk.manage.client import ManageClient

    if _selection.sandbox is not None:
        return ManageClient(**_manage_kwargs(_transport(_selection.sandbox.transport())))
    name = profile or _selection.profile
    with reporting_errors():
        if name:
            return _keep_secret_out_of_logs(ManageClient.from_profile(name, transport=_transport()))
        if _env_is_set(MANAGE_ENV_VARS):
            return _keep_secret_out_of_logs(ManageClient.from_env(transport=_transport()))
        if _default_profile_exists():
            return _keep_secret_out_of_logs(ManageClient.from_profile(DEFAULT_PROFILE, transport=_transport()))
    _no_connection("Manage", MANAGE_ENV_VARS)


def sandbox_transports() -> tuple[Any, Any]:
    """The in-process sandbox's (sync, async) transports when ``use_sandbox`` is active, else ``(None, None)``.

    For the few calls that are not SDK calls (fetching a callback signing key) but must reach the same server.
    """
    sb = _selection.sandbox
    return (sb.transport(), sb.async_transport()) if sb is not None else (None, None)


def async_manage_client(profile: str | None = None) -> AsyncManageClient:
    """The async twin of ``manage_client``."""
    from cwdesk.manage.client import AsyncManageClient

    if _selection.sandbox is not None:
        return AsyncManageClient(**_manage_kwargs(_async_transport(_selection.sandbox.async_transport())))
    name = profile or _selection.profile
    with reporting_errors():
        if name:
            return _keep_secret_out_of_logs(AsyncManageClient.from_profile(name, transport=_async_transport()))
        if _env_is_set(MANAGE_ENV_VARS):
            return _keep_secret_out_of_logs(AsyncManageClient.from_env(transport=_async_transport()))
        if _default_profile_exists():
            return _keep_secret_out_of_logs(
                AsyncManageClient.from_profile(DEFAULT_PROFILE, transport=_async_transport())
            )
    _no_connection("Manage", MANAGE_ENV_VARS)


def automate_configured(profile: str | None = None) -> bool:
    """Whether this invocation has an Automate connection, by the same order as ``automate_client`` (Automate is
    optional for the console, the worker and ``sandbox diff``: without one they leave Automate out)."""
    if _selection.sandbox is not None:
        return True  # `use_sandbox` (tests, demo): the in-process sandbox answers both
    name = profile or _selection.profile
    if name:
        return bool(config.profile_section(name, "automate"))
    if _env_is_set(AUTOMATE_ENV_VARS):
        return True
    return _default_profile_exists() and bool(config.profile_section(DEFAULT_PROFILE, "automate"))


def automate_client(profile: str | None = None) -> AutomateClient:
    """An ``AutomateClient`` for this invocation, chosen by the rule in the module docstring."""
    from cwdesk.automate.client import AutomateClient

    if _selection.sandbox is not None:
        sb = _selection.sandbox
        return AutomateClient(**sb.automate_credentials, transport=sb.transport())
    name = profile or _selection.profile
    with reporting_errors():
        if name:
            return _keep_secret_out_of_logs(AutomateClient.from_profile(name))
        if _env_is_set(AUTOMATE_ENV_VARS):
            return _keep_secret_out_of_logs(AutomateClient.from_env())
        if _default_profile_exists():
            return _keep_secret_out_of_logs(AutomateClient.from_profile(DEFAULT_PROFILE))
    _no_connection("Automate", AUTOMATE_ENV_VARS)


def async_automate_client(profile: str | None = None) -> AsyncAutomateClient:
    """The async twin of ``automate_client``."""
    from cwdesk.automate.client import AsyncAutomateClient

    if _selection.sandbox is not None:
        sb = _selection.sandbox
        return AsyncAutomateClient(**sb.automate_credentials, transport=sb.async_transport())
    name = profile or _selection.profile
    with reporting_errors():
        if name:
            return _keep_secret_out_of_logs(AsyncAutomateClient.from_profile(name))
        if _env_is_set(AUTOMATE_ENV_VARS):
            return _keep_secret_out_of_logs(AsyncAutomateClient.from_env())
        if _default_profile_exists():
            return _keep_secret_out_of_logs(AsyncAutomateClient.from_profile(DEFAULT_PROFILE))
    _no_connection("Automate", AUTOMATE_ENV_VARS)


def exit_code_for(error: BaseException) -> int:
    """The exit code of a failure: 2 when the user's input or configuration is wrong, else 1."""
    # (A ``--where`` syntax error is a ``ConfigurationError`` too: ``cwdesk.conditions.ConditionSyntaxError``.)
    return EXIT_USAGE if isinstance(error, ConfigurationError) else EXIT_FAILURE


def describe(error: BaseException) -> str:
    """The message for ``error`` (the SDK's errors carry their own redacted text; multi-line lists are kept)."""
    return str(error).strip() or type(error).__name__


@contextlib.contextmanager
def reporting_errors() -> Iterator[None]:
    """Turn cwdesk's exceptions inside the block into a message on stderr and the matching exit code."""
    try:
        yield
    except CWDeskError as error:
        fail(describe(error), code=exit_code_for(error))


def stderr_is_terminal() -> bool:
    """Whether progress bars and colours make sense (not when piped or under a test runner)."""
    return sys.stderr.isatty()
