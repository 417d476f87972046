"""The sandbox's own request and response types: what every route handler receives and returns.

The in-process httpx transports, the ASGI app served by ``cwdesk sandbox serve`` and every handler (Manage,
Automate, ``/_sandbox``) speak these two types, so one route table serves every way in.
``Hang`` and ``Dropped`` are how the serving side says "no answer at all"; every transport turns them into what a
client would see (a read timeout, a closed connection). They live here, beside the types every side shares, so the
server and the transports do not import each other.
Not for: routing, auth or faults (``cwdesk.sandbox.server``), nor any ConnectWise behaviour.
"""

from __future__ import annotations

import json as _json
from dataclasses import dataclass, field
from typing import Any


@dataclass
class SandboxRequest:
    """One HTTP request as the sandbox sees it, independent of how it arrived."""

    method: str
    """Upper case, e.g. ``"GET"``."""
    path: str
    """URL path without the query, e.g. ``"/v4_6_release/apis/3.0/company/companies"``."""
    query: list[tuple[str, str]]
    """Decoded query pairs, in order."""
    headers: dict[str, str]
    """Header names lower-cased."""
    body: bytes
    base_url: str
    """``scheme://host[:port]`` as the client addressed it (used to build Link headers and URLs)."""

    def json(self) -> Any:
        """The parsed body; raises ``ValueError`` (the caller answers 400) when it is empty or not JSON."""
        if not self.body.strip():
            raise ValueError("The request body is empty; send a JSON document.")
        try:
            return _json.loads(self.body)
        except (UnicodeDecodeError, _json.JSONDecodeError) as exc:
            raise ValueError(f"The request body is not valid JSON: {exc}") from exc

    def param(self, name: str) -> str | None:
        """The first query value whose name matches ``name`` case-insensitively (ConnectWise ignores case)."""
        wanted = name.lower()
        for key, value in self.query:
            if key.lower() == wanted:
                return value
        return None

    def header(self, name: str) -> str | None:
        """A header by any-case name."""
        return self.headers.get(name.lower())


@dataclass
class SandboxResponse:
    """One HTTP response produced by a handler."""

    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, status: int, data: Any, headers: dict[str, str] | None = None) -> SandboxResponse:
        """A JSON response with ``content-type: application/json; charset=utf-8``."""
        all_headers = {"content-type": "application/json; charset=utf-8"}
        if headers:
            all_headers.update(headers)
        body = _json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        return cls(status=status, body=body, headers=all_headers)

    @classmethod
    def empty(cls, status: int = 204, headers: dict[str, str] | None = None) -> SandboxResponse:
        """A response without a body (204 after DELETE, for example)."""
        return cls(status=status, body=b"", headers=dict(headers or {}))


class Hang(Exception):
    """The request was left without an answer (a hang fault); transports turn it into a timeout."""


class Dropped(Exception):
    """The connection was closed without an answer (a drop fault)."""
