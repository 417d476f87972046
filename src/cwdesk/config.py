"""Where credentials come from: environment variables, profiles under ``$CWDESK_HOME``, and the OS keyring.

- ``ManageCredentials``: the five values of a Manage API key (server, company, public key, private key, clientId),
  checked when built (a clear ``ConfigurationError`` before any request) and never printed: ``repr``/``str``
  show ``private_key='***'``. Build them directly, ``from_env()`` (``CWM_SERVER``, ``CWM_COMPANY``,
  ``CWM_PUBKEY``, ``CWM_PRIVATEKEY``, ``CWM_CLIENTID``, the names the PowerShell module's users know), or
  ``from_profile(name)``.
- Profiles: one YAML file, ``profiles_path()`` = ``config_dir()/profiles.yaml``, mode 0600 in a 0700 folder (a
  wider file or folder is refused, naming the ``chmod``: the rule is ``cwdesk.private_files``).
  Each profile has a section per product::

      default:
        manage: {server: na.myconnectwise.net, company: acme, public_key: ..., private_key: ..., client_id: ...}
        automate: {server: ..., username: ..., password: ..., client_id: ...}

  A secret (``private_key``, ``password``) may be left out of the file and kept in the OS keyring instead
  (``save_profile(..., use_keyring=True)``), under service ``cwdesk``, user ``"{profile}/{section}/{key}"``.
  Only a real keyring is accepted: a backend that keeps secrets in a plain file (``keyrings.alt``'s
  ``PlaintextKeyring`` keeps them base64-encoded in ``keyring_pass.cfg``, readable as the 0600 profile file
  itself is, but under a name that claims more) or stores nothing is refused, naming itself.
  ``profile_section(name, "automate")`` gives any section as a dict (the Automate client reads its own).

- Plain http (issue 14, Info): a server written out as ``http://`` is accepted only on a loopback host (the sandbox,
  tests); anywhere else the API key or password would travel in clear, so ``refuse_plain_http`` refuses it unless
  the caller opts in (``insecure_http=True`` on the SDK clients, ``cwdesk --insecure-http``, or
  ``CWDESK_INSECURE_HTTP=1``).

Not for: turning credentials into HTTP (``manage/client.py`` does, with ``_http``), or choosing which profile a
command uses (``cli/connection.py``).
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cwdesk.errors import ConfigurationError
from cwdesk.home import config_dir
from cwdesk.private_files import check_private, private_folder, private_umask

__all__ = [
    "INSECURE_HTTP_ENV",
    "MANAGE_ENV_VARS",
    "SECRET_KEYS",
    "ManageCredentials",
    "delete_profile",
    "is_loopback",
    "list_profiles",
    "profile_section",
    "profiles_path",
    "refuse_plain_http",
    "save_profile",
    "validate_client_id",
]

MANAGE_ENV_VARS = {
    "server": "CWM_SERVER",
    "company": "CWM_COMPANY",
    "public_key": "CWM_PUBKEY",
    "private_key": "CWM_PRIVATEKEY",
    "client_id": "CWM_CLIENTID",
}
SECRET_KEYS = frozenset({"private_key", "password", "token", "passcode"})
KEYRING_SERVICE = "cwdesk"
_MANAGE_KEYS = ("server", "company", "public_key", "private_key", "client_id")
INSECURE_HTTP_ENV = "CWDESK_INSECURE_HTTP"


def refuse_plain_http(url: str, *, product: str, insecure_http: bool = False) -> None:
    """Refuse an ``http://`` ``url`` on a non-loopback host unless ``insecure_http`` (or ``CWDESK_INSECURE_HTTP=1``)."""
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname or ""
    except ValueError:
        return  # not a URL we can read: the client's own parsing reports it
    if parts.scheme.lower() != "http" or is_loopback(host):
        return
    if insecure_http or os.environ.get(INSECURE_HTTP_ENV, "").strip().lower() in {"1", "true", "yes"}:
        return
    raise ConfigurationError(
        f"The {product} server {url!r} uses plain http on a host that is not this machine: the credentials would "
        "travel in clear. Use https://, or, if you really must, pass --insecure-http (CWDESK_INSECURE_HTTP=1; "
        "insecure_http=True in the SDK)."
    )


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or an IP literal, brackets allowed) is this machine: ``localhost`` or a loopback IP.

    The one rule for where plain http is accepted (a ConnectWise server, a callback key URL, the console's bind
    address). ``*.localhost`` names are not taken: whether they resolve to loopback depends on the resolver."""
    name = host.strip().lower().rstrip(".")
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name.strip("[]")).is_loopback
    except ValueError:
        return False


def validate_client_id(client_id: str, *, product: str = "ConnectWise") -> str:
    """The clientId, trimmed, if it is a UUID; else a ``ConfigurationError`` saying where to get one."""
    text = (client_id or "").strip()
    try:
        uuid.UUID(text)
    except ValueError:
        raise ConfigurationError(
            f"The {product} clientId {text!r} is not a UUID (like 1d4c2a5e-7b7f-4c1e-9a53-0f2b8c6d9e10): "
            "register an integration at developer.connectwise.com to get one"
        ) from None
    return text


@dataclass(frozen=True)
class ManageCredentials:
    """A Manage API key. Checked when built; the private key never appears in ``repr`` or ``str``."""

    server: str
    company: str
    public_key: str
    private_key: str = field(repr=False)
    client_id: str

    def __post_init__(self) -> None:
        problems: list[str] = []
        if not (self.server or "").strip():
            problems.append("server is empty: give the host, e.g. na.myconnectwise.net, or a URL")
        company = (self.company or "").strip()
        if not company:
            problems.append("company is empty: give the company id you type at the ConnectWise login")
        elif any(ch in company for ch in "+: /"):
            problems.append(
                f"company {company!r} contains '+', ':', '/' or a space: the auth string is "
                "'company+public:private', so give only the company id"
            )
        if not (self.public_key or "").strip():
            problems.append("public key is empty: create an API key on the API member (System > Members)")
        elif ":" in self.public_key or "+" in self.public_key:
            problems.append("public key contains ':' or '+': copy the public key alone")
        if not (self.private_key or "").strip():
            problems.append("private key is empty: it is shown once when the API key is created")
        if problems:
            raise ConfigurationError("Manage credentials are not usable: " + "; ".join(problems))
        object.__setattr__(self, "client_id", validate_client_id(self.client_id, product="ConnectWise Manage"))
        object.__setattr__(self, "company", company)
        object.__setattr__(self, "public_key", self.public_key.strip())
        object.__setattr__(self, "private_key", self.private_key.strip())
        object.__setattr__(self, "server", self.server.strip())

    def __repr__(self) -> str:
        return (
            f"ManageCredentials(server={self.server!r}, company={self.company!r}, public_key={self.public_key!r}, "
            f"private_key='***', client_id={self.client_id!r})"
        )

    __str__ = __repr__

    @property
    def identity(self) -> str:
        """A non-secret key naming this credential (for the shared throttle and logs)."""
        return f"manage:{self.server.lower()}/{self.company.lower()}/{self.public_key}"

    def as_kwargs(self) -> dict[str, str]:
        """The keyword arguments ``ManageClient`` takes (contains the private key: do not log it)."""
        return {key: getattr(self, key) for key in _MANAGE_KEYS}

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ManageCredentials:
        """From ``CWM_SERVER``, ``CWM_COMPANY``, ``CWM_PUBKEY``, ``CWM_PRIVATEKEY``, ``CWM_CLIENTID``."""
        env = os.environ if environ is None else environ
        missing = [var for var in MANAGE_ENV_VARS.values() if not env.get(var)]
        if missing:
            raise ConfigurationError(
                f"Missing environment variable(s) {', '.join(missing)}: set all of "
                f"{', '.join(MANAGE_ENV_VARS.values())}, or use a profile"
            )
        return cls(**{key: env[var] for key, var in MANAGE_ENV_VARS.items()})

    @classmethod
    def from_profile(cls, name: str) -> ManageCredentials:
        """From the ``manage`` section of profile ``name`` (secret from the keyring when not in the file)."""
        section = profile_section(name, "manage")
        missing = [key for key in _MANAGE_KEYS if not section.get(key)]
        if missing:
            raise ConfigurationError(
                f"Profile {name!r} has no {', '.join(missing)} in its manage section ({profiles_path()}): "
                f"run `cwdesk config add-profile {name}` again"
            )
        return cls(**{key: str(section[key]) for key in _MANAGE_KEYS})


# -- the profile file ---------------------------------------------------------------------------------------


def profiles_path() -> Path:
    """The profile file: ``$CWDESK_HOME/profiles.yaml`` (default ``~/.config/cwdesk/profiles.yaml``)."""
    return config_dir() / "profiles.yaml"


def _read_all() -> dict[str, Any]:
    path = profiles_path()
    if not path.exists():
        return {}
    check_private(path.parent)
    check_private(path)
    import yaml  # (here: a command reading only the environment never pays its ~12 ms; docs/cli.md "Start-up")

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigurationError(f"{path} is not valid YAML: {exc}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigurationError(f"{path} must map profile names to sections")
    return data


def _write_all(data: Mapping[str, Any]) -> None:
    path = profiles_path()
    private_folder(path.parent)
    import yaml

    text = yaml.safe_dump(dict(data), sort_keys=True)
    # Create with 0600 from the start so the secret is never readable by others, even briefly.
    tmp = path.with_suffix(".tmp")
    with private_umask():
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, text.encode("utf-8"))
    finally:
        os.close(fd)
    os.replace(tmp, path)


def list_profiles() -> list[str]:
    """The names of the saved profiles, sorted."""
    return sorted(str(name) for name in _read_all())


def _keyring_user(profile: str, section: str, key: str) -> str:
    return f"{profile}/{section}/{key}"


# Backends that are no keyring: they keep the secret in a plain file, or store nothing at all.
_NOT_A_KEYRING = {
    "keyring.backends.null.Keyring": "stores nothing",
    "keyring.backends.fail.Keyring": "has no keyring to store in",
}


def _not_a_keyring(backend: object) -> str | None:
    """Why ``backend`` (the one a ``set_password`` would write to) is no real keyring, or None when it is one."""
    chained = getattr(backend, "backends", None)
    if chained:  # keyring's ChainerBackend writes to its first (highest-priority) backend
        backend = next(iter(chained))
    kind = type(backend)
    name = f"{kind.__module__}.{kind.__qualname__}"
    if name in _NOT_A_KEYRING:
        return f"{name} {_NOT_A_KEYRING[name]}"
    if "plaintext" in kind.__qualname__.lower():
        where = getattr(backend, "file_path", "a file")
        return f"{name} keeps secrets in plain text (base64 is no encryption) in {where}"
    return None


def _real_keyring() -> Any:
    """The ``keyring`` module when its backend is a real keyring; else a ``ConfigurationError`` saying what it is."""
    try:
        import keyring
    except ImportError:
        raise ConfigurationError("The keyring package is not installed: pip install 'cwdesk[keyring]'") from None
    problem = _not_a_keyring(keyring.get_keyring())
    if problem:
        raise ConfigurationError(
            f"Refusing to store secrets in the keyring: the keyring backend {problem}, which is no OS keyring. "
            "Use the desktop's keyring (Secret Service/GNOME Keyring/KWallet, macOS Keychain, Windows Credential "
            "Locker), or leave --keyring out to keep the secrets in the 0600 profile file"
        )
    return keyring


def _keyring_get(profile: str, section: str, key: str) -> str | None:
    try:
        import keyring
    except ImportError:
        return None
    try:
        value = keyring.get_password(KEYRING_SERVICE, _keyring_user(profile, section, key))
    except Exception:  # any backend failure means "not available", reported as a missing value
        return None
    return str(value) if value else None


def profile_section(name: str, section: str) -> dict[str, str]:
    """One section of a profile as strings, secrets filled from the keyring when the file leaves them out."""
    profiles = _read_all()
    if name not in profiles:
        known = ", ".join(sorted(profiles)) or "none yet"
        raise ConfigurationError(
            f"No profile named {name!r} in {profiles_path()} (profiles: {known}): "
            f"create it with `cwdesk config add-profile {name}`"
        )
    raw = profiles[name] or {}
    if not isinstance(raw, dict) or not isinstance(raw.get(section, {}), dict):
        raise ConfigurationError(f"Profile {name!r} in {profiles_path()} is malformed: expected '{section}:' mapping")
    values = {str(k): str(v) for k, v in (raw.get(section) or {}).items() if v is not None}
    for key in SECRET_KEYS:
        if key in values or not values:
            continue
        secret = _keyring_get(name, section, key)
        if secret:
            values[key] = secret
    return values


def save_profile(
    name: str,
    *,
    manage: ManageCredentials | Mapping[str, str] | None = None,
    automate: Mapping[str, str] | None = None,
    use_keyring: bool = False,
) -> Path:
    """Write (or replace sections of) profile ``name``; with ``use_keyring`` the secrets go to the OS keyring."""
    if not name or not name.replace("-", "").replace("_", "").isalnum():
        raise ConfigurationError(f"Profile name {name!r} is invalid: use letters, digits, '-' and '_'")
    keyring = _real_keyring() if use_keyring else None
    data = _read_all()
    profile = dict(data.get(name) or {})
    sections: dict[str, Mapping[str, str]] = {}
    if manage is not None:
        creds = manage if isinstance(manage, ManageCredentials) else ManageCredentials(**dict(manage))
        sections["manage"] = creds.as_kwargs()
    if automate is not None:
        sections["automate"] = dict(automate)
    for section, values in sections.items():
        stored = dict(values)
        if keyring is not None:
            for key in SECRET_KEYS & stored.keys():
                keyring.set_password(KEYRING_SERVICE, _keyring_user(name, section, key), stored.pop(key))
        profile[section] = stored
    data[name] = profile
    _write_all(data)
    return profiles_path()


def delete_profile(name: str) -> None:
    """Remove profile ``name`` from the file and its secrets from the keyring."""
    data = _read_all()
    if name not in data:
        raise ConfigurationError(f"No profile named {name!r} in {profiles_path()}")
    sections = data.pop(name) or {}
    _write_all(data)
    with contextlib.suppress(ImportError):
        import keyring

        for section in sections if isinstance(sections, dict) else {}:
            for key in SECRET_KEYS:
                with contextlib.suppress(Exception):
                    keyring.delete_password(KEYRING_SERVICE, _keyring_user(name, section, key))
