"""How the console reaches ConnectWise: the embedded sandbox (demo mode) or a real server (live mode).

The console holds one ``ManageClient`` (and, when configured, one ``AutomateClient``) for the whole process, so
the SDK's throttle and retry policy are shared by every page and job. The credentials stay inside those clients:
the console only ever shows ``ConnectionSummary``, whose private key is reduced to "set" / "not set".
Not for: choosing a profile or reading ``CWM_*`` variables (``cwdesk.config`` / ``cli/connection.py`` do that and
hand the clients in), or any business rule.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlencode, urlsplit

if TYPE_CHECKING:
    from cwdesk.automate.client import AutomateClient
    from cwdesk.manage.client import ManageClient
    from cwdesk.sandbox import Sandbox

Mode = Literal["sandbox", "live"]
MASK = "••••••••"

#: ConnectWise Manage opens one record in its web screens at ``{site}/{codebase}services/system_io/router/
#: openrecord.rails`` with ``recordType`` (``CompanyFV``, ``ContactFV``...), ``recid`` and ``companyName`` (the
#: company id typed at login). That is how integrations deep-link into Manage, e.g. links built as
#: ``.../v4_6_release/services/system_io/router/openrecord.rails?locale=en_US&recordType=CompanyFV&recid=%d&
#: companyName=...`` in public Go and PHP clients (found with the code search; docs/console.md cites them). The web
#: site is the host users sign in to: a cloud API host ``api-na.myconnectwise.net`` serves its screens at
#: ``na.myconnectwise.net``.
OPEN_RECORD_PATH = "services/system_io/router/openrecord.rails"
_CLOUD_API_HOST = re.compile(r"^api-(?P<region>[a-z0-9-]+\.myconnectwise\.net)$", re.IGNORECASE)


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
    # "" once worked out and unusable (then no link is shown); None until then.
    _web_base: str | None = field(default=None, repr=False)
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

    def kept_web_base(self) -> str | None:
        """``web_base`` when already worked out (never calls ConnectWise), else None."""
        return self._web_base

    def web_base(self) -> str:
        """Where Manage's own screens are, e.g. ``https://na.myconnectwise.net/v4_6_release/`` (live mode only;
        "" in demo mode, where no ConnectWise record exists to open, or when the address cannot be worked out).

        The codebase comes from the SDK's discovery (its API base ``{origin}/{codebase}apis/3.0``)."""
        if self._web_base is not None:
            return self._web_base
        base = ""
        if self.mode == "live":
            try:
                api = urlsplit(self.manage.get_base_url())
                codebase = api.path.split("/apis/3.0", 1)[0].strip("/")
                host = api.hostname or ""
                cloud = _CLOUD_API_HOST.match(host)
                web_host = cloud.group("region") if cloud else host
                port = f":{api.port}" if api.port else ""
                if web_host and codebase:
                    base = f"{api.scheme}://{web_host}{port}/{codebase}/"
            except Exception:  # no link rather than a broken page when ConnectWise cannot be reached
                return ""
        self._web_base = base
        return base

    def record_url(self, record_type: str, record_id: int) -> str:
        """The Manage web address of one record (``record_type`` ``CompanyFV`` or ``ContactFV``), or "" when there
        is none to open (demo mode). Only after ``web_base`` was worked out (so a page never waits on it)."""
        base = self._web_base
        if not base:
            return ""
        company = str(getattr(getattr(self.manage, "credentials", None), "company", "") or "")
        query = urlencode({"locale": "en_US", "recordType": record_type, "recid": record_id, "companyName": company})
        return f"{base}{OPEN_RECORD_PATH}?{query}"

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
