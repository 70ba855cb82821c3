"""Where bars end when their size does not divide a day, and how many bars a page may hold.

The API restarts intraday buckets at 00:00 New York each day, so the last bar of a day is cut at
the next midnight (bars.py's docstring). A wrong end makes the next sync start inside a bar.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import requests_mock as rm
from airbyte_cdk.models import FailureType, Status

from source_stock_ticker_api.bars import MAX_BARS_PER_PAGE, bar_end_ms, page_limit
from source_stock_ticker_api.config import ConfigError, parse_config
from unit_tests.config_builder import API_KEY, ConfigBuilder
from unit_tests.helpers import check, connection_status, error_traces, ms, read_stream


@pytest.mark.parametrize(
    ("start", "end"),
    [
        # Sunday 2024-03-10 lasts 23 hours: 17 elapsed hours after 00:00 EST is 18:00 EDT, and
        # the second bar lasts the 6 hours left.
        ("2024-03-10T05:00:00Z", "2024-03-10T22:00:00Z"),
        ("2024-03-10T22:00:00Z", "2024-03-11T04:00:00Z"),
        # Sunday 2024-11-03 lasts 25 hours: 17 hours after 00:00 EDT is 16:00 EST; 8 hours left.
        ("2024-11-03T04:00:00Z", "2024-11-03T21:00:00Z"),
        ("2024-11-03T21:00:00Z", "2024-11-04T05:00:00Z"),
    ],
)
def test_seventeen_hour_bars_on_days_of_23_and_25_hours(start: str, end: str) -> None:
    assert bar_end_ms(ms(start), "hour", 17) == ms(end)


def test_bars_that_divide_the_day_are_not_cut() -> None:
    # 23:00 EST + 1 hour is exactly the next midnight; 4-hour bars start at 20:00.
    assert bar_end_ms(ms("2024-03-07T04:00:00Z"), "hour", 1) == ms("2024-03-07T05:00:00Z")
    assert bar_end_ms(ms("2024-03-07T01:00:00Z"), "hour", 4) == ms("2024-03-07T05:00:00Z")


@pytest.mark.parametrize(
    ("timespan", "multiplier", "limit"),
    [
        # `limit` counts minutes for second bars: a minute holds ceil(60 / multiplier) bars.
        ("second", 1, 833),
        ("second", 7, 5555),
        ("second", 30, 25_000),
        ("second", 59, 25_000),
        # From one bar a minute on, every bar holds at least one base aggregate.
        ("second", 60, 50_000),
        ("second", 90, 50_000),
        ("minute", 1, 50_000),
        ("hour", 1, 50_000),
        ("day", 1, 50_000),
    ],
)
def test_page_limit_bounds_the_bars_of_a_page(timespan: str, multiplier: int, limit: int) -> None:
    assert page_limit(timespan, multiplier) == limit
    if timespan == "second" and multiplier < 60:
        assert limit * -(-60 // multiplier) <= MAX_BARS_PER_PAGE


@pytest.mark.now("2024-03-06T17:00:00Z")
@pytest.mark.parametrize(
    ("timespan", "multiplier", "message"),
    [
        (
            "hour",
            24,
            "multiplier 24 with timespan hour makes bars of a day or more, which the API does "
            "not align from one request to the next: use a multiplier below 24 for hour bars, "
            "or timespan day for daily bars.",
        ),
        (
            "minute",
            1440,
            "multiplier 1440 with timespan minute makes bars of a day or more, which the API "
            "does not align from one request to the next: use a multiplier below 1440 for "
            "minute bars, or timespan day for daily bars.",
        ),
        (
            "hour",
            100,
            "multiplier 100 with timespan hour makes bars of a day or more, which the API does "
            "not align from one request to the next: use a multiplier below 24 for hour bars, "
            "or timespan day for daily bars.",
        ),
    ],
)
def test_intraday_bars_of_a_day_or_more_are_refused_naming_the_multiplier(
    timespan: str, multiplier: int, message: str
) -> None:
    raw = {"api_key": API_KEY, "tickers": ["AAPL"], "timespan": timespan, "multiplier": multiplier}
    with pytest.raises(ConfigError) as caught:
        parse_config(raw)
    assert caught.value.message == message
    assert caught.value.failure_type == FailureType.config_error


@pytest.mark.now("2024-03-06T17:00:00Z")
@pytest.mark.parametrize(
    ("timespan", "multiplier"), [("hour", 23), ("minute", 1439), ("second", 10_000), ("day", 24)]
)
def test_bars_shorter_than_a_day_and_long_daily_bars_are_accepted(
    timespan: str, multiplier: int
) -> None:
    raw = {"api_key": API_KEY, "tickers": ["AAPL"], "timespan": timespan, "multiplier": multiplier}
    assert parse_config(raw).multiplier == multiplier


HOUR_24 = (
    "multiplier 24 with timespan hour makes bars of a day or more, which the API does not align "
    "from one request to the next: use a multiplier below 24 for hour bars, or timespan day for "
    "daily bars."
)


@pytest.mark.now()
def test_given_24_hour_bars_when_check_then_failed_without_a_request(
    tmp_path: Path, requests_mock: rm.Mocker
) -> None:
    output = check(ConfigBuilder().with_timespan("hour", 24).build(), tmp_path)

    assert connection_status(output) == (Status.FAILED, HOUR_24)
    assert error_traces(output) == [(FailureType.config_error, HOUR_24)]
    assert requests_mock.call_count == 0


@pytest.mark.now()
def test_given_24_hour_bars_when_read_then_config_error_and_no_record(
    requests_mock: rm.Mocker,
) -> None:
    output = read_stream(ConfigBuilder().with_timespan("hour", 24).build(), expect_failure=True)

    assert error_traces(output) == [(FailureType.config_error, HOUR_24)]
    assert output.records == []
    assert requests_mock.call_count == 0
