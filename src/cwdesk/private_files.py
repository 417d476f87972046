"""The one rule for cwdesk's own files on disk: other local users can read none of them.

- The config folder (profiles, ``home.config_dir()``) and the data folder (the database, ``home.data_dir()``) are
  created mode 0700; the files cwdesk writes in them (``profiles.yaml``, ``cwdesk.db`` and SQLite's
  ``cwdesk.db-wal`` / ``cwdesk.db-shm``) mode 0600. They hold API keys, password hashes, the audit log, job data
  with customer contacts and the synced records.
- An existing folder or file that is wider (any group or other bit) is refused with a ``PrivateFilesError`` that
  names the ``chmod`` that fixes it: cwdesk does not silently change modes the owner may have chosen.
- SQLite creates its ``-wal`` and ``-shm`` files with the permissions of the database file itself
  (``findCreateFileMode`` in SQLite's ``src/os_unix.c``), so the database file is created 0600 before SQLite
  first opens it, with the umask tightened around the creation; ``tests/security/test_private_files.py`` checks
  the side files' modes on disk after a real start.
- On Windows (no POSIX modes) the checks are skipped: the folders live in the user's profile, which Windows
  already keeps private.

Not for: where the folders are (``cwdesk.home``) or what goes into the files (``config``, ``store``).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cwdesk.errors import ConfigurationError
from cwdesk.home import config_dir, data_dir

__all__ = [
    "PRIVATE_FILE_MODE",
    "PRIVATE_FOLDER_MODE",
    "PrivateFilesError",
    "check_private",
    "prepare_database",
    "private_folder",
    "private_umask",
]

PRIVATE_FOLDER_MODE = 0o700
PRIVATE_FILE_MODE = 0o600
SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")
_CHECKED = os.name != "nt"


class PrivateFilesError(ConfigurationError):
    """A cwdesk folder or file other local users could read; the message names the ``chmod`` that fixes it."""


def check_private(path: Path) -> None:
    """Refuse ``path`` (when it exists) if any group or other permission bit is set."""
    if not _CHECKED:
        return
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return
    if mode & 0o077:
        is_folder = path.is_dir()
        wanted = PRIVATE_FOLDER_MODE if is_folder else PRIVATE_FILE_MODE
        kind = "folder" if is_folder else "file"
        raise PrivateFilesError(
            f"Refusing to use {path}: the {kind} is open to other local users (mode {mode:o}) and holds cwdesk's "
            f"secrets or data. Run `chmod {wanted:o} {path}` and start again."
        )


@contextmanager
def private_umask() -> Iterator[None]:
    """Files and folders created in the block get no group or other bits (the process umask, restored after)."""
    previous = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(previous)


def private_folder(path: Path) -> Path:
    """``path`` as a private folder: created 0700 when missing (parents as usual), refused when wider."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        with private_umask():
            path.mkdir(mode=PRIVATE_FOLDER_MODE, exist_ok=True)
    check_private(path)
    return path


def _is_own_folder(folder: Path) -> bool:
    resolved = folder.resolve()
    return resolved in {config_dir().resolve(), data_dir().resolve()}


def prepare_database(url: str) -> None:
    """Before an engine opens ``url``: a SQLite file is created 0600 if missing, and it and its side files (and
    cwdesk's own data folder holding it) are refused if wider. Other databases (PostgreSQL) are not files here."""
    if not url.startswith("sqlite"):
        return
    database = url.split(":///", 1)[1] if ":///" in url else ""
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database.split("?", 1)[0])
    if _is_own_folder(path.parent):
        private_folder(path.parent)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        with private_umask():
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, PRIVATE_FILE_MODE))
    for candidate in (path, *(path.with_name(path.name + side) for side in SQLITE_SIDE_FILES)):
        check_private(candidate)
