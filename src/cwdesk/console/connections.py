"""How the console reaches ConnectWise: the embedded sandbox (demo mode) or a real server (live mode).

The console holds one ``ManageClient`` (and, when configured, one ``AutomateClient``) for the whole process, so
the SDK's throttle and retry policy are shared by every page and job. The credentials stay inside those clients:
the console only ever shows ``ConnectionSummary``, whose private key is reduced to "set" / "not set".
Not for: choosing a profile or reading ``CWM_*`` variables (``cwdesk.config`` / ``cli/connection.py`` do that and
hand the clients in), or any business rule.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from cwdesk.automate.client import AutomateClient
    from cwdesk.manage.client import ManageClient
    from cwdesk.sandbox import Sandbox

Mode = Literal["sandbox", "live"]
MASK = "••••••••"


@dataclass(frozen=True)
class ConnectionSummary:
    """What the settings page may show about a connection: never the private key or a password."""

    product: str
    server: str
    identity: str  # "company + public key" for Manage, the user name for Automate
    client_id: str
    secret_is_set: bool

    @property
    def secret_display(self) -> str:
        return MASK if self.secret_is_set else "(not set)"


def _credential(credentials: dict[str, Any], key: str) -> str:
    value = credentials.get(key)
    return str(value) if value else ""


def manage_summary(credentials: dict[str, Any]) -> ConnectionSummary:
    """The showable part of Manage credentials (keys as ``ManageClient`` takes them)."""
    return ConnectionSummary(
        product="ConnectWise Manage",
        server=_credential(credentials, "server"),
        identity=f"{_credential(credentials, 'company')} + {_credential(credentials, 'public_key')}",
        client_id=_credential(credentials, "client_id"),
        secret_is_set=bool(credentials.get("private_key")),
    )


def automate_summary(credentials: dict[str, Any]) -> ConnectionSummary:
    """The showable part of Automate credentials (keys as ``AutomateClient`` takes them)."""
    return ConnectionSummary(
        product="ConnectWise Automate",
        server=_credential(credentials, "server"),
        identity=_credential(credentials, "username"),
        client_id=_credential(credentials, "client_id"),
        secret_is_set=bool(credentials.get("password")),
    )


@dataclass
class Connections:
    """The clients one console process uses, and what may be shown about them."""

    mode: Mode
    manage: ManageClient
    manage_info: ConnectionSummary
    automate: AutomateClient | None = None
    automate_info: ConnectionSummary | None = None
    # Kept so the in-process emulator lives as long as the console (demo mode only).
    sandbox: Sandbox | None = None
    _api_version: str | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def demo(cls, seed: str | int = "demo", *, db_path: str | None = None) -> Connections:
        """Both clients on an in-process sandbox seeded with ``seed`` ("demo" or a number of companies)."""
        from cwdesk.sandbox import Sandbox

        return cls.on_sandbox(Sandbox(seed=seed, db_path=db_path))

    @classmethod
    def on_sandbox(cls, sandbox: Sandbox) -> Connections:
        """Both clients on an existing sandbox (tests share one with the code they check)."""
        from cwdesk.automate.client import AutomateClient
        from cwdesk.manage.client import ManageClient

        manage_credentials: dict[str, Any] = dict(sandbox.manage_credentials)
        automate_credentials: dict[str, Any] = dict(sandbox.automate_credentials)
        return cls(
            mode="sandbox",
            manage=ManageClient(**manage_credentials, transport=sandbox.transport()),
            manage_info=manage_summary(manage_credentials),
            automate=AutomateClient(**automate_credentials, transport=sandbox.transport()),
            automate_info=automate_summary(automate_credentials),
            sandbox=sandbox,
        )

    def api_version(self) -> str:
        """The Manage server's version from ``/system/info`` (asked once), or "unknown" when it cannot be read."""
        with self._lock:
            if self._api_version is None:
                try:
                    info = self.manage.system.info()
                    self._api_version = str(getattr(info, "version", None) or "unknown")
                except Exception:  # the header must render even when ConnectWise is unreachable
                    return "unreachable"
            return self._api_version
