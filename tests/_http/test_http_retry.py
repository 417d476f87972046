"""M5: the retry policy as pure functions."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from cwdesk._http.retry import (
    RetryPolicy,
    backoff_delay,
    parse_retry_after,
    retry_delay,
    should_retry_connection_error,
    should_retry_status,
)

POLICY = RetryPolicy(max_retries=3, base_delay=1.0, max_delay=8.0, max_retry_after=30.0)


@pytest.mark.parametrize("method", ["GET", "POST", "PATCH", "DELETE"])
def test_429_is_retried_for_every_method_because_nothing_happened(method: str) -> None:
    assert should_retry_status(method, 429, "", attempt=0, policy=POLICY)


@pytest.mark.parametrize("status", [502, 503, 504])
def test_gateway_errors_are_retried_for_idempotent_methods_only(status: int) -> None:
    assert should_retry_status("GET", status, "", attempt=0, policy=POLICY)
    assert should_retry_status("PUT", status, "", attempt=0, policy=POLICY)
    assert not should_retry_status("POST", status, "", attempt=0, policy=POLICY)
    assert not should_retry_status("PATCH", status, "", attempt=0, policy=POLICY)


def test_connectwise_500_timeout_is_retried_but_other_500s_are_not() -> None:
    assert should_retry_status("GET", 500, '{"message":"Execution Timeout Expired"}', attempt=0, policy=POLICY)
    assert not should_retry_status("GET", 500, '{"message":"Object reference not set"}', attempt=0, policy=POLICY)
    assert not should_retry_status("POST", 500, '{"message":"timeout"}', attempt=0, policy=POLICY)


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409])
def test_client_errors_are_never_retried(status: int) -> None:
    assert not should_retry_status("GET", status, "", attempt=0, policy=POLICY)


def test_retries_stop_at_max_retries() -> None:
    assert should_retry_status("GET", 503, "", attempt=2, policy=POLICY)
    assert not should_retry_status("GET", 503, "", attempt=3, policy=POLICY)
    assert not should_retry_status("GET", 429, "", attempt=0, policy=RetryPolicy(max_retries=0))


def test_a_post_is_retried_after_a_connection_error_only_if_it_was_never_sent() -> None:
    assert should_retry_connection_error("POST", request_sent=False, attempt=0, policy=POLICY)
    assert not should_retry_connection_error("POST", request_sent=True, attempt=0, policy=POLICY)
    assert should_retry_connection_error("GET", request_sent=True, attempt=0, policy=POLICY)


def test_retry_after_reads_seconds_and_http_dates() -> None:
    now = datetime(2024, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after("Mon, 01 Jan 2024 12:00:05 GMT", now=now) == 5.0
    assert parse_retry_after("Mon, 01 Jan 2024 11:00:00 GMT", now=now) == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


def test_retry_after_is_honoured_but_capped() -> None:
    assert retry_delay(0, POLICY, headers={"retry-after": "12"}) == 12.0
    assert retry_delay(0, POLICY, headers={"retry-after": "3600"}) == 30.0


def test_backoff_doubles_is_capped_and_jitter_can_be_pinned() -> None:
    assert [backoff_delay(n, POLICY, jitter=lambda: 1.0) for n in range(5)] == [1.0, 2.0, 4.0, 8.0, 8.0]
    assert backoff_delay(2, POLICY, jitter=lambda: 0.0) == 2.0  # half of the step at the lowest jitter
    assert retry_delay(1, POLICY, headers={}, jitter=lambda: 1.0) == 2.0


def test_negative_policy_values_are_refused() -> None:
    with pytest.raises(ValueError):
        RetryPolicy(max_retries=-1)
