"""pytest fixtures for testing against the sandbox (registered by the root ``tests/conftest.py``).

    def test_lists_demo_companies(sandbox):
        client = ManageClient(**sandbox.manage_credentials, transport=sandbox.transport())

``sandbox`` is a fresh demo ``Sandbox`` per test (about 10 ms to build); ``empty_sandbox`` has only the API keys
and the stock priorities every ConnectWise has.
Not for: production code.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cwdesk.sandbox.server import Sandbox


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    """A fresh sandbox with the 8-client demo data."""
    sb = Sandbox(seed="demo")
    yield sb
    sb.close()


@pytest.fixture
def empty_sandbox() -> Iterator[Sandbox]:
    """A fresh sandbox with no records but the stock priorities (the API keys work)."""
    sb = Sandbox(seed=None)
    yield sb
    sb.close()
