"""The client-side pace (pacing.py): a margin on the API's minute, the check's request counted,
and one log line per wait a person would notice.

Time is frozen; every `time.sleep` the budget asks for moves the frozen clock by that much (at
least a millisecond, as real time would pass) instead of sleeping.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
import requests
import requests_mock as rm
from airbyte_cdk.sources.streams.call_rate import CallRateLimitHit
from freezegun.api import FrozenDateTimeFactory

from source_stock_ticker_api.polygon.pacing import PacedBudget
from unit_tests.config_builder import API_URL, ConfigBuilder
from unit_tests.helpers import NOW, log_messages, read_stream, records, waits
from unit_tests.integration.request_builder import AggsRequestBuilder
from unit_tests.integration.response_builder import AggsResponseBuilder

START = datetime.fromisoformat(NOW.replace("Z", "+00:00"))
pytestmark = pytest.mark.now(NOW)
FRI_2024_03_08 = 1709874000000
TICKERS = ["AAPL", "MSFT", "NVDA", "TSLA", "GOOGL", "AMZN"]
AGGS = f"{API_URL}/v2/aggs/ticker/AAPL/range/1/day/2024-03-01/2024-03-11"


@pytest.fixture
def clock(
    frozen_clock: FrozenDateTimeFactory | None, monkeypatch: pytest.MonkeyPatch, sleeps: list[float]
) -> FrozenDateTimeFactory:
    """The frozen clock (at START), moved forward by each requested sleep, recorded in `sleeps`."""
    assert frozen_clock is not None

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        frozen_clock.tick(timedelta(seconds=max(seconds, 0.001)))

    monkeypatch.setattr(time, "sleep", sleep)
    return frozen_clock


def request() -> requests.PreparedRequest:
    return requests.Request("GET", AGGS).prepare()


def full_free_plan_budget() -> PacedBudget:
    """A free-plan budget (5 a minute) whose window is full: the check's slot and four calls."""
    budget = PacedBudget(requests_per_minute=5)
    for _ in range(4):
        budget.acquire_call(request(), block=False)
    return budget


def seconds_since_start() -> float:
    return (datetime.now(timezone.utc) - START).total_seconds()


def test_given_a_new_budget_then_the_checks_request_already_holds_a_slot(
    clock: FrozenDateTimeFactory,
) -> None:
    budget = full_free_plan_budget()

    with pytest.raises(CallRateLimitHit) as hit:
        budget.acquire_call(request(), block=False)

    assert hit.value.time_to_wait == timedelta(seconds=62)


@pytest.mark.parametrize("after_seconds", [60.5, 61.0, 62.0])
def test_given_a_full_window_when_the_apis_minute_has_passed_then_still_no_call_until_62_s(
    clock: FrozenDateTimeFactory, after_seconds: float
) -> None:
    budget = full_free_plan_budget()
    clock.tick(timedelta(seconds=after_seconds))

    with pytest.raises(CallRateLimitHit):
        budget.acquire_call(request(), block=False)


def test_given_a_full_window_when_62_s_have_passed_then_the_next_window_is_open(
    clock: FrozenDateTimeFactory,
) -> None:
    budget = full_free_plan_budget()
    clock.tick(timedelta(seconds=62.001))

    for _ in range(5):  # the check's slot and the four calls have all left the window
        budget.acquire_call(request(), block=False)
    with pytest.raises(CallRateLimitHit):
        budget.acquire_call(request(), block=False)


def test_given_a_paid_plans_pace_then_all_but_one_call_of_the_minute_go_at_once(
    clock: FrozenDateTimeFactory, sleeps: list[float]
) -> None:
    budget = PacedBudget(requests_per_minute=6000)
    for _ in range(5999):
        budget.acquire_call(request())

    assert sleeps == []
    with pytest.raises(CallRateLimitHit) as hit:
        budget.acquire_call(request(), block=False)
    assert hit.value.time_to_wait == timedelta(seconds=62)


def test_given_a_wait_shorter_than_a_second_then_it_is_not_logged(
    clock: FrozenDateTimeFactory, sleeps: list[float], caplog: pytest.LogCaptureFixture
) -> None:
    budget = PacedBudget(requests_per_minute=1)
    clock.tick(timedelta(seconds=61.5))

    with caplog.at_level("INFO", logger="airbyte"):
        budget.acquire_call(request())

    assert waits(sleeps) == [0.5]
    assert [r.getMessage() for r in caplog.records if r.levelname == "INFO"] == []


def test_given_one_request_a_minute_when_waiting_then_the_line_says_request(
    clock: FrozenDateTimeFactory, caplog: pytest.LogCaptureFixture
) -> None:
    budget = PacedBudget(requests_per_minute=1)
    clock.tick(timedelta(seconds=20.2))

    with caplog.at_level("INFO", logger="airbyte"):
        budget.acquire_call(request())

    assert [r.getMessage() for r in caplog.records if r.levelname == "INFO"] == [
        "Waiting 42 s for the API's rate limit (1 request a minute)."
    ]


def test_given_six_tickers_at_five_a_minute_when_read_then_one_wait_said_once_then_all_records(
    clock: FrozenDateTimeFactory, requests_mock: rm.Mocker, sleeps: list[float]
) -> None:
    sent_at: list[float] = []

    def answer(ticker: str) -> Any:
        def respond(request: Any, context: Any) -> dict[str, Any]:
            sent_at.append(seconds_since_start())
            return AggsResponseBuilder(ticker).with_bars(FRI_2024_03_08).build_json()

        return respond

    for ticker in TICKERS:
        url = AggsRequestBuilder.aggs(ticker, "2024-03-01", "2024-03-11").url
        requests_mock.get(url, json=answer(ticker))

    output = read_stream(ConfigBuilder().with_tickers(*TICKERS).with_requests_per_minute(5).build())

    assert [r["stock_ticker"] for r in records(output)] == TICKERS
    # The check's request holds a slot at start: four go at once, the fifth and sixth 62 s later
    # (plus the millisecond the moving window needs to let the oldest calls go).
    assert sent_at == [0.0, 0.0, 0.0, 0.0, 62.001, 62.001]
    assert waits(sleeps) == [62.0]
    assert [line for line in log_messages(output) if line.startswith("Waiting")] == [
        "Waiting 62 s for the API's rate limit (5 requests a minute)."
    ]
