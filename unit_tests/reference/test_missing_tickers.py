"""Shape.missing: a configured ticker of a batched request that no row names is one the API has
nothing for, a warning naming it; an incremental read says so only of a ticker read from
start_date (a ticker with a cursor and no new row is no news)."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import pytest
import requests

from source_stock_ticker_api.config import parse_config
from source_stock_ticker_api.markets import STOCKS
from source_stock_ticker_api.polygon.bodies import ParsedBodies
from source_stock_ticker_api.polygon.stream import Fetched
from source_stock_ticker_api.reference.declarations import (
    Endpoint,
    Incremental,
    ListRequest,
    Shape,
    TickerBatches,
    Words,
    tickers_of_row,
)
from source_stock_ticker_api.reference.incremental import IncrementalRead, TickerDates
from source_stock_ticker_api.reference.stream import ListRead, Reading
from unit_tests.config_builder import ConfigBuilder

pytestmark = pytest.mark.now()

SHAPE = Shape(missing="{tickers}: nothing for these symbols.", row_tickers=tickers_of_row)
ENDPOINT = Endpoint(
    stream="statements",
    path="statements",
    fan_out=TickerBatches((STOCKS,), 10, param="tickers.any_of"),
    shape=SHAPE,
    primary_key="id",
    words=Words("statements of {tickers}", "a page of statements"),
)
ROWS = [{"id": 1, "tickers": ["GOOG", "GOOGL"]}, {"id": 2, "tickers": ["AAPL"]}]


def answer(rows: list[dict[str, Any]]) -> Fetched:
    response = requests.Response()
    response.status_code = 200
    response._content = json.dumps({"results": rows, "status": "OK"}).encode()
    return Fetched(response, None)


def reading(endpoint: Endpoint, logger: logging.Logger) -> Reading:
    config = parse_config(ConfigBuilder().with_tickers("AAPL", "GOOGL", "ZZZZ", "SPY").build())
    return Reading(endpoint, config, lambda request: answer(ROWS), ParsedBodies(), logger)


def warnings_of(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]


def test_a_full_refresh_batch_warns_of_the_tickers_no_row_named(
    caplog: pytest.LogCaptureFixture,
) -> None:
    read = ListRead(reading(ENDPOINT, logging.getLogger("test")))

    with caplog.at_level(logging.WARNING):
        records = [row for request in read.slices() for row in read.read(request)]

    assert records == ROWS
    assert warnings_of(caplog) == ["ZZZZ, SPY: nothing for these symbols."]


def test_without_missing_words_no_ticker_is_counted_nor_warned_of(
    caplog: pytest.LogCaptureFixture,
) -> None:
    read = ListRead(reading(replace(ENDPOINT, shape=Shape()), logging.getLogger()))

    with caplog.at_level(logging.WARNING):
        outcomes = [list(read.read(request)) for request in read.slices()]

    assert outcomes == [ROWS] and warnings_of(caplog) == []


def test_an_incremental_read_warns_only_of_a_ticker_without_a_cursor(
    caplog: pytest.LogCaptureFixture,
) -> None:
    endpoint = replace(ENDPOINT, incremental=Incremental("day", 0, tickers_of_row))
    saved: Mapping[str, Any] = {"SPY": {"day": "2026-11-01"}}
    read = IncrementalRead(reading(endpoint, logging.getLogger("test")), TickerDates("day", saved))

    with caplog.at_level(logging.WARNING):
        for request in read.slices():
            assert isinstance(request, ListRequest)
            list(read.read(request))

    assert warnings_of(caplog) == ["ZZZZ: nothing for these symbols."]
