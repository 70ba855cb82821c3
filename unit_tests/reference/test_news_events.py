"""The model's pieces the news, ticker-events and related-companies declarations need: rows
written once per sync (Distinct, stream.WrittenOnce), the request's ticker carried into each
row (Endpoint.ticker_field, read_pages' `carry`), and what each declaration asks."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from source_stock_ticker_api.config import parse_config
from source_stock_ticker_api.reference.declarations import Distinct, Note
from source_stock_ticker_api.reference.news_events import NEWS, RELATED_COMPANIES, TICKER_EVENTS
from source_stock_ticker_api.reference.stream import WrittenOnce, both
from unit_tests.config_builder import ConfigBuilder

pytestmark = pytest.mark.now()

MIXED = ConfigBuilder().with_tickers("AAPL", "X:BTCUSD", "O:AAPL261218C00250000", "MSFT")


def article(key: str, *tickers: str) -> dict[str, Any]:
    return {"id": key, "tickers": list(tickers)}


def test_a_row_of_two_configured_tickers_is_kept_the_first_time_only() -> None:
    once = WrittenOnce(Distinct("id"), ("AAPL", "MSFT"))

    kept = [
        once(row)
        for row in (
            article("a", "AAPL", "MSFT"),  # AAPL's request
            article("b", "AAPL", "NVDA"),  # NVDA is not configured: no other request brings it
            article("a", "AAPL", "MSFT"),  # MSFT's request
            article("b", "AAPL", "NVDA"),  # the same page again: not remembered, kept
        )
    ]

    assert kept == [True, True, False, True]


def test_both_keeps_a_row_either_keep_would_drop() -> None:
    def odd(row: Mapping[str, Any]) -> bool:
        return bool(row["n"] % 2)

    def small(row: Mapping[str, Any]) -> bool:
        return bool(row["n"] < 5)

    keep = both(odd, small)
    assert keep is not None
    assert [n for n in range(8) if keep({"n": n})] == [1, 3]
    assert both(None, odd) is odd and both(small, None) is small and both(None, None) is None


def asked(endpoint: Any) -> Iterator[Any]:
    for item in endpoint.fan_out.partitions(parse_config(MIXED.build())):
        yield item.text if isinstance(item, Note) else endpoint.request(item).params()


def test_news_asks_one_stock_ticker_a_request_at_the_largest_page() -> None:
    assert list(asked(NEWS)) == [
        {"ticker": t, "sort": "published_utc", "order": "asc", "limit": 1000}
        for t in ("AAPL", "MSFT")
    ]
    assert NEWS.incremental is not None
    assert (NEWS.incremental.cursor_field, NEWS.incremental.lookback_days) == ("published_utc", 2)


def test_events_and_related_companies_ask_per_stock_ticker_in_the_path() -> None:
    def paths(endpoint: Any) -> list[str]:
        config = parse_config(MIXED.build())
        return [endpoint.request(p).path() for p in endpoint.fan_out.partitions(config)]

    assert paths(TICKER_EVENTS) == [
        "vX/reference/tickers/AAPL/events",
        "vX/reference/tickers/MSFT/events",
    ]
    assert paths(RELATED_COMPANIES) == ["v1/related-companies/AAPL", "v1/related-companies/MSFT"]
    assert (TICKER_EVENTS.ticker_field, RELATED_COMPANIES.ticker_field) == (
        "ticker",
        "stock_symbol",
    )


def test_the_words_of_a_news_request_name_the_ticker_and_the_start() -> None:
    url = "https://api.example/v2/reference/news?ticker=AAPL&published_utc.gte=2026-11-21"
    assert NEWS.describe(url) == "news of AAPL from 2026-11-21"
    assert NEWS.describe("https://api.example/v2/reference/news?cursor=abc") == "a page of news"
    assert TICKER_EVENTS.describe("https://api.example/vX/reference/tickers/FB/events") == (
        "FB ticker events"
    )
