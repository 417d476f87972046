"""The Automate token flow as an ``httpx.Auth``: sign in, two-factor, refresh before expiry, once more on 401.

``POST {base}/apitoken`` with ``{"Username", "Password"[, "TwoFactorPasscode"]}`` answers a ``TokenResult``; when
``IsTwoFactorRequired`` comes back without a token, the flow posts again with the passcode it was given (or stops
with a ``ConfigurationError`` asking for ``CWA_2FA_CODE``). Every call, the token call included, carries the
``ClientId`` header (set by the client). A token close to its ``ExpirationDate`` is renewed with
``POST {base}/apitoken/refresh`` (body: the token as a JSON string), falling back to a fresh sign-in; a 401 on an
ordinary call drops the token, signs in again and repeats the call once.

The token lives only in this object: never logged, never in ``repr``, never in an error message.
Not for: retries, throttling or error mapping of ordinary calls (``cwdesk._http``).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Generator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from cwdesk._http.errors import error_from_response
from cwdesk.automate.credentials import AutomateCredentials
from cwdesk.errors import ConfigurationError, UnexpectedResponseError

__all__ = ["AUTOMATE_UNAUTHORIZED_HINT", "AutomateTokenAuth"]

AUTOMATE_UNAUTHORIZED_HINT = (
    "Automate refused the login or token: check CWA_USERNAME/CWA_PASSWORD, the two-factor passcode "
    "(CWA_2FA_CODE) and that CWA_CLIENTID is the integration's registered ClientId"
)
# Renew this long before ExpirationDate so a call never leaves with a token that dies on the way.
_REFRESH_MARGIN = timedelta(seconds=60)


def _parse_expiry(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class AutomateTokenAuth(httpx.Auth):
    """Adds ``Authorization: Bearer {token}``, getting and renewing the token as described in the module doc."""

    requires_response_body = True

    def __init__(
        self,
        credentials: AutomateCredentials,
        *,
        base_url: Callable[[], str],
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._credentials = credentials
        self._base_url = base_url
        self._clock = clock
        self._lock = threading.Lock()
        self._token: str | None = None
        self._expires: datetime | None = None
        self.sign_ins = 0
        """How many times a full sign-in happened (tests and diagnostics)."""
        self.refreshes = 0
        """How many times a token was renewed through /apitoken/refresh."""

    def __repr__(self) -> str:
        state = "signed in" if self._token else "not signed in"
        return f"AutomateTokenAuth(username={self._credentials.username!r}, {state})"

    @property
    def expires(self) -> datetime | None:
        """When the current token expires (None before the first sign-in)."""
        return self._expires

    def forget_token(self) -> None:
        """Drop the token; the next call signs in again."""
        with self._lock:
            self._token = None
            self._expires = None

    # -- the flow --------------------------------------------------------------------------------------------

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        with self._lock:
            token, expires = self._token, self._expires
        if token is None:
            yield from self._sign_in(request)
        elif expires is not None and expires - _REFRESH_MARGIN <= self._clock():
            yield from self._refresh(request, token)
        request.headers["Authorization"] = f"Bearer {self._token}"
        response = yield request
        if response.status_code == 401:
            # The server may have dropped the token early (restart, revoked session): sign in once more.
            self.forget_token()
            yield from self._sign_in(request)
            request.headers["Authorization"] = f"Bearer {self._token}"
            yield request

    def _token_request(self, original: httpx.Request, path: str, body: Any) -> httpx.Request:
        url = self._base_url().rstrip("/") + path
        headers = {
            "Accept": "application/json",
            "Content-Type": "application/json",
            "ClientId": self._credentials.client_id,
        }
        return httpx.Request("POST", url, headers=headers, content=json.dumps(body).encode("utf-8"))

    def _sign_in(self, original: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        creds = self._credentials
        body: dict[str, str] = {"Username": creds.username, "Password": creds.password}
        response = yield self._token_request(original, "/apitoken", body)
        result = self._token_result(response)
        if result.get("IsTwoFactorRequired") and not result.get("AccessToken"):
            if not creds.two_factor_code:
                raise ConfigurationError(
                    f"Automate user {creds.username!r} needs a two-factor passcode: set CWA_2FA_CODE "
                    "(or pass two_factor_code=...) with the current code from the authenticator"
                )
            body["TwoFactorPasscode"] = creds.two_factor_code
            response = yield self._token_request(original, "/apitoken", body)
            result = self._token_result(response)
        self._store(result)
        self.sign_ins += 1

    def _refresh(self, original: httpx.Request, token: str) -> Generator[httpx.Request, httpx.Response, None]:
        refresh = self._token_request(original, "/apitoken/refresh", token)
        refresh.headers["Authorization"] = f"Bearer {token}"
        response = yield refresh
        if response.status_code == 200:
            try:
                self._store(self._token_result(response))
                self.refreshes += 1
                return
            except UnexpectedResponseError:
                pass
        # The refresh was refused (token too old): a full sign-in is the documented way back.
        yield from self._sign_in(original)

    def _token_result(self, response: httpx.Response) -> dict[str, Any]:
        if response.status_code >= 400:
            raise error_from_response(response, unauthorized_hint=AUTOMATE_UNAUTHORIZED_HINT)
        try:
            result = json.loads(response.content or b"null")
        except ValueError:
            result = None
        if not isinstance(result, dict):
            raise UnexpectedResponseError(
                f"Automate's token call answered {response.status_code} without a TokenResult object"
            )
        return result

    def _store(self, result: dict[str, Any]) -> None:
        token = result.get("AccessToken")
        if not isinstance(token, str) or not token:
            raise UnexpectedResponseError("Automate's token call answered without an AccessToken")
        expires = _parse_expiry(result.get("ExpirationDate"))
        with self._lock:
            self._token = token
            # No ExpirationDate: assume the documented hour of access.
            self._expires = expires or self._clock() + timedelta(hours=1)
