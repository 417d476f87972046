"""The SCIM server as an ASGI app: ``create_scim_app(cw, engine, verify=...)``, served by ``cwdesk scim serve``
and mounted by the console at ``/scim/v2``.

scim2-server's ``ASGIApplication`` does the protocol (routing, discovery endpoints, PATCH and PUT, errors); this
module adds what cwdesk needs around it:

- **Bearer tokens per identity provider.** ``verify(secret)`` gives the token's name, or ``None``; an unknown,
  revoked or missing token is answered 401 with ``WWW-Authenticate: Bearer`` (the discovery endpoint
  ``/ServiceProviderConfig`` needs none, RFC 7643 §5). The name, never the secret, is who makes the changes
  (``scim:<name>`` on the jobs and in the audit log).
- **A rate limit per token** (the ``limits`` library, a moving window in memory): over it, 429 with
  ``Retry-After``. The ConnectWise calls behind the requests are paced separately by the SDK's shared throttle,
  so a burst of provisioning waits for ConnectWise instead of failing.
- **Nothing secret in an answer.** An unexpected error is logged and answered with a plain 500 (scim2-server's
  own handler); errors that reach the client are the SCIM errors the storage raises, written for the user.
Not for: the mapping (``mapping.py``) or the calls (``storage.py``).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from typing import Any

import sqlalchemy as sa
from limits import RateLimitItemPerMinute
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from scim2_models import Context, Resource, ResponseParameters, SCIMException, UnauthorizedException
from scim2_server.applications.asgi import ASGIApplication
from scim2_server.requests import ScimRequest
from scim2_server.responses import ScimResponse
from scim2_server.service import ScimService

from cwdesk.errors import ConfigurationError
from cwdesk.manage.client import ManageClient
from cwdesk.scim.models import provider
from cwdesk.scim.storage import ConnectWiseStorage, ScimSettings, ThreadedStorage, current_actor

__all__ = ["DEFAULT_REQUESTS_PER_MINUTE", "ScimApp", "TokenCheck", "create_scim_app"]

#: A token's requests per minute by default (``CWDESK_SCIM_RATE`` or ``--rate`` changes it).
DEFAULT_REQUESTS_PER_MINUTE = 600


def requests_per_minute_from_env(environ: Mapping[str, str] | None = None) -> int:
    """``CWDESK_SCIM_RATE`` (requests a minute per token, at least 1), else the default."""
    text = (os.environ if environ is None else environ).get("CWDESK_SCIM_RATE", "").strip()
    if not text:
        return DEFAULT_REQUESTS_PER_MINUTE
    if not text.isdigit() or int(text) < 1:
        raise ConfigurationError(f"CWDESK_SCIM_RATE={text!r} must be a whole number of requests a minute, e.g. 600.")
    return int(text)


#: ``verify(secret) -> token name`` (``None``: refused).
TokenCheck = Callable[[str | None], str | None]


class RateLimited(SCIMException):
    """429 Too Many Requests (RFC 6585), with the seconds to wait; RFC 7644 §3.12 lets a server answer it."""

    status = 429
    _default_detail = "Too many requests"

    def __init__(self, *, detail: str, retry_after: int) -> None:
        super().__init__(detail=detail)
        self.retry_after = retry_after


class BridgeService(ScimService):
    """scim2-server's protocol, answering a PATCH with 200 and the resource (RFC 7644 §3.5.2 allows 200 or 204).

    Okta reads the user back from the PATCH answer (its SCIM 2.0 reference, developer.okta.com, "Update a
    specific User (PATCH)", shows ``200 OK`` with the User); Entra ID accepts either."""

    def patch_response(
        self, base_url: str, resource: Resource[Any], response_parameters: ResponseParameters[Any]
    ) -> ScimResponse:
        published = self.publish(base_url, resource)
        return self.resource_response(published, Context.RESOURCE_REPLACEMENT_RESPONSE, response_parameters)


class ScimApp(ASGIApplication):
    """scim2-server's ASGI app with cwdesk's bearer tokens and per-token rate limit."""

    def __init__(
        self, storage: ThreadedStorage, *, verify: TokenCheck, requests_per_minute: int = DEFAULT_REQUESTS_PER_MINUTE
    ) -> None:
        described = provider()
        super().__init__(storage, described, BridgeService(described))
        self.verify = verify
        self.rate = RateLimitItemPerMinute(max(1, requests_per_minute))
        self.limiter = MovingWindowRateLimiter(MemoryStorage())

    def _token_name(self, request: ScimRequest) -> str | None:
        scheme, _, secret = (request.header("Authorization") or "").partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            return None
        return self.verify(secret.strip())

    def check_auth(self, request: ScimRequest) -> None:
        name = self._token_name(request)
        if name is None:
            raise UnauthorizedException(
                detail="Send a valid SCIM token as Authorization: Bearer <token> (made by `cwdesk scim token create`)."
            )
        if not self.limiter.hit(self.rate, "scim", name):
            stats = self.limiter.get_window_stats(self.rate, "scim", name)
            wait = max(1, int(stats.reset_time - time.time()) + 1)
            raise RateLimited(
                detail=f"Token {name} sent more than {self.rate.amount} requests a minute; retry in {wait} s.",
                retry_after=wait,
            )
        request.subject = name

    def handle_exception(self, request: ScimRequest, exception: Exception) -> ScimResponse:
        response = super().handle_exception(request, exception)
        if isinstance(exception, RateLimited):
            response.headers["Retry-After"] = str(exception.retry_after)
        return response

    def get_subject(self, request: ScimRequest) -> Any:
        return getattr(request, "subject", None)

    async def dispatch_request(self, request: ScimRequest) -> ScimResponse:
        if self.needs_auth(request):
            self.check_auth(request)
        name = getattr(request, "subject", None)
        token = current_actor.set(f"scim:{name}" if name else "scim")
        try:
            return await self.handler.handle(request)
        finally:
            current_actor.reset(token)


def create_scim_app(
    cw: ManageClient,
    engine: sa.Engine,
    *,
    verify: TokenCheck,
    settings: ScimSettings | None = None,
    requests_per_minute: int | None = None,
) -> ScimApp:
    """The SCIM app over ConnectWise ``cw`` and the app's database ``engine``; settings and the rate default to the
    ``CWDESK_SCIM_*`` variables (``ScimSettings.from_env``, ``requests_per_minute_from_env``)."""
    storage = ThreadedStorage(ConnectWiseStorage(cw, engine, settings or ScimSettings.from_env()))
    rate = requests_per_minute if requests_per_minute is not None else requests_per_minute_from_env()
    return ScimApp(storage, verify=verify, requests_per_minute=rate)
