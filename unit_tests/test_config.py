"""config.py: every field's default, normalisation and the error that names it."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from airbyte_cdk.models import FailureType

from source_stock_ticker_api.config import ConfigError, StockTickerConfig, parse_config
from unit_tests.config_builder import API_KEY, API_URL, ConfigBuilder
from unit_tests.helpers import LATE_EVENING_NY

# 22:30 on 2024-03-11 in New York, already 2024-03-12 in UTC.


@pytest.mark.now(LATE_EVENING_NY)
def test_given_only_key_and_ticker_then_defaults_apply() -> None:
    assert parse_config({"api_key": API_KEY, "tickers": ["AAPL"]}) == StockTickerConfig(
        api_key=API_KEY,
        tickers=("AAPL",),
        # "today" is New York's date, not UTC's.
        start_date=date(2023, 3, 12),
        end_date=date(2024, 3, 11),
        timespan="day",
        multiplier=1,
        adjusted=True,
        api_url="https://api.polygon.io",
        requests_per_minute=5,
        request_timeout_seconds=30,
    )


@pytest.mark.now(LATE_EVENING_NY)
def test_given_legacy_tutorial_config_then_its_ticker_is_the_only_ticker() -> None:
    parsed = parse_config({"api_key": API_KEY, "stock_ticker": "tsla"})
    assert parsed.tickers == ("TSLA",)
    assert (parsed.start_date, parsed.end_date) == (date(2023, 3, 12), date(2024, 3, 11))
    assert parsed.api_url == "https://api.polygon.io"


@pytest.mark.now(LATE_EVENING_NY)
def test_given_both_tickers_and_stock_ticker_then_tickers_win() -> None:
    assert parse_config(ConfigBuilder().with_field("stock_ticker", "TSLA").build()).tickers == (
        "AAPL",
    )


@pytest.mark.now(LATE_EVENING_NY)
def test_given_messy_values_then_they_are_normalised() -> None:
    parsed = parse_config(
        ConfigBuilder()
        .with_api_key(f"  {API_KEY}\n")
        .with_tickers(" aapl ", "MSFT", "AAPL", "brk.a", "c:eurusd")
        .with_api_url(f" {API_URL}/ ")
        .with_start_date("")
        .with_end_date(None)
        .build()
    )
    assert parsed.api_key == API_KEY
    assert parsed.tickers == ("AAPL", "MSFT", "BRK.A", "C:EURUSD")
    assert parsed.api_url == API_URL
    assert (parsed.start_date, parsed.end_date) == (date(2023, 3, 12), date(2024, 3, 11))


@pytest.mark.now(LATE_EVENING_NY)
def test_given_every_field_then_each_is_kept() -> None:
    parsed = parse_config(
        ConfigBuilder()
        .with_timespan("minute", 5)
        .with_adjusted(False)
        .with_requests_per_minute(100)
        .with_request_timeout_seconds(7)
        .with_api_url("https://api.massive.com/")
        .build()
    )
    assert (parsed.timespan, parsed.multiplier, parsed.adjusted) == ("minute", 5, False)
    assert (parsed.requests_per_minute, parsed.request_timeout_seconds) == (100, 7)
    assert parsed.api_url == "https://api.massive.com"
    assert (parsed.start_date, parsed.end_date) == (date(2024, 3, 1), date(2024, 3, 11))


@pytest.mark.now(LATE_EVENING_NY)
def test_given_end_date_today_in_new_york_then_accepted() -> None:
    assert parse_config(ConfigBuilder().with_end_date("2024-03-11").build()).end_date == date(
        2024, 3, 11
    )


# (config change, exact message): each message names the field the user must fix.
INVALID_CONFIGS: list[tuple[str, dict[str, Any], str]] = [
    (
        "end before start",
        {"start_date": "2024-03-11", "end_date": "2024-03-01"},
        "start_date 2024-03-11 is after end_date 2024-03-01.",
    ),
    (
        "future end date",
        {"end_date": "2024-03-12"},
        "end_date 2024-03-12 is in the future (today is 2024-03-11 in New York). "
        "Leave it empty to read up to today.",
    ),
    (
        "future start date",
        {"start_date": "2099-01-01", "end_date": None},
        "start_date 2099-01-01 is after end_date 2024-03-11.",
    ),
    (
        "start before 1970",
        {"start_date": "1969-12-31"},
        "start_date 1969-12-31 is before 1970-01-01: no bars exist then.",
    ),
    (
        "unparsable start date",
        {"start_date": "yesterday"},
        "start_date 'yesterday' is not a valid date written YYYY-MM-DD.",
    ),
    (
        "impossible end date",
        {"end_date": "2024-02-30"},
        "end_date '2024-02-30' is not a valid date written YYYY-MM-DD.",
    ),
    (
        "date without zero padding",
        {"start_date": "2024-3-1"},
        "start_date '2024-3-1' is not a valid date written YYYY-MM-DD.",
    ),
    (
        "date with slashes",
        {"start_date": "2024/03/01"},
        "start_date '2024/03/01' is not a valid date written YYYY-MM-DD.",
    ),
    (
        "date as a number",
        {"end_date": 20240311},
        "end_date must be a date written YYYY-MM-DD, got 20240311.",
    ),
    (
        "unknown timespan",
        {"timespan": "minutes"},
        "timespan 'minutes' is not one of: second, minute, hour, day, week, month, quarter, year.",
    ),
    (
        "multiplier 0",
        {"multiplier": 0},
        "multiplier must be a whole number from 1 to 10000, got 0.",
    ),
    (
        "multiplier as text",
        {"multiplier": "5"},
        "multiplier must be a whole number from 1 to 10000, got '5'.",
    ),
    (
        "multiplier as boolean",
        {"multiplier": True},
        "multiplier must be a whole number from 1 to 10000, got True.",
    ),
    (
        "no ticker",
        {"tickers": None},
        'No ticker configured: set tickers, e.g. ["AAPL", "MSFT"].',
    ),
    (
        "empty ticker list",
        {"tickers": []},
        'tickers is empty: list at least one symbol, e.g. ["AAPL"].',
    ),
    (
        "tickers as a string",
        {"tickers": "AAPL,MSFT"},
        'tickers must be a list of symbols, e.g. ["AAPL", "MSFT"].',
    ),
    (
        "malformed ticker",
        {"tickers": ["AAPL", "AA PL"]},
        "tickers has a malformed symbol 'AA PL': use letters, digits, '.', ':' or '-', "
        "e.g. AAPL or BRK.A.",
    ),
    (
        "ticker that is not a string",
        {"tickers": [42]},
        "tickers has a malformed symbol 42: use letters, digits, '.', ':' or '-', "
        "e.g. AAPL or BRK.A.",
    ),
    (
        "malformed legacy ticker",
        {"tickers": None, "stock_ticker": "$AAPL"},
        "stock_ticker has a malformed symbol '$AAPL': use letters, digits, '.', ':' or '-', "
        "e.g. AAPL or BRK.A.",
    ),
    (
        "adjusted as text",
        {"adjusted": "false"},
        "adjusted must be true or false, got 'false'.",
    ),
    (
        "adjusted as number",
        {"adjusted": 0},
        "adjusted must be true or false, got 0.",
    ),
    (
        "api_url without scheme",
        {"api_url": "api.polygon.io"},
        "api_url is not an http(s) URL such as https://api.polygon.io.",
    ),
    (
        "api_url with another scheme",
        {"api_url": "ftp://127.0.0.1"},
        "api_url is not an http(s) URL such as https://api.polygon.io.",
    ),
    (
        "api_url with a query",
        {"api_url": "http://127.0.0.1:8999?apiKey=abc"},
        "api_url must be a plain base URL with no query, fragment or credentials, "
        "such as https://api.polygon.io.",
    ),
    (
        "api_url with credentials",
        {"api_url": "http://user:pass@127.0.0.1:8999"},
        "api_url must be a plain base URL with no query, fragment or credentials, "
        "such as https://api.polygon.io.",
    ),
    (
        "api_url not a string",
        {"api_url": 8999},
        "api_url must be a URL such as https://api.polygon.io.",
    ),
    (
        "missing api key",
        {"api_key": None},
        "api_key is missing: paste your Polygon.io / Massive.com API key.",
    ),
    (
        "blank api key",
        {"api_key": "   "},
        "api_key is missing: paste your Polygon.io / Massive.com API key.",
    ),
    (
        "api key with a space inside",
        {"api_key": "abc def"},
        "api_key contains spaces or control characters: paste the key alone.",
    ),
    (
        "requests per minute too high",
        {"requests_per_minute": 6001},
        "requests_per_minute must be a whole number from 1 to 6000, got 6001.",
    ),
    (
        "timeout 0",
        {"request_timeout_seconds": 0},
        "request_timeout_seconds must be a whole number from 1 to 300, got 0.",
    ),
]


@pytest.mark.now(LATE_EVENING_NY)
@pytest.mark.parametrize(
    ("changes", "message"),
    [pytest.param(changes, message, id=name) for name, changes, message in INVALID_CONFIGS],
)
def test_given_invalid_field_then_config_error_names_it(
    changes: dict[str, Any], message: str
) -> None:
    builder = ConfigBuilder()
    for name, value in changes.items():
        builder.with_field(name, value)
    with pytest.raises(ConfigError) as error:
        parse_config(builder.build())
    assert error.value.message == message
    assert error.value.failure_type == FailureType.config_error


def test_a_key_too_short_to_be_real_is_refused_naming_the_field() -> None:
    with pytest.raises(ConfigError) as raised:
        parse_config({"api_key": "0", "tickers": ["AAPL"]})
    assert raised.value.message == (
        "api_key is too short to be a Polygon.io / Massive.com key (they are 32 characters): "
        "paste the whole key."
    )
