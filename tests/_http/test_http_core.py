"""The shared request loop: throttle -> send -> retry policy -> error mapping, sync and async twins."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from cwdesk._http.core import AsyncHTTPCore, HTTPCore
from cwdesk._http.retry import RetryPolicy
from cwdesk._http.throttle import Throttle
from cwdesk.errors import APIConnectionError, APITimeoutError, NotFoundError, RateLimitError, ServerError

FAST = RetryPolicy(max_retries=3, base_delay=0.25, max_delay=2.0)


def _core(script: Any, sleeps: list[float], throttle: Throttle | None = None) -> HTTPCore:
    return HTTPCore(
        base_url="https://api.example.com/base",
        transport=httpx.MockTransport(script),
        retry=FAST,
        throttle=throttle,
        jitter=lambda: 1.0,
        sleep=sleeps.append,
    )


def test_429_is_retried_after_retry_after_and_the_throttle_slows_down(scripted: Any, sleeps: list[float]) -> None:
    script = scripted([httpx.Response(429, headers={"Retry-After": "2"}), httpx.Response(200, json=[1])])
    throttle = Throttle(rate_per_minute=60000)
    core = _core(script, sleeps, throttle)
    assert core.request_json("GET", "items") == [1]
    assert len(script.requests) == 2
    assert sleeps == [2.0]
    assert throttle.rate_per_minute < 60000
    assert throttle.rate_limited_count == 1


def test_gateway_errors_on_get_are_retried_with_backoff(scripted: Any, sleeps: list[float]) -> None:
    script = scripted([httpx.Response(503), httpx.Response(502), httpx.Response(200, json={"ok": True})])
    assert _core(script, sleeps).request_json("GET", "x") == {"ok": True}
    assert sleeps == [0.25, 0.5]


def test_a_post_is_never_blindly_retried_on_a_5xx(scripted: Any, sleeps: list[float]) -> None:
    script = scripted([httpx.Response(503, json={"code": "ServerError", "message": "busy"})])
    with pytest.raises(ServerError):
        _core(script, sleeps).request("POST", "items", json={"name": "A"})
    assert len(script.requests) == 1
    assert sleeps == []


def test_retries_give_up_with_the_mapped_error(scripted: Any, sleeps: list[float]) -> None:
    script = scripted([httpx.Response(429, json={"code": "TooMany", "message": "slow down"})])
    with pytest.raises(RateLimitError) as caught:
        _core(script, sleeps).request("GET", "x")
    assert len(script.requests) == FAST.max_retries + 1
    assert caught.value.message == "slow down"


def test_connection_errors_are_retried_and_a_post_that_never_left_is_safe_to_resend(
    scripted: Any, sleeps: list[float]
) -> None:
    script = scripted([httpx.ConnectError("refused"), httpx.Response(201, json={"id": 5})])
    assert _core(script, sleeps).request_json("POST", "items", json={}) == {"id": 5}
    assert len(script.requests) == 2


def test_a_post_whose_answer_timed_out_is_not_resent(scripted: Any, sleeps: list[float]) -> None:
    script = scripted([httpx.ReadTimeout("slow"), httpx.Response(201, json={"id": 5})])
    with pytest.raises(APITimeoutError) as caught:
        _core(script, sleeps).request("POST", "items", json={})
    assert caught.value.request_sent is True
    assert len(script.requests) == 1


def test_unreachable_server_raises_a_connection_error(scripted: Any, sleeps: list[float]) -> None:
    script = scripted([httpx.ConnectError("refused")])
    with pytest.raises(APIConnectionError) as caught:
        _core(script, sleeps).request("GET", "x")
    assert caught.value.request_sent is False
    assert len(script.requests) == FAST.max_retries + 1


def test_an_absolute_url_on_another_host_is_retargeted_to_the_configured_server(
    scripted: Any, sleeps: list[float]
) -> None:
    script = scripted([httpx.Response(200, json=[])])
    _core(script, sleeps).request("GET", "https://evil.example.net/base/items?page=2")
    assert script.requests[0].url.host == "api.example.com"
    assert script.requests[0].url.params["page"] == "2"


def test_errors_are_mapped_and_none_params_are_dropped(scripted: Any, sleeps: list[float]) -> None:
    script = scripted([httpx.Response(404, json={"code": "NotFound", "message": "no company 9"})])
    with pytest.raises(NotFoundError):
        _core(script, sleeps).request("GET", "items/9", params={"fields": None, "flag": True})
    assert str(script.requests[0].url) == "https://api.example.com/base/items/9?flag=true"


async def test_async_core_retries_and_maps_errors_the_same_way(scripted: Any) -> None:
    sleeps: list[float] = []

    async def record(delay: float) -> None:
        sleeps.append(delay)

    script = scripted([httpx.Response(504), httpx.Response(200, json=[1, 2])])
    core = AsyncHTTPCore(
        base_url="https://api.example.com/base",
        transport=httpx.MockTransport(script),
        retry=FAST,
        throttle=Throttle(rate_per_minute=60000),
        jitter=lambda: 1.0,
        sleep=record,
    )
    assert await core.request_json("GET", "x") == [1, 2]
    assert sleeps == [0.25]
    post = scripted([httpx.Response(502)])
    core2 = AsyncHTTPCore(base_url="https://api.example.com", transport=httpx.MockTransport(post), sleep=record)
    with pytest.raises(ServerError):
        await core2.request("POST", "x", json={})
    assert len(post.requests) == 1
    await core.aclose()
    await core2.aclose()
