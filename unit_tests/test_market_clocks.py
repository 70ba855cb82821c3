"""Each market's clock in the bar arithmetic, the query, the config and the spec."""

from __future__ import annotations

from datetime import date, datetime, timezone
from importlib import resources

import pytest
import yaml

from source_stock_ticker_api.bars import TimeFormatter, bar_end_ms, day_start, to_ms
from source_stock_ticker_api.config import ConfigError, parse_config
from source_stock_ticker_api.markets import MARKETS, NEW_YORK, UTC
from source_stock_ticker_api.polygon.endpoints import aggs_params
from unit_tests.config_builder import ConfigBuilder


def ms(year: int, month: int, day: int, hour: int, minute: int) -> int:
    return to_ms(datetime(year, month, day, hour, minute, tzinfo=timezone.utc))


def test_a_crypto_bar_is_dated_in_utc_a_stock_bar_in_new_york() -> None:
    # 2024-03-10 02:00 UTC: still Saturday evening in New York.
    moment = ms(2024, 3, 10, 2, 0)
    assert TimeFormatter(UTC).render(moment) == ("2024-03-10T02:00:00Z", "2024-03-10")
    assert TimeFormatter(NEW_YORK).render(moment) == ("2024-03-10T02:00:00Z", "2024-03-09")


@pytest.mark.parametrize(
    ("timespan", "multiplier", "start", "utc_end", "new_york_end"),
    [
        # A daily bar ends at the next midnight of its zone.
        ("day", 1, ms(2024, 3, 9, 0, 0), ms(2024, 3, 10, 0, 0), ms(2024, 3, 9, 5, 0)),
        # A 5-hour bar starting 22:00 UTC is cut at midnight UTC; in New York it runs 5 hours.
        ("hour", 5, ms(2024, 3, 9, 22, 0), ms(2024, 3, 10, 0, 0), ms(2024, 3, 10, 3, 0)),
    ],
)
def test_a_bar_ends_at_its_markets_midnight(
    timespan: str, multiplier: int, start: int, utc_end: int, new_york_end: int
) -> None:
    assert bar_end_ms(start, timespan, multiplier, UTC) == utc_end
    assert bar_end_ms(start, timespan, multiplier, NEW_YORK) == new_york_end


def test_a_day_starts_at_midnight_of_its_zone() -> None:
    assert to_ms(day_start(date(2024, 3, 10), UTC)) == ms(2024, 3, 10, 0, 0)
    assert to_ms(day_start(date(2024, 3, 10))) == ms(2024, 3, 10, 5, 0)


def test_the_query_leaves_adjusted_out_only_when_told() -> None:
    assert aggs_params(None, 10) == {"sort": "asc", "limit": 10}
    assert aggs_params(False, 10) == {"adjusted": "false", "sort": "asc", "limit": 10}


@pytest.mark.now()
def test_prefixed_tickers_of_every_market_are_accepted() -> None:
    tickers = ["aapl", "x:btcusd", "C:EURUSD", "I:SPX", "O:AAPL250117C00150000"]
    config = parse_config(ConfigBuilder().with_tickers(*tickers).build())
    assert config.tickers == ("AAPL", "X:BTCUSD", "C:EURUSD", "I:SPX", "O:AAPL250117C00150000")


@pytest.mark.now()
def test_an_unknown_prefix_is_refused_naming_the_prefixes_that_exist() -> None:
    with pytest.raises(ConfigError) as refused:
        parse_config(ConfigBuilder().with_tickers("AAPL", "Z:FOO").build())
    assert refused.value.message == (
        "tickers has 'Z:FOO', whose prefix Z: names no market. Write a US stock without a "
        "prefix (AAPL), or use one of these prefixes: X: crypto, C: forex, I: indices, "
        "O: options (e.g. X:BTCUSD)."
    )


def test_the_spec_names_every_prefix_and_stream() -> None:
    text = resources.files("source_stock_ticker_api").joinpath("spec.yaml").read_text()
    spec = yaml.safe_load(text)["connectionSpecification"]["properties"]["tickers"]
    for market in MARKETS:
        assert market.stream_name in spec["description"]
        assert f"{market.prefix} " in spec["description"], market.name
