"""Ways into a ``Sandbox``: httpx transports (sync and async, in-process) and an ASGI app (served by uvicorn).

All three turn the incoming request into a ``SandboxRequest`` and call ``Sandbox.serve``/``serve_async``. The sync
transport answers on the calling thread (no thread hop). Faults become what a client would see on a network: a
hang becomes ``httpx.ReadTimeout`` (in-process) or a request that never gets an answer (ASGI); a drop becomes
``httpx.RemoteProtocolError`` (in-process) or a response cut short (ASGI).
Not for: routing or ConnectWise behaviour (``server.py`` and the emulators).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, MutableMapping
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote

import httpx

from cwdesk.sandbox.http import Dropped, Hang, SandboxRequest, SandboxResponse

if TYPE_CHECKING:
    from cwdesk.sandbox.server import Sandbox

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


def _headers(pairs: list[tuple[str, str]]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for name, value in pairs:
        key = name.lower()
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    return headers


def _from_httpx(request: httpx.Request, body: bytes) -> SandboxRequest:
    url = request.url
    port = f":{url.port}" if url.port else ""
    return SandboxRequest(
        method=request.method.upper(),
        path=unquote(url.raw_path.split(b"?", 1)[0].decode("ascii")),
        query=parse_qsl(url.query.decode("ascii"), keep_blank_values=True),
        headers=_headers([(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers.raw]),
        body=body,
        base_url=f"{url.scheme}://{url.host}{port}",
    )


def _read_timeout(request: httpx.Request) -> float | None:
    timeout = request.extensions.get("timeout") or {}
    value = timeout.get("read")
    return float(value) if value is not None else None


def _to_httpx(response: SandboxResponse, request: httpx.Request) -> httpx.Response:
    return httpx.Response(response.status, headers=response.headers, content=response.body, request=request)


class SandboxTransport(httpx.BaseTransport):
    """Serves requests from an ``httpx.Client`` straight from the sandbox."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        incoming = _from_httpx(request, request.read())
        try:
            response = self.sandbox.serve(incoming, read_timeout=_read_timeout(request))
        except Hang:
            raise httpx.ReadTimeout("The sandbox did not answer in time (hang fault).", request=request) from None
        except Dropped:
            message = "Server disconnected without sending a response (drop fault)."
            raise httpx.RemoteProtocolError(message, request=request) from None
        return _to_httpx(response, request)


class AsyncSandboxTransport(httpx.AsyncBaseTransport):
    """The async twin of ``SandboxTransport``."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        incoming = _from_httpx(request, await request.aread())
        try:
            response = await self.sandbox.serve_async(incoming, read_timeout=_read_timeout(request))
        except Hang:
            raise httpx.ReadTimeout("The sandbox did not answer in time (hang fault).", request=request) from None
        except Dropped:
            message = "Server disconnected without sending a response (drop fault)."
            raise httpx.RemoteProtocolError(message, request=request) from None
        return _to_httpx(response, request)


class SandboxASGIApp:
    """The sandbox as an ASGI application (HTTP only; lifespan events are acknowledged)."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        chunks: list[bytes] = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        raw_headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]
        headers = _headers(raw_headers)
        server = scope.get("server") or ("127.0.0.1", 80)
        host = headers.get("host") or f"{server[0]}:{server[1]}"
        incoming = SandboxRequest(
            method=scope["method"].upper(),
            path=scope["path"],
            query=parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True),
            headers=headers,
            body=b"".join(chunks),
            base_url=f"{scope.get('scheme', 'http')}://{host}",
        )
        try:
            response = await self.sandbox.serve_async(incoming)
        except Hang:
            # The client has given up by now; answering late is what a stuck server does.
            response = self.sandbox.error_response(incoming.path, 504, "GatewayTimeout", "The request hung.")
        except Dropped:
            # Promise a body and close without it: the client sees the connection end mid-response.
            await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"1000")]})
            await send({"type": "http.response.body", "body": b"{", "more_body": False})
            return
        await send(
            {
                "type": "http.response.start",
                "status": response.status,
                "headers": [(k.encode("latin-1"), v.encode("latin-1")) for k, v in response.headers.items()],
            }
        )
        await send({"type": "http.response.body", "body": response.body})
        await asyncio.sleep(0)
