"""The request loop shared by every cwdesk API client: throttle -> send -> retry policy -> error mapping.

``HTTPCore`` (sync) and ``AsyncHTTPCore`` (async) wrap one ``httpx.Client`` / ``httpx.AsyncClient`` each and
know nothing about ConnectWise Manage or Automate: an API client gives them

- ``base_url`` (may be changed later, e.g. after discovering a codebase),
- ``auth``: any ``httpx.Auth`` (Manage: Basic + clientId; Automate: Bearer token with refresh on 401 via the
  auth flow), ``headers`` sent on every request (Accept, User-Agent...),
- ``throttle`` (``throttle_for(key)``, shared per credential), ``retry`` (a ``RetryPolicy``), ``timeout``,
- ``transport`` (any httpx transport: the sandbox's in-process one in tests and demo mode),
- ``unauthorized_hint``: a sentence appended to 401 messages naming the API's usual causes,
- ``jitter`` / ``sleep``: injectable so tests run instantly and deterministically.

For each call: wait for the throttle, send, tell the throttle how it went, ask ``retry.py`` whether to try
again (sleeping its delay), and finally return the response or raise the exception ``errors.py`` maps it to.
Absolute URLs (e.g. a ``Link: rel="next"`` from the server) are re-targeted to the configured origin, so
credentials are never sent to another host. Log lines (logger ``cwdesk.http``) carry method, redacted URL,
status and timing — never headers or bodies.

``request()`` returns the ``httpx.Response`` (2xx/3xx only); ``request_json()`` decodes it (``None`` for 204 or an
empty body). Not for: paging (``paging.py``), building queries, or knowing any API's paths.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import httpx
import orjson

from cwdesk import collector
from cwdesk._http.errors import error_from_response, redact_url
from cwdesk._http.retry import (
    RetryPolicy,
    parse_retry_after,
    retry_delay,
    should_retry_connection_error,
    should_retry_status,
)
from cwdesk._http.throttle import Throttle
from cwdesk.errors import APIConnectionError, APITimeoutError, UnexpectedResponseError

__all__ = [
    "DEFAULT_TIMEOUT",
    "AsyncDeferredTLSTransport",
    "AsyncHTTPCore",
    "DeferredTLSTransport",
    "HTTPCore",
    "QueryParams",
    "decode_json",
]

logger = logging.getLogger("cwdesk.http")

# Connect fast, allow slow reads: ConnectWise list queries with conditions can take tens of seconds.
DEFAULT_TIMEOUT = httpx.Timeout(60.0, connect=10.0)

QueryParams = Mapping[str, str | int | float | bool | None]

# Exceptions raised before the request could reach the server: retrying even a POST is safe.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)


def _trusting_no_one() -> Any:
    """A TLS context for the plain-http lane: it verifies certificates and host names like any other and trusts no
    certificate authority, so a TLS handshake through it can only fail. That lane never makes one (only http://
    requests reach it, with no proxy); if it ever did, it would refuse rather than connect unverified."""
    import ssl

    return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # (CERT_REQUIRED and check_hostname are its defaults)


class DeferredTLSTransport(httpx.BaseTransport):
    """httpx's own transport (``httpx.HTTPTransport()``), with its TLS context made on the first https request.

    httpx makes the TLS context when a transport is made, https or not, and for its default verification that means
    reading certifi's CA bundle (~25-40 ms of CPU: ``httpx._config.create_ssl_context``). A command against a
    plain-http server (a loopback sandbox) never needs it. https requests go to a transport made exactly as httpx's
    default, on first use (verification as strict: certifi's bundle, or ``SSL_CERT_FILE`` / ``SSL_CERT_DIR``);
    http requests to one whose TLS context trusts no one (``_trusting_no_one``). docs/cli.md "Start-up".
    """

    def __init__(self) -> None:
        self._lanes: dict[str, httpx.HTTPTransport] = {}

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        tls = request.url.scheme != "http"  # (anything but http:// gets the verifying transport)
        lane = self._lanes.get("tls" if tls else "plain")
        if lane is None:
            lane = httpx.HTTPTransport() if tls else httpx.HTTPTransport(verify=_trusting_no_one())
            self._lanes["tls" if tls else "plain"] = lane
        return lane.handle_request(request)

    def close(self) -> None:
        for lane in self._lanes.values():
            lane.close()


class AsyncDeferredTLSTransport(httpx.AsyncBaseTransport):
    """The async twin of ``DeferredTLSTransport`` (``httpx.AsyncHTTPTransport()``, TLS context on first https)."""

    def __init__(self) -> None:
        self._lanes: dict[str, httpx.AsyncHTTPTransport] = {}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        tls = request.url.scheme != "http"
        lane = self._lanes.get("tls" if tls else "plain")
        if lane is None:
            lane = httpx.AsyncHTTPTransport() if tls else httpx.AsyncHTTPTransport(verify=_trusting_no_one())
            self._lanes["tls" if tls else "plain"] = lane
        return await lane.handle_async_request(request)

    async def aclose(self) -> None:
        for lane in self._lanes.values():
            await lane.aclose()


def decode_json(response: httpx.Response) -> Any:
    """The JSON body of a success answer; ``None`` for 204 or an empty body."""
    if response.status_code == 204 or not response.content:
        return None
    try:
        # orjson parses a 1,000-record page in about 60% of json's time; what it refuses (NaN, a charset other
        # than UTF-8) still gets Python's json on the text decoded with the answer's charset, which has the last
        # word. One difference is accepted: an integer past 64 bits comes back as a float; no ConnectWise number
        # is that large (ids are 32-bit).
        with collector.paused():
            return orjson.loads(response.content)
    except orjson.JSONDecodeError:
        pass
    try:
        return json.loads(response.text)
    except ValueError as exc:
        kind = response.headers.get("content-type", "unknown content type")
        raise UnexpectedResponseError(
            f"{response.status_code} answer from {redact_url(response.request.url)} is not JSON ({kind})"
        ) from exc


async def _async_sleep(seconds: float) -> None:
    """``asyncio.sleep``, imported when an async core first waits: a sync core never loads asyncio (it costs ~10-20 ms
    of a one-call command's start-up, with the ``ssl`` it imports; docs/cli.md "Start-up")."""
    import asyncio

    await asyncio.sleep(seconds)


def _clean_params(params: QueryParams | None) -> dict[str, str | int | float | bool] | None:
    if params is None:
        return None
    cleaned: dict[str, str | int | float | bool] = {}
    for key, value in params.items():
        if value is None:
            continue
        cleaned[key] = ("true" if value else "false") if isinstance(value, bool) else value
    return cleaned


class _CoreSettings:
    """What the sync and async cores share: settings, URL rules, and the per-attempt decisions."""

    def __init__(
        self,
        *,
        base_url: str,
        throttle: Throttle | None,
        retry: RetryPolicy,
        unauthorized_hint: str | None,
        jitter: Callable[[], float],
    ) -> None:
        self._base_url = httpx.URL(base_url.rstrip("/") + "/")
        self.throttle = throttle
        self.retry = retry
        self.unauthorized_hint = unauthorized_hint
        self.jitter = jitter

    @property
    def base_url(self) -> str:
        """The prefix every relative path joins (no trailing slash); settable, e.g. after codebase discovery."""
        return str(self._base_url).rstrip("/")

    @base_url.setter
    def base_url(self, value: str) -> None:
        self._base_url = httpx.URL(value.rstrip("/") + "/")

    def url_for(self, url: str, params: QueryParams | None = None) -> httpx.URL:
        """The full URL a call would use: a path joins ``base_url``; an absolute URL keeps only path and query."""
        if url.startswith(("http://", "https://")):
            target = httpx.URL(url)
            if (target.scheme, target.host, target.port) != (
                self._base_url.scheme,
                self._base_url.host,
                self._base_url.port,
            ):
                base = self._base_url
                target = target.copy_with(scheme=base.scheme, host=base.host, port=base.port)
        else:
            target = self._base_url.join(url.lstrip("/"))
        cleaned = _clean_params(params)
        if cleaned:
            target = target.copy_merge_params(cleaned)
        return target

    def _log(self, method: str, url: httpx.URL, outcome: str, started: float, attempt: int) -> None:
        if logger.isEnabledFor(logging.DEBUG):
            elapsed = (time.monotonic() - started) * 1000
            logger.debug("%s %s -> %s in %.0f ms (try %d)", method, redact_url(url), outcome, elapsed, attempt + 1)

    def _after_status(self, method: str, response: httpx.Response, attempt: int) -> float | None:
        """Learn from an answer; return the delay before retrying, or None to stop here."""
        status = response.status_code
        if self.throttle is not None:
            if status == 429:
                self.throttle.on_rate_limited(parse_retry_after(response.headers.get("retry-after")))
            else:
                self.throttle.on_success()
        if status < 400:
            return None
        body_text = response.text if status == 500 else ""
        if should_retry_status(method, status, body_text, attempt=attempt, policy=self.retry):
            return retry_delay(attempt, self.retry, headers=response.headers, jitter=self.jitter)
        return None

    def _connection_error(self, method: str, url: httpx.URL, exc: httpx.TransportError) -> APIConnectionError:
        sent = not isinstance(exc, _NOT_SENT)
        where = redact_url(url)
        if isinstance(exc, httpx.TimeoutException):
            return APITimeoutError(
                f"{method} {where} timed out ({type(exc).__name__})", method=method, url=where, request_sent=sent
            )
        return APIConnectionError(
            f"{method} {where} failed: could not {'complete' if sent else 'reach the server for'} the request "
            f"({type(exc).__name__}: {exc})",
            method=method,
            url=where,
            request_sent=sent,
        )

    def _retry_connection(self, method: str, exc: httpx.TransportError, attempt: int) -> float | None:
        sent = not isinstance(exc, _NOT_SENT)
        if should_retry_connection_error(method, request_sent=sent, attempt=attempt, policy=self.retry):
            return retry_delay(attempt, self.retry, jitter=self.jitter)
        return None


class HTTPCore(_CoreSettings):
    """The synchronous request loop. Close it (or use ``with``) to release connections."""

    def __init__(
        self,
        *,
        base_url: str,
        auth: httpx.Auth | None = None,
        headers: Mapping[str, str] | None = None,
        throttle: Throttle | None = None,
        retry: RetryPolicy | None = None,
        timeout: httpx.Timeout | float | None = None,
        transport: httpx.BaseTransport | None = None,
        unauthorized_hint: str | None = None,
        jitter: Callable[[], float] = random.random,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        super().__init__(
            base_url=base_url,
            throttle=throttle,
            retry=retry or RetryPolicy(),
            unauthorized_hint=unauthorized_hint,
            jitter=jitter,
        )
        self._sleep = sleep
        self._client = httpx.Client(
            auth=auth,
            headers=dict(headers or {}),
            timeout=timeout if timeout is not None else DEFAULT_TIMEOUT,
            transport=transport,
            follow_redirects=False,
        )

    def request(
        self,
        method: str,
        url: str,
        *,
        params: QueryParams | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        authenticated: bool = True,
    ) -> httpx.Response:
        """Send one call through throttle and retries; return the success response or raise a ``CWDeskError``."""
        method = method.upper()
        target = self.url_for(url, params)
        attempt = 0
        while True:
            request = self._client.build_request(method, target, json=json, headers=dict(headers or {}))
            started = time.monotonic()
            try:
                if self.throttle is not None:
                    with self.throttle.slot():
                        response = self._send(request, authenticated)
                else:
                    response = self._send(request, authenticated)
            except httpx.TransportError as exc:
                self._log(method, target, type(exc).__name__, started, attempt)
                delay = self._retry_connection(method, exc, attempt)
                if delay is None:
                    raise self._connection_error(method, target, exc) from exc
                self._sleep(delay)
                attempt += 1
                continue
            self._log(method, target, str(response.status_code), started, attempt)
            delay = self._after_status(method, response, attempt)
            if delay is not None:
                response.close()
                self._sleep(delay)
                attempt += 1
                continue
            if response.status_code >= 400:
                raise error_from_response(response, unauthorized_hint=self.unauthorized_hint)
            return response

    def _send(self, request: httpx.Request, authenticated: bool) -> httpx.Response:
        response = self._client.send(request) if authenticated else self._client.send(request, auth=None)
        response.read()
        return response

    def request_json(
        self,
        method: str,
        url: str,
        *,
        params: QueryParams | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        authenticated: bool = True,
    ) -> Any:
        """``request`` then the decoded JSON body (``None`` for 204)."""
        response = self.request(method, url, params=params, json=json, headers=headers, authenticated=authenticated)
        return decode_json(response)

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> HTTPCore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class AsyncHTTPCore(_CoreSettings):
    """The asynchronous request loop, the twin of ``HTTPCore``. ``await core.aclose()`` when done."""

    def __init__(
        self,
        *,
        base_url: str,
        auth: httpx.Auth | None = None,
        headers: Mapping[str, str] | None = None,
        throttle: Throttle | None = None,
        retry: RetryPolicy | None = None,
        timeout: httpx.Timeout | float | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        unauthorized_hint: str | None = None,
        jitter: Callable[[], float] = random.random,
        sleep: Callable[[float], Awaitable[None]] = _async_sleep,
    ) -> None:
        super().__init__(
            base_url=base_url,
            throttle=throttle,
            retry=retry or RetryPolicy(),
            unauthorized_hint=unauthorized_hint,
            jitter=jitter,
        )
        self._sleep = sleep
        self._client = httpx.AsyncClient(
            auth=auth,
            headers=dict(headers or {}),
            timeout=timeout if timeout is not None else DEFAULT_TIMEOUT,
            transport=transport,
            follow_redirects=False,
        )

    async def request(
        self,
        method: str,
        url: str,
        *,
        params: QueryParams | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        authenticated: bool = True,
    ) -> httpx.Response:
        """Send one call through throttle and retries; return the success response or raise a ``CWDeskError``."""
        method = method.upper()
        target = self.url_for(url, params)
        attempt = 0
        while True:
            request = self._client.build_request(method, target, json=json, headers=dict(headers or {}))
            started = time.monotonic()
            try:
                if self.throttle is not None:
                    async with self.throttle.slot_async():
                        response = await self._send(request, authenticated)
                else:
                    response = await self._send(request, authenticated)
            except httpx.TransportError as exc:
                self._log(method, target, type(exc).__name__, started, attempt)
                delay = self._retry_connection(method, exc, attempt)
                if delay is None:
                    raise self._connection_error(method, target, exc) from exc
                await self._sleep(delay)
                attempt += 1
                continue
            self._log(method, target, str(response.status_code), started, attempt)
            delay = self._after_status(method, response, attempt)
            if delay is not None:
                await response.aclose()
                await self._sleep(delay)
                attempt += 1
                continue
            if response.status_code >= 400:
                raise error_from_response(response, unauthorized_hint=self.unauthorized_hint)
            return response

    async def _send(self, request: httpx.Request, authenticated: bool) -> httpx.Response:
        response = await (self._client.send(request) if authenticated else self._client.send(request, auth=None))
        await response.aread()
        return response

    async def request_json(
        self,
        method: str,
        url: str,
        *,
        params: QueryParams | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        authenticated: bool = True,
    ) -> Any:
        """``request`` then the decoded JSON body (``None`` for 204)."""
        response = await self.request(
            method, url, params=params, json=json, headers=headers, authenticated=authenticated
        )
        return decode_json(response)

    async def aclose(self) -> None:
        await self._client.aclose()

    async def __aenter__(self) -> AsyncHTTPCore:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()
