"""Automate credentials: server, username, password, ClientId and an optional two-factor passcode.

Built directly, ``from_env()`` (``CWA_SERVER``, ``CWA_USERNAME``, ``CWA_PASSWORD``, ``CWA_CLIENTID``,
``CWA_2FA_CODE``) or ``from_profile(name)`` (the ``automate`` section of a profile, read by ``cwdesk.config``; the
password may live in the OS keyring). Checked when built, so a bad value fails before any request; ``repr`` and
``str`` never show the password or the passcode.

Not for: the token flow (``automate/auth.py``) or reading the profile file (``cwdesk.config``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from cwdesk.config import profile_section, profiles_path, validate_client_id
from cwdesk.errors import ConfigurationError

__all__ = ["AUTOMATE_ENV_VARS", "AutomateCredentials"]

AUTOMATE_ENV_VARS = {
    "server": "CWA_SERVER",
    "username": "CWA_USERNAME",
    "password": "CWA_PASSWORD",
    "client_id": "CWA_CLIENTID",
    "two_factor_code": "CWA_2FA_CODE",
}
_REQUIRED = ("server", "username", "password", "client_id")


@dataclass(frozen=True)
class AutomateCredentials:
    """An Automate API login. The password and passcode never appear in ``repr``."""

    server: str
    username: str
    password: str = field(repr=False)
    client_id: str
    two_factor_code: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        problems: list[str] = []
        if not (self.server or "").strip():
            problems.append("server is empty: give the Automate host, e.g. automate.example.com, or its URL")
        if not (self.username or "").strip():
            problems.append("username is empty: give the Automate user the integration logs in as")
        if not (self.password or ""):
            problems.append("password is empty")
        if problems:
            raise ConfigurationError("Automate credentials are not usable: " + "; ".join(problems))
        object.__setattr__(self, "client_id", validate_client_id(self.client_id, product="ConnectWise Automate"))
        object.__setattr__(self, "server", self.server.strip())
        object.__setattr__(self, "username", self.username.strip())
        code = (self.two_factor_code or "").strip() or None
        object.__setattr__(self, "two_factor_code", code)

    def __repr__(self) -> str:
        passcode = ", two_factor_code='***'" if self.two_factor_code else ""
        return (
            f"AutomateCredentials(server={self.server!r}, username={self.username!r}, password='***', "
            f"client_id={self.client_id!r}{passcode})"
        )

    __str__ = __repr__

    @property
    def identity(self) -> str:
        """A non-secret key naming this login (for the shared throttle and logs)."""
        return f"automate:{self.server.lower()}/{self.username.lower()}"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> AutomateCredentials:
        """From ``CWA_SERVER``, ``CWA_USERNAME``, ``CWA_PASSWORD``, ``CWA_CLIENTID`` (and ``CWA_2FA_CODE``)."""
        env = os.environ if environ is None else environ
        missing = [AUTOMATE_ENV_VARS[key] for key in _REQUIRED if not env.get(AUTOMATE_ENV_VARS[key])]
        if missing:
            raise ConfigurationError(
                f"Missing environment variable(s) {', '.join(missing)}: set "
                f"{', '.join(AUTOMATE_ENV_VARS[key] for key in _REQUIRED)} (and CWA_2FA_CODE if the user has "
                "two-factor sign-in), or use a profile"
            )
        return cls(**{key: env.get(var) or None for key, var in AUTOMATE_ENV_VARS.items()})  # type: ignore[arg-type]

    @classmethod
    def from_profile(cls, name: str, *, environ: Mapping[str, str] | None = None) -> AutomateCredentials:
        """From the ``automate`` section of profile ``name``; the passcode from ``CWA_2FA_CODE`` when set."""
        section = profile_section(name, "automate")
        missing = [key for key in _REQUIRED if not section.get(key)]
        if missing:
            raise ConfigurationError(
                f"Profile {name!r} has no {', '.join(missing)} in its automate section ({profiles_path()}): "
                f"run `cwdesk config add-profile {name}` again"
            )
        env = os.environ if environ is None else environ
        code = section.get("two_factor_code") or env.get(AUTOMATE_ENV_VARS["two_factor_code"])
        return cls(**{key: section[key] for key in _REQUIRED}, two_factor_code=code)
