"""The model's extensions for the short data and IPOs: a per-ticker query-param fan-out that an
incremental read batches one ticker at a time, and a partition-less cursor (its state, checked
before a sync, and its slices)."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from source_stock_ticker_api.config import ConfigError, parse_config
from source_stock_ticker_api.markets import STOCKS
from source_stock_ticker_api.reference.declarations import (
    Partition,
    PerTicker,
    TickerBatches,
    TickerFanOut,
)
from source_stock_ticker_api.reference.incremental import (
    IncrementalRead,
    StreamDate,
    TickerDates,
    cursors_of,
    validate_dates,
)
from source_stock_ticker_api.reference.short_data import IPOS, SHORT_INTEREST, STOCK_FLOAT
from source_stock_ticker_api.reference.stream import Reading
from source_stock_ticker_api.source import RESERVED_STATE_KEYS
from unit_tests.config_builder import ConfigBuilder

pytestmark = pytest.mark.now()
CONFIG = parse_config(ConfigBuilder().with_tickers("AAPL", "X:BTCUSD", "MSFT").build())


def reading(endpoint: Any, start_date: str = "2024-01-02") -> Reading:
    config = parse_config(
        ConfigBuilder().with_tickers("AAPL", "X:BTCUSD", "MSFT").with_start_date(start_date).build()
    )

    def no_fetch(request: Any) -> Any:
        raise AssertionError("no request in these tests")

    return Reading(endpoint, config, no_fetch, None, logging.getLogger("test"))  # type: ignore[arg-type]


def test_a_per_ticker_param_fan_out_is_a_ticker_fan_out_of_one_ticker_a_batch() -> None:
    fan_out = PerTicker(markets=(STOCKS,), param="ticker")

    assert isinstance(fan_out, TickerFanOut) and isinstance(
        TickerBatches((STOCKS,), 2), TickerFanOut
    )
    assert fan_out.tickers(CONFIG) == ["AAPL", "MSFT"]
    assert list(fan_out.batches(["MSFT", "AAPL"])) == [("MSFT",), ("AAPL",)]
    assert fan_out.partition(("AAPL",)) == Partition(
        {"ticker": "AAPL"}, (("ticker", "AAPL"),), ("AAPL",)
    )
    assert list(fan_out.partitions(CONFIG)) == [
        fan_out.partition(("AAPL",)),
        fan_out.partition(("MSFT",)),
    ]


def test_the_cursors_are_per_ticker_or_one_for_a_partition_less_stream() -> None:
    assert isinstance(cursors_of(SHORT_INTEREST), TickerDates)
    one = cursors_of(IPOS, {"listing_date": "2026-11-02"})
    assert isinstance(one, StreamDate)
    assert (one.get(), one.get("AAPL")) == ("2026-11-02", "2026-11-02")
    one.advance((), "2026-11-23")
    one.advance((), "2026-11-20")  # never back
    assert one.state() == {"listing_date": "2026-11-23"}
    assert StreamDate("listing_date", {"listing_date": "soon"}).state() == {}


def test_per_ticker_slices_are_one_request_each_from_its_cursor_less_the_look_back() -> None:
    dates = TickerDates("settlement_date", {"MSFT": {"settlement_date": "2024-03-01"}})

    slices = list(IncrementalRead(reading(SHORT_INTEREST), dates).slices())

    assert [(s.tickers, s.params()) for s in slices] == [
        (
            ("AAPL",),
            {
                "ticker": "AAPL",
                "settlement_date.gte": "2024-01-02",
                "sort": "settlement_date.asc",
                "limit": 50000,
            },
        ),
        (
            ("MSFT",),
            {
                "ticker": "MSFT",
                "settlement_date.gte": "2024-01-31",
                "sort": "settlement_date.asc",
                "limit": 50000,
            },
        ),
    ]
    assert all(s.floors == () for s in slices)


def test_a_partition_less_read_is_one_request_from_its_cursor_less_the_look_back() -> None:
    fresh = list(IncrementalRead(reading(IPOS), cursors_of(IPOS)).slices())
    resumed = list(
        IncrementalRead(reading(IPOS), cursors_of(IPOS, {"listing_date": "2024-03-01"})).slices()
    )

    assert [(s.path(), s.params()) for s in fresh] == [
        (
            "vX/reference/ipos",
            {
                "listing_date.gte": "2024-01-02",
                "sort": "listing_date",
                "order": "asc",
                "limit": 1000,
            },
        )
    ]
    assert [s.params()["listing_date.gte"] for s in resumed] == ["2024-01-31"]
    assert [s.tickers for s in resumed] == [()]


def test_a_partition_less_state_is_checked_for_its_one_date() -> None:
    validate_dates({"listing_date": "2026-11-23"}, "ipos", "listing_date", per_ticker=False)
    for bad in ({"AAPL": {"listing_date": "2026-11-23"}}, {"listing_date": "23/11/2026"}, {}):
        with pytest.raises(ConfigError, match='not {"listing_date": "YYYY-MM-DD"}'):
            validate_dates(bad, "ipos", "listing_date", per_ticker=False)
    with pytest.raises(ConfigError, match="for ticker 'listing_date'"):
        validate_dates({"listing_date": "2026-11-23"}, "ipos", "listing_date")


def test_a_partition_less_cursor_field_is_never_upper_cased_as_a_ticker() -> None:
    assert "listing_date" in RESERVED_STATE_KEYS
    assert "settlement_date" not in RESERVED_STATE_KEYS  # its keys are tickers


def test_float_is_read_whole_in_batches_of_a_hundred() -> None:
    assert STOCK_FLOAT.incremental is None
    assert STOCK_FLOAT.fan_out == TickerBatches((STOCKS,), 100)
