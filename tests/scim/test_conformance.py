"""scim2-tester, the SCIM conformance checker (PyPI ``scim2-tester``), against the bridge served over HTTP on the
sandbox: no check may end in ERROR or CRITICAL. The summary is printed (``pytest -s`` shows it).

The checker fills every string it has no example for with a 36-character UUID, which no ConnectWise identifier
(15 characters), first or last name (30) or security role name (30) can hold, so the bridge rightly refuses them
(``invalidValue``; ``test_users.py`` checks that refusal). SCIM schemas cannot carry a length, so the client
here is given the bridge's own models with ``examples`` of the right length: fresh, unique user and group
names, and short first and last names. Nothing else of the checker is changed.
"""

from __future__ import annotations

import itertools
import secrets
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, ClassVar

import httpx2
import pytest
import uvicorn
from pydantic import Field
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_models import ComplexAttribute, Mutability, Required, ResourceType, ScimProvider, Uniqueness
from scim2_tester import Status, check_server
from starlette.applications import Starlette
from starlette.routing import Mount

from cwdesk.sandbox import Sandbox
from cwdesk.scim.models import Group, Name, User, service_config
from tests.scim.conftest import Bridge, make_bridge


class FreshNames(list[str]):
    """``examples`` that give a new name each time the checker picks one (it calls ``random.choice`` on them)."""

    def __init__(self, prefix: str) -> None:
        super().__init__([prefix])
        self.prefix = prefix
        self.numbers = itertools.count(1)

    def __len__(self) -> int:
        return 1_000_000

    def __getitem__(self, index: Any) -> Any:
        return f"{self.prefix}{next(self.numbers):05d}"


RUN = secrets.token_hex(2)


class ClientName(Name):
    family_name: Annotated[str | None, Required.true] = Field(None, examples=["Jensen", "Okafor", "Nakamura"])
    given_name: Annotated[str | None, Required.true] = Field(None, examples=["Barbara", "Chidi", "Yuki"])


class ClientUser(User):
    user_name: Annotated[str | None, Uniqueness.server, Required.true] = Field(None, examples=FreshNames(f"u{RUN}"))
    name: Annotated[ClientName | None, Required.true] = None
    Name: ClassVar[type[ComplexAttribute]] = ClientName


class ClientGroup(Group):
    display_name: Annotated[str | None, Mutability.immutable, Required.true] = Field(
        None, examples=FreshNames(f"g{RUN}")
    )


def client_provider() -> ScimProvider:
    """The bridge's models, with examples a ConnectWise member can hold (see the module docstring)."""
    return ScimProvider(
        models=[ClientUser, ClientGroup],
        resource_types=[ResourceType.from_resource(ClientUser), ResourceType.from_resource(ClientGroup)],
        config=service_config(),
    )


@pytest.fixture
def served(sandbox: Sandbox, scim_home: Path) -> Iterator[tuple[Bridge, str]]:
    bridge = make_bridge(sandbox)
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    root = Starlette(routes=[Mount("/scim", app=bridge.app)])  # type: ignore[arg-type]
    server = uvicorn.Server(uvicorn.Config(root, host="127.0.0.1", port=port, log_level="warning", log_config=None))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "the SCIM server did not start"
    yield bridge, f"http://127.0.0.1:{port}/scim/v2"
    server.should_exit = True
    thread.join(timeout=10)
    bridge.cw.close()
    bridge.engine.dispose()


def test_scim2_tester_finds_no_error_or_critical_result(served: tuple[Bridge, str]) -> None:
    bridge, base = served
    with httpx2.Client(base_url=base, headers={"Authorization": f"Bearer {bridge.secret}"}, timeout=60) as http:
        results = check_server(SyncSCIMClient(http, provider=client_provider()))
    counts = Counter(result.status.name for result in results)
    print(f"\nscim2-tester {len(results)} checks: " + ", ".join(f"{n} {s}" for s, n in sorted(counts.items())))
    bad = [r for r in results if r.status in (Status.ERROR, Status.CRITICAL)]
    for result in results:
        if result.status is not Status.SUCCESS:
            print(f"  {result.status.name} {result.resource_type or '-'} {result.title}: {(result.reason or '')[:200]}")
    assert counts["SUCCESS"] > 40  # the run did reach the CRUD checks of both resource types
    assert not bad, [f"{r.resource_type} {r.title}: {r.reason}" for r in bad]
