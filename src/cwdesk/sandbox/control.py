"""The ``/_sandbox/...`` control endpoints: reset, seed, faults, the request log and the callback signing key.

    POST /_sandbox/reset            {"seed": "demo" | N | null}   empty the sandbox and seed it again (default demo)
    POST /_sandbox/seed             {"seed": "demo" | N}          same as reset (kept for scripts that "seed")
    GET  /_sandbox/faults                                         the standing faults
    POST /_sandbox/faults           {"rate_limit_per_min": 60, "latency_ms": 0, "error_rate": 0.0, "hang_rate": 0.0,
                                     "drop_rate": 0.0, "seed": 0}                               (missing keys = off)
    POST /_sandbox/faults/next      {"method": "POST", "path_contains": "/finance", "status": 500, "count": 1}
    DELETE /_sandbox/faults                                       no faults
    GET  /_sandbox/requests                                       the log: method, path, query, status, duration_ms
    DELETE /_sandbox/requests                                     clear the log
    GET  /_sandbox/callbacks/signing-key                          {"signing_key": ...} (the callbacks' key_url)
    GET  /_sandbox/callbacks/deliveries                           every delivery attempt

Control requests are never faulted, rate limited or logged.

Guarded so that a web page open in the developer's browser cannot change or wipe the sandbox (issue 14): every
control request must name the sandbox itself in ``Host`` (a loopback name or the sandbox's own address, so a DNS
rebinding name is refused), and a change (anything but GET/HEAD) must carry the ``X-Sandbox-Control: 1`` header
and, with a body, ``Content-Type: application/json``. A cross-origin page can send neither without a CORS
preflight, which the sandbox never grants (the Fetch standard's CORS-safelisted request headers and content
types: https://fetch.spec.whatwg.org/#cors-safelisted-request-header); a no-cors POST of a form or text body is
refused with 403/415 before anything changes.
Not for: emulating ConnectWise (``manage_api.py``, ``automate_api.py``).
"""

from __future__ import annotations

import ipaddress
from dataclasses import asdict
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from cwdesk.sandbox.http import SandboxRequest, SandboxResponse

if TYPE_CHECKING:
    from cwdesk.sandbox.server import Sandbox

PREFIX = "/_sandbox"
CONTROL_HEADER = "X-Sandbox-Control"
CONTROL_HEADERS = {CONTROL_HEADER: "1"}
"""What a script adds to its control requests: ``httpx.post(url, json=..., headers=CONTROL_HEADERS)``."""
_READS = frozenset({"GET", "HEAD"})


def _problem(status: int, message: str) -> SandboxResponse:
    return SandboxResponse.json(status, {"error": message})


def _body(request: SandboxRequest) -> dict[str, Any]:
    if not request.body.strip():
        return {}
    data = request.json()
    if not isinstance(data, dict):
        raise ValueError("The body must be a JSON object.")
    return data


def _seed_value(body: dict[str, Any]) -> str | int | None:
    value = body.get("seed", "demo")
    if value is None or value == "demo" or (isinstance(value, int) and not isinstance(value, bool) and value >= 0):
        return value  # type: ignore[no-any-return]
    if isinstance(value, str) and value.isdigit():
        return int(value)
    raise ValueError('seed must be "demo", a number of companies, or null.')


def _host_name(host: str) -> str:
    """The name part of a ``Host`` header (``[::1]:8080`` -> ``::1``, ``localhost:80`` -> ``localhost``)."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def _is_loopback(name: str) -> bool:
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _refusal(sandbox: Sandbox, request: SandboxRequest) -> SandboxResponse | None:
    """Why this control request is refused (a web page could have sent it), or None when it may go on."""
    name = _host_name(request.header("host") or "")
    own = (urlsplit(sandbox.base_url).hostname or "").lower()
    if not (_is_loopback(name) or name == own):
        return _problem(
            403,
            f"Sandbox control refused: Host {name!r} is not this sandbox's address. Use http://127.0.0.1:PORT, "
            f"localhost or {own} (another name pointing here is how a web page would reach it).",
        )
    if request.method in _READS:
        return None
    if request.header(CONTROL_HEADER) != "1":
        return _problem(
            403,
            f"Sandbox control changes need the header {CONTROL_HEADER}: 1 (a web page cannot send it): add it, "
            f"e.g. httpx.post(url, json={{...}}, headers={{'{CONTROL_HEADER}': '1'}}).",
        )
    content_type = (request.header("content-type") or "").split(";", 1)[0].strip().lower()
    if request.body.strip() and content_type != "application/json":
        return _problem(415, "Sandbox control bodies must be JSON: send Content-Type: application/json.")
    return None


def handle_control(sandbox: Sandbox, request: SandboxRequest) -> SandboxResponse:
    """Answer one ``/_sandbox/...`` request (refused when a web page could have sent it: see the module doc)."""
    refused = _refusal(sandbox, request)
    if refused is not None:
        return refused
    path = request.path[len(PREFIX) :].rstrip("/").lower()
    method = request.method
    try:
        if path in ("/reset", "/seed") and method == "POST":
            seed = _seed_value(_body(request))
            sandbox.reset(seed=seed)
            return SandboxResponse.json(200, {"reset": True, "seed": seed})
        if path == "/faults":
            if method == "GET":
                return SandboxResponse.json(200, sandbox.faults.as_dict())
            if method == "POST":
                body = _body(request)
                allowed = {"rate_limit_per_min", "latency_ms", "error_rate", "hang_rate", "drop_rate", "seed"}
                unknown = set(body) - allowed - {"hang_seconds"}
                if unknown:
                    raise ValueError(f"Unknown fault setting(s): {', '.join(sorted(unknown))}.")
                sandbox.faults.set(**body)
                return SandboxResponse.json(200, sandbox.faults.as_dict())
            if method == "DELETE":
                sandbox.faults.clear()
                return SandboxResponse.json(200, sandbox.faults.as_dict())
        if path == "/faults/next" and method == "POST":
            body = _body(request)
            sandbox.faults.fail_next(
                method=body.get("method"),
                path_contains=str(body.get("path_contains", "")),
                status=int(body.get("status", 500)),
                count=int(body.get("count", 1)),
                action=str(body.get("action", "status")),
            )
            return SandboxResponse.json(200, sandbox.faults.as_dict())
        if path == "/requests":
            if method == "GET":
                return SandboxResponse.json(200, [asdict(entry) for entry in sandbox.requests])
            if method == "DELETE":
                sandbox.clear_requests()
                return SandboxResponse(204)
        if path == "/callbacks/signing-key" and method == "GET":
            return SandboxResponse.json(200, {"signing_key": sandbox.callbacks.signing_key})
        if path == "/callbacks/deliveries" and method == "GET":
            return SandboxResponse.json(200, [asdict(d) for d in sandbox.callbacks.deliveries])
    except (ValueError, TypeError) as exc:
        return _problem(400, str(exc))
    return _problem(404, f"No sandbox control endpoint {method} {request.path}")
