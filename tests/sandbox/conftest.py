"""Fixtures for the sandbox's own tests: raw httpx clients on the in-process transport (no SDK in between).

The sandbox is tested as ConnectWise's clients see it, so these tests speak plain HTTP with Basic auth.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator

import httpx
import pytest

from cwdesk.sandbox import Sandbox
from cwdesk.sandbox.manage_api import API_ROOT


def manage_headers(credentials: dict[str, str]) -> dict[str, str]:
    token = f"{credentials['company']}+{credentials['public_key']}:{credentials['private_key']}"
    return {
        "Authorization": "Basic " + base64.b64encode(token.encode()).decode(),
        "clientId": credentials["client_id"],
        "Accept": "application/vnd.connectwise.com+json; version=2025.1",
    }


def manage_client(sb: Sandbox, credentials: dict[str, str] | None = None) -> httpx.Client:
    creds = credentials or sb.manage_credentials
    return httpx.Client(
        transport=sb.transport(), base_url=creds["server"] + API_ROOT, headers=manage_headers(creds), timeout=5.0
    )


@pytest.fixture
def connect() -> Callable[..., httpx.Client]:
    """``connect(sb, credentials=None)``: a Manage client for any sandbox (e.g. one reset to another seed)."""
    return manage_client


@pytest.fixture
def manage(sandbox: Sandbox) -> Iterator[httpx.Client]:
    """An httpx client authenticated to the demo sandbox's Manage API (base URL ends in /apis/3.0)."""
    with manage_client(sandbox) as client:
        yield client
