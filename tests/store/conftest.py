"""Fixtures of the store tests: a real PostgreSQL on loopback for the portability tests.

``postgres_url`` is ``CWDESK_TEST_POSTGRES_URL`` when set; otherwise a throwaway server is started from the local
PostgreSQL binaries (``initdb``/``postgres``) in a temporary folder on a free 127.0.0.1 port, and stopped (by its
PID) at the end of the session. As root, the server runs as ``nobody`` (PostgreSQL refuses to run as root).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from tests.loopback import free_port


def _as_server_user(command: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "nobody", "--", *command]
    return command


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    given = os.environ.get("CWDESK_TEST_POSTGRES_URL")
    if given:
        yield given
        return
    initdb, postgres = shutil.which("initdb"), shutil.which("postgres")
    if not initdb or not postgres:
        pytest.fail("PostgreSQL tests need CWDESK_TEST_POSTGRES_URL or the initdb/postgres binaries on PATH")
    folder = tempfile.mkdtemp(prefix="cwdesk-pg-")
    if os.geteuid() == 0:
        shutil.chown(folder, user="nobody")
    data = os.path.join(folder, "data")
    subprocess.run(
        _as_server_user([initdb, "-D", data, "-A", "trust", "-U", "cwdesk"]),
        check=True,
        capture_output=True,
        timeout=120,
    )
    port = free_port()
    server = subprocess.Popen(
        _as_server_user([postgres, "-D", data, "-h", "127.0.0.1", "-p", str(port), "-k", folder]),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"postgresql+psycopg://cwdesk@127.0.0.1:{port}/postgres"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                engine = sa.create_engine(url)
                with engine.connect():
                    pass
                engine.dispose()
                break
            except sa.exc.OperationalError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.2)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(10)
        shutil.rmtree(folder, ignore_errors=True)
