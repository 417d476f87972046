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
Not for: emulating ConnectWise (``manage_api.py``, ``automate_api.py``).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from cwdesk.sandbox.http import SandboxRequest, SandboxResponse

if TYPE_CHECKING:
    from cwdesk.sandbox.server import Sandbox

PREFIX = "/_sandbox"


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


def handle_control(sandbox: Sandbox, request: SandboxRequest) -> SandboxResponse:
    """Answer one ``/_sandbox/...`` request."""
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
