"""Where cwdesk keeps its files on this machine.

One place for the rule: ``$CWDESK_HOME`` holds everything when it is set (tests and CI set it to a temporary
folder); otherwise profiles live under ``~/.config/cwdesk`` and the app's database under
``~/.local/share/cwdesk``, as the XDG conventions most Linux and macOS users expect.
Not for: reading the files themselves (``config`` reads profiles, ``store`` opens the database).
"""

from __future__ import annotations

import os
from pathlib import Path


def config_dir() -> Path:
    """The folder for profiles (credentials): ``$CWDESK_HOME`` or ``~/.config/cwdesk``."""
    home = os.environ.get("CWDESK_HOME")
    if home:
        return Path(home)
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "cwdesk"


def data_dir() -> Path:
    """The folder for the app's own database: ``$CWDESK_HOME`` or ``~/.local/share/cwdesk``."""
    home = os.environ.get("CWDESK_HOME")
    if home:
        return Path(home)
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "cwdesk"
