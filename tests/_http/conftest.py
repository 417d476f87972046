"""Fixtures for the shared request core: a scripted mock server and a recorder of sleeps."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

from cwdesk._http.throttle import reset_throttles


class Script:
    """Answers requests from a list of responses (or exceptions), recording every request it sees."""

    def __init__(self, answers: list[httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]]) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        if callable(answer):
            return answer(request)
        return answer


@pytest.fixture
def scripted() -> type[Script]:
    """``scripted([answers...])`` -> a callable for ``httpx.MockTransport`` that records requests."""
    return Script


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture(autouse=True)
def _fresh_throttles() -> Iterator[None]:
    reset_throttles()
    yield
    reset_throttles()
