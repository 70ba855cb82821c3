"""config.py: every field's default, normalisation and the error that names it."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from airbyte_cdk.models import FailureType

from source_stock_ticker_api.config import ConfigError, StockTickerConfig, parse_config
from unit_tests.config_builder import API_KEY, API_URL, ConfigBuilder
from unit_tests.helpers import LATE_EVENING_NY
from unit_tests.invalid_configs import INVALID_CONFIGS

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
        max_concurrent_requests=10,
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


@pytest.mark.now(LATE_EVENING_NY)
@pytest.mark.parametrize(("changes", "message"), INVALID_CONFIGS)
def test_given_invalid_field_then_config_error_names_it(
    changes: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError) as error:
        parse_config(ConfigBuilder().with_fields(changes).build())
    assert error.value.message == message
    assert error.value.failure_type == FailureType.config_error


def test_a_key_too_short_to_be_real_is_refused_naming_the_field() -> None:
    with pytest.raises(ConfigError) as raised:
        parse_config({"api_key": "0", "tickers": ["AAPL"]})
    assert raised.value.message == (
        "api_key is too short to be a Polygon.io / Massive.com key (they are 32 characters): "
        "paste the whole key."
    )
