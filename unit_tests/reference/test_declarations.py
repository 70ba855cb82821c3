"""The endpoint model (declarations.py): fan-outs, shapes, words and requests, as data.

The five declared streams keep the requests of 0.4.0 (also in the behaviour corpus); endpoints
of the next issues (options contracts per underlying and `expired`, a ticker's events as one row
each, ticker batches) are declared here to show the model covers them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from source_stock_ticker_api.config import parse_config
from source_stock_ticker_api.markets import STOCKS
from source_stock_ticker_api.polygon.endpoints import NextPage
from source_stock_ticker_api.reference.declarations import (
    BARE_ARRAY,
    Endpoint,
    ListRequest,
    Note,
    Partition,
    PerListedMarket,
    PerTicker,
    PerValue,
    Shape,
    TickerBatches,
    Words,
    nested_rows,
)
from source_stock_ticker_api.reference.endpoints import (
    DIVIDENDS,
    ENDPOINTS,
    MARKET_HOLIDAYS,
    TICKER_DETAILS,
    TICKERS,
)
from unit_tests.config_builder import ConfigBuilder

pytestmark = pytest.mark.now()
SCHEMAS = Path(__file__).resolve().parents[2] / "source_stock_ticker_api" / "schemas"

MIXED = ConfigBuilder().with_tickers("AAPL", "X:BTCUSD", "O:AAPL261218C00250000", "MSFT")


def requests_of(endpoint: Endpoint, builder: ConfigBuilder = MIXED) -> list[Any]:
    """What the fan-out makes of the config: (path, query) per request, a note's words."""
    made: list[Any] = []
    for item in endpoint.fan_out.partitions(parse_config(builder.build())):
        if isinstance(item, Note):
            made.append(item.text)
        else:
            request = endpoint.request(item)
            made.append((request.path(), request.params()))
    return made


def test_the_listing_asks_for_active_and_inactive_tickers_of_each_listed_market() -> None:
    """Survivorship: the delisted and former symbols are listed too (active=false)."""
    query = {"sort": "ticker", "order": "asc", "limit": 1000}
    assert requests_of(TICKERS) == [
        ("v3/reference/tickers", {"market": market, "active": active, **query})
        for market in ("stocks", "otc", "crypto")
        for active in ("true", "false")
    ]


def test_ticker_details_ask_per_ticker_in_the_path_and_note_the_options_they_skip() -> None:
    assert requests_of(TICKER_DETAILS) == [
        ("v3/reference/tickers/AAPL", {}),
        ("v3/reference/tickers/X:BTCUSD", {}),
        "O:AAPL261218C00250000: option contracts have no ticker details; skipped.",
        ("v3/reference/tickers/MSFT", {}),
    ]


def test_ticker_batches_name_the_stock_tickers_in_one_comma_list() -> None:
    batches = TickerBatches((STOCKS,), size=2)
    many = ConfigBuilder().with_tickers("A", "B", "X:BTCUSD", "C", "D", "E")
    partitions = list(batches.partitions(parse_config(many.build())))
    assert [p.query for p in partitions if isinstance(p, Partition)] == [
        (("ticker.any_of", "A,B"),),
        (("ticker.any_of", "C,D"),),
        (("ticker.any_of", "E"),),
    ]


def test_one_request_endpoints_send_their_fixed_query_only() -> None:
    assert requests_of(MARKET_HOLIDAYS) == [("v1/marketstatus/upcoming", {})]


def test_a_later_page_sends_the_path_and_cursor_its_page_before_named() -> None:
    first = ListRequest("stocks/v1/dividends", (("ticker.any_of", "AAPL"), ("limit", 5000)))
    later = first.next(NextPage("/stocks/v1/dividends", (("cursor", "abc"),)))
    assert (later.path(), later.params()) == ("stocks/v1/dividends", {"cursor": "abc"})


def test_every_declared_stream_has_a_unique_name_a_key_and_a_schema() -> None:
    names = [endpoint.stream for endpoint in ENDPOINTS]
    assert len(set(names)) == len(names)
    for endpoint in ENDPOINTS:
        assert endpoint.primary_key and endpoint.docs.startswith("https://")
        assert (SCHEMAS / f"{endpoint.stream}.json").is_file()


def test_words_fall_back_when_a_later_page_lacks_the_query() -> None:
    words = Words("dividends of {tickers} from {ex_dividend_date.gte}", "a page of dividends")
    assert words.say({"tickers": "AAPL", "ex_dividend_date.gte": "2024-01-02"}) == (
        "dividends of AAPL from 2024-01-02"
    )
    assert words.say({"cursor": "abc"}) == "a page of dividends"
    assert DIVIDENDS.describe(
        "http://h/stocks/v1/dividends?ticker.any_of=AAPL&ex_dividend_date.gte=2024-01-02"
    ) == ("dividends of AAPL from 2024-01-02")


# Endpoints of the next issues, declared to show the model takes them.
OPTIONS_CONTRACTS = Endpoint(
    stream="options_contracts",
    path="v3/reference/options/contracts",
    fan_out=PerValue("expired", ("true", "false"), PerTicker((STOCKS,), "underlying_ticker")),
    query=(("limit", 1000),),
    primary_key="ticker",
    words=Words("the options contracts of {underlying_ticker}", "a page of options contracts"),
)
TICKER_EVENTS = Endpoint(
    stream="ticker_events",
    path="vX/reference/tickers/{ticker}/events",
    fan_out=PerTicker((STOCKS,)),
    shape=Shape(nested_rows("events", ("name", "cik", "composite_figi"))),
    primary_key=["cik", "type", "date"],
    words=Words("the events of {ticker}", "the request"),
)


def test_a_fan_out_per_value_of_a_parameter_crosses_each_partition_with_each_value() -> None:
    assert requests_of(OPTIONS_CONTRACTS, ConfigBuilder().with_tickers("AAPL", "MSFT")) == [
        (
            "v3/reference/options/contracts",
            {"underlying_ticker": "AAPL", "expired": "true", "limit": 1000},
        ),
        (
            "v3/reference/options/contracts",
            {"underlying_ticker": "AAPL", "expired": "false", "limit": 1000},
        ),
        (
            "v3/reference/options/contracts",
            {"underlying_ticker": "MSFT", "expired": "true", "limit": 1000},
        ),
        (
            "v3/reference/options/contracts",
            {"underlying_ticker": "MSFT", "expired": "false", "limit": 1000},
        ),
    ]


def test_nested_rows_become_one_record_each_with_the_parents_identity() -> None:
    body = {
        "results": {
            "name": "Meta Platforms",
            "cik": "0001326801",
            "composite_figi": "BBG000MM2P62",
            "events": [
                {
                    "type": "ticker_change",
                    "date": "2022-06-09",
                    "ticker_change": {"ticker": "META"},
                },
                {"type": "ticker_change", "date": "2012-05-18", "ticker_change": {"ticker": "FB"}},
            ],
        },
        "status": "OK",
    }
    identity = {"name": "Meta Platforms", "cik": "0001326801", "composite_figi": "BBG000MM2P62"}
    assert list(TICKER_EVENTS.shape.rows(body)) == [
        {
            **identity,
            "type": "ticker_change",
            "date": "2022-06-09",
            "ticker_change": {"ticker": "META"},
        },
        {
            **identity,
            "type": "ticker_change",
            "date": "2012-05-18",
            "ticker_change": {"ticker": "FB"},
        },
    ]
    assert requests_of(TICKER_EVENTS, ConfigBuilder().with_tickers("META")) == [
        ("vX/reference/tickers/META/events", {})
    ]


@pytest.mark.parametrize(
    ("body", "rows"),
    [
        ({"results": [{"a": 1}, {"a": 2}]}, [{"a": 1}, {"a": 2}]),
        ({"results": {"a": 1}}, [{"a": 1}]),
        ({"status": "OK"}, []),
        ([{"a": 1}], []),
    ],
)
def test_results_are_a_list_or_one_object(body: Any, rows: list[Any]) -> None:
    assert list(TICKERS.shape.rows(body)) == rows


def test_a_bare_array_is_its_own_rows() -> None:
    assert list(BARE_ARRAY.rows([{"date": "2026-12-25"}])) == [{"date": "2026-12-25"}]
    assert list(BARE_ARRAY.rows({"results": []})) == []


def test_listed_markets_follow_the_market_table() -> None:
    partitions = PerListedMarket().partitions(parse_config(MIXED.build()))
    tickers = [p.tickers for p in partitions if isinstance(p, Partition)]
    assert tickers == [("AAPL", "MSFT"), ("AAPL", "MSFT"), ("X:BTCUSD",)]
