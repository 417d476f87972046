"""ConnectWise clients written by others, run unchanged against ``cwdesk sandbox serve --tls`` as a real process.

One TLS sandbox (demo data) serves every test here; each client trusts it only through the CA the sandbox printed
(``REQUESTS_CA_BUNDLE`` for pyconnectwise's ``requests``, ``NODE_EXTRA_CA_CERTS`` for connectwise-rest's axios).
What a client should find is read from the sandbox with plain httpx, never through the client under test, and the
sandbox's request log shows which pages the client asked for.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs

import pytest

from tests.loopback import Served, serve

NODE_FOLDER = Path(__file__).parent / "node"

# Companies that exist and are active; the scenarios read them and leave the ones they create out of it.
ACTIVE_COMPANIES = 'deletedFlag = false and status/name = "Active"'


@pytest.fixture(scope="session")
def tls_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with serve(tmp_path_factory.mktemp("third-party-sandbox"), "--tls", "--seed", "demo") as served:
        yield served


@pytest.fixture(scope="session")
def node() -> str:
    """The ``node`` binary, with connectwise-rest installed from tests/third_party/node/package-lock.json."""
    binary = shutil.which("node")
    assert binary, "Node.js is needed for the connectwise-rest tests: install Node 20 (apt-get install nodejs)."
    assert (NODE_FOLDER / "node_modules" / "connectwise-rest").is_dir(), (
        "connectwise-rest is not installed: run `npm ci --prefix tests/third_party/node` (.ci/run does it)."
    )
    return binary


def host_of(served: Served) -> str:
    """``localhost:PORT``: both clients take the server as a host and put ``https://`` in front themselves."""
    return served.base.removeprefix("https://")


def pages_requested(served: Served, path: str, since: int) -> list[tuple[int, int]]:
    """The ``(page, pageSize)`` of each GET of ``path`` in the sandbox's log after entry ``since``."""
    asked: list[tuple[int, int]] = []
    for entry in served.log()[since:]:
        if entry["method"] != "GET" or not entry["path"].lower().endswith(path.lower()):
            continue
        query = {key.lower(): values[-1] for key, values in parse_qs(entry["query"]).items()}
        asked.append((int(query.get("page", 1)), int(query.get("pagesize", 0))))
    return asked
